"""Build, run and stop a predictor server: gRPC service, health, reflection, metrics.

``create_server(config)`` returns ``(server, port)`` like gRPC's examples; ``server.start()``
starts the model manager, the metrics endpoint and gRPC; ``server.stop(grace)`` turns health
to NOT_SERVING, lets in-flight requests finish within ``grace`` seconds and releases every
model. ``serve(config)`` does all of it and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging
import signal
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
from ted_protos.ted.v1 import predictor_pb2

logger = logging.getLogger(__name__)


def open_store(config: PredictorConfig) -> Any:
    from ted_archive import ModelStore

    return ModelStore(config.store)


class PredictorServer:
    """A predictor: the gRPC server with its model manager and metrics endpoint."""

    def __init__(self, config: PredictorConfig, store: Any | None = None) -> None:
        self.config = config
        self.metrics = PredictorMetrics()
        self.health = HealthReporter()
        self.manager = ModelManager(
            store if store is not None else open_store(config),
            config,
            self.metrics,
            on_change=self._update_health,
        )
        options = [
            ("grpc.max_receive_message_length", config.limits.max_message_bytes),
            ("grpc.max_send_message_length", config.limits.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ]
        self.grpc_server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=config.max_workers, thread_name_prefix="rpc"),
            options=options,
        )
        add_to_server(PredictorServicer(self.manager, config, self.metrics), self.grpc_server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, self.grpc_server)
        reflection.enable_server_reflection(
            (
                predictor_pb2.DESCRIPTOR.services_by_name["PredictorService"].full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            self.grpc_server,
        )
        self.port = self.grpc_server.add_insecure_port(f"{config.host}:{config.port}")
        if self.port == 0:
            raise OSError(f"cannot bind {config.host}:{config.port}")
        self.metrics_port: int | None = None
        self._stopped = threading.Event()

    def _update_health(self) -> None:
        self.health.update(
            (name, self.manager.has_serving_version(name)) for name in self.manager.model_names()
        )

    def start(self) -> None:
        if self.config.metrics_port is not None:
            self.metrics_port = self.metrics.serve_http(self.config.host, self.config.metrics_port)
        self.grpc_server.start()
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
        self.grpc_server.stop(grace).wait()
        self.manager.stop()
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


def serve(config: PredictorConfig, *, ready: Any = None) -> None:
    """Run a predictor until SIGTERM or SIGINT, then drain and stop."""
    server, _port = create_server(config)
    stop_requested = threading.Event()

    def _on_signal(signum: int, _frame: Any) -> None:
        logger.info("signal received", extra={"signal": signal.Signals(signum).name})
        stop_requested.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.start()
        if ready is not None:
            ready(server)
        while not stop_requested.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
