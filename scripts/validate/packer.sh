#!/usr/bin/env bash
# Validates the Packer template of one paasc output directory with Packer
# itself: `packer fmt -check` on the files as generated, then `packer
# validate` on a copy laid out like the bake's working directory (packer/,
# chef/ and tools/: the file provisioners upload ../chef and ../tools; the
# bake copies the platform's builder tools into tools/, so the copy gets a
# stand-in SHA256SUMS there).
#
# Usage: scripts/validate/packer.sh OUTDIR    (OUTDIR = DIR/<app>/<env>)
#
# The offline validator is Packer 1.6.6 (Debian), which predates Packer
# plugins. The copy it validates therefore leaves out:
#   - packer/plugins.pkr.hcl (`packer { required_plugins {...} }`), and
#   - the builder's `metadata_options` block (IMDSv2 on the builder), an
#     amazon-plugin attribute that 1.6.6's built-in amazon-ebs does not know;
#     its syntax is still checked by `packer fmt -check`.
# Every variable has a default; one without is a failure.
set -euo pipefail

fail() { echo "packer.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: $0 OUTDIR"
out=$1
command -v packer >/dev/null 2>&1 || fail "packer not found on PATH (run scripts/install-deps.sh)"
[ -f "$out/packer/image.pkr.hcl" ] || fail "$out/packer/image.pkr.hcl does not exist"
[ -f "$out/chef/node.json" ] || fail "$out/chef/node.json does not exist (the template uploads ../chef)"

status=0

echo "packer.sh: packer fmt -check $out/packer"
if ! packer fmt -check -diff "$out/packer"; then
  echo "packer.sh: FAILED: packer fmt -check (files above are not in canonical format)" >&2
  status=1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/packer"
for f in "$out"/packer/*.pkr.hcl; do
  name=$(basename "$f")
  [ "$name" = plugins.pkr.hcl ] && continue
  # Drop the 2-space-indented metadata_options block (see above).
  awk '
    /^  metadata_options \{$/ { skip = 1; next }
    skip && /^  \}$/ { skip = 0; next }
    !skip { print }
  ' "$f" > "$tmp/packer/$name"
done
cp -R "$out/chef" "$tmp/chef"
mkdir "$tmp/tools"
: > "$tmp/tools/SHA256SUMS"

vars=()
while IFS= read -r line; do
  case "$line" in
    var.*'"<unknown>"') fail "variable without default: $line" ;;
  esac
done < <(cd "$tmp/packer" && packer inspect . 2>&1 || true)

echo "packer.sh: packer validate ${vars[*]:-} (copy without plugins.pkr.hcl and metadata_options)"
if ! (cd "$tmp/packer" && packer validate "${vars[@]}" .); then
  echo "packer.sh: FAILED: packer validate $out/packer" >&2
  status=1
fi

[ $status -eq 0 ] && echo "packer.sh: ok: $out/packer"
exit $status
