"""Build, run and stop a trainer server: TrainerService, health and reflection.

``create_server(store, ...)`` returns ``(server, port)``; ``server.start()`` starts gRPC;
``server.stop(grace)`` turns health to NOT_SERVING, cancels running jobs (their trials stop,
archives already written stay) and lets in-flight RPCs finish. ``serve(...)`` runs until
SIGTERM or SIGINT. Ray is connected lazily on the first job unless ``connect_ray`` is set,
so health and reflection answer even while the cluster is still coming up.
"""

from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ted_client.security import ServerSecurity
from ted_protos.ted.v1 import trainer_pb2, trainer_pb2_grpc
from ted_trainer.job_runner import JobRunner
from ted_trainer.servicer import TrainerServicer

logger = logging.getLogger(__name__)
SERVICE_NAME = "ted.v1.TrainerService"


class TrainerServer:
    """The gRPC server with its job runner."""

    def __init__(
        self,
        store: str | Path,
        *,
        ray_address: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        max_workers: int = 16,
        grace_s: float = 10.0,
        security: ServerSecurity | None = None,
    ) -> None:
        security = security or ServerSecurity()
        security.check_bind(host)
        self.runner = JobRunner(store, ray_address)
        self.grace_s = grace_s
        self.health = health.HealthServicer(experimental_non_blocking=True)
        self.grpc_server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
            options=[("grpc.so_reuseport", 0)],
            interceptors=security.interceptors(),
        )
        trainer_pb2_grpc.add_TrainerServiceServicer_to_server(
            TrainerServicer(self.runner), self.grpc_server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.grpc_server)
        reflection.enable_server_reflection(
            (
                trainer_pb2.DESCRIPTOR.services_by_name["TrainerService"].full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            self.grpc_server,
        )
        self.port = security.add_port(self.grpc_server, f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"cannot bind {host}:{port}")
        self._stopped = threading.Event()

    def start(self, *, connect_ray: bool = False) -> None:
        if connect_ray:
            self.runner.connect()
        self.grpc_server.start()
        for service in ("", SERVICE_NAME):
            self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        logger.info("trainer listening on port %d (store %s)", self.port, self.runner.store_root)

    def stop(self, grace: float | None = None) -> None:
        """Refuse new RPCs, cancel running jobs, finish in-flight RPCs."""
        if self._stopped.is_set():
            return
        grace = self.grace_s if grace is None else grace
        self.health.enter_graceful_shutdown()
        self.runner.shutdown(timeout=max(grace, 1.0) * 3)
        self.grpc_server.stop(grace).wait()
        self._stopped.set()
        logger.info("trainer stopped")

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)


def create_server(
    store: str | Path,
    *,
    ray_address: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    max_workers: int = 16,
    security: ServerSecurity | None = None,
) -> tuple[TrainerServer, int]:
    """A configured, not yet started trainer server and the port it is bound to.

    ``security`` (TLS, tokens) is required in practice for a non-loopback ``host``:
    without it, or ``ServerSecurity(insecure=True)``, such a bind is refused.
    """
    server = TrainerServer(
        store,
        ray_address=ray_address,
        host=host,
        port=port,
        max_workers=max_workers,
        security=security,
    )
    return server, server.port


def serve(
    store: str | Path,
    *,
    ray_address: str | None = None,
    host: str = "127.0.0.1",
    port: int = 50052,
    ready: Any = None,
    security: ServerSecurity | None = None,
) -> None:
    """Run a trainer until SIGTERM or SIGINT, then cancel jobs and stop."""
    server, _ = create_server(
        store, ray_address=ray_address, host=host, port=port, security=security
    )
    # Connect first: ray.init installs its own SIGTERM handler, ours must come after it.
    server.runner.connect()
    stop_requested = threading.Event()

    def _on_signal(signum: int, _frame: Any) -> None:
        logger.info("signal %s received; stopping", signal.Signals(signum).name)
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
