#!/usr/bin/env bash
# Validates the SSM command documents of one app/env output directory.
#
#   scripts/validate/ssm.sh OUTDIR     # OUTDIR = DIR/<app>/<env> as `paasc build` writes it
#
# For each of OUTDIR/ssm/{bake,provision,validate,post}.json: valid JSON
# (Ruby's JSON), schemaVersion 2.2, mainSteps of action aws:runShellScript
# with a runCommand list, every `{{ Name }}` used is declared and every
# declared parameter is used, every parameter is a String with an
# allowedPattern that compiles, admits its default and rejects shell
# metacharacters, and the embedded script passes `bash -n`.
# Exits non-zero on any failure; a missing tool is a failure.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
command -v ruby >/dev/null 2>&1 || { echo "ssm: ruby missing; run scripts/install-deps.sh" >&2; exit 1; }
command -v bash >/dev/null 2>&1 || { echo "ssm: bash missing" >&2; exit 1; }
[ -d "$out/ssm" ] || { echo "ssm: no $out/ssm directory" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

status=0
for stage in bake provision validate post; do
  f="$out/ssm/$stage.json"
  if [ ! -f "$f" ]; then
    echo "ssm: missing $f" >&2
    status=1
    continue
  fi
  # Shape checks; writes the script of each step to $tmp/<stage>.<n>.sh.
  if ! ruby -rjson -e '
    errors = []
    file, stage, tmp = ARGV
    begin
      doc = JSON.parse(File.read(file))
    rescue JSON::ParserError => e
      warn "ssm: #{file}: not JSON: #{e.message}"
      exit 1
    end
    errors << "schemaVersion must be \"2.2\"" unless doc["schemaVersion"] == "2.2"
    errors << "description must be a non-empty string" unless doc["description"].is_a?(String) && !doc["description"].empty?
    params = doc["parameters"]
    unless params.is_a?(Hash)
      errors << "parameters must be an object"
      params = {}
    end
    hostile = ["a b", "a;b", "a\x27b", "a\"b", "a$b", "a`b", "a|b", "a&b", "a\\b", "a{b", "a}b", "a(b", "a\nb", "$(id)"]
    params.each do |name, p|
      errors << "parameter #{name}: name must be [A-Za-z0-9_.-]" unless name.match?(/\A[A-Za-z0-9_.-]+\z/)
      unless p.is_a?(Hash) && p["type"] == "String" && p["allowedPattern"].is_a?(String)
        errors << "parameter #{name}: needs type String and an allowedPattern"
        next
      end
      begin
        re = Regexp.new(p["allowedPattern"])
      rescue RegexpError => e
        errors << "parameter #{name}: allowedPattern does not compile: #{e.message}"
        next
      end
      pat = p["allowedPattern"]
      unless pat.start_with?("^") && pat.end_with?("$")
        errors << "parameter #{name}: allowedPattern must be anchored ^...$"
        next
      end
      # SSM matches the whole value; Ruby ^ and $ are line anchors, so anchor on the text.
      re = Regexp.new("\\A(?:" + pat[1..-2] + ")\\z")
      if p.key?("default") && !(p["default"].is_a?(String) && p["default"].match?(re))
        errors << "parameter #{name}: default #{p["default"].inspect} does not match its allowedPattern"
      end
      hostile.each do |h|
        errors << "parameter #{name}: allowedPattern admits #{h.inspect}" if h.match?(re)
      end
    end
    steps = doc["mainSteps"]
    if !steps.is_a?(Array) || steps.empty?
      errors << "mainSteps must be a non-empty list"
      steps = []
    end
    used = {}
    steps.each_with_index do |s, i|
      errors << "mainSteps[#{i}]: action must be aws:runShellScript" unless s.is_a?(Hash) && s["action"] == "aws:runShellScript"
      errors << "mainSteps[#{i}]: name must be [A-Za-z0-9_.-]" unless s.is_a?(Hash) && s["name"].to_s.match?(/\A[A-Za-z0-9_.-]+\z/)
      cmd = s.is_a?(Hash) && s["inputs"].is_a?(Hash) ? s["inputs"]["runCommand"] : nil
      unless cmd.is_a?(Array) && !cmd.empty? && cmd.all? { |l| l.is_a?(String) }
        errors << "mainSteps[#{i}]: inputs.runCommand must be a non-empty list of strings"
        next
      end
      text = cmd.join("\n")
      text.scan(/\{\{(.*?)\}\}/m) do |m|
        name = m[0].strip
        used[name] = true
        errors << "mainSteps[#{i}]: {{#{m[0]}}} is not a declared parameter" unless params.key?(name)
      end
      rest = text.gsub(/\{\{\s*[A-Za-z0-9_.-]+\s*\}\}/, "")
      errors << "mainSteps[#{i}]: stray {{ or }} outside a parameter reference" if rest.include?("{{") || rest.include?("}}")
      errors << "mainSteps[#{i}]: script must start with #!/bin/bash" unless cmd[0] == "#!/bin/bash"
      errors << "mainSteps[#{i}]: script must set -euo pipefail" unless cmd.include?("set -euo pipefail")
      File.write(File.join(tmp, "#{stage}.#{i}.sh"), text + "\n")
    end
    (params.keys - used.keys).each { |n| errors << "parameter #{n} is declared but never used" }
    errors.each { |e| warn "ssm: #{file}: #{e}" }
    exit(errors.empty? ? 0 : 1)
  ' "$f" "$stage" "$tmp"; then
    status=1
  fi
  for sh in "$tmp/$stage".*.sh; do
    [ -e "$sh" ] || continue
    if ! bash -n "$sh"; then
      echo "ssm: $f: the script of $(basename "$sh") does not parse (bash -n)" >&2
      status=1
    fi
  done
done
exit $status
