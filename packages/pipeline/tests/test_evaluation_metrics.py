"""The replay metrics on a tiny example checked by hand, plus a few invariants."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ted_pipeline.evaluation.metrics import (
    ConversationPredictions,
    class_scores,
    compute_report,
    weighted_f1,
)

LISTEN = "action_listen"

# Three conversations. Bot points (true action not a listen):
#   a: greet ok, happy -> cheer_up wrong; b: greet ok; c: cheer_up ok, happy ok  => 4 of 5
# Listen points: a: 2 ok; b: listen -> happy wrong; c: 1 ok                        => 3 of 4
# Only c is entirely right.
EXAMPLE = [
    ConversationPredictions(
        "a",
        ("utter_greet", LISTEN, "utter_happy", LISTEN),
        ("utter_greet", LISTEN, "utter_cheer_up", LISTEN),
    ),
    ConversationPredictions("b", ("utter_greet", LISTEN), ("utter_greet", "utter_happy")),
    ConversationPredictions(
        "c",
        ("utter_cheer_up", "utter_happy", LISTEN),
        ("utter_cheer_up", "utter_happy", LISTEN),
    ),
]


def test_counts_and_accuracies_match_hand_computation() -> None:
    report = compute_report(EXAMPLE)
    assert (report.correct, report.total) == (4, 5)
    assert report.action_accuracy == pytest.approx(0.8)
    assert (report.correct_with_listen, report.total_with_listen) == (7, 9)
    assert report.action_accuracy_with_listen == pytest.approx(7 / 9)
    assert (report.conversations_correct, report.conversations) == (1, 3)
    assert report.conversation_accuracy == pytest.approx(1 / 3)


def test_weighted_f1_excludes_listen_points() -> None:
    # Over the bot points: greet F1 1 (support 2), happy P 1 R 1/2 -> F1 2/3 (support 2),
    # cheer_up P 1/2 R 1 -> F1 2/3 (support 1): (2 + 4/3 + 2/3) / 5 = 0.8.
    assert compute_report(EXAMPLE).f1_weighted == pytest.approx(0.8)


def test_per_action_scores_over_all_points() -> None:
    per_action = compute_report(EXAMPLE).per_action
    assert set(per_action) == {"utter_greet", "utter_happy", "utter_cheer_up", LISTEN}
    greet = per_action["utter_greet"]
    assert (greet.precision, greet.recall, greet.f1, greet.support) == (1.0, 1.0, 1.0, 2)
    happy = per_action["utter_happy"]  # predicted in b (wrongly) and c (rightly)
    assert (happy.precision, happy.recall, happy.support, happy.predicted) == (0.5, 0.5, 2, 2)
    cheer = per_action["utter_cheer_up"]
    assert (cheer.precision, cheer.recall) == (0.5, 1.0)
    assert cheer.f1 == pytest.approx(2 / 3)
    listen = per_action[LISTEN]
    assert (listen.precision, listen.recall, listen.support) == (1.0, 0.75, 4)
    assert listen.f1 == pytest.approx(6 / 7)


def test_report_dict_is_json_with_the_contract_keys() -> None:
    data = json.loads(json.dumps(compute_report(EXAMPLE).to_dict()))
    for key in (
        "action_accuracy",
        "action_accuracy_with_listen",
        "f1_weighted",
        "conversation_accuracy",
        "correct",
        "total",
    ):
        assert key in data
    assert data["correct"] / data["total"] == pytest.approx(data["action_accuracy"])
    assert data["per_action"]["utter_happy"]["support"] == 2


def test_never_predicted_class_has_zero_precision_not_nan() -> None:
    scores = class_scores(np.array([0, 1, 1]), np.array([1, 1, 1]), 3)
    assert scores.precision.tolist() == [0.0, pytest.approx(2 / 3), 0.0]
    assert scores.recall.tolist() == [0.0, 1.0, 0.0]
    assert scores.support.tolist() == [1, 2, 0]
    assert not np.isnan(scores.f1).any()


def test_empty_replay_gives_zeros() -> None:
    report = compute_report([])
    assert (report.total, report.total_with_listen, report.conversations) == (0, 0, 0)
    assert report.action_accuracy == 0.0
    assert report.f1_weighted == 0.0


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="conversation 'x'"):
        ConversationPredictions("x", ("a", "b"), ("a",))


names = st.sampled_from(["a", "b", "c", LISTEN])


@given(st.lists(st.lists(st.tuples(names, names), min_size=1, max_size=6), max_size=6))
def test_invariants_on_random_predictions(raw: list[list[tuple[str, str]]]) -> None:
    conversations = [
        ConversationPredictions(str(i), tuple(t for t, _ in c), tuple(p for _, p in c))
        for i, c in enumerate(raw)
    ]
    report = compute_report(conversations)
    pairs = [pair for c in raw for pair in c]
    bot = [(t, p) for t, p in pairs if t != LISTEN]
    assert report.total == len(bot)
    assert report.correct == sum(t == p for t, p in bot)
    assert report.correct_with_listen == sum(t == p for t, p in pairs)
    assert 0.0 <= report.f1_weighted <= 1.0
    if report.total and report.correct == report.total:
        assert report.f1_weighted == pytest.approx(1.0)
    assert sum(s.support for s in report.per_action.values()) == len(pairs)
    assert sum(s.predicted for s in report.per_action.values()) == len(pairs)


def test_weighted_f1_equals_accuracy_for_a_single_class() -> None:
    assert weighted_f1(np.array([0, 0]), np.array([0, 0]), 1) == 1.0
