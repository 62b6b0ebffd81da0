"""The bundled bots with their whole policy configuration, scored as ``rasa test core`` does.

formbot (../shared/data/formbot) keeps its logic in rules and a form; Rasa 3.6 scored 0.933
on its test stories with TED + RulePolicy (TED alone 0.20). moodbot as ``rasa init`` writes
it lists no policies, so Rasa's defaults apply: memoization, rules and TED.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ted_pipeline import train_project
from ted_pipeline.evaluation import evaluate_policy, load_replay_stories

pytestmark = pytest.mark.slow

RASA_FORMBOT = 0.933
# moodbot's config.yml as `rasa init` writes it: no policies, so Rasa's defaults train.
RASA_INIT_CONFIG = "recipe: default.v1\nlanguage: en\npipeline: []\npolicies:\n"


def test_formbot_reaches_rasas_accuracy_with_its_rules(tmp_path: Path, data_dir: Path) -> None:
    result = train_project(data_dir / "formbot", store=tmp_path / "store")
    model = result.policy
    assert model is not None and model.policy_names == ["TEDPolicy", "RulePolicy"]
    stories = load_replay_stories(data_dir / "formbot" / "test", model.vocabulary)
    ensemble = evaluate_policy(model, stories)
    assert ensemble.action_accuracy >= RASA_FORMBOT, ensemble.to_dict()
    ted_alone = evaluate_policy(model.only("TEDPolicy"), stories)
    assert ted_alone.action_accuracy < 0.5  # the rules carry this bot, as in Rasa
    assert result.metrics["rules"] >= 5


def test_moodbot_with_rasas_default_policies_is_right_everywhere(
    tmp_path: Path, data_dir: Path
) -> None:
    project = tmp_path / "moodbot"
    shutil.copytree(data_dir / "moodbot", project)
    (project / "config.yml").write_text(RASA_INIT_CONFIG, encoding="utf-8")
    result = train_project(project, store=tmp_path / "store", name="moodbot")
    model = result.policy
    assert model is not None
    assert model.policy_names == ["MemoizationPolicy", "RulePolicy", "TEDPolicy"]
    report = evaluate_policy(model, load_replay_stories(project / "tests", model.vocabulary))
    assert (report.correct, report.total) == (report.total, 19)
    assert report.action_accuracy_with_listen == 1.0
    assert result.metrics["training_stories_action_accuracy"] == 1.0
