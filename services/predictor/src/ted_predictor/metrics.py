"""Prometheus metrics of one predictor, in its own registry, served over HTTP.

With several server processes (:mod:`ted_predictor.processes`) every worker records into
files under ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, chosen when
the worker imports it) and the supervising process serves their sum on one port; the loaded
versions gauge then has a ``pid`` label per worker.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

logger = logging.getLogger(__name__)

_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0
)  # fmt: skip
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_LOAD_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120)


class PredictorMetrics:
    """The metric families; a fresh registry per server keeps tests independent."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "ted_predictor_requests", "RPCs handled, by method and status code.",
            ["method", "code"], registry=r,
        )  # fmt: skip
        self.errors = Counter(
            "ted_predictor_errors", "RPCs that ended with a status other than OK.",
            ["method", "code"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "ted_predictor_request_latency_seconds", "Server-side RPC latency.",
            ["method"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.batch_size = Histogram(
            "ted_predictor_batch_size", "Conversations per model call (dynamic batching).",
            ["model"], buckets=_BATCH_BUCKETS, registry=r,
        )  # fmt: skip
        self.loaded_versions = Gauge(
            "ted_predictor_loaded_versions", "Model versions currently serving.",
            ["model"], registry=r, multiprocess_mode="liveall",
        )  # fmt: skip
        self.load_seconds = Histogram(
            "ted_predictor_model_load_seconds", "Time to verify, load and warm a version.",
            ["model"], buckets=_LOAD_BUCKETS, registry=r,
        )  # fmt: skip
        self.load_failures = Counter(
            "ted_predictor_model_load_failures", "Versions that failed to load.",
            ["model"], registry=r,
        )  # fmt: skip
        self._http: Any = None
        self._rpc_children: dict[tuple[str, str], tuple[Any, Any, Any]] = {}

    def observe_rpc(self, method: str, code: str, seconds: float) -> None:
        """Count and time one RPC. The labelled series are looked up once per (method, code)
        and kept: ``labels()`` takes a lock and builds a key, on every call otherwise."""
        children = self._rpc_children.get((method, code))
        if children is None:
            children = (
                self.latency.labels(method=method),
                self.requests.labels(method=method, code=code),
                None if code == "OK" else self.errors.labels(method=method, code=code),
            )
            self._rpc_children[(method, code)] = children
        latency, requests, errors = children
        latency.observe(seconds)
        requests.inc()
        if errors is not None:
            errors.inc()

    def serve_http(self, host: str, port: int) -> int:
        """Expose ``/metrics`` on ``host:port`` (0 = a free port); returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._http = server
        bound: int = server.server_address[1]
        logger.info("metrics listening", extra={"host": host, "port": bound})
        return bound

    def close(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None


class MultiProcessMetricsEndpoint:
    """``/metrics`` of several worker processes, summed from their multiprocess files."""

    def __init__(self, directory: str, host: str, port: int) -> None:
        from prometheus_client import multiprocess

        self.directory = directory
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        self._http, _thread = start_http_server(port, addr=host, registry=registry)
        self.port: int = self._http.server_address[1]
        logger.info("metrics listening", extra={"host": host, "port": self.port})

    def process_exited(self, pid: int) -> None:
        """Drop the live gauges of a worker that is gone."""
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, self.directory)

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
