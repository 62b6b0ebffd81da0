"""The model manager: keeps the wanted versions of every model loaded, swaps atomically.

A background thread polls the store. Versions the policy wants are loaded and warmed in
that thread while the current ones keep serving; then a new routing table is published with
one reference assignment, so a request sees either the old or the new table, never a mix and
never a wait. An alias only moves once its new target is loaded; a version that fails to
load is reported (``FAILED``) and not retried until its archive changes.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ted_predictor.batching import DynamicBatcher
from ted_predictor.config import PredictorConfig
from ted_predictor.errors import (
    ModelLoadError,
    ModelNotFoundError,
    ModelUnavailableError,
    echo,
)
from ted_predictor.loading import LoadedVersion, ServableModel, load_version, release
from ted_predictor.metrics import PredictorMetrics

logger = logging.getLogger(__name__)

LATEST = "latest"


class VersionState(enum.Enum):
    LOADING = "loading"
    AVAILABLE = "available"
    UNLOADED = "unloaded"
    FAILED = "failed"


@dataclass(frozen=True)
class VersionStatus:
    name: str
    version: int
    state: VersionState
    since: float  # epoch seconds of the last state change
    load_seconds: float = 0.0
    error: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServedVersion:
    """A version that answers requests, with its batcher when batching is on."""

    name: str
    version: int
    model: ServableModel
    batcher: DynamicBatcher | None
    loaded: LoadedVersion


@dataclass(frozen=True)
class ModelRoute:
    name: str
    versions: Mapping[int, ServedVersion] = field(default_factory=dict)
    aliases: Mapping[str, int] = field(default_factory=dict)
    latest: int | None = None


@dataclass(frozen=True)
class ModelSummary:
    name: str
    serving_versions: tuple[int, ...]
    latest_version: int
    aliases: Mapping[str, int]


def _numbers(items: Iterable[Any]) -> list[int]:
    """Version numbers from ``list_versions`` (ints or objects with ``.version``)."""
    return sorted(int(getattr(item, "version", item)) for item in items)


def _names(items: Iterable[Any]) -> list[str]:
    return sorted(str(getattr(item, "name", item)) for item in items)


class ModelManager:
    """Loads, serves and unloads model versions from a ModelStore."""

    def __init__(
        self,
        store: Any,
        config: PredictorConfig,
        metrics: PredictorMetrics,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._config = config
        self._metrics = metrics
        self._on_change = on_change
        self._routes: Mapping[str, ModelRoute] = {}
        self._known: frozenset[str] = frozenset(config.models or ())
        self._status: dict[tuple[str, int], VersionStatus] = {}
        self._failed_stamp: dict[tuple[str, int], Any] = {}
        self._status_lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="model-manager", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling, finish queued batches and release every version."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._poll_lock:
            routes, self._routes = self._routes, {}
            for route in routes.values():
                for served in route.versions.values():
                    self._unload(served)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # a broken store must not kill the manager
                logger.exception("polling the model store failed")
            self._stop.wait(self._config.poll_interval_s)

    # ----------------------------------------------------------------- polling
    def poll_once(self) -> None:
        """Bring the served versions in line with the store and the version policy."""
        with self._poll_lock:
            names = self._model_names()
            self._known = frozenset(names) | frozenset(self._config.models or ())
            routes = dict(self._routes)
            for name in names:
                if self._stop.is_set():
                    return
                try:
                    routes[name] = self._sync_model(name, routes.get(name, ModelRoute(name)))
                except Exception:  # one unreadable model must not stop the others
                    logger.exception("syncing model %s failed", name, extra={"model": name})
                    continue
                self._publish(routes)
            for gone in set(routes) - set(names):
                self._retire(routes.pop(gone).versions.values())
                self._publish(routes)

    def _model_names(self) -> list[str]:
        root = Path(self._config.store)
        if not root.is_dir():
            return []
        names = _names(self._store.list_models())
        if self._config.models is not None:
            names = [n for n in names if n in self._config.models]
        return names

    def _sync_model(self, name: str, route: ModelRoute) -> ModelRoute:
        versions = _numbers(self._store.versions(name))
        store_aliases = {a: int(v) for a, v in dict(self._store.aliases(name)).items()}
        store_aliases.pop(LATEST, None)
        wanted = self._config.version_policy.select(versions, store_aliases)
        served = dict(route.versions)
        for version in sorted(wanted - set(served), reverse=True):
            if self._stop.is_set():
                break
            loaded = self._load(name, version)
            if loaded is not None:
                served[version] = loaded
                # publish each new version at once so it serves while older ones load
                route = self._route(name, served, wanted, store_aliases, route)
                self._publish({**self._routes, name: route})
        new_route = self._route(name, served, wanted, store_aliases, route)
        keep = set(new_route.aliases.values()) | ({new_route.latest} - {None})
        keep |= wanted & set(served)
        dropped = [served.pop(v) for v in sorted(set(served) - keep)]
        new_route = replace(new_route, versions=dict(served))
        self._published_then_retire(name, new_route, dropped)
        return new_route

    def _route(
        self,
        name: str,
        served: Mapping[int, ServedVersion],
        wanted: set[int],
        store_aliases: Mapping[str, int],
        previous: ModelRoute,
    ) -> ModelRoute:
        aliases: dict[str, int] = {}
        for alias, target in store_aliases.items():
            if target in served:
                aliases[alias] = target
            elif previous.aliases.get(alias) in served:  # keep the old target until loaded
                aliases[alias] = previous.aliases[alias]
        candidates = sorted(v for v in served if v in wanted)
        latest = candidates[-1] if candidates else previous.latest
        if latest not in served:
            latest = max(served) if served else None
        return ModelRoute(name, dict(served), aliases, latest)

    def _published_then_retire(
        self, name: str, route: ModelRoute, dropped: list[ServedVersion]
    ) -> None:
        self._publish({**self._routes, name: route})
        self._retire(dropped)

    def _publish(self, routes: Mapping[str, ModelRoute]) -> None:
        self._routes = dict(routes)  # one reference assignment: the atomic swap
        for name, route in self._routes.items():
            self._metrics.loaded_versions.labels(model=name).set(len(route.versions))
        if self._on_change is not None:
            self._on_change()

    def _retire(self, dropped: Iterable[ServedVersion]) -> None:
        for served in dropped:
            self._set_status(  # it stopped serving when the routing table was swapped
                VersionStatus(served.name, served.version, VersionState.UNLOADED, time.time())
            )
            self._unload(served)
            logger.info("unloaded version", extra={"model": served.name, "version": served.version})

    def _unload(self, served: ServedVersion) -> None:
        if served.batcher is not None:
            served.batcher.close(timeout=30)
        release(served.loaded)

    def _archive_stamp(self, name: str, version: int) -> Any:
        try:
            path = Path(self._store.get(name, version).archive_path)
            stat = path.stat()
            return (stat.st_mtime_ns, stat.st_size)
        except Exception:
            return None

    def _load(self, name: str, version: int) -> ServedVersion | None:
        key = (name, version)
        stamp = self._archive_stamp(name, version)
        if key in self._failed_stamp and self._failed_stamp[key] == stamp:
            return None  # failed before and unchanged since: do not retry
        self._set_status(VersionStatus(name, version, VersionState.LOADING, time.time()))
        logger.info("loading version", extra={"model": name, "version": version})
        batching = self._config.batching
        warm = [1, batching.max_batch_size] if batching.enabled else [1]
        try:
            loaded = load_version(
                self._store,
                name,
                version,
                warm_batch_sizes=warm if self._config.warmup else [],
            )
        except ModelLoadError as e:
            self._failed_stamp[key] = stamp
            self._metrics.load_failures.labels(model=name).inc()
            self._set_status(
                VersionStatus(name, version, VersionState.FAILED, time.time(), error=str(e))
            )
            logger.error(
                "loading failed", extra={"model": name, "version": version, "error": str(e)}
            )
            return None
        self._failed_stamp.pop(key, None)
        self._metrics.load_seconds.labels(model=name).observe(loaded.load_seconds)
        batcher = None
        if batching.enabled:
            histogram = self._metrics.batch_size.labels(model=name)
            batcher = DynamicBatcher(
                loaded.model, batching, name=f"{name}-v{version}", on_batch=histogram.observe
            )
        self._set_status(
            VersionStatus(
                name, version, VersionState.AVAILABLE, time.time(), load_seconds=loaded.load_seconds
            )
        )
        logger.info(
            "version available",
            extra={
                "model": name,
                "version": version,
                "load_seconds": round(loaded.load_seconds, 3),
            },
        )
        return ServedVersion(name, version, loaded.model, batcher, loaded)

    def _set_status(self, status: VersionStatus) -> None:
        with self._status_lock:
            self._status[(status.name, status.version)] = status

    # ----------------------------------------------------------------- queries
    def has_serving_version(self, name: str | None = None) -> bool:
        routes = self._routes
        if name is None:
            return any(route.versions for route in routes.values())
        route = routes.get(name)
        return bool(route and route.versions)

    def model_names(self) -> list[str]:
        return sorted(self._known | set(self._routes))

    def resolve(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> ServedVersion:
        """The served version a request asks for, or NOT_FOUND / UNAVAILABLE errors."""
        route = self._routes.get(name)
        if route is None or not route.versions:
            if name in self._known or route is not None:
                raise ModelUnavailableError(f"model {echo(name)} has no loaded version yet")
            raise ModelNotFoundError(f"unknown model {echo(name)}")
        if version is not None:
            served = route.versions.get(version)
            if served is not None:
                return served
            status = self._status.get((name, version))
            if status is not None and status.state is VersionState.LOADING:
                raise ModelUnavailableError(
                    f"model {echo(name)} version {version} is still loading"
                )
            serving = ", ".join(str(v) for v in sorted(route.versions))
            raise ModelNotFoundError(
                f"model {echo(name)} has no version {version} being served (serving: {serving})"
            )
        if alias is None or alias == LATEST:
            assert route.latest is not None
            return route.versions[route.latest]
        target = route.aliases.get(alias)
        if target is None:
            known = ", ".join(sorted([LATEST, *route.aliases]))
            raise ModelNotFoundError(
                f"model {echo(name)} has no alias {echo(alias)} (known: {known})"
            )
        return route.versions[target]

    def statuses(self, name: str | None = None) -> list[VersionStatus]:
        routes = self._routes
        with self._status_lock:
            items = sorted(self._status.values(), key=lambda s: (s.name, s.version))
        if name is not None:
            if name not in self._known and name not in routes:
                raise ModelNotFoundError(f"unknown model {echo(name)}")
            items = [s for s in items if s.name == name]
        out = []
        for status in items:
            route = routes.get(status.name)
            aliases: list[str] = []
            if route is not None and status.version in route.versions:
                aliases = [a for a, v in route.aliases.items() if v == status.version]
                if route.latest == status.version:
                    aliases.append(LATEST)
            out.append(replace(status, aliases=tuple(sorted(aliases))))
        return out

    def summaries(self) -> list[ModelSummary]:
        routes = self._routes
        out = []
        for name in self.model_names():
            route = routes.get(name, ModelRoute(name))
            out.append(
                ModelSummary(
                    name,
                    tuple(sorted(route.versions)),
                    route.latest or 0,
                    dict(route.aliases),
                )
            )
        return out
