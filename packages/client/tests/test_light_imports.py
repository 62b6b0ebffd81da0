"""ted-client and ``ted predict`` load no TensorFlow, Keras or Ray.

In the client tox env they cannot: they are not even installed there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from client_testlib import free_port

# Top-level modules a light client must never load.
HEAVY = ("tensorflow", "keras", "ray", "ted_model", "ted_predictor", "ted_trainer")

_LOADED = f"""
import json, sys
import ted_client, ted_client.client, ted_client.convert, ted_client.errors
import ted_client.rasa_tracker
from ted_client import PredictorClient, load_events_file
heavy = {HEAVY!r}
print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] in heavy)))
"""

# Runs the console script unchanged (runpy) and, at exit, writes the loaded module names.
_RUN_SCRIPT = """
import atexit, json, runpy, sys
script, report = sys.argv[1], sys.argv[2]
atexit.register(lambda: open(report, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = [script, *sys.argv[3:]]
runpy.run_path(script, run_name="__main__")
"""


def _run_ted(
    script: Path, report: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``ted ARGS`` from its console script; the process and the modules it loaded."""
    cmd = [sys.executable, "-c", _RUN_SCRIPT, str(script), str(report), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return done, set(json.loads(report.read_text()))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.partition(".")[0] in HEAVY)


def test_importing_the_client_loads_no_heavy_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_bare_import_loads_not_even_grpc() -> None:
    code = "import sys, ted_client; print(sorted(m for m in sys.modules if 'grpc' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_ted_predict_help_loads_no_heavy_module(ted_script: Path, tmp_path: Path) -> None:
    done, modules = _run_ted(ted_script, tmp_path / "modules.json", "predict", "--help")
    assert done.returncode == 0, done.stderr
    assert "--events" in done.stdout
    assert "ted_cli.commands.predict" in modules
    assert _heavy(modules) == []


def test_a_ted_predict_call_loads_no_heavy_module(
    ted_script: Path, tracker_file: Path, tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    args = ("--address", address, "--model", "moodbot", "--events", str(tracker_file))
    report = tmp_path / "modules.json"
    done, modules = _run_ted(ted_script, report, "predict", *args, "--timeout", "2")
    assert done.returncode == 1 and "UNAVAILABLE" in done.stderr, done.stderr
    assert {"ted_client.client", "ted_client.rasa_tracker", "grpc"} <= modules
    assert _heavy(modules) == []


@pytest.mark.parametrize("name", HEAVY)
def test_heavy_distributions_are_not_installed_in_the_client_env(name: str) -> None:
    if not os.environ.get("TED_CLIENT_ONLY"):
        pytest.skip("only the client tox env (TED_CLIENT_ONLY=1) must lack them")
    assert importlib.util.find_spec(name) is None, f"{name} is installed in the client env"
