"""Shared fixtures: a moodbot model really trained once per session, stores, servers.

Every server here is the real predictor on a free loopback port, serving a real store.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from ted_archive import ModelStore
from ted_data_adapter.events import ActionExecuted, Event, UserUttered
from ted_predictor.client import PredictorClient
from ted_predictor.config import BatchingConfig, Limits, PredictorConfig
from ted_predictor.server import PredictorServer, create_server

MODEL = "moodbot"
TRAIN_EPOCHS = 20


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


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """Moodbot trained for a few epochs with the real training code path."""
    from ted_model import train_project

    project = shared_data() / "moodbot"
    if not project.is_dir():
        pytest.skip(f"shared data not found at {project}")
    root = tmp_path_factory.mktemp("trained") / "store"
    result = train_project(
        project,
        store=ModelStore(root),
        name=MODEL,
        config_overrides={"epochs": TRAIN_EPOCHS},
    )
    assert not result.skipped and result.version == 1
    return TrainedModel(root, MODEL, project)


@pytest.fixture
def store_copy(trained: TrainedModel, tmp_path: Path) -> Path:
    """A private store with the trained version 1, to publish and break versions in."""
    target = tmp_path / "store"
    shutil.copytree(trained.store, target)
    return target


def publish_copy(store: Path, name: str = MODEL, of: int = 1) -> int:
    """Publish the files of version ``of`` again as the next version; returns it."""
    model_store = ModelStore(store)
    tmp = store.parent / f"unpacked-{time.monotonic_ns()}"
    model_store.unpack(name, of, tmp)
    version = model_store.save(name, tmp, config={"copied_from": of}).version
    shutil.rmtree(tmp)
    return version


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
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


@pytest.fixture(scope="module")
def served(
    trained: TrainedModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[PredictorServer, PredictorClient]]:
    """One server for the read-only tests of a module."""
    store = tmp_path_factory.mktemp("served") / "store"
    shutil.copytree(trained.store, store)
    with running_server(make_config(store)) as pair:
        yield pair


@pytest.fixture
def channel(served: tuple[PredictorServer, PredictorClient]) -> Iterator[grpc.Channel]:
    server, _ = served
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch


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
