#!/usr/bin/env bash
# The many-spec build, measured against the I/O floor (issue 15):
#
#   bash benches/many.sh [N]     # default 1000
#
# Writes N copies of examples/shop.paas (apps shop0001..., with its chef
# repo beside them), then times, in the same run: one `paasc build DIR
# --env prod` of all of them (release binary), `cp -r` of the tree that
# build wrote, and one `paasc build` of a single spec with its peak RSS
# (GNU time). Prints the ratios. Wall times on the machine at hand.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-1000}"
BIN="${PAASC:-$ROOT/target/release/paasc}"
if [ ! -x "$BIN" ] || [ -z "${PAASC:-}" ]; then
  (cd "$ROOT" && cargo build --release --quiet)
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/specs"
cp -r "$ROOT/examples/cookbooks" "$ROOT/examples/roles" "$tmp/specs/"
for i in $(seq -w 1 "$N"); do
  sed "s/^app shop {/app shop$i {/" "$ROOT/examples/shop.paas" > "$tmp/specs/shop$i.paas"
done
sync
now() { date +%s.%N; }
t0="$(now)"
"$BIN" build "$tmp/specs" --env prod -o "$tmp/out" 2>/dev/null
t1="$(now)"
# The build's dirty pages are written back before the copy starts (and
# are not counted in either), so neither pays for the other's writeback.
sync
t1b="$(now)"
cp -r "$tmp/out" "$tmp/copy"
t2="$(now)"
files="$(find "$tmp/out" -type f | wc -l)"
bytes="$(du -sb "$tmp/out" | cut -f1)"
python3 - "$N" "$t0" "$t1" "$t1b" "$t2" "$files" "$bytes" <<'PY'
import sys
n, t0, t1, t1b, t2, files, size = int(sys.argv[1]), *map(float, sys.argv[2:6]), int(sys.argv[6]), int(sys.argv[7])
build, copy = t1 - t0, t2 - t1b
print(f"{n} specs: build {build:.2f} s, cp -r of its {files} files ({size/1e6:.1f} MB) {copy:.2f} s, ratio {build/copy:.2f}x")
PY
one="$tmp/specs/shop$(printf "%0${#N}d" 1).paas"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "one build: %e s, peak RSS %M KiB" "$BIN" build "$one" --env prod -o "$tmp/one" 2>&1 | grep 'one build'
fi
