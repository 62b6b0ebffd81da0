"""The real projects load, and MultiWOZ in YAML and legacy Markdown gives identical examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ted_data_adapter import StateFeaturizer, Vocabulary, load_project, load_stories
from ted_data_adapter.events import ACTION_LISTEN, ActionExecuted, SlotSet, UserUttered


def test_moodbot(data_dir: Path) -> None:
    project = load_project(data_dir / "moodbot")
    assert len(project.stories) == 3
    assert len(project.rules) == 2
    assert len(project.test_stories) == 7
    assert project.config.policy_config("TEDPolicy")["max_history"] == 5
    conversations = project.training_conversations(augmentation_factor=0)
    assert len(conversations) == 3
    first = conversations[0]
    assert first[0] == UserUttered("greet")
    assert first[-1] == ActionExecuted(ACTION_LISTEN)
    vocab = Vocabulary.from_domain(project.domain)
    assert vocab.actions[0] == ACTION_LISTEN
    assert {"utter_greet", "utter_cheer_up", "action_restart"} <= set(vocab.actions)
    data = StateFeaturizer(vocab).featurize(conversations, max_history=5)
    # happy path: listen, utter_greet, listen, utter_happy, listen = 5 examples; each sad
    # path has 8. Shared prefixes deduplicate: 5 + (8 - 3) + (8 - 6) distinct examples.
    assert data.meta["examples_before_dedup"] == 5 + 8 + 8
    assert len(data) == 5 + 5 + 2


def test_formbot_forms_and_test_stories(data_dir: Path) -> None:
    project = load_project(data_dir / "formbot")
    assert project.domain.forms["restaurant_form"][0] == "cuisine"
    vocab = Vocabulary.from_domain(project.domain)
    assert vocab.forms == ("restaurant_form",)
    assert vocab.attribute_dims["slots"] == 0  # every slot has influence_conversation: false
    tests = load_stories(data_dir / "formbot" / "test", project.domain)
    assert len(tests) == 3
    # the inline annotation "[afghan](cuisine)" becomes an entity of the user turn
    users = [e for e in tests[1].events if isinstance(e, UserUttered)]
    assert users[2].entities[0].entity == "cuisine"
    assert users[2].entities[0].value == "afghan"
    data = StateFeaturizer(vocab).featurize(project.training_conversations(0), 5)
    loop_rows = data.features["active_loop"][:, -1, 0]
    assert loop_rows.sum() > 0  # the form is active in some predicting turns


def _multiwoz(data_dir: Path, variant: str) -> tuple[Vocabulary, object]:
    project = load_project(data_dir / variant)
    vocab = Vocabulary.from_domain(project.domain)
    conversations = project.training_conversations(augmentation_factor=0)
    return vocab, (project, conversations)


@pytest.mark.parametrize("name", ["multiwoz", "multiwoz-status"])
def test_multiwoz_yaml_and_legacy_markdown_give_identical_examples(
    data_dir: Path, name: str
) -> None:
    yaml_project = load_project(data_dir / name)
    legacy_project = load_project(data_dir / name / "legacy")
    assert len(yaml_project.stories) == len(legacy_project.stories) == 740
    yaml_vocab = Vocabulary.from_domain(yaml_project.domain)
    legacy_vocab = Vocabulary.from_domain(legacy_project.domain)
    assert yaml_vocab.attribute_dims == legacy_vocab.attribute_dims
    assert yaml_vocab.actions == legacy_vocab.actions
    yaml_conv = yaml_project.training_conversations(augmentation_factor=0)
    legacy_conv = legacy_project.training_conversations(augmentation_factor=0)
    assert yaml_conv == legacy_conv
    for layout in ("windows", "dialogues"):
        a = StateFeaturizer(yaml_vocab).featurize(yaml_conv, 10, layout=layout)
        b = StateFeaturizer(legacy_vocab).featurize(legacy_conv, 10, layout=layout)
        assert a.features.keys() == b.features.keys()
        for key in a.features:
            assert np.array_equal(a.features[key], b.features[key]), key


def test_multiwoz_counts_and_auto_filled_slots(data_dir: Path) -> None:
    project = load_project(data_dir / "multiwoz" / "legacy")
    conversations = project.training_conversations(augmentation_factor=0)
    bot_actions = sum(
        isinstance(e, ActionExecuted) and e.name != ACTION_LISTEN
        for conv in conversations
        for e in conv
    )
    assert bot_actions == 9100
    vocab = Vocabulary.from_domain(project.domain)
    featurizer = StateFeaturizer(vocab)
    # story_SNG0073 starts with inform{"taxi_destination": "specific", ...}: the legacy domain
    # has no mappings, so auto_fill sets the same-named slots from the entities.
    first = conversations[0]
    assert isinstance(first[0], UserUttered)
    inputs = featurizer.featurize_events(first[:1], max_history=3)
    names = vocab.slot_feature_names
    slots = inputs["slots"][0, -1]
    assert slots[names.index("taxi_destination_0")] == 1.0
    assert slots[names.index("taxi_departure_0")] == 1.0
    assert slots[names.index("taxi_type_0")] == 0.0
    # the explicit slot{"taxi_type": "specific"} later in the story sets it
    upto = next(i for i, e in enumerate(first) if isinstance(e, SlotSet)) + 1
    later = featurizer.featurize_events(first[:upto], max_history=3)["slots"][0, -1]
    assert later[names.index("taxi_type_0")] == 1.0
    data = featurizer.featurize(conversations, 10)
    assert data.meta["examples_before_dedup"] == 9100 + sum(
        sum(isinstance(e, UserUttered) for e in conv) + 1 for conv in conversations
    )
    assert data.features["intent"].shape[1:] == (10, len(vocab.intents))
