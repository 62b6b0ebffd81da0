"""Shared fixtures: the ``ted`` console script of this environment and a real predictor.

The client environment has no TensorFlow, so the predictor runs in another interpreter:
``$TED_SERVER_PYTHON`` (tox points it at the workspace's ``.venv/bin/python``). It trains a
tiny moodbot model into a temporary store and serves it on a free loopback port.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client_testlib import MODEL, TRACKER, RunningPredictor, SecurePredictor, Ted, shared_data

from ted_client import PredictorClient, PredictorClientError
from ted_client.security import ChannelSecurity, SecurityConfigError, make_self_signed

TRAIN_EPOCHS = 3  # the tests need a real served model, not a good one
SERVER_ENV = "TED_SERVER_PYTHON"


def _server_env() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="session")
def ted_script() -> Path:
    """The ``ted`` console script installed next to this interpreter."""
    script = Path(sys.executable).parent / "ted"
    if not script.is_file():
        pytest.fail(f"no ted console script at {script}: is ted-cli installed here?")
    return script


@pytest.fixture(scope="session")
def ted(ted_script: Path) -> Ted:
    """Run ``ted ARGS...`` (the console script) and return the finished process."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ted_script), *args], capture_output=True, text=True, timeout=timeout
        )

    return run


@pytest.fixture
def tracker_file(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.json"
    path.write_text(json.dumps(TRACKER), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def server_python() -> str:
    """An interpreter that can train and serve (ted-predictor with TensorFlow installed)."""
    configured = os.environ.get(SERVER_ENV)
    if configured:
        if not Path(configured).is_file():
            pytest.fail(
                f"{SERVER_ENV}={configured} does not exist: create the workspace environment "
                "first (tools/dev.sh setup) or point it at a Python with ted-predictor"
            )
        python = configured
    elif importlib.util.find_spec("ted_predictor") is not None:
        python = sys.executable  # the workspace environment has everything
    else:
        pytest.fail(
            f"{SERVER_ENV} is not set and this environment cannot run the predictor: set it "
            "to a Python with ted-predictor installed (tox sets {toxinidir}/.venv/bin/python)"
        )
    check = subprocess.run(
        [python, "-c", "import ted_predictor.server"], capture_output=True, text=True, timeout=120
    )
    if check.returncode != 0:
        pytest.fail(f"{python} cannot import ted_predictor.server:\n{check.stderr}")
    return python


@pytest.fixture(scope="session")
def trained_store(server_python: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with moodbot version 1, trained by ``ted train`` in the server interpreter."""
    project = shared_data() / MODEL
    if not project.is_dir():
        pytest.fail(f"shared data not found at {project} (set TED_SHARED_DATA)")
    store = tmp_path_factory.mktemp("client-e2e") / "store"
    cmd = [
        server_python, "-m", "ted_cli.main", "train", str(project), "--store", str(store),
        "--epochs", str(TRAIN_EPOCHS),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=_server_env(), timeout=900)
    if done.returncode != 0:
        pytest.fail(f"ted train failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return store


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str | None:
    """The first stdout line of ``proc``, or None if it exits or stays silent too long."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout) or None
    except queue.Empty:
        return None


def _wait_serving(address: str, timeout: float, security: ChannelSecurity | None = None) -> None:
    deadline = time.monotonic() + timeout
    with PredictorClient(address, timeout=5, security=security) as client:
        while True:
            try:
                models = {m.name: m for m in client.list_models()}
                if MODEL in models and models[MODEL].serving_versions:
                    return
            except PredictorClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{MODEL} is not served at {address} after {timeout:.0f} s")
            time.sleep(0.1)


@contextmanager
def _running_predictor(
    server_python: str, store: Path, log: Path, *extra: str, env: dict[str, str] | None = None
) -> Iterator[RunningPredictor]:
    """``ted serve predictor`` as a real process on a free loopback port, stopped by SIGTERM."""
    cmd = [
        server_python, "-m", "ted_cli.main", "serve", "predictor", "--store", str(store),
        "--port", "0", "--log-format", "text", "--poll-interval", "0.2", "--grace", "5", *extra,
    ]  # fmt: skip
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env or _server_env()
        )
    try:
        line = _first_line(proc, timeout=180)
        found = re.search(r"predictor listening on ([\d.]+):(\d+)", line or "")
        if not found:
            pytest.fail(f"no 'predictor listening on' line: {line!r}\n{log.read_text()}")
        address = f"{found.group(1)}:{found.group(2)}"
        yield RunningPredictor(address, log)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        assert code == 0, f"the predictor exited with {code} after SIGTERM:\n{log.read_text()}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def predictor(
    server_python: str, trained_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPredictor]:
    """A predictor without TLS or tokens, serving moodbot version 1."""
    log = tmp_path_factory.mktemp("client-e2e-log") / "predictor.log"
    with _running_predictor(server_python, trained_store, log) as running:
        try:
            _wait_serving(running.address, timeout=180)
        except TimeoutError as e:
            pytest.fail(f"{e}\n{log.read_text()}")
        yield running


@pytest.fixture(scope="session")
def secure_predictor(
    server_python: str, trained_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecurePredictor]:
    """A predictor with TLS (a self-signed certificate) and a token from a file."""

    folder = tmp_path_factory.mktemp("client-tls")
    try:
        cert, key = make_self_signed(folder)
    except SecurityConfigError as e:
        pytest.skip(str(e))
    token = folder / "token"
    token.write_text("client-e2e-token-0123456789\n", encoding="utf-8")
    token.chmod(0o600)
    args = ["--tls-cert", str(cert), "--tls-key", str(key), "--token-file", str(token)]
    with _running_predictor(server_python, trained_store, folder / "predictor.log", *args) as p:
        address = p.address.replace("127.0.0.1", "localhost")  # the name in the certificate
        client = ChannelSecurity.from_options(ca_file=cert, token_file=token)
        try:
            _wait_serving(address, timeout=180, security=client)
        except TimeoutError as e:
            pytest.fail(f"{e}\n{p.log.read_text()}")
        yield SecurePredictor(address, p.log, cert, token)
