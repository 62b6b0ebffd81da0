"""Helpers of the predictor tests: the trained-model record, stores, servers, conversations."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ted_archive import ModelStore
from ted_client.client import PredictorClient
from ted_data_adapter.events import ActionExecuted, Event, UserUttered
from ted_predictor.config import BatchingConfig, Limits, PredictorConfig
from ted_predictor.server import PredictorServer, create_server

MODEL = "moodbot"
TRAIN_EPOCHS = 10  # the serving tests need a real model, not a good one


def shared_data() -> Path:
    env = os.environ.get("TED_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@dataclass(frozen=True)
class TrainedModel:
    store: Path  # a store holding MODEL version 1; copy it, never change it
    name: str
    project: Path


def publish_copy(store: Path, name: str = MODEL, of: int = 1) -> int:
    """Publish the files of version ``of`` again as the next version; returns it."""
    model_store = ModelStore(store)
    tmp = store.parent / f"unpacked-{time.monotonic_ns()}"
    model_store.unpack(name, of, tmp)
    version = model_store.save(name, tmp, config={"copied_from": of}).version
    shutil.rmtree(tmp)
    return version


def wait_until(predicate: Callable[[], bool], timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


def make_config(store: Path, **overrides: object) -> PredictorConfig:
    settings: dict[str, object] = {
        "store": store,
        "port": 0,
        "metrics_port": 0,
        "poll_interval_s": 0.2,
        "max_workers": 8,
        "shutdown_grace_s": 5.0,
        "batching": BatchingConfig(max_batch_size=16, timeout_s=0.002),
        "limits": Limits(max_message_bytes=1_000_000),
    }
    settings.update(overrides)
    return PredictorConfig(**settings)  # type: ignore[arg-type]


@contextmanager
def running_server(
    config: PredictorConfig, *, wait_for: str | None = MODEL
) -> Iterator[tuple[PredictorServer, PredictorClient]]:
    server, port = create_server(config)
    server.start()
    client = PredictorClient(f"127.0.0.1:{port}", timeout=30)
    try:
        if wait_for is not None:
            wait_until(
                lambda: server.manager.has_serving_version(wait_for), what=f"{wait_for} loaded"
            )
        yield server, client
    finally:
        client.close()
        server.stop(2.0)


def listen() -> ActionExecuted:
    return ActionExecuted("action_listen")


GREETED: list[Event] = [listen(), UserUttered("greet"), ActionExecuted("utter_greet"), listen()]

CONVERSATIONS: list[list[Event]] = [
    [listen()],
    [listen(), UserUttered("greet")],
    GREETED,
    [*GREETED, UserUttered("mood_great")],
    [*GREETED, UserUttered("mood_unhappy")],
    [*GREETED, UserUttered("mood_unhappy"), ActionExecuted("utter_cheer_up")],
    [listen(), UserUttered("bot_challenge")],
    [listen(), UserUttered("goodbye")],
]
