#!/usr/bin/env bash
# The one command that runs every test on a fresh machine:
#   bash scripts/test.sh
# Installs the external validators (idempotent), then runs formatting,
# lints and the whole test suite in the debug profile. Tests that need a
# validator or the moto server fail loudly when it is missing; none is
# skipped. The deploy tests start their own moto server on 127.0.0.1 and
# use dummy credentials only.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$PWD/.tools/venv/bin:$PWD/.tools/npm/bin:$PATH"
export AWS_EC2_METADATA_DISABLED=true

cargo fmt --check
# Default features include `deploy` (the AWS SDK); everything else must
# also build and lint without it.
cargo clippy --all-targets -- -D warnings
cargo clippy --no-default-features --all-targets -- -D warnings
cargo test
