#!/usr/bin/env bash
# Every check CI runs: lint, types, each package alone (tox), services and integration.
# Extra arguments go to tox (for example: -e archive).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export TF_CPP_MIN_LOG_LEVEL=2
if [ "$#" -gt 0 ]; then
    exec .venv/bin/tox run "$@"
fi
exec .venv/bin/tox run
