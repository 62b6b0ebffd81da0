"""Fixtures: a small real model directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A small model directory with nested files, some binary."""
    root = tmp_path / "model"
    (root / "weights").mkdir(parents=True)
    (root / "config.json").write_text('{"epochs": 3}\n')
    (root / "weights" / "layer0.bin").write_bytes(bytes(range(256)) * 40)
    (root / "weights" / "layer1.bin").write_bytes(b"\x00\x01" * 5000)
    (root / "vocabulary.json").write_text('{"actions": ["action_listen", "utter_greet"]}')
    return root


def shared_data_dir() -> Path:
    import os

    env = os.environ.get("TED_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
