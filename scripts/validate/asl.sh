#!/usr/bin/env bash
# Validates the generated state machine of one app/env output directory.
#
#   scripts/validate/asl.sh OUTDIR     # OUTDIR = DIR/<app>/<env> as `paasc build` writes it
#
# Runs asl-validator (npm; schema, transitions, paths, resource ARNs) on every
# OUTDIR/stepfunctions/*.asl.json, and checks the file is JSON with no
# placeholder text. Exits non-zero on any failure; a missing tool is a failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VALIDATOR="$ROOT/.tools/npm/bin/asl-validator"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
[ -x "$VALIDATOR" ] || { echo "asl: $VALIDATOR missing; run scripts/install-deps.sh" >&2; exit 1; }
[ -d "$out/stepfunctions" ] || { echo "asl: no $out/stepfunctions directory" >&2; exit 1; }

shopt -s nullglob
files=("$out"/stepfunctions/*.asl.json)
[ ${#files[@]} -gt 0 ] || { echo "asl: no *.asl.json under $out/stepfunctions" >&2; exit 1; }

status=0
for f in "${files[@]}"; do
  if grep -Eq 'REPLACE_ME|TODO|FIXME|<[a-z_-]+>' "$f"; then
    echo "asl: $f contains placeholder text:" >&2
    grep -En 'REPLACE_ME|TODO|FIXME|<[a-z_-]+>' "$f" >&2 || true
    status=1
  fi
  # asl-validator prints its verdict; a non-zero exit means invalid.
  if ! "$VALIDATOR" --json-path "$f"; then
    echo >&2
    echo "asl: $f is not a valid state machine" >&2
    status=1
  fi
done
exit $status
