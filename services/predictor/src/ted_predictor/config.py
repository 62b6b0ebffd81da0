"""Typed configuration of a predictor server: what to serve, how to batch, which limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ted_client.security import ServerSecurity
from ted_predictor.errors import ConfigError

PolicyKind = Literal["latest", "all", "specific"]


@dataclass(frozen=True)
class VersionPolicy:
    """Which versions of a model to serve, as in TF Serving's model_version_policy.

    ``latest`` serves the newest ``latest_n`` versions, ``all`` every version, ``specific``
    the listed ones. With ``include_aliases`` the versions that store aliases point at are
    served too, so ``model@best`` keeps working while newer versions appear.
    """

    kind: PolicyKind = "latest"
    latest_n: int = 1
    versions: tuple[int, ...] = ()
    include_aliases: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("latest", "all", "specific"):
            raise ConfigError(f"version policy: unknown kind {self.kind!r}")
        if self.kind == "latest" and self.latest_n < 1:
            raise ConfigError("version policy: latest needs a count >= 1")
        if self.kind == "specific" and not self.versions:
            raise ConfigError("version policy: specific needs at least one version")
        if any(v < 1 for v in self.versions):
            raise ConfigError("version policy: versions are >= 1")

    @classmethod
    def parse(cls, text: str, *, include_aliases: bool = True) -> VersionPolicy:
        """``latest``, ``latest:3``, ``all`` or ``specific:2,5`` (the CLI's spelling)."""
        kind, _, arg = text.strip().partition(":")
        try:
            if kind == "latest":
                return cls(
                    "latest", latest_n=int(arg) if arg else 1, include_aliases=include_aliases
                )
            if kind == "all" and not arg:
                return cls("all", include_aliases=include_aliases)
            if kind == "specific":
                versions = tuple(sorted({int(v) for v in arg.split(",") if v.strip()}))
                return cls("specific", versions=versions, include_aliases=include_aliases)
        except ValueError as e:
            raise ConfigError(f"version policy {text!r}: versions must be integers") from e
        raise ConfigError(
            f"version policy {text!r}: expected latest, latest:N, all or specific:V1,V2"
        )

    def select(self, versions: Iterable[int], aliases: Mapping[str, int]) -> set[int]:
        """The versions (of those present in the store) that should be served."""
        present = sorted(set(versions))
        if self.kind == "all":
            wanted = set(present)
        elif self.kind == "specific":
            wanted = set(present) & set(self.versions)
        else:
            wanted = set(present[-self.latest_n :])
        if self.include_aliases:
            wanted |= {v for v in aliases.values() if v in present}
        return wanted


@dataclass(frozen=True)
class BatchingConfig:
    """Dynamic batching: concurrent Predict calls for one model run as one batch.

    A batch closes when it holds ``max_batch_size`` requests or ``timeout_s`` after its first
    request arrived, whichever comes first. With the default timeout 0 a batch is whatever
    queued up while the previous batch ran: no added wait at low load, large batches at high
    load (tools/bench/predictor_load.py compares timeouts).
    """

    enabled: bool = True
    max_batch_size: int = 64
    timeout_s: float = 0.0
    workers: int = 1  # model threads per version (TensorFlow releases the GIL)

    def __post_init__(self) -> None:
        if self.max_batch_size < 1:
            raise ConfigError("batching: max_batch_size must be >= 1")
        if not 1 <= self.workers <= 16:
            raise ConfigError("batching: workers must be between 1 and 16")
        if not 0 <= self.timeout_s <= 10:
            raise ConfigError("batching: timeout must be between 0 and 10 seconds")


@dataclass(frozen=True)
class Limits:
    """Request limits: larger requests are refused with a precise status."""

    max_message_bytes: int = 4 * 1024 * 1024
    max_events: int = 1000
    max_conversations: int = 1024

    def __post_init__(self) -> None:
        if self.max_message_bytes < 1024 or self.max_events < 1 or self.max_conversations < 1:
            raise ConfigError("limits must be positive (message size at least 1024 bytes)")


@dataclass(frozen=True)
class PredictorConfig:
    """Everything ``create_server`` needs; ``port=0`` / ``metrics_port=0`` pick free ports."""

    store: Path
    host: str = "127.0.0.1"
    port: int = 50051
    metrics_port: int | None = None
    models: tuple[str, ...] | None = None
    poll_interval_s: float = 2.0
    version_policy: VersionPolicy = field(default_factory=VersionPolicy)
    batching: BatchingConfig = field(default_factory=BatchingConfig)
    limits: Limits = field(default_factory=Limits)
    max_workers: int = (
        4  # threads for model calls that are not batched (PredictBatch, batching off)
    )
    shutdown_grace_s: float = 10.0
    warmup: bool = True
    # Server processes sharing the port (``serve`` only; ted_predictor.processes): one Python
    # process is bound to one core by the interpreter lock.
    processes: int = 1
    reuse_port: bool = False  # bind with SO_REUSEPORT, so several servers share the port
    # How long a thread may hold the interpreter lock while another waits (set by ``serve``
    # for its process; None keeps Python's 5 ms). Shorter keeps a model batch from holding up
    # the gRPC loop: p99 at concurrency 8 fell from about 12 to 9 ms in
    # tools/bench/predictor_load.py runs.
    switch_interval_s: float | None = 0.001
    # TLS and tokens; a non-loopback host is refused without both unless it says insecure.
    security: ServerSecurity = field(default_factory=ServerSecurity)

    def __post_init__(self) -> None:
        object.__setattr__(self, "store", Path(self.store))
        if self.poll_interval_s <= 0:
            raise ConfigError("poll interval must be > 0 seconds")
        if not 0 <= self.port < 65536:
            raise ConfigError(f"port {self.port} out of range")
        if self.metrics_port is not None and not 0 <= self.metrics_port < 65536:
            raise ConfigError(f"metrics port {self.metrics_port} out of range")
        if self.max_workers < 1:
            raise ConfigError("max_workers must be >= 1")
        if self.switch_interval_s is not None and not 1e-5 <= self.switch_interval_s <= 0.1:
            raise ConfigError("switch interval must be between 0.01 and 100 ms")
        if not 1 <= self.processes <= 64:
            raise ConfigError(f"processes must be between 1 and 64, got {self.processes}")
        if self.models is not None and not self.models:
            raise ConfigError("models: give at least one name, or None for every model")
