"""Which actions a story replay predicts, and from which history."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_data_adapter.events import ActionExecuted, SlotSet, UserUttered
from ted_pipeline.evaluation.errors import EvaluationError
from ted_pipeline.evaluation.replay import (
    ReplayStory,
    check_known_symbols,
    prediction_points,
    with_explicit_listens,
)

LISTEN = ActionExecuted("action_listen")
SAD_PATH = (
    UserUttered("greet"),
    ActionExecuted("utter_greet"),
    UserUttered("mood_unhappy"),
    ActionExecuted("utter_cheer_up"),
    ActionExecuted("utter_did_that_help"),
    UserUttered("affirm"),
    ActionExecuted("utter_happy"),
)


def test_listens_are_made_explicit_once() -> None:
    explicit = with_explicit_listens(SAD_PATH)
    assert explicit == [
        LISTEN,  # as Rasa's stories: a listen before the first user turn too
        UserUttered("greet"),
        ActionExecuted("utter_greet"),
        LISTEN,
        UserUttered("mood_unhappy"),
        ActionExecuted("utter_cheer_up"),
        ActionExecuted("utter_did_that_help"),
        LISTEN,
        UserUttered("affirm"),
        ActionExecuted("utter_happy"),
        LISTEN,
    ]
    assert with_explicit_listens(explicit) == explicit


def test_every_action_is_predicted_from_the_history_before_it() -> None:
    points = prediction_points(3, SAD_PATH)
    assert [p.target for p in points] == [
        "utter_greet",
        "action_listen",
        "utter_cheer_up",
        "utter_did_that_help",
        "action_listen",
        "utter_happy",
        "action_listen",
    ]
    assert all(p.story == 3 for p in points)
    assert points[0].history == (LISTEN, UserUttered("greet"))
    assert points[3].history[-1] == ActionExecuted("utter_cheer_up")
    # one listen per user turn, as rasa test core counts them
    assert sum(p.target == "action_listen" for p in points) == 3


def test_the_first_event_is_never_a_prediction_point() -> None:
    """As in rasa test core: the replay starts from the story's first event."""
    story = (LISTEN, UserUttered("greet"), ActionExecuted("utter_greet"))
    assert [p.target for p in prediction_points(0, story)] == ["utter_greet", "action_listen"]
    opening = (ActionExecuted("utter_greet"), UserUttered("greet"), ActionExecuted("utter_greet"))
    points = prediction_points(0, opening)
    assert [p.target for p in points] == ["action_listen", "utter_greet", "action_listen"]
    # a slot set first: the listen after it is predicted, as Rasa does
    slotted = (SlotSet("name", "x"), LISTEN, UserUttered("greet"), ActionExecuted("utter_greet"))
    points = prediction_points(0, slotted)
    assert [p.target for p in points] == ["action_listen", "utter_greet", "action_listen"]
    assert points[1].history == (SlotSet("name", "x"), LISTEN, UserUttered("greet"))


class _Vocab:
    actions = ("action_listen", "utter_greet", "utter_happy")
    intents = ("greet", "affirm")


def test_unknown_actions_and_intents_are_named_with_their_story() -> None:
    stories = [ReplayStory("sad", SAD_PATH, source="tests/stories.yml:12")]
    with pytest.raises(EvaluationError) as info:
        check_known_symbols(stories, _Vocab())
    message = str(info.value)
    assert "tests/stories.yml:12: action 'utter_cheer_up' is not known" in message
    assert "intent 'mood_unhappy' is not known" in message
    assert "utter_greet" not in message


def test_known_symbols_pass() -> None:
    story = ReplayStory("ok", (UserUttered("greet"), ActionExecuted("utter_greet")))
    check_known_symbols([story], _Vocab())


class _VocabWithEntities(_Vocab):
    entity_tags = ("city",)


def test_unknown_entities_in_test_stories_are_left_out_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ted_pipeline.evaluation import load_replay_stories

    path = tmp_path / "test_stories.yml"
    path.write_text(
        "stories:\n- story: s\n  steps:\n  - intent: greet\n    entities:\n"
        "    - city: Berlin\n    - mood: good\n  - action: utter_greet\n",
        encoding="utf-8",
    )
    with caplog.at_level("WARNING"):
        [story] = load_replay_stories(path, _VocabWithEntities())
    greet = next(e for e in story.events if isinstance(e, UserUttered))
    assert [e.entity for e in greet.entities] == ["city"]
    assert any(
        "entity 'mood' is not known to the model; left out" in r.message for r in caplog.records
    )
    assert any(f"{path}:4" in r.message for r in caplog.records)
