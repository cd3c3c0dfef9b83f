#!/usr/bin/env bash
# Installs every external validator the tests need, idempotently.
# Debian: packer (1.6.6), ruby. PyPI (own virtualenv in .tools/venv): checkov, moto[server].
# npm (own prefix in .tools/npm): asl-validator. terraform ships with the machine image.
# Anything that fails to install fails this script loudly: tests never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS"

need_apt=()
command -v packer >/dev/null 2>&1 || need_apt+=(packer)
command -v ruby >/dev/null 2>&1 || need_apt+=(ruby)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$TOOLS/venv/bin/checkov" ] || [ ! -x "$TOOLS/venv/bin/moto_server" ]; then
  echo "install-deps: pip install checkov moto[server] into $TOOLS/venv"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q --upgrade pip
  "$TOOLS/venv/bin/pip" install -q checkov 'moto[server]'
fi

if [ ! -x "$TOOLS/npm/bin/asl-validator" ]; then
  echo "install-deps: npm install asl-validator into $TOOLS/npm"
  npm install -g --silent --prefix "$TOOLS/npm" asl-validator >/dev/null
fi

command -v terraform >/dev/null 2>&1 || { echo "install-deps: terraform is missing (the machine image should ship it)" >&2; exit 1; }

for t in packer ruby terraform "$TOOLS/venv/bin/checkov" "$TOOLS/venv/bin/moto_server" "$TOOLS/npm/bin/asl-validator"; do
  command -v "$t" >/dev/null 2>&1 || { echo "install-deps: $t missing after install" >&2; exit 1; }
done
echo "install-deps: all validators present"
