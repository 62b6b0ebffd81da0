"""Thread-pool versus asyncio gRPC server for PredictorService, without a model.

Both servers parse a real PredictRequest (a 12-event MultiWOZ-like conversation), translate
it to domain events with the predictor's own code and answer a fixed 10-action ranking, so
the difference is the server model alone. Each server runs in its own process; the load
generator (blocking stubs, one thread per concurrent caller) runs here.

    .venv/bin/python tools/bench/grpc_server_model.py [--requests 3000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
import grpc

from ted_client.convert import conversation_to_proto
from ted_predictor.convert import conversation_from_proto
from ted_protos.ted.v1 import predictor_pb2, predictor_pb2_grpc

RANKING = [predictor_pb2.ActionScore(action=f"action_{i}", confidence=0.1) for i in range(10)]


def _answer(request: predictor_pb2.PredictRequest) -> predictor_pb2.PredictResponse:
    conversation_from_proto(request.conversation, max_events=1000)
    return predictor_pb2.PredictResponse(
        model=predictor_pb2.ResolvedModel(name=request.model_spec.name, version=1),
        ranking=RANKING,
    )


class SyncServicer(predictor_pb2_grpc.PredictorServiceServicer):
    def Predict(self, request, context):  # type: ignore[no-untyped-def]
        return _answer(request)


class AsyncServicer(predictor_pb2_grpc.PredictorServiceServicer):
    async def Predict(self, request, context):  # type: ignore[no-untyped-def]
        return _answer(request)


def run_server(kind: str) -> None:
    if kind == "threads":
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        predictor_pb2_grpc.add_PredictorServiceServicer_to_server(SyncServicer(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        print(port, flush=True)
        server.wait_for_termination()
        return

    async def main() -> None:
        server = grpc.aio.server()
        predictor_pb2_grpc.add_PredictorServiceServicer_to_server(AsyncServicer(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        print(port, flush=True)
        await server.wait_for_termination()

    asyncio.run(main())


def _request() -> predictor_pb2.PredictRequest:
    from ted_data_adapter.events import ActionExecuted, Entity, UserUttered

    events = []
    for turn in range(4):
        events += [
            ActionExecuted("action_listen"),
            UserUttered("inform", (Entity("hotel-area", "north"), Entity("hotel-stars", "4"))),
            ActionExecuted(f"hotel_request_{turn}"),
        ]
    return predictor_pb2.PredictRequest(
        model_spec=predictor_pb2.ModelSpec(name="multiwoz"),
        conversation=conversation_to_proto(events),
    )


def load(port: int, concurrency: int, total: int) -> dict[str, float]:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = predictor_pb2_grpc.PredictorServiceStub(channel)
    request = _request()
    for _ in range(200):  # warm up
        stub.Predict(request)
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = total // concurrency

    def worker() -> None:
        own = []
        for _ in range(per_thread):
            t = time.perf_counter()
            stub.Predict(request)
            own.append(time.perf_counter() - t)
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    channel.close()
    return {
        "p50_ms": benchlib.percentile(latencies, 50) * 1000,
        "p99_ms": benchlib.percentile(latencies, 99) * 1000,
        "rps": len(latencies) / elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", choices=("threads", "asyncio"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server:
        run_server(args.server)
        return 0
    results: dict[str, dict[str, float]] = {}
    rows = []
    for kind in ("threads", "asyncio"):
        proc = subprocess.Popen(
            [sys.executable, __file__, "--server", kind], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None
            port = int(proc.stdout.readline())
            for concurrency in (1, 8, 64):
                runs = [load(port, concurrency, args.requests) for _ in range(args.runs)]
                summary = {k: benchlib.median([r[k] for r in runs]) for k in runs[0]}
                results[f"{kind}/c{concurrency}"] = summary
                rows.append(
                    [kind, concurrency, summary["p50_ms"], summary["p99_ms"], summary["rps"]]
                )
        finally:
            proc.terminate()
            proc.wait()
    benchlib.print_table(
        f"PredictorService without a model, medians of {args.runs} runs",
        rows,
        ["server", "concurrency", "p50 ms", "p99 ms", "calls/s"],
    )
    path = benchlib.write_result("grpc_server_model", {"machine": benchlib.machine(), **results})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
