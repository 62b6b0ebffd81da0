"""Shared fixtures: a moodbot model really trained once per session, stores, servers.

Every server here is the real predictor on a free loopback port, serving a real store.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from predictor_testlib import (
    MODEL,
    TRAIN_EPOCHS,
    TrainedModel,
    make_config,
    running_server,
    shared_data,
)

from ted_archive import ModelStore
from ted_client.client import PredictorClient
from ted_predictor.server import PredictorServer


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """Moodbot trained for a few epochs with the real training code path."""
    from ted_pipeline import train_project

    project = shared_data() / "moodbot"
    if not project.is_dir():
        pytest.skip(f"shared data not found at {project}")
    root = tmp_path_factory.mktemp("trained") / "store"
    result = train_project(
        project,
        store=ModelStore(root),
        name=MODEL,
        config_overrides={"epochs": TRAIN_EPOCHS},
        augmentation=0,
    )
    assert not result.skipped and result.version == 1
    return TrainedModel(root, MODEL, project)


@pytest.fixture
def store_copy(trained: TrainedModel, tmp_path: Path) -> Path:
    """A private store with the trained version 1, to publish and break versions in."""
    target = tmp_path / "store"
    shutil.copytree(trained.store, target)
    return target


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
