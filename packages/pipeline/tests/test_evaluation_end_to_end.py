"""Replay with a real model trained on moodbot: counts, consistency, batching = one by one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ted_data_adapter.events import ActionExecuted, UserUttered
from ted_model import TEDPolicy
from ted_pipeline import train_project
from ted_pipeline.evaluation import (
    EvaluationError,
    ReplayStory,
    evaluate_policy,
    load_replay_stories,
    prediction_points,
    replay_stories,
)

pytestmark = pytest.mark.slow


def _shared_data() -> Path:
    env = os.environ.get("TED_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


MOODBOT = _shared_data() / "moodbot"


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> TEDPolicy:
    store = tmp_path_factory.mktemp("store")
    result = train_project(
        MOODBOT, store=store, name="mood", config_overrides={"epochs": 40}, augmentation=0
    )
    assert result.policy is not None
    return result.policy


def test_moodbot_test_stories_counts(policy: TEDPolicy) -> None:
    stories = load_replay_stories(MOODBOT / "tests", policy.vocabulary)
    report = evaluate_policy(policy, stories)
    # 7 test stories with 19 bot actions and 16 user turns (one listen predicted per turn)
    assert report.conversations == 7
    assert report.total == 19
    assert report.total_with_listen == 35
    assert report.correct / report.total == pytest.approx(report.action_accuracy)
    assert report.correct_with_listen >= report.correct
    assert sum(s.support for s in report.per_action.values()) == 35
    assert report.per_action["action_listen"].support == 16
    assert report.per_action["utter_greet"].support == 5


def test_batched_replay_equals_one_prediction_at_a_time(policy: TEDPolicy) -> None:
    stories = load_replay_stories(MOODBOT / "tests", policy.vocabulary)
    batched = replay_stories(policy, stories, batch_size=4)
    for story, result in zip(stories, batched, strict=True):
        points = prediction_points(0, story.events)
        assert result.actual == tuple(p.target for p in points)
        assert result.predicted == tuple(policy.predict(p.history).action for p in points)


def test_test_stories_with_user_text_give_the_same_events_as_intents_alone(
    policy: TEDPolicy, tmp_path: Path
) -> None:
    text = (
        "stories:\n- story: t\n  steps:\n  - user: |\n      hi there\n    intent: greet\n"
        "  - action: utter_greet\n"
    )
    (tmp_path / "t.yml").write_text(text, encoding="utf-8")
    [story] = load_replay_stories(tmp_path / "t.yml", policy.vocabulary)
    assert [
        e for e in story.events if not isinstance(e, ActionExecuted) or e.name != "action_listen"
    ] == [
        UserUttered("greet"),
        ActionExecuted("utter_greet"),
    ]


def test_unknown_action_is_reported_with_file_and_line(policy: TEDPolicy, tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "stories:\n- story: bad\n  steps:\n  - intent: greet\n  - action: utter_teleport\n",
        encoding="utf-8",
    )
    with pytest.raises(EvaluationError, match=r"bad\.yml:5: action 'utter_teleport' is not known"):
        load_replay_stories(path, policy.vocabulary)


def test_replaying_unknown_symbols_built_in_code_is_refused(policy: TEDPolicy) -> None:
    story = ReplayStory("x", (UserUttered("sing"), ActionExecuted("utter_greet")))
    with pytest.raises(EvaluationError, match="intent 'sing' is not known"):
        evaluate_policy(policy, [story])


def test_training_stories_replay_to_the_states_the_model_learned(policy: TEDPolicy) -> None:
    # Training reaches 100% on moodbot's stories; the replay must rebuild exactly the states
    # (implicit listens, final listen) training used, so it scores every point right.
    stories = load_replay_stories(MOODBOT / "data" / "stories.yml", policy.vocabulary)
    report = evaluate_policy(policy, stories)
    assert (report.correct, report.total) == (10, 10)
    assert report.correct_with_listen == report.total_with_listen == 18
    assert report.conversation_accuracy == 1.0
