#!/usr/bin/env bash
# Validates one Terraform root module written by paasc (an app module's
# DIR/<app>/<env>/terraform, or a platform module DIR/platform/<acct>-<region>).
#
# Usage: scripts/tf-module.sh MODULE  (not a per-output validator: scripts/validate/terraform.sh runs it on an app's terraform/)
#
# Runs, on a copy of MODULE (its .tf files and, for a platform module, its
# runner/ boot script, which must pass bash -n): terraform fmt -check -diff,
# terraform init -backend=false (against the provider mirror in
# /opt/tf-plugins when it exists, so no network is needed), terraform
# validate, then checkov (framework terraform, no download), which must
# report no failed check. Exits non-zero on the first failure; a missing
# tool is a failure too.
set -euo pipefail

die() { echo "validate/terraform: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 MODULE"
module=${1%/}
[ -d "$module" ] || die "no terraform module at $module"
ls "$module"/*.tf >/dev/null 2>&1 || die "no .tf files in $module"

root=$(cd "$(dirname "$0")/.." && pwd)
checkov="$root/.tools/venv/bin/checkov"
command -v terraform >/dev/null 2>&1 || die "terraform is not on PATH (run scripts/install-deps.sh)"
[ -x "$checkov" ] || die "checkov is missing at $checkov (run scripts/install-deps.sh)"

work=$(mktemp -d "${TMPDIR:-/tmp}/paasc-tf.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$module"/*.tf "$work/"
if [ -d "$module/runner" ]; then
  cp -R "$module/runner" "$work/runner"
  for script in "$work"/runner/*.sh; do
    bash -n "$script" || die "bash -n failed on ${script#$work/}"
  done
fi

# Hermetic terraform: no user CLI config, no checkpoint calls, no prompts.
: > "$work/.terraformrc"
export TF_CLI_CONFIG_FILE="$work/.terraformrc"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export TF_DATA_DIR="$work/.terraform"

cd "$work"

echo "validate/terraform: terraform fmt -check ($module)" >&2
terraform fmt -check -diff -no-color . >&2 || die "terraform fmt -check failed (diff above)"

init_args=(-backend=false -input=false -no-color)
if [ -d /opt/tf-plugins ]; then
  init_args+=(-plugin-dir=/opt/tf-plugins)
fi
echo "validate/terraform: terraform init ${init_args[*]}" >&2
terraform init "${init_args[@]}" >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; die "terraform init failed"; }

echo "validate/terraform: terraform validate" >&2
terraform validate -no-color >&2 || die "terraform validate failed"

# checkov: offline (no guideline/policy download, no telemetry), scan only
# the .tf files (not the provider binaries under .terraform).
echo "validate/terraform: checkov" >&2
export BC_SKIP_MAPPING=TRUE LOG_LEVEL=ERROR
export CKV_GITHUB_CONFIG_FETCH_DATA=false CKV_GITLAB_CONFIG_FETCH_DATA=false CKV_BITBUCKET_CONFIG_FETCH_DATA=false
rm -rf "$work/.terraform" "$work/.terraform.lock.hcl" "$work/runner"
set +e
"$checkov" -d "$work" --framework terraform --skip-download --compact --output json \
  --download-external-modules false >"$work/checkov.json" 2>"$work/checkov.err"
rc=$?
set -e
summary=$(python3 - "$work/checkov.json" <<'PY'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except Exception as err:  # not JSON: checkov crashed or printed an error
    print("unreadable checkov output: %s" % err)
    sys.exit(2)
reports = data if isinstance(data, list) else [data]
failed, passed, skipped = [], 0, 0
for rep in reports:
    if not isinstance(rep, dict) or "results" not in rep:
        continue
    res = rep["results"]
    passed += len(res.get("passed_checks", []))
    skipped += len(res.get("skipped_checks", []))
    for c in res.get("failed_checks", []):
        failed.append("%s %s (%s) in %s" % (c.get("check_id"), c.get("resource"), c.get("check_name"), c.get("file_path")))
for f in failed:
    print("FAILED " + f)
print("passed=%d failed=%d skipped=%d" % (passed, len(failed), skipped))
sys.exit(1 if failed or passed == 0 else 0)
PY
) || { echo "$summary" >&2; cat "$work/checkov.err" >&2; die "checkov reported failed checks (exit $rc)"; }
[ $rc -eq 0 ] || { echo "$summary" >&2; cat "$work/checkov.err" >&2; die "checkov exited $rc"; }
echo "validate/terraform: ok ($module; checkov $summary)" >&2
