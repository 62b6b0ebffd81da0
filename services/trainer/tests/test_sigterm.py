"""``serve`` stops cleanly on SIGTERM: health answers first, the process exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

pytestmark = pytest.mark.slow

SERVER = """
import sys
from ted_trainer.server import serve

def ready(server):
    print("PORT", server.port, flush=True)

serve(sys.argv[1], ray_address=sys.argv[2], port=0, ready=ready)
print("STOPPED", flush=True)
"""


def test_sigterm_stops_the_trainer_cleanly(ray_local: None, tmp_path: Path) -> None:
    import ray

    address = ray.get_runtime_context().gcs_address
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path / "store"), address],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PORT"), line
    port = int(line.split()[1])
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="ted.v1.TrainerService"), timeout=10
        )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "STOPPED" in out
    assert time.monotonic() - started < 30
