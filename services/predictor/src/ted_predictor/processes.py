"""Several predictor processes on one port: a supervisor and its workers.

One Python process runs its gRPC event loop, request parsing and model calls under one
interpreter lock, so it uses about one core however many the machine has. With
``processes > 1`` the supervisor reserves the port, starts that many worker processes, each a
complete predictor (its own models, batcher, health and reflection) bound to the same port
with ``SO_REUSEPORT``, and the kernel spreads incoming connections over them. Every worker
polls the store itself, so all of them pick up a new version within one poll interval.

The supervisor serves the summed Prometheus metrics of all workers on the metrics port,
forwards SIGTERM/SIGINT to the workers (each drains its in-flight requests) and restarts a
worker that dies, with a growing back-off if it keeps dying. Workers are started with
``spawn``, never forked: gRPC and TensorFlow must not be initialised before a fork.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from ted_predictor.config import PredictorConfig
from ted_predictor.errors import PredictorError
from ted_predictor.signals import stop_on_signals

logger = logging.getLogger(__name__)

_READY_TIMEOUT_S = 300.0  # a worker imports TensorFlow before it listens
_RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
_STABLE_S = 60.0  # a worker that ran this long restarts without back-off


class WorkerStartError(PredictorError):
    """A worker process exited before it was listening."""


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound (not listening) to ``host:port`` with SO_REUSEPORT.

    It holds the port, picked by the kernel when ``port`` is 0, for the workers, which bind
    the same port with SO_REUSEPORT; being closed only at shutdown, it also keeps another
    program from taking the port while a worker restarts.
    """
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


@dataclasses.dataclass(frozen=True)
class LogSetup:
    """How a worker configures logging (it starts as a fresh interpreter)."""

    level: int = logging.INFO
    json: bool = True


def _configure_worker_logging(setup: LogSetup) -> None:
    if setup.json:
        from ted_predictor.logs import configure_json_logging

        configure_json_logging(setup.level)
    else:
        logging.basicConfig(
            level=setup.level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def _worker_main(config: PredictorConfig, index: int, logs: LogSetup, ready: Any) -> None:
    """Entry point of a worker process: one predictor on the shared port until SIGTERM."""
    _configure_worker_logging(logs)
    from ted_predictor.server import serve

    def report(_server: Any) -> None:
        ready.put((index, os.getpid()))

    try:
        serve(config, ready=report)
    except Exception:
        logging.getLogger(__name__).exception("worker failed", extra={"worker": index})
        raise SystemExit(1) from None


class PredictorProcesses:
    """The supervisor of ``config.processes`` predictor workers sharing one port."""

    def __init__(self, config: PredictorConfig, logs: LogSetup | None = None) -> None:
        self.config = config
        self._logs = logs or LogSetup()
        self._context = multiprocessing.get_context("spawn")
        self._ready: Any = self._context.Queue()
        self._workers: list[Any] = [None] * config.processes
        self._started_at = [0.0] * config.processes
        self._failures = [0] * config.processes
        self._stopped = False
        self._socket = reserve_port(config.host, config.port)
        self.port: int = self._socket.getsockname()[1]
        self.metrics_port: int | None = None
        self._metrics: Any = None
        self._metrics_dir: str | None = None
        self._worker_config = dataclasses.replace(
            config, port=self.port, metrics_port=None, processes=1, reuse_port=True
        )

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._workers if w is not None and w.is_alive()]

    def start(self) -> None:
        """Start the metrics endpoint and every worker; return once all are listening."""
        if self.config.metrics_port is not None:
            from ted_predictor.metrics import MultiProcessMetricsEndpoint

            self._metrics_dir = tempfile.mkdtemp(prefix="ted-predictor-metrics-")
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = self._metrics_dir  # inherited by workers
            self._metrics = MultiProcessMetricsEndpoint(
                self._metrics_dir, self.config.host, self.config.metrics_port
            )
            self.metrics_port = self._metrics.port
        try:
            for index in range(self.config.processes):
                self._spawn(index)
            self._wait_ready(set(range(self.config.processes)))
        except BaseException:
            self.stop()
            raise
        logger.info(
            "predictor listening",
            extra={
                "address": f"{self.config.host}:{self.port}",
                "metrics_port": self.metrics_port,
                "processes": self.config.processes,
                "pids": ",".join(str(p) for p in self.pids),
            },
        )

    def _spawn(self, index: int) -> None:
        process = self._context.Process(
            target=_worker_main,
            args=(self._worker_config, index, self._logs, self._ready),
            name=f"ted-predictor-{index}",
        )
        process.start()
        self._workers[index] = process
        self._started_at[index] = time.monotonic()

    def _wait_ready(self, waiting: set[int]) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while waiting:
            try:
                index, _pid = self._ready.get(timeout=0.5)
                waiting.discard(index)
                continue
            except queue.Empty:  # check that the workers are still alive
                pass
            for index in waiting:
                worker = self._workers[index]
                if worker is not None and worker.exitcode is not None:
                    raise WorkerStartError(
                        f"predictor worker {index} exited with code {worker.exitcode} "
                        "before listening (see its log above)"
                    )
            if time.monotonic() > deadline:
                raise WorkerStartError(f"predictor workers {sorted(waiting)} did not start")

    def supervise(self, stop: threading.Event, poll_s: float = 0.5) -> None:
        """Restart workers that die until ``stop`` is set."""
        while not stop.wait(poll_s):
            for index, worker in enumerate(self._workers):
                if worker is None or worker.is_alive() or stop.is_set():
                    continue
                self._restart(index, worker, stop)

    def _restart(self, index: int, worker: Any, stop: threading.Event) -> None:
        ran = time.monotonic() - self._started_at[index]
        self._failures[index] = 0 if ran > _STABLE_S else self._failures[index] + 1
        if self._metrics is not None:
            self._metrics.process_exited(worker.pid)
        failures = self._failures[index]
        delay = _RESTART_BACKOFF_S[min(failures, len(_RESTART_BACKOFF_S)) - 1] if failures else 0.0
        logger.warning(
            "predictor worker exited, restarting",
            extra={"worker": index, "pid": worker.pid, "exitcode": worker.exitcode,
                   "restart_in_s": delay},
        )  # fmt: skip
        self._workers[index] = None
        if stop.wait(delay):  # a stop request during the back-off: no new worker
            return
        self._spawn(index)

    def stop(self) -> None:
        """SIGTERM every worker (each drains within the grace period), then clean up.

        Safe to call twice: a failed ``start`` stops what it started, and ``serve_processes``
        stops again on the way out."""
        if self._stopped:
            return
        self._stopped = True
        workers = [w for w in self._workers if w is not None]
        for worker in workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.shutdown_grace_s + 30.0
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                logger.warning("predictor worker did not stop, killing it",
                               extra={"pid": worker.pid})  # fmt: skip
                worker.kill()
                worker.join(5)
        if self._metrics is not None:
            self._metrics.close()
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if self._metrics_dir is not None:
            shutil.rmtree(self._metrics_dir, ignore_errors=True)
        self._socket.close()
        self._ready.close()
        logger.info("predictor stopped", extra={"processes": len(workers)})


def serve_processes(
    config: PredictorConfig,
    *,
    ready: Callable[[PredictorProcesses], None] | None = None,
    logs: LogSetup | None = None,
) -> None:
    """Run ``config.processes`` predictor workers on one port until SIGTERM or SIGINT."""
    supervisor = PredictorProcesses(config, logs)
    with stop_on_signals() as stop:
        try:
            supervisor.start()
            if ready is not None:
                ready(supervisor)
            supervisor.supervise(stop)
        finally:
            supervisor.stop()
