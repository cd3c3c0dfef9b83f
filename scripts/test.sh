#!/usr/bin/env bash
# The one command that runs every test on a fresh machine:
#   bash scripts/test.sh
# Installs the external validators (idempotent), then: formatting, lints
# of the lean build and of the full one, the plain tier (`cargo test`: the
# language, every emitter's snapshots, the CLI; no external tool), and the
# tool tier (`--all-features`: terraform, checkov, packer, ruby,
# asl-validator and the moto server, plus `paasc deploy`). Tests that need
# a validator or the moto server fail loudly when it is missing; none is
# skipped in the tool tier. The emulator tests start their own moto server
# on 127.0.0.1 and use dummy credentials only.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$PWD/.tools/venv/bin:$PWD/.tools/npm/bin:$PATH"
export AWS_EC2_METADATA_DISABLED=true

cargo fmt --check
# The lean build (the default: no AWS SDK) and the full one must both lint clean.
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --all-features -- -D warnings

echo "== plain tier: cargo test"
cargo test
echo "== tool tier: cargo test --all-features"
cargo test --all-features
