"""Real training on moodbot: loss goes down, every story action is predicted right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ted_model import TEDPolicy

pytestmark = pytest.mark.slow


def story_accuracy(policy: TEDPolicy, conversations: list[Any]) -> tuple[int, int]:
    from ted_data_adapter.events import ActionExecuted

    correct = total = 0
    for events in conversations:
        for index, event in enumerate(events):
            if isinstance(event, ActionExecuted) and index > 0:
                total += 1
                correct += policy.predict(events[:index]).action == event.name
    return correct, total


def test_training_learns_moodbot_and_the_saved_model_too(
    moodbot_trained: Any, moodbot_dir: Path, data_dir: Path
) -> None:
    from ted_data_adapter.project import load_project

    assert moodbot_trained.metrics["epochs"] == 100 and moodbot_trained.epochs == 100
    assert moodbot_trained.metrics["examples"] == moodbot_trained.data.examples > 0
    policy = TEDPolicy.load(moodbot_dir)
    project = load_project(data_dir / "moodbot")
    correct, total = story_accuracy(policy, project.training_conversations(augmentation_factor=0))
    assert total >= 10
    assert correct == total


def test_loss_goes_down(data_dir: Path) -> None:
    from ted_data_adapter.featurizer import StateFeaturizer
    from ted_data_adapter.project import load_project
    from ted_data_adapter.vocabulary import Vocabulary
    from ted_model import TEDConfig, training

    project = load_project(data_dir / "moodbot")
    vocabulary = Vocabulary.from_domain(project.domain)
    config = TEDConfig(max_history=5, epochs=30, random_seed=7, batch_size=16, scale_loss=False)
    data = StateFeaturizer(vocabulary).featurize(
        project.training_conversations(augmentation_factor=0), 5, "dialogues"
    )
    training.seed_everything(7)
    model = training.build_model(config, vocabulary.attribute_dims, data.label_features)
    result = training.fit(model, config, data.features, layout="dialogues")
    losses = result.history["loss"]
    assert len(losses) == 30
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
