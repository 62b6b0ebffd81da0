#!/usr/bin/env bash
# Development entry point. Creates the workspace environment in .venv (Python 3.11,
# packages from PyPI only) on first use, then runs the requested job:
#   tools/dev.sh demo   the main job on bundled data
#   tools/dev.sh test   every check CI runs
#   tools/dev.sh setup  only create/update .venv
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python_bin="${TED_PYTHON:-python3.11}"

setup() {
    if [ ! -x .venv/bin/python ]; then
        "$python_bin" -m venv .venv
    fi
    if [ ! -x .venv/bin/uv ]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
    fi
    # --inexact keeps pip and uv themselves in the environment.
    UV_PROJECT_ENVIRONMENT="$root/.venv" .venv/bin/uv sync --quiet --locked --inexact \
        --all-packages --python .venv/bin/python
}

case "${1:-}" in
    setup) setup ;;
    demo) setup; shift; exec .venv/bin/ted demo "$@" ;;
    test) setup; shift; exec tools/run-tests.sh "$@" ;;
    *) echo "usage: tools/dev.sh demo|test|setup" >&2; exit 2 ;;
esac
