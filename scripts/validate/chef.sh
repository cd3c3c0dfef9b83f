#!/usr/bin/env bash
# Validates the Chef files of one paasc output directory as a Chef repo:
# every JSON file parses (Python's json.tool and Ruby's JSON, Chef's own
# language), every Ruby file of the vendored cookbooks passes `ruby -c`,
# SHA256SUMS holds for every file, run list entries follow Chef's grammar
# and resolve in the vendored cookbooks and roles (recipe files, pinned
# versions, roles, metadata names and versions), node.json carries the
# pipeline attributes, and roles/<app>.json is a well-formed Chef role
# equivalent to the node.
#
# Usage: scripts/validate/chef.sh OUTDIR    (OUTDIR = DIR/<app>/<env>)
set -euo pipefail

fail() { echo "chef.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: $0 OUTDIR"
out=$1
command -v python3 >/dev/null 2>&1 || fail "python3 not found on PATH"
command -v ruby >/dev/null 2>&1 || fail "ruby not found on PATH (run scripts/install-deps.sh)"
[ -f "$out/chef/node.json" ] || fail "$out/chef/node.json does not exist"
compgen -G "$out/chef/roles/*.json" >/dev/null || fail "no role in $out/chef/roles/"

status=0
while IFS= read -r -d '' f; do
  if ! python3 -m json.tool "$f" >/dev/null; then
    echo "chef.sh: FAILED: $f is not valid JSON (python3 -m json.tool)" >&2
    status=1
  fi
  if ! ruby -rjson -e 'JSON.parse(File.read(ARGV[0]))' "$f"; then
    echo "chef.sh: FAILED: $f is not valid JSON (ruby JSON.parse)" >&2
    status=1
  fi
done < <(find "$out/chef" -name '*.json' -print0 | sort -z)
while IFS= read -r -d '' f; do
  if ! ruby -c "$f" >/dev/null; then
    echo "chef.sh: FAILED: $f does not parse (ruby -c)" >&2
    status=1
  fi
done < <(find "$out/chef" -name '*.rb' -print0 | sort -z)
[ -f "$out/chef/SHA256SUMS" ] || fail "$out/chef/SHA256SUMS does not exist"
(cd "$out/chef" && sha256sum --check --strict --quiet SHA256SUMS) || { echo "chef.sh: FAILED: SHA256SUMS does not hold" >&2; status=1; }
listed=$(cd "$out/chef" && awk '{print $2}' SHA256SUMS | sort)
present=$(cd "$out/chef" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort)
[ "$listed" = "$present" ] || { echo "chef.sh: FAILED: SHA256SUMS does not list exactly the files under chef/" >&2; status=1; }
[ $status -eq 0 ] || exit $status

python3 - "$out/chef" <<'PY' || status=1
import json, os, re, sys

chef = sys.argv[1]
errors = []
# Chef's run list grammar, with Chef's cookbook/role name characters.
RECIPE = re.compile(r"^recipe\[[A-Za-z0-9_.-]+(::[A-Za-z0-9_.-]+)?(@\d+\.\d+(\.\d+)?)?\]$")
ROLE = re.compile(r"^role\[([A-Za-z0-9_-]+)\]$")
ROLE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.endswith("}\n"):
        errors.append(f"{path}: does not end with a closing brace and one newline")
    return json.loads(text)

def check_run_list(where, run_list):
    if not isinstance(run_list, list):
        errors.append(f"{where}: run_list is not an array")
        return
    for item in run_list:
        if not isinstance(item, str) or not (RECIPE.match(item) or ROLE.match(item)):
            errors.append(f"{where}: run list entry {item!r} is not recipe[cookbook(::recipe)(@x.y(.z))] or role[name]")

node_path = os.path.join(chef, "node.json")
node = load(node_path)
if not isinstance(node, dict):
    errors.append(f"{node_path}: not a JSON object")
    node = {}
check_run_list(node_path, node.get("run_list"))
paasc = node.get("paasc")
if not isinstance(paasc, dict):
    errors.append(f"{node_path}: no `paasc` attribute object")
else:
    for key, kind in (("app", str), ("env", str), ("version", str), ("port", int), ("health_path", str)):
        if not isinstance(paasc.get(key), kind):
            errors.append(f"{node_path}: paasc.{key} missing or not a {kind.__name__}")
    if isinstance(paasc.get("health_path"), str) and not paasc["health_path"].startswith("/"):
        errors.append(f"{node_path}: paasc.health_path does not start with /")

roles_dir = os.path.join(chef, "roles")
app = paasc.get("app") if isinstance(paasc, dict) else None
generated = os.path.join(roles_dir, f"{app}.json")
if not os.path.isfile(generated):
    errors.append(f"{generated}: the app's role is missing")
roles = {}
for name in sorted(os.listdir(roles_dir)):
    path = os.path.join(roles_dir, name)
    if not name.endswith(".json"):
        errors.append(f"{path}: unexpected file in roles/")
        continue
    if path != generated:
        # A role of the chef repo, vendored as written.
        with open(path, encoding="utf-8") as f:
            role = json.load(f)
        if not isinstance(role, dict):
            errors.append(f"{path}: not a JSON object")
            continue
        check_run_list(path, [i if i.startswith(("recipe[", "role[")) else f"recipe[{i}]" for i in role.get("run_list", []) if isinstance(i, str)])
        roles[name[:-5]] = role
        continue
    role = load(path)
    if not isinstance(role, dict):
        errors.append(f"{path}: not a JSON object")
        continue
    expected = {"name", "description", "json_class", "chef_type", "run_list",
                "default_attributes", "override_attributes", "env_run_lists"}
    if set(role) != expected:
        errors.append(f"{path}: keys {sorted(role)} differ from a Chef role's {sorted(expected)}")
    if role.get("json_class") != "Chef::Role":
        errors.append(f"{path}: json_class is not Chef::Role")
    if role.get("chef_type") != "role":
        errors.append(f"{path}: chef_type is not role")
    rname = role.get("name")
    if not isinstance(rname, str) or not ROLE_NAME.match(rname) or rname + ".json" != name:
        errors.append(f"{path}: name {rname!r} is not a valid role name matching the file name")
    if not isinstance(role.get("description"), str):
        errors.append(f"{path}: description is not a string")
    for key in ("default_attributes", "override_attributes", "env_run_lists"):
        if not isinstance(role.get(key), dict):
            errors.append(f"{path}: {key} is not an object")
    check_run_list(path, role.get("run_list"))
    if f"role[{rname}]" in (role.get("run_list") or []):
        errors.append(f"{path}: the role includes itself")
    # The role must be equivalent to the node file.
    attrs = {k: v for k, v in node.items() if k != "run_list"}
    if role.get("run_list") != node.get("run_list"):
        errors.append(f"{path}: run_list differs from node.json's")
    if role.get("default_attributes") != attrs:
        errors.append(f"{path}: default_attributes differ from node.json's attributes")

# The vendored cookbooks: metadata, and every entry the run lists reach.
cookbooks = {}
cb_dir = os.path.join(chef, "cookbooks")
if os.path.isdir(cb_dir):
    for name in sorted(os.listdir(cb_dir)):
        meta_rb = os.path.join(cb_dir, name, "metadata.rb")
        meta_json = os.path.join(cb_dir, name, "metadata.json")
        mname = mversion = None
        if os.path.isfile(meta_json):
            with open(meta_json, encoding="utf-8") as f:
                m = json.load(f)
            mname, mversion = m.get("name"), m.get("version")
        elif os.path.isfile(meta_rb):
            with open(meta_rb, encoding="utf-8") as f:
                for line in f:
                    mm = re.match(r"""\s*(name|version)\s+['"]([^'"]+)['"]""", line)
                    if mm:
                        if mm.group(1) == "name":
                            mname = mm.group(2)
                        else:
                            mversion = mm.group(2)
        else:
            errors.append(f"{cb_dir}/{name}: no metadata.rb or metadata.json")
            continue
        if mname not in (None, name):
            errors.append(f"{cb_dir}/{name}: metadata names it {mname!r}")
        if not mversion:
            errors.append(f"{cb_dir}/{name}: metadata has no version")
        cookbooks[name] = mversion

def full(v):
    parts = v.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))

def resolve(where, run_list, seen):
    for item in run_list or []:
        m = re.match(r"^role\[(.+)\]$", item)
        if m:
            r = m.group(1)
            if r == app:
                continue
            if r not in roles:
                errors.append(f"{where}: role {r!r} is not vendored")
            elif r not in seen:
                resolve(f"role {r}", roles[r].get("run_list"), seen | {r})
            continue
        m = re.match(r"^(?:recipe\[)?([^:@\]]+)(?:::([^@\]]+))?(?:@([0-9.]+))?\]?$", item)
        if not m:
            continue
        cb, recipe, pin = m.group(1), m.group(2) or "default", m.group(3)
        if cb not in cookbooks:
            errors.append(f"{where}: cookbook {cb!r} is not vendored")
            continue
        if not os.path.isfile(os.path.join(cb_dir, cb, "recipes", recipe + ".rb")):
            errors.append(f"{where}: {cb}::{recipe} has no recipes/{recipe}.rb")
        if pin and cookbooks[cb] and full(pin) != full(cookbooks[cb]):
            errors.append(f"{where}: pins {cb} {pin}, vendored {cookbooks[cb]}")

# Without a chef repo nothing is vendored (check and build allow that;
# deploy refuses it), so there is nothing to resolve against.
if os.path.isdir(cb_dir) or roles:
    resolve(node_path, node.get("run_list"), set())

for e in errors:
    print("chef.sh: FAILED: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY

[ $status -eq 0 ] && echo "chef.sh: ok: $out/chef"
exit $status
