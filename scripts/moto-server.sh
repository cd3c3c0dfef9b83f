#!/usr/bin/env bash
# Starts or stops a local moto server (AWS emulator) for tests.
#
#   scripts/moto-server.sh start DIR [PID]   # writes DIR/moto.port, DIR/moto.pid, DIR/moto.log;
#                                            # with PID, the server stops when that process exits
#   scripts/moto-server.sh stop DIR    # kills the PID in DIR/moto.pid (only that process)
#
# The server listens on 127.0.0.1 on a free port, with Step Functions'
# execution mode on (moto then interprets state machines and calls its own
# services for their tasks). MOTO_PORT is set to the same port because moto's
# Step Functions interpreter sends its AWS SDK calls to localhost:$MOTO_PORT.
#
# scripts/moto/sitecustomize.py is put on PYTHONPATH: when DIR/ssm-outcomes.json
# exists it scripts what SSM Run Command reports per document (moto itself runs
# no command and always reports Success with empty output); see that file.
# Without that file moto behaves exactly as shipped.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MOTO="$ROOT/.tools/venv/bin/moto_server"
PY="$ROOT/.tools/venv/bin/python"

usage() { echo "usage: $0 start DIR [PID] | stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || [ $# -eq 3 ] || usage
cmd="$1"
dir="$2"
watch="${3:-}"

case "$cmd" in
start)
  [ -x "$MOTO" ] || { echo "moto-server: $MOTO missing; run scripts/install-deps.sh" >&2; exit 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  # setsid: the server gets its own process group, so a test harness killing
  # its own group does not take it down early, and `stop` can end it alone.
  # MOTO_IAM_LOAD_MANAGED_POLICIES: AWS accounts have the AWS managed
  # policies (AmazonSSMManagedInstanceCore, ...); moto loads them on request.
  MOTO_PORT="$port" AWS_EC2_METADATA_DISABLED=true MOTO_IAM_LOAD_MANAGED_POLICIES=true \
    PYTHONPATH="$ROOT/scripts/moto${PYTHONPATH:+:$PYTHONPATH}" \
    PAASC_MOTO_SSM_OUTCOMES="$dir/ssm-outcomes.json" \
    setsid "$MOTO" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/moto.pid"
  echo "$port" >"$dir/moto.port"
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "moto-server: exited during start-up; log:" >&2
      tail -n 40 "$dir/moto.log" >&2
      exit 1
    fi
    if "$PY" - "$port" <<'PY' 2>/dev/null; then
import json, sys, urllib.request
port = sys.argv[1]
req = urllib.request.Request(
    f"http://127.0.0.1:{port}/moto-api/config",
    data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
    method="POST",
)
# moto answers 201 and echoes only part of its config (not stepfunctions);
# set_config stores the stepfunctions section as given.
with urllib.request.urlopen(req, timeout=2) as resp:
    sys.exit(0 if resp.status in (200, 201) else 1)
PY
      if [ -n "$watch" ]; then
        # A test binary shares one server among its tests and has no hook at
        # its end: the server goes when the process that asked for it goes.
        ( while kill -0 "$watch" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
          kill "$pid" 2>/dev/null || true ) </dev/null >/dev/null 2>&1 &
      fi
      echo "moto-server: listening on 127.0.0.1:$port (pid $pid, state-machine execution on)"
      exit 0
    fi
    sleep 0.2
  done
  echo "moto-server: no answer on 127.0.0.1:$port after 30s; log:" >&2
  tail -n 40 "$dir/moto.log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
  ;;
stop)
  [ -f "$dir/moto.pid" ] || { echo "moto-server: no $dir/moto.pid" >&2; exit 1; }
  pid="$(cat "$dir/moto.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/moto.pid"
  echo "moto-server: stopped pid $pid"
  ;;
*) usage ;;
esac
