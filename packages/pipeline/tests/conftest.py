"""Shared fixtures: the shared data folder and small projects to train."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SMALL_CONFIG = """\
policies:
  - name: TEDPolicy
    max_history: 3
    epochs: 6
    random_seed: 5
    transformer_size: 32
    evaluate_on_number_of_examples: 4
    evaluate_every_number_of_epochs: 3
"""


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


@pytest.fixture
def project(tmp_path: Path, data_dir: Path) -> Path:
    """A copy of moodbot with a small, fast TEDPolicy config."""
    target = tmp_path / "bot"
    shutil.copytree(data_dir / "moodbot", target)
    (target / "config.yml").write_text(SMALL_CONFIG, encoding="utf-8")
    return target
