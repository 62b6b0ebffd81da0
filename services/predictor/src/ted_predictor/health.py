"""grpc.health.v1 statuses derived from which models have a serving version."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from grpc_health.v1 import health, health_pb2

SERVICE_NAME = "ted.v1.PredictorService"


def model_service_name(model: str) -> str:
    """The health service name of one model, e.g. ``ted.v1.PredictorService/moodbot``."""
    return f"{SERVICE_NAME}/{model}"


class HealthReporter:
    """Keeps the health servicer in line with the model manager.

    The servicer lives on the server's event loop; ``update`` and ``shutting_down`` may be
    called from any other thread and return once the new statuses are in place.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.servicer = health.aio.HealthServicer()
        self._stopping = False
        self._apply([("", False), (SERVICE_NAME, False)])

    def _apply(self, statuses: list[tuple[str, bool]]) -> None:
        async def set_all() -> None:
            for service, serving in statuses:
                await self.servicer.set(
                    service,
                    health_pb2.HealthCheckResponse.SERVING
                    if serving
                    else health_pb2.HealthCheckResponse.NOT_SERVING,
                )

        asyncio.run_coroutine_threadsafe(set_all(), self._loop).result(timeout=30)

    def update(self, models: Iterable[tuple[str, bool]]) -> None:
        """``models`` yields (name, has a serving version)."""
        if self._stopping:
            return
        statuses = [(model_service_name(name), serving) for name, serving in models]
        any_serving = any(serving for _, serving in statuses)
        self._apply([*statuses, ("", any_serving), (SERVICE_NAME, any_serving)])

    def shutting_down(self) -> None:
        """Every service NOT_SERVING from now on, so balancers drain this instance."""
        self._stopping = True
        asyncio.run_coroutine_threadsafe(
            self.servicer.enter_graceful_shutdown(), self._loop
        ).result(timeout=30)
