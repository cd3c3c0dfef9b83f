#!/usr/bin/env bash
# Runs every validator (scripts/validate/*.sh) on every app/env directory
# under an output root written by `paasc build`:
#   bash scripts/validate-out.sh OUT
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
status=0
shopt -s nullglob
dirs=("$1"/*/*/)
[ ${#dirs[@]} -gt 0 ] || { echo "validate-out: nothing built under $1" >&2; exit 1; }
for dir in "${dirs[@]}"; do
  dir="${dir%/}"
  for v in "$ROOT"/scripts/validate/*.sh; do
    kind="$(basename "$v" .sh)"
    if bash "$v" "$dir" >"$dir.$kind.log" 2>&1; then
      echo "ok    $kind  $dir"
    else
      echo "FAIL  $kind  $dir"; sed 's/^/      /' "$dir.$kind.log"; status=1
    fi
    rm -f "$dir.$kind.log"
  done
done
exit $status
