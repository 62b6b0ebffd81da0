"""MemoizationPolicy and AugmentedMemoizationPolicy on moodbot's stories."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_data_adapter import Vocabulary, load_project
from ted_data_adapter.applied import with_explicit_listens
from ted_data_adapter.events import ActionExecuted, Event, SlotSet, UserUttered
from ted_pipeline.policies.conversations import TrainingConversation, story_conversations
from ted_pipeline.policies.memoization import MemoizationPolicy, Memory

LISTEN = ActionExecuted("action_listen")
SAD = [
    LISTEN,
    UserUttered("greet"),
    ActionExecuted("utter_greet"),
    LISTEN,
    UserUttered("mood_unhappy"),
    ActionExecuted("utter_cheer_up"),
    ActionExecuted("utter_did_that_help"),
    LISTEN,
    UserUttered("deny"),
]


@pytest.fixture(scope="module")
def moodbot(data_dir: Path) -> tuple[Vocabulary, list]:
    project = load_project(data_dir / "moodbot")
    stories = story_conversations(project.training_stories(augmentation_factor=0))
    return Vocabulary.from_domain(project.domain), stories


def _train(moodbot: tuple[Vocabulary, list], **options: object) -> MemoizationPolicy:
    vocabulary, stories = moodbot
    return MemoizationPolicy.train(vocabulary, stories, **options)  # type: ignore[arg-type]


def test_every_story_action_is_recalled(moodbot: tuple[Vocabulary, list]) -> None:
    policy = _train(moodbot, max_history=5)
    assert policy.recall(SAD) == "utter_goodbye"
    assert policy.recall(SAD[:5]) == "utter_cheer_up"
    assert policy.recall(SAD[:6]) == "utter_did_that_help"
    assert policy.recall(SAD[:3]) == "action_listen"
    prediction = policy.predict(SAD[:6])
    assert prediction.scores == {"utter_did_that_help": 1.0}
    assert (prediction.policy, prediction.priority) == ("MemoizationPolicy", 3)


def test_an_unseen_turn_is_not_recalled(moodbot: tuple[Vocabulary, list]) -> None:
    policy = _train(moodbot, max_history=5)
    unseen = [LISTEN, UserUttered("bot_challenge")]  # only rules talk about this
    assert policy.recall(unseen) is None
    assert policy.predict(unseen).scores == {}


def test_max_history_decides_how_far_back_the_window_reaches(
    moodbot: tuple[Vocabulary, list],
) -> None:
    """With a short window the story's beginning does not matter; with none it does."""
    opening: list[Event] = [LISTEN, UserUttered("mood_great"), ActionExecuted("utter_happy")]
    shifted = [*opening, *SAD[2:]]  # the sad path after an unrelated opening
    short = _train(moodbot, max_history=2)
    assert short.recall(shifted) == "utter_goodbye"
    whole = _train(moodbot, max_history=None)
    assert whole.recall(shifted) is None
    assert whole.recall(SAD) == "utter_goodbye"


TINY_DOMAIN = """\
version: "3.1"
intents: [greet, ask]
slots:
  name:
    type: text
    mappings: [{type: custom}]
responses:
  utter_greet: [{text: hi}]
  utter_hello: [{text: hello}]
  utter_answer: [{text: answer}]
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Vocabulary:
    (tmp_path / "domain.yml").write_text(TINY_DOMAIN, encoding="utf-8")
    from ted_data_adapter import load_domain

    return Vocabulary.from_domain(load_domain(tmp_path / "domain.yml"))


def _story(name: str, *events: Event) -> TrainingConversation:
    return TrainingConversation(name, tuple(with_explicit_listens(events)), False)


def test_ambiguous_windows_are_forgotten(tiny: Vocabulary) -> None:
    stories = [
        _story("a", UserUttered("greet"), ActionExecuted("utter_greet")),
        _story("b", UserUttered("greet"), ActionExecuted("utter_hello")),
        _story("c", UserUttered("ask"), ActionExecuted("utter_answer")),
    ]
    policy = MemoizationPolicy.train(tiny, stories, max_history=2)
    assert policy.recall([LISTEN, UserUttered("greet")]) is None  # greet led to two actions
    assert policy.recall([LISTEN, UserUttered("ask")]) == "utter_answer"


def test_augmented_memoization_forgets_the_oldest_events(tiny: Vocabulary) -> None:
    """A slot set early shows in every later state; forgetting the events that set it
    lets the story apply again, which plain memoization cannot do."""
    stories = [_story("ask", UserUttered("ask"), ActionExecuted("utter_answer"))]
    earlier: list[Event] = [LISTEN, UserUttered("greet"), SlotSet("name", "Ann")]
    earlier += [ActionExecuted("utter_greet"), ActionExecuted("utter_hello")]
    noisy = [*earlier, LISTEN, UserUttered("ask")]
    plain = MemoizationPolicy.train(tiny, stories, max_history=2)
    augmented = MemoizationPolicy.train(tiny, stories, max_history=2, augmented=True)
    assert plain.recall(noisy) is None
    assert augmented.recall(noisy) == "utter_answer"
    assert augmented.name == "AugmentedMemoizationPolicy"


def test_memory_round_trip(moodbot: tuple[Vocabulary, list]) -> None:
    policy = _train(moodbot, max_history=5, rule_only_slots=frozenset({"x"}))
    again = Memory.from_dict(policy.memory.to_dict())
    assert again == policy.memory
    with pytest.raises(ValueError, match="format"):
        Memory.from_dict({"format": 9, "lookup": {}})
