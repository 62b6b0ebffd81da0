"""grpc.health.v1 statuses derived from which models have a serving version."""

from __future__ import annotations

from collections.abc import Iterable

from grpc_health.v1 import health, health_pb2

SERVICE_NAME = "ted.v1.PredictorService"


def model_service_name(model: str) -> str:
    """The health service name of one model, e.g. ``ted.v1.PredictorService/moodbot``."""
    return f"{SERVICE_NAME}/{model}"


class HealthReporter:
    """Keeps the health servicer in line with the model manager."""

    def __init__(self) -> None:
        self.servicer = health.HealthServicer(experimental_non_blocking=True)
        self._set("", False)
        self._set(SERVICE_NAME, False)
        self._stopping = False

    def _set(self, service: str, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        self.servicer.set(service, status)

    def update(self, models: Iterable[tuple[str, bool]]) -> None:
        """``models`` yields (name, has a serving version)."""
        if self._stopping:
            return
        any_serving = False
        for name, serving in models:
            self._set(model_service_name(name), serving)
            any_serving = any_serving or serving
        self._set("", any_serving)
        self._set(SERVICE_NAME, any_serving)

    def shutting_down(self) -> None:
        """Every service NOT_SERVING from now on, so balancers drain this instance."""
        self._stopping = True
        self.servicer.enter_graceful_shutdown()
