#!/usr/bin/env bash
# Validates the Terraform root module of one paasc output directory.
#
# Usage: scripts/validate/terraform.sh OUTDIR   (OUTDIR = DIR/<app>/<env>)
#
# See scripts/tf-module.sh: terraform fmt -check, init (provider mirror) and
# validate, then checkov with no failed check.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
exec bash "$(dirname "$0")/../tf-module.sh" "${1%/}/terraform"
