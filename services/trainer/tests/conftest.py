"""Shared fixtures: one real local Ray instance (2 CPUs) for the session, the moodbot data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Small, fast TED settings for trials on moodbot; the code path is the real one.
TINY = {
    "transformer_size": 16,
    "number_of_attention_heads": 2,
    "embedding_dimension": 8,
    "encoding_dimension": 16,
    "number_of_negative_examples": 5,
}


def shared_data() -> Path:
    env = os.environ.get("TED_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def tiny() -> dict[str, int]:
    return dict(TINY)


@pytest.fixture(scope="session")
def moodbot() -> Path:
    path = (shared_data() / "moodbot").resolve()
    if not (path / "domain.yml").is_file():
        pytest.skip(f"moodbot data not found at {path}")
    return path


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()
