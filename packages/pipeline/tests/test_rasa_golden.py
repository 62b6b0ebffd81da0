"""The ensemble decides as Rasa 3.6 does, on hand-checked projects (fixtures/rasa_rules).

Each fixture's ``golden.json`` holds what Rasa's whole policy configuration predicted at
every point of the project's test stories (``rasa test core``'s replay), with the history
Rasa saw, the events its tracker applied, and every policy's own prediction. Here the same
project is trained with ted and every point is compared: the applied events, each rule and
memoization prediction, and the ensemble's choice. Points TED decided (``ted_decided``) are
compared only for the policy that won, since two TED implementations need not agree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ted_data_adapter.applied import applied_positions, tracker_view
from ted_data_adapter.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Entity,
    Event,
    SlotSet,
    UserUttered,
)
from ted_pipeline import train_project
from ted_pipeline.evaluation import evaluate_policy, load_replay_stories
from ted_pipeline.policies.rule_training import InvalidRuleError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rasa_rules"
GOLDEN = {path.parent.name: path for path in sorted(FIXTURES.glob("*/golden.json"))}
REPLAYED = [name for name, path in GOLDEN.items() if "points" in json.loads(path.read_text())]
FAILING = [name for name in GOLDEN if name not in REPLAYED]


def event_of(item: dict[str, Any]) -> Event:
    """An event of golden.json's policy-neutral history."""
    if "user" in item:
        entities = tuple(
            Entity(e["entity"], e.get("value"), e.get("role"), e.get("group"))
            for e in item.get("entities", [])
        )
        return UserUttered(item["user"], entities)
    if "action" in item:
        return ActionExecuted(item["action"])
    if "slot" in item:
        return SlotSet(item["slot"], item.get("value"))
    if "active_loop" in item:
        return ActiveLoop(item["active_loop"])
    if "rejected" in item:
        return ActionExecutionRejected(item["rejected"])
    raise ValueError(f"unknown golden event {item!r}")


def _golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN[name].read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every replayable fixture trained once (copied, so nothing is written beside it)."""
    out: dict[str, Any] = {}
    for name in REPLAYED:
        work = tmp_path_factory.mktemp(name)
        project = work / name
        shutil.copytree(FIXTURES / name, project, ignore=shutil.ignore_patterns("golden.json"))
        out[name] = train_project(project, store=work / "store", name=name)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", REPLAYED)
def test_applied_events_are_rasas(name: str) -> None:
    for point in _golden(name)["points"]:
        history = [event_of(item) for item in point["history"]]
        assert applied_positions(history) == point["applied"], (point["story"], point["gold"])


@pytest.mark.slow
@pytest.mark.parametrize("name", REPLAYED)
def test_every_rule_and_memoization_prediction_is_rasas(name: str, trained: dict[str, Any]) -> None:
    ensemble = trained[name].policy
    members = {member.name: member for member in ensemble.members}
    mismatches = []
    for point in _golden(name)["points"]:
        history = [event_of(item) for item in point["history"]]
        for expected in point["members"]:
            if expected["policy"] not in members or expected["policy"] == "TEDPolicy":
                continue
            got = members[expected["policy"]].predict(history)
            found = (
                got.best_action(ensemble.action_names),
                round(got.confidence, 6),
                got.no_user,
            )
            wanted = (
                expected["action"],
                round(expected["confidence"], 6),
                expected["is_no_user_prediction"],
            )
            if found != wanted:
                mismatches.append(f"{point['story']} @{point['event_index']}: {found} != {wanted}")
    assert mismatches == []


@pytest.mark.slow
@pytest.mark.parametrize("name", REPLAYED)
def test_the_ensemble_chooses_as_rasa(name: str, trained: dict[str, Any]) -> None:
    ensemble = trained[name].policy
    mismatches = []
    for point in _golden(name)["points"]:
        if point["ted_decided"]:
            continue  # two TEDs need not agree where the decision hinges on TED
        history = [event_of(item) for item in point["history"]]
        if point["loop_rejection_emulated"]:  # rasa test's second try, after the rejection
            history.append(ActionExecutionRejected(tracker_view(history).active_loop or ""))
        got = ensemble.predict(history)
        if got.policy_name != point["policy"]:
            mismatches.append(f"{point['story']} @{point['event_index']}: {got.policy_name}")
        elif got.action != point["predicted"]:
            mismatches.append(f"{point['story']} @{point['event_index']}: {got.action}")
    assert mismatches == []


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in REPLAYED if n != "ted_ensemble"])
def test_ted_test_scores_the_test_stories_as_rasa_test(name: str, trained: dict[str, Any]) -> None:
    ensemble = trained[name].policy
    stories = load_replay_stories(FIXTURES / name / "tests", ensemble.vocabulary)
    report = evaluate_policy(ensemble, stories)
    rasa = _golden(name)["rasa_test"]
    assert (report.correct_with_listen, report.total_with_listen) == (
        rasa["correct"],
        rasa["points"],
    )
    assert (report.correct, report.total) == (
        rasa["correct_excluding_action_listen"],
        rasa["points_excluding_action_listen"],
    )


@pytest.mark.parametrize("name", FAILING)
def test_contradictions_are_refused_naming_both_places(name: str, tmp_path: Path) -> None:
    expected = _golden(name)["train_error"]
    project = tmp_path / name
    shutil.copytree(FIXTURES / name, project, ignore=shutil.ignore_patterns("golden.json"))
    with pytest.raises(InvalidRuleError) as caught:
        train_project(project, store=tmp_path / "store")
    message = str(caught.value)
    for located in expected["located"]:
        assert f"{located['file']}:{located['action_line']}: the action" in message
        assert f"({project}/{located['file']}:{located['line']})" in message
        assert f"'{located['action']}' in {located['kind']} '{located['name']}'" in message
        for other in located["contradicts"]:
            assert f"'{other['name']}' ({project}/{other['file']}:{other['line']})" in message
            assert f"predicts '{other['predicted_action']}'" in message
