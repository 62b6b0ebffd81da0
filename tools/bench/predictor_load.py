"""Load test of the gRPC predictor on loopback with a MultiWOZ-trained model.

For batching on and off and for one or several server processes (``--processes 1,2``: the
predictor's own ``--processes``, workers sharing the port), starts ``ted serve predictor`` as
its own process and measures Predict latency (p50/p99) and throughput at concurrency 1, 8
and 64 from this process. The callers use up to ``--connections`` connections (default 16,
never more than there are callers), round robin.
Client modes (``--client``): ``async`` (default) runs N coroutines on ``grpc.aio``
channels, each sending its next request as soon as the previous answer arrives; ``thread``
runs N blocking client threads (at c=64 they contend for the GIL and take CPU from the
server on a small machine); ``native`` is grpc_load.c (C, nghttp2), which spends a tenth of
a Python client's CPU per call on the cores it shares with the server. All send the same
pre-serialized requests and time each call from send to parsed answer; a measurement ends
after ``--duration`` seconds or ``--max-requests`` answers, whichever comes first.
``--client native,async`` compares them.
Requests are real MultiWOZ conversation prefixes (every prediction point of every fifth
story). Then the same load runs while a new model version is published every few seconds:
failed requests are counted and the p99 is put next to the steady-state p99.

    .venv/bin/python tools/bench/predictor_load.py [--store DIR --name NAME] [--epochs 3]
        [--duration 5] [--runs 3] [--concurrency 1,8,64] [--publish-every 3]
        [--client native|async|thread|native,async] [--max-requests N] [--processes 1,2]
        [--connections 16] [--ensemble]

Without --store a model is trained once (few epochs; latency does not depend on accuracy)
into tools/bench/results/predictor-store and reused by later runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
import grpc
from _load_clients import CLIENTS

from ted_client.convert import conversation_to_proto
from ted_protos.ted.v1 import predictor_pb2, predictor_pb2_grpc

NAME = "multiwoz"
DEFAULT_STORE = benchlib.RESULTS / "predictor-store"


# MultiWOZ's TEDPolicy with Rasa's other default policies beside it (--ensemble).
ENSEMBLE_POLICIES = ("MemoizationPolicy", "RulePolicy")


def _ensemble_config(work: Path) -> Path:
    """config.yml: memoization and rules, then the TEDPolicy entry of MultiWOZ's config."""
    import yaml

    from ted_pipeline import read_config_file

    own = read_config_file(benchlib.shared_data() / "multiwoz" / "config.yml")
    ted = own.policy_config("TEDPolicy")
    path = work / "ensemble-config.yml"
    policies = [{"name": name} for name in ENSEMBLE_POLICIES] + [ted]
    path.write_text(yaml.safe_dump({"policies": policies}, sort_keys=False), encoding="utf-8")
    return path


def ensure_model(store: Path, name: str, epochs: int, *, ensemble: bool = False) -> None:
    from ted_archive import ModelStore

    model_store = ModelStore(store)
    if name in model_store.list_models():
        return
    from ted_pipeline import train_project

    what = "memoization + rules + TED" if ensemble else "TED"
    print(f"training {name} ({what}) for {epochs} epochs into {store} (once) ...", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-config-") as tmp:
        train_project(
            benchlib.shared_data() / "multiwoz",
            store=model_store,
            name=name,
            config_file=_ensemble_config(Path(tmp)) if ensemble else None,
            config_overrides={"epochs": epochs},
            augmentation=0,
        )
    print(f"trained in {time.perf_counter() - started:.0f} s", flush=True)


def conversations(name: str, limit: int) -> list[predictor_pb2.PredictRequest]:
    """Predict requests for the prediction points of every fifth MultiWOZ story."""
    from ted_data_adapter import load_project
    from ted_pipeline.evaluation import prediction_points

    project = load_project(benchlib.shared_data() / "multiwoz")
    stories = project.training_stories(augmentation_factor=0)[::5]
    requests = []
    for index, story in enumerate(stories):
        for point in prediction_points(index, story.events):
            requests.append(
                predictor_pb2.PredictRequest(
                    model_spec=predictor_pb2.ModelSpec(name=name),
                    conversation=conversation_to_proto(point.history),
                    top_k=5,
                )
            )
            if len(requests) >= limit:
                return requests
    return requests


class Server:
    """``ted serve predictor`` in its own process."""

    def __init__(self, store: Path, batching: str, poll: float = 1.0, processes: int = 1) -> None:
        cmd = [
            benchlib.PYTHON, "-m", "ted_cli.main", "serve", "predictor", "--store", str(store),
            "--port", "0", "--poll-interval", str(poll), "--log-format", "text",
            "--processes", str(processes),
        ]  # fmt: skip
        if batching == "off":
            cmd.append("--no-batching")
        else:  # "<timeout>ms" or "<timeout>ms/<workers>w"
            timeout, _, workers = batching.partition("/")
            cmd += ["--batch-timeout-ms", timeout.removesuffix("ms")]
            if workers:
                cmd += ["--batch-workers", workers.removesuffix("w")]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r":(\d+)", line)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"predictor did not start: {line!r}")
        self.address = f"127.0.0.1:{match.group(1)}"

    def wait_serving(
        self, request: predictor_pb2.PredictRequest, timeout: float = 300, connections: int = 1
    ) -> None:
        """Until ``connections`` separate connections get answers (with several processes
        each worker must have loaded the model)."""
        deadline = time.monotonic() + timeout
        for _ in range(connections):
            channel = grpc.insecure_channel(
                self.address, options=[("grpc.use_local_subchannel_pool", 1)]
            )
            stub = predictor_pb2_grpc.PredictorServiceStub(channel)
            while True:
                try:
                    stub.Predict(request, timeout=10)
                    break
                except grpc.RpcError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            channel.close()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def run_load(
    address: str,
    requests: list[bytes],
    concurrency: int,
    duration: float,
    *,
    client: str = "async",
    max_requests: int = 0,
    connections: int = 16,
) -> dict[str, Any]:
    """``concurrency`` callers for ``duration`` seconds (or ``max_requests`` answers) on up
    to ``connections`` connections; latency percentiles and throughput."""
    return CLIENTS[client](address, requests, concurrency, duration, max_requests, connections)


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: benchlib.median([r[k] for r in runs]) for k in ("p50_ms", "p99_ms", "per_s")}
    out["requests"] = sum(r["requests"] for r in runs)
    out["failures"] = sum(r["failures"] for r in runs)
    return out


class Publisher:
    """Publishes a copy of version 1 as a new version every ``every`` seconds."""

    def __init__(self, store: Path, name: str, every: float) -> None:
        from ted_archive import ModelStore

        self.store = ModelStore(store)
        self.name = name
        self.every = every
        self.published: list[int] = []
        self._stop = threading.Event()
        self._files = Path(tempfile.mkdtemp(prefix="bench-publish-")) / "model"
        self.store.unpack(name, 1, self._files)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            version = self.store.save(self.name, self._files, config={"bench": "reload"}).version
            self.published.append(version)

    def __enter__(self) -> Publisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        shutil.rmtree(self._files.parent, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=None, help="store with a trained model")
    parser.add_argument("--name", default=None, help="model name (default: multiwoz)")
    parser.add_argument(
        "--ensemble",
        action="store_true",
        help="serve MultiWOZ's TED with MemoizationPolicy and RulePolicy beside it",
    )
    parser.add_argument("--epochs", type=int, default=3, help="epochs if a model is trained")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--runs", type=int, default=3, help="measurements per cell (median)")
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--publish-every", type=float, default=3.0)
    parser.add_argument("--reload-duration", type=float, default=20.0)
    parser.add_argument("--requests", type=int, default=2000, help="distinct conversations")
    parser.add_argument(
        "--client",
        default="async",
        help="client modes to compare: native (grpc_load.c), async (grpc.aio coroutines), "
        "thread (blocking threads)",
    )
    parser.add_argument(
        "--max-requests", type=int, default=0, help="stop a measurement after N answers (0: none)"
    )
    parser.add_argument(
        "--processes", default="1", help="server process counts to compare, e.g. 1,2"
    )
    parser.add_argument(
        "--connections", type=int, default=16, help="client connections (at most one per caller)"
    )
    parser.add_argument(
        "--batching",
        default="0ms,2ms,off",
        help="server modes to compare: off, or a batch timeout such as 0ms or 2ms, "
        "optionally with model threads per version: 0ms/2w",
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    clients = args.client.split(",")
    unknown = [c for c in clients if c not in CLIENTS]
    if unknown:
        parser.error(f"--client: unknown mode(s) {unknown}, choose from {sorted(CLIENTS)}")

    source = args.store or DEFAULT_STORE
    args.name = args.name or (f"{NAME}-ensemble" if args.ensemble else NAME)
    ensure_model(source, args.name, args.epochs, ensemble=args.ensemble)
    requests = conversations(args.name, args.requests)
    events = [len(r.conversation.events) for r in requests]
    print(f"{len(requests)} MultiWOZ conversations, {benchlib.median(events):.0f} events median")

    work = Path(tempfile.mkdtemp(prefix="bench-predictor-"))
    store = work / "store"
    shutil.copytree(source / args.name, store / args.name)  # never touch the source store
    payloads = [r.SerializeToString() for r in requests]
    results: dict[str, Any] = {
        "machine": benchlib.machine(),
        "conversations": len(requests),
        "clients": clients,
        "connections": args.connections,
        "load_average_before": os.getloadavg(),
    }
    process_counts = [int(p) for p in args.processes.split(",")]
    rows = []
    try:
        for mode in args.batching.split(","):
            for processes in process_counts:
                server = Server(store, mode, processes=processes)
                try:
                    server.wait_serving(requests[0], connections=4 * processes)
                    for c in levels:
                        for client in clients:
                            runs = [
                                run_load(
                                    server.address,
                                    payloads,
                                    c,
                                    args.duration,
                                    client=client,
                                    max_requests=args.max_requests,
                                    connections=args.connections,
                                )
                                for _ in range(args.runs)
                            ]
                            cell = _median(runs)
                            key = f"batching_{mode}/processes{processes}/c{c}"
                            results[key if len(clients) == 1 else f"{key}/{client}"] = cell
                            row = [cell["p50_ms"], cell["p99_ms"], cell["per_s"], cell["failures"]]
                            rows.append([mode, processes, client, c, *row])
                finally:
                    server.stop()
        benchlib.print_table(
            f"Predict on loopback, medians of {args.runs} x {args.duration:g} s, "
            f"up to {args.connections} connections",
            rows,
            [
                "batching (timeout)",
                "processes",
                "client",
                "concurrency",
                "p50 ms",
                "p99 ms",
                "predictions/s",
                "failed",
            ],
        )

        reload_rows = []
        for processes in process_counts if args.reload_duration > 0 else []:
            server = Server(store, args.batching.split(",")[0], poll=0.5, processes=processes)
            try:
                server.wait_serving(requests[0], connections=4 * processes)
                for c in [c for c in levels if c > 1] or levels:
                    load = {"client": clients[0], "connections": args.connections}
                    steady = run_load(server.address, payloads, c, args.reload_duration / 2, **load)
                    with Publisher(store, args.name, args.publish_every) as publisher:
                        during = run_load(server.address, payloads, c, args.reload_duration, **load)
                    results[f"reload/processes{processes}/c{c}"] = {
                        "steady": steady,
                        "during_reloads": during,
                        "published": publisher.published,
                    }
                    reload_rows.append(
                        [
                            processes,
                            c,
                            len(publisher.published),
                            ",".join(str(v) for v in during["versions"]),
                            steady["p99_ms"],
                            during["p99_ms"],
                            during["p50_ms"],
                            during["per_s"],
                            during["failures"],
                        ]
                    )
            finally:
                server.stop()
        if reload_rows:
            benchlib.print_table(
                f"Predict while a new version is published every {args.publish_every:g} s "
                f"({args.reload_duration:g} s, batching {args.batching.split(',')[0]}, "
                f"{clients[0]} client)",
                reload_rows,
                [
                    "processes",
                    "concurrency",
                    "published",
                    "versions answered",
                    "steady p99 ms",
                    "p99 ms",
                    "p50 ms",
                    "predictions/s",
                    "failed",
                ],
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_average_after"] = os.getloadavg()
    benchlib.write_result("predictor_load", results)
    print(f"load average before {results['load_average_before']}, after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
