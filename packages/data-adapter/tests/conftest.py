"""Shared paths: the real data under <repo>/../shared/data (or $TED_SHARED_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data() -> Path:
    override = os.environ.get("TED_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data()
    assert path.is_dir(), f"shared data not found at {path} (set TED_SHARED_DATA)"
    return path


@pytest.fixture(scope="session")
def shop_dir() -> Path:
    return FIXTURES / "shop"
