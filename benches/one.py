#!/usr/bin/env python3
"""One `paasc build` against `cp -r` of its own output, in the same run.

    python3 benches/one.py [SPEC] [BIN...]     # defaults: payments.paas, target/release/paasc

Each round runs every BIN's build of SPEC and one `cp -r` of the output,
interleaved, each into a new directory (earlier ones are removed in
batches, outside the timing, so no run pays for deleting another's files).
Prints medians and each one's ratio to the copy. Several BINs compare
builds of paasc side by side. Set WORK to choose the filesystem (default: a
directory under $TMPDIR or /tmp; /dev/shm takes the disk out) and N for the
rounds (default 300). Wall times, process start included for both.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "examples", "payments.paas")
bins = [os.path.abspath(b) for b in sys.argv[2:]] or [os.path.join(root, "target", "release", "paasc")]
if not os.path.exists(spec):
    sys.exit(f"no spec at {spec}")
for b in bins:
    if not os.access(b, os.X_OK):
        sys.exit(f"no binary at {b} (cargo build --release)")
rounds = int(os.environ.get("N", "300"))
work = tempfile.mkdtemp(prefix="paasc-one-", dir=os.environ.get("WORK"))
try:
    os.chdir(work)
    subprocess.run([bins[0], "build", spec, "-o", "out"], stderr=subprocess.DEVNULL, check=True)
    runs = {b: [b, "build", spec, "-o"] for b in bins}
    runs["cp -r"] = ["cp", "-r", "out"]
    times = {k: [] for k in runs}
    for i in range(rounds):
        if i % 25 == 0:
            for d in os.listdir("."):
                if d.startswith("r"):
                    shutil.rmtree(d)
        for j, (name, cmd) in enumerate(runs.items()):
            t = time.perf_counter()
            subprocess.run(cmd + [f"r{i}-{j}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t)
    files = sum(len(f) for _, _, f in os.walk("out"))
    copy = statistics.median(times["cp -r"])
    print(f"{os.path.basename(spec)}: {files} files, {rounds} rounds in {work}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:40} median {m * 1000:6.2f} ms   {m / copy:.2f}x the copy")
finally:
    shutil.rmtree(work, ignore_errors=True)
