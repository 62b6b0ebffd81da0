"""Shared fixtures: the shared data folder and one moodbot model trained per session."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def train_project_model(
    project_dir: Path, overrides: dict[str, Any] | None = None, augmentation: int = 50
) -> Any:
    """Train a project's TED model with its config.yml (plus ``overrides``) in memory."""
    from ted_data_adapter import Vocabulary, load_project
    from ted_model import TEDConfig, featurize_for_training, train_policy

    project = load_project(project_dir)
    config = TEDConfig.from_rasa({**project.config.policy_config(), **(overrides or {})})
    vocabulary = Vocabulary.from_domain(project.domain)
    seed = config.random_seed if config.random_seed is not None else 42
    conversations = project.training_conversations(augmentation_factor=augmentation, seed=seed)
    return train_policy(config, featurize_for_training(config, vocabulary, conversations))


@pytest.fixture(scope="session")
def train_model() -> Callable[..., Any]:
    """``train_project_model`` for tests that train a variant of a project."""
    return train_project_model


@pytest.fixture(scope="session")
def moodbot_trained(data_dir: Path) -> Any:
    """moodbot trained with its own config.yml (100 epochs, seed 1)."""
    return train_project_model(data_dir / "moodbot")


@pytest.fixture(scope="session")
def moodbot_dir(tmp_path_factory: pytest.TempPathFactory, moodbot_trained: Any) -> Path:
    """The moodbot model saved as a model directory."""
    target = tmp_path_factory.mktemp("moodbot-model")
    moodbot_trained.save(target)
    return target
