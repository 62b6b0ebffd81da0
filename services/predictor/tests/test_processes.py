"""`ted serve predictor --processes 2`: two real worker processes on one port, supervised.

The supervisor is started as a real process; the workers are its children. Tests run in
file order against one supervisor: shared port and summed metrics, then a killed worker,
then SIGTERM.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from predictor_testlib import CONVERSATIONS, MODEL, TrainedModel, wait_until

from ted_client.convert import conversation_to_proto
from ted_predictor.errors import ConfigError
from ted_predictor.processes import reserve_port
from ted_protos.ted.v1 import predictor_pb2, predictor_pb2_grpc

pytestmark = pytest.mark.slow

_OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]


@dataclass
class Supervisor:
    proc: subprocess.Popen[str]
    port: int
    metrics_port: int
    log: Path

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())

    def worker_pids(self) -> set[int]:
        """Workers whose loaded-versions gauge says one version of the model is serving."""
        pattern = rf'ted_predictor_loaded_versions\{{model="{MODEL}",pid="(\d+)"\}} 1\.0'
        return {int(pid) for pid in re.findall(pattern, self.metrics())}

    def ok_predictions(self) -> float:
        pattern = r'ted_predictor_requests_total\{code="OK",method="Predict"\} ([0-9.e+]+)'
        found = re.search(pattern, self.metrics())
        return float(found.group(1)) if found else 0.0


@pytest.fixture(scope="module")
def supervisor(
    trained: TrainedModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Supervisor]:
    import shutil

    work = tmp_path_factory.mktemp("processes")
    store = work / "store"
    shutil.copytree(trained.store, store)
    log = work / "supervisor.log"
    cmd = [
        sys.executable, "-m", "ted_cli.main", "serve", "predictor", "--store", str(store),
        "--port", "0", "--metrics-port", "0", "--processes", "2", "--poll-interval", "0.2",
        "--grace", "5",
    ]  # fmt: skip
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    with log.open("w") as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"listening on 127\.0\.0\.1:(\d+), metrics on port (\d+), 2 processes", line)
    if not found:
        proc.kill()
        raise AssertionError(f"no listening line: {line!r}\n{log.read_text()}")
    running = Supervisor(proc, int(found.group(1)), int(found.group(2)), log)
    try:
        wait_until(lambda: len(running.worker_pids()) == 2, 180, "both workers serving")
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _request(index: int) -> predictor_pb2.PredictRequest:
    return predictor_pb2.PredictRequest(
        model_spec=predictor_pb2.ModelSpec(name=MODEL),
        conversation=conversation_to_proto(CONVERSATIONS[index % len(CONVERSATIONS)]),
    )


def _predict_on_new_connections(port: int, connections: int) -> list[predictor_pb2.PredictResponse]:
    answers = []
    for number in range(connections):
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=_OWN_CONNECTION) as channel:
            stub = predictor_pb2_grpc.PredictorServiceStub(channel)
            answers.append(stub.Predict(_request(number), timeout=30))
    return answers


def test_workers_answer_on_one_port_like_the_model(
    supervisor: Supervisor, trained: TrainedModel, tmp_path: Path
) -> None:
    from ted_pipeline import ModelRef, load_model

    policy = load_model(ModelRef(store=trained.store, name=MODEL, version=1))
    before = supervisor.ok_predictions()
    answers = _predict_on_new_connections(supervisor.port, 24)
    for number, answer in enumerate(answers):
        want = policy.predict(CONVERSATIONS[number % len(CONVERSATIONS)])
        assert (answer.model.name, answer.model.version) == (MODEL, 1)
        got = {score.action: score.confidence for score in answer.ranking}
        assert got == pytest.approx({a: float(c) for a, c in want.ranking}, abs=1e-5)
    # the metrics endpoint sums both workers' counters
    wait_until(lambda: supervisor.ok_predictions() == before + 24, 10, "24 more OK predictions")


def test_a_killed_worker_is_replaced(supervisor: Supervisor) -> None:
    old = supervisor.worker_pids()
    victim = min(old)
    os.kill(victim, signal.SIGKILL)
    survivor = old - {victim}

    def replaced() -> bool:
        pids = supervisor.worker_pids()
        return len(pids) == 2 and victim not in pids and survivor <= pids

    wait_until(replaced, 180, "a new worker serving in place of the killed one")
    answers = _predict_on_new_connections(supervisor.port, 16)
    assert all(a.model.version == 1 for a in answers)
    assert "predictor worker exited, restarting" in supervisor.log.read_text()


def test_sigterm_stops_every_worker(supervisor: Supervisor) -> None:
    workers = supervisor.worker_pids()
    supervisor.proc.send_signal(signal.SIGTERM)
    assert supervisor.proc.wait(timeout=60) == 0
    time.sleep(0.2)
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    log = supervisor.log.read_text()
    assert log.count('"message": "predictor stopped"') == 3  # two workers, the supervisor
    assert "Traceback" not in log


def test_reserved_port_is_shared_only_with_reuse_port() -> None:
    first = reserve_port("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        second = reserve_port("127.0.0.1", port)  # SO_REUSEPORT on both: allowed
        second.close()
        import socket

        plain = socket.socket()
        with pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))
        plain.close()
    finally:
        first.close()


def test_process_count_is_checked(tmp_path: Path) -> None:
    from ted_predictor.config import PredictorConfig

    with pytest.raises(ConfigError, match="processes"):
        PredictorConfig(store=tmp_path, processes=0)
