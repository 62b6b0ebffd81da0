"""The native load generator (grpc_load.c): build it once, run it, summarize its answers.

Built with the system C compiler against nghttp2 (Debian: ``apt-get install
libnghttp2-dev``) into tools/bench/results/; rebuilt when the source changes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import benchlib

SOURCE = Path(__file__).resolve().parent / "grpc_load.c"
PREDICT = "/ted.v1.PredictorService/Predict"


class NativeClientError(RuntimeError):
    """grpc_load.c could not be built or failed."""


def binary() -> Path:
    """The compiled load generator, built if missing or older than its source."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    target = benchlib.RESULTS / f"grpc_load-{digest}"
    if target.exists():
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise NativeClientError("no C compiler (cc) for grpc_load.c")
    benchlib.RESULTS.mkdir(parents=True, exist_ok=True)
    built = subprocess.run(
        [compiler, "-O2", "-o", str(target), str(SOURCE), "-lnghttp2"],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        raise NativeClientError(
            "cannot build grpc_load.c (needs nghttp2: apt-get install libnghttp2-dev):\n"
            + built.stderr
        )
    return target


def _requests_file(requests: list[bytes], directory: Path) -> Path:
    path = directory / "requests.bin"
    with path.open("wb") as out:
        for request in requests:
            out.write(struct.pack(">I", len(request)))
            out.write(request)
    return path


def run_load_native(
    address: str,
    requests: list[bytes],
    concurrency: int,
    duration: float,
    max_requests: int,
    connections: int = 1,
) -> dict[str, Any]:
    """``concurrency`` callers of grpc_load.c on ``connections`` connections."""
    host, _, port = address.rpartition(":")
    with tempfile.TemporaryDirectory(prefix="grpc-load-") as work:
        path = _requests_file(requests, Path(work))
        cmd = [
            str(binary()), host, port, PREDICT, str(path), str(concurrency),
            str(max(1, min(connections, concurrency))), str(duration), str(max_requests), "50",
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 300)
    if done.returncode != 0:
        raise NativeClientError(f"grpc_load failed ({done.returncode}): {done.stderr.strip()}")
    answer = json.loads(done.stdout)
    latencies = [us / 1e6 for us in answer["latencies_us"]]
    return {
        "requests": len(latencies),
        "failures": answer["failures"],
        "failure_examples": answer["failure_examples"],
        "p50_ms": benchlib.percentile(latencies, 50) * 1000,
        "p99_ms": benchlib.percentile(latencies, 99) * 1000,
        "per_s": len(latencies) / answer["elapsed_s"],
        "versions": sorted(answer["versions"]),
    }
