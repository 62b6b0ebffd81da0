"""Shared fixtures: the shared data folder and one moodbot model trained per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def shared_data() -> Path:
    override = os.environ.get("TED_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data()
    if not (path / "moodbot").is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(scope="session")
def moodbot_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, object]:
    """moodbot trained with its own config.yml (100 epochs, seed 1) into a fresh store."""
    from ted_model import train_project

    store = tmp_path_factory.mktemp("store")
    result = train_project(data_dir / "moodbot", store=store, name="moodbot")
    return store, result
