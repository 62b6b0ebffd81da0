"""Load-generator clients of the predictor benchmark: blocking threads or asyncio.

Both send the same pre-serialized Predict requests back to back and time each call from
send to parsed answer; a measurement ends after ``duration`` seconds or ``max_requests``
answers, whichever comes first. The callers share ``connections`` channels, each its own
TCP connection (a local subchannel pool), round robin: independent clients each have their
own connection, and a server with several processes on one port (SO_REUSEPORT) spreads
connections, not calls, over its processes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import benchlib
import grpc

from ted_protos.ted.v1 import predictor_pb2

PREDICT = "/ted.v1.PredictorService/Predict"
_OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]


def _summary(
    latencies: list[list[float]], failures: list[str], versions: set[int], elapsed: float
) -> dict[str, Any]:
    flat = [x for own in latencies for x in own]
    return {
        "requests": len(flat),
        "failures": len(failures),
        "failure_examples": failures[:3],
        "p50_ms": benchlib.percentile(flat, 50) * 1000,
        "p99_ms": benchlib.percentile(flat, 99) * 1000,
        "per_s": len(flat) / elapsed,
        "versions": sorted(versions),
    }


def _predict_stubs(channels: list[Any]) -> list[Any]:
    """A Predict callable per channel, sending bytes and parsing the answer."""
    return [
        channel.unary_unary(
            PREDICT,
            request_serializer=None,
            response_deserializer=predictor_pb2.PredictResponse.FromString,
        )
        for channel in channels
    ]


def run_load_threads(
    address: str,
    requests: list[bytes],
    concurrency: int,
    duration: float,
    max_requests: int,
    connections: int = 1,
) -> dict[str, Any]:
    """``concurrency`` blocking client threads on ``connections`` channels."""
    channels = [
        grpc.insecure_channel(address, options=_OWN_CONNECTION)
        for _ in range(max(1, min(connections, concurrency)))
    ]
    stubs = _predict_stubs(channels)
    for predict in stubs:  # warm every connection and the server
        for request in requests[:50]:
            predict(request, timeout=30)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    failures: list[str] = []
    versions: set[int] = set()
    stop = threading.Event()
    barrier = threading.Barrier(concurrency + 1)
    budget = iter(range(max_requests)) if max_requests else None
    budget_lock = threading.Lock()

    def caller(slot: int) -> None:
        own = latencies[slot]
        predict = stubs[slot % len(stubs)]
        i = slot * 7919
        barrier.wait()
        while not stop.is_set():
            if budget is not None:
                with budget_lock:
                    if next(budget, None) is None:
                        stop.set()
                        break
            request = requests[i % len(requests)]
            i += 1
            started = time.perf_counter()
            try:
                response = predict(request, timeout=30)
            except grpc.RpcError as e:
                failures.append(f"{e.code().name}: {e.details()}")
                continue
            own.append(time.perf_counter() - started)
            versions.add(response.model.version)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    stop.wait(duration)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for channel in channels:
        channel.close()
    return _summary(latencies, failures, versions, elapsed)


async def _load_async(
    address: str,
    requests: list[bytes],
    concurrency: int,
    duration: float,
    max_requests: int,
    connections: int,
) -> dict[str, Any]:
    channels = [
        grpc.aio.insecure_channel(address, options=_OWN_CONNECTION)
        for _ in range(max(1, min(connections, concurrency)))
    ]
    try:
        stubs = _predict_stubs(channels)
        for predict in stubs:  # warm every connection and the server
            for request in requests[:50]:
                await predict(request, timeout=30)
        latencies: list[list[float]] = [[] for _ in range(concurrency)]
        failures: list[str] = []
        versions: set[int] = set()
        issued = 0
        started = time.perf_counter()
        end = started + duration

        async def caller(slot: int) -> None:
            nonlocal issued
            own = latencies[slot]
            predict = stubs[slot % len(stubs)]
            i = slot * 7919
            while time.perf_counter() < end and (not max_requests or issued < max_requests):
                issued += 1
                request = requests[i % len(requests)]
                i += 1
                sent = time.perf_counter()
                try:
                    response = await predict(request, timeout=30)
                except grpc.RpcError as e:
                    failures.append(f"{e.code().name}: {e.details()}")
                    continue
                own.append(time.perf_counter() - sent)
                versions.add(response.model.version)

        await asyncio.gather(*(caller(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        for channel in channels:
            await channel.close()
    return _summary(latencies, failures, versions, elapsed)


def run_load_async(
    address: str,
    requests: list[bytes],
    concurrency: int,
    duration: float,
    max_requests: int,
    connections: int = 1,
) -> dict[str, Any]:
    """``concurrency`` coroutines on ``connections`` ``grpc.aio`` channels, each back to
    back."""
    return asyncio.run(
        _load_async(address, requests, concurrency, duration, max_requests, connections)
    )


def run_load_native(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The C load generator (grpc_load.c), imported only when asked for."""
    from _grpc_load import run_load_native as run

    return run(*args, **kwargs)


CLIENTS = {"async": run_load_async, "thread": run_load_threads, "native": run_load_native}
