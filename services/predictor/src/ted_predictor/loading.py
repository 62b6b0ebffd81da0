"""Load one model version from the store (``ted_pipeline.load_model``), warm it, release it.

TensorFlow and the model code are imported only here, on first load, so the rest of the
server stays light. The archive is verified and unpacked into a private temporary folder
that is gone again once the model is in memory.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ted_data_adapter.events import ACTION_LISTEN, ActionExecuted, Event
from ted_predictor.errors import ModelLoadError

logger = logging.getLogger(__name__)


class Ranked(Protocol):
    """One answer of a loaded model (``ted_pipeline``'s ensemble prediction)."""

    @property
    def ranking(self) -> Sequence[tuple[str, float]]: ...
    @property
    def policy_name(self) -> str: ...
    @property
    def ted_ranking(self) -> Sequence[tuple[str, float]] | None: ...


class ServableModel(Protocol):
    """What the server needs of a loaded model (``ted_pipeline``'s PolicyEnsemble has it)."""

    def predict_batch(
        self, conversations: Sequence[Sequence[Event]], top_k: int | None = None
    ) -> Sequence[Ranked]: ...


@dataclass
class LoadedVersion:
    """A loaded, warmed model version."""

    name: str
    version: int
    model: ServableModel
    load_seconds: float


def _load_policy(store: Any, name: str, version: int) -> ServableModel:
    import ted_model.training  # noqa: F401  (TensorFlow and Keras: imported before the freeze)
    from ted_pipeline import ModelRef, load_model

    freeze_imported_objects()
    policy: ServableModel = load_model(ModelRef.in_store(name, version), store=store)
    return policy


def warm_up(model: ServableModel, batch_sizes: Sequence[int]) -> None:
    """Run a few predictions so the first real request does not pay for tracing."""
    conversation: list[Event] = [ActionExecuted(ACTION_LISTEN)]
    for size in sorted(set(batch_sizes)):
        model.predict_batch([conversation] * size)


def load_version(
    store: Any, name: str, version: int, *, warm_batch_sizes: Sequence[int]
) -> LoadedVersion:
    """Verify (every file's sha256), unpack and load ``name`` version ``version``, warm it.

    Any failure becomes :class:`ModelLoadError` with the reason; nothing is left on disk.
    """
    started = time.perf_counter()
    try:
        model = _load_policy(store, name, version)
        if warm_batch_sizes:
            warm_up(model, warm_batch_sizes)
    except Exception as e:  # any failure of a load is reported, never crashes the server
        raise ModelLoadError(f"{name} version {version}: {type(e).__name__}: {e}") from e
    return LoadedVersion(name, version, model, time.perf_counter() - started)


_imports_frozen = threading.Lock()
_frozen = False


def freeze_imported_objects() -> None:
    """Exclude what importing TensorFlow and Keras created from garbage collection, once.

    Those are millions of long-lived objects; without this, each full collection triggered by
    the garbage of serving walks them all and pauses every request for about 200 ms (measured
    at concurrency 64). Called after the import and before any model is loaded, so the
    objects of model versions stay collectable and an unloaded version is still freed.
    """
    global _frozen
    with _imports_frozen:
        if not _frozen:
            gc.freeze()
            _frozen = True


def release(loaded: LoadedVersion) -> None:
    """Collect garbage once nothing uses the version any more.

    The caller has dropped every reference it kept (routing table, batcher); requests still
    in flight hold the model until they finish, then the Keras model and its variables are
    freed with it.
    """
    logger.debug("released %s version %d", loaded.name, loaded.version)
    gc.collect()
