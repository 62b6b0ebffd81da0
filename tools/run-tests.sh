#!/usr/bin/env bash
# Every check CI runs: lint, types, each package alone (tox), services and integration.
# Extra arguments go to tox (for example: -e archive).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export TF_CPP_MIN_LOG_LEVEL=2
# -r: recreate the envs, so each one installs the packages as they are now (their version
# number does not change with every edit, and tox would otherwise keep an old copy).
exec .venv/bin/tox run -r "$@"
