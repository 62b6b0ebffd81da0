"""`ted serve predictor` as a real process: SIGTERM lets in-flight requests finish."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from predictor_testlib import GREETED, MODEL, wait_until

from ted_client.client import PredictorClient
from ted_client.errors import PredictorClientError


def _start(store: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    cmd = [
        sys.executable, "-m", "ted_cli.main", "serve", "predictor", "--store", str(store),
        "--port", "0", "--poll-interval", "0.2", "--grace", "10", *extra,
    ]  # fmt: skip
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not match:
        proc.kill()
        raise AssertionError(
            f"no listening line: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, int(match.group(1))


@pytest.mark.slow
def test_sigterm_drains_in_flight_requests(store_copy: Path) -> None:
    # a long batch window keeps requests inside the server when SIGTERM arrives
    proc, port = _start(store_copy, "--batch-timeout-ms", "700", "--max-batch-size", "64")
    try:
        address = f"127.0.0.1:{port}"
        with grpc.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel)

            def serving() -> bool:
                request = health_pb2.HealthCheckRequest(service="")
                return (
                    health.Check(request, timeout=5).status
                    == health_pb2.HealthCheckResponse.SERVING
                )

            wait_until(serving, 120, "health SERVING")
        results: list[tuple[str, float]] = []
        client = PredictorClient(address, timeout=30)

        def call() -> None:
            try:
                client.predict(MODEL, GREETED)
                results.append(("OK", time.monotonic()))
            except PredictorClientError as e:
                results.append((e.code_name, time.monotonic()))

        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # all 8 are waiting in the batch window now
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join()
        client.close()
        assert proc.wait(timeout=60) == 0
        assert [code for code, _ in results] == ["OK"] * 8
        assert all(done > sent for _, done in results)  # they finished after the signal
        stderr = proc.stderr.read() if proc.stderr else ""
        assert '"message": "predictor stopped"' in stderr
        assert "Traceback" not in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
