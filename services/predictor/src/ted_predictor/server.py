"""Build, run and stop a predictor server: gRPC service, health, reflection, metrics.

``create_server(config)`` returns ``(server, port)`` like gRPC's examples; ``server.start()``
starts the model manager, the metrics endpoint and gRPC; ``server.stop(grace)`` turns health
to NOT_SERVING, lets in-flight requests finish within ``grace`` seconds and releases every
model. ``serve(config)`` does all of it and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ted_predictor.config import PredictorConfig
from ted_predictor.health import SERVICE_NAME, HealthReporter
from ted_predictor.manager import ModelManager
from ted_predictor.metrics import PredictorMetrics
from ted_predictor.servicer import PredictorServicer, add_to_server
from ted_predictor.signals import stop_on_signals
from ted_protos.ted.v1 import predictor_pb2

logger = logging.getLogger(__name__)


def open_store(config: PredictorConfig) -> Any:
    from ted_archive import ModelStore

    return ModelStore(config.store)


class _LoopThread:
    """An asyncio event loop running in its own thread, for the grpc.aio server.

    The asyncio server was chosen by measurement (tools/bench/predictor_load.py and
    grpc_server_model.py): with dynamic batching, one loop handing whole batches to a model
    thread beats a thread per in-flight call, whose hand-offs of the GIL cost more than the
    model itself at concurrency 64.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="grpc-loop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coroutine: Any, timeout: float | None = None) -> Any:
        """Run ``coroutine`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        if not self.loop.is_running():
            self.loop.close()


class PredictorServer:
    """A predictor: the gRPC server with its model manager and metrics endpoint."""

    def __init__(self, config: PredictorConfig, store: Any | None = None) -> None:
        config.security.check_bind(config.host)
        self.config = config
        self.metrics = PredictorMetrics()
        self._loop = _LoopThread()
        try:
            self.health = HealthReporter(self._loop.loop)
            self.manager = ModelManager(
                store if store is not None else open_store(config),
                config,
                self.metrics,
                on_change=self._update_health,
            )
            self._model_threads = futures.ThreadPoolExecutor(
                max_workers=config.max_workers, thread_name_prefix="model"
            )
            self.grpc_server, self.port = self._loop.call(self._create())
        except BaseException:
            self._loop.close()
            raise
        self.metrics_port: int | None = None
        self._stopped = threading.Event()

    async def _create(self) -> tuple[grpc.aio.Server, int]:
        """The aio server must be created on its loop."""
        options = [
            ("grpc.max_receive_message_length", self.config.limits.max_message_bytes),
            ("grpc.max_send_message_length", self.config.limits.max_message_bytes),
            ("grpc.so_reuseport", 1 if self.config.reuse_port else 0),
        ]
        security = self.config.security
        server = grpc.aio.server(options=options, interceptors=security.interceptors(aio=True))
        servicer = PredictorServicer(self.manager, self.config, self.metrics, self._model_threads)
        add_to_server(servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, server)
        reflection.enable_server_reflection(
            (
                predictor_pb2.DESCRIPTOR.services_by_name["PredictorService"].full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            server,
        )
        port = security.add_port(server, f"{self.config.host}:{self.config.port}")
        if port == 0:
            raise OSError(f"cannot bind {self.config.host}:{self.config.port}")
        return server, port

    def _update_health(self) -> None:
        self.health.update(
            (name, self.manager.has_serving_version(name)) for name in self.manager.model_names()
        )

    def start(self) -> None:
        if self.config.metrics_port is not None:
            self.metrics_port = self.metrics.serve_http(self.config.host, self.config.metrics_port)
        self._loop.call(self.grpc_server.start())
        self.manager.start()
        logger.info(
            "predictor listening",
            extra={
                "address": f"{self.config.host}:{self.port}",
                "metrics_port": self.metrics_port,
                "store": str(self.config.store),
                "service": SERVICE_NAME,
            },
        )

    def stop(self, grace: float | None = None) -> None:
        """Refuse new RPCs, finish in-flight ones (up to ``grace`` s), release the models."""
        if self._stopped.is_set():
            return
        grace = self.config.shutdown_grace_s if grace is None else grace
        logger.info("predictor stopping", extra={"grace_s": grace})
        self.health.shutting_down()
        self._loop.call(self.grpc_server.stop(grace))
        self.manager.stop()
        self._model_threads.shutdown(wait=True)
        self._loop.close()
        self.metrics.close()
        self._stopped.set()
        logger.info("predictor stopped")

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)


def create_server(
    config: PredictorConfig, *, store: Any | None = None
) -> tuple[PredictorServer, int]:
    """A configured, not yet started predictor and the port it is bound to."""
    server = PredictorServer(config, store)
    return server, server.port


def serve(config: PredictorConfig, *, ready: Any = None, logs: Any = None) -> None:
    """Run a predictor until SIGTERM or SIGINT, then drain and stop.

    With ``config.processes > 1`` a supervisor runs that many predictor processes on the
    port (:mod:`ted_predictor.processes`; ``logs`` is their
    :class:`~ted_predictor.processes.LogSetup`); ``ready`` then gets the supervisor.
    """
    config.security.check_bind(config.host)  # before any worker starts
    if config.processes > 1:
        from ted_predictor.processes import serve_processes

        serve_processes(config, ready=ready, logs=logs)  # each worker comes back here
        return
    if config.switch_interval_s is not None:  # this process is the server's own
        sys.setswitchinterval(config.switch_interval_s)
    server, _port = create_server(config)
    with stop_on_signals() as stop:
        try:
            server.start()
            if ready is not None:
                ready(server)
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
