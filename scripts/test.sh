#!/usr/bin/env bash
# The one command that runs every test on a fresh machine:
#   bash scripts/test.sh
# Installs the external validators (idempotent), then runs formatting,
# lints and the whole test suite in the debug profile. Tests that need a
# validator fail loudly when it is missing; none is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$PWD/.tools/venv/bin:$PWD/.tools/npm/bin:$PATH"
export AWS_EC2_METADATA_DISABLED=true

cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
if grep -q '^deploy = ' Cargo.toml; then
  # The AWS SDK lives behind the `deploy` feature; its tests run against a
  # local moto server that the tests start on 127.0.0.1.
  cargo clippy --features deploy --all-targets -- -D warnings
  cargo test --features deploy --test deploy
fi
