"""The whole ``policies:`` list of a config.yml, read as Rasa 3.6 reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ted_data_adapter import DataValidationError
from ted_data_adapter.config import ProjectConfig
from ted_model import ConfigError, TEDConfig
from ted_pipeline import PipelineError, PolicyConfigError, read_config_file, ted_config
from ted_pipeline.policy_config import (
    EnsembleConfig,
    PolicyKind,
    PolicyMember,
    check_config,
    read_ensemble,
)
from ted_pipeline.policy_settings import MemoizationConfig, RulePolicyConfig


def _write(tmp_path: Path, text: str, name: str = "config.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _read(tmp_path: Path, text: str) -> tuple[EnsembleConfig, Path]:
    path = _write(tmp_path, text)
    return read_ensemble(read_config_file(path), log_warnings=False), path


def _warnings(ensemble: EnsembleConfig) -> list[tuple[int, str]]:
    return [(issue.line, issue.message) for issue in ensemble.warnings]


# --- Rasa's defaults ------------------------------------------------------------------


def test_the_typed_defaults_are_rasa_36s() -> None:
    rules = RulePolicyConfig()
    assert (rules.priority, rules.core_fallback_threshold) == (4, 0.3)
    assert rules.core_fallback_action_name == "action_default_fallback"
    assert (rules.enable_fallback_prediction, rules.restrict_rules) == (True, True)
    assert (rules.check_for_contradictions, rules.use_nlu_confidence_as_score) == (True, False)
    assert rules.max_history is None  # Rasa forces it for RulePolicy
    memo = MemoizationConfig()
    assert (memo.max_history, memo.priority, memo.use_nlu_confidence_as_score) == (None, 3, False)
    assert (memo.augmented, memo.policy_name) == (False, "MemoizationPolicy")


@pytest.mark.parametrize("text", ["recipe: default.v1\nlanguage: en\n", "policies:\n"])
def test_no_policies_means_rasas_default_policies(tmp_path: Path, text: str) -> None:
    ensemble, _ = _read(tmp_path, text)
    assert ensemble.defaults_used
    assert [(m.policy_name, m.priority) for m in ensemble.members] == [
        ("MemoizationPolicy", 3),
        ("RulePolicy", 4),
        ("TEDPolicy", 1),
    ]
    ted = ensemble.ted
    assert ted is not None
    assert (ted.max_history, ted.epochs, ted.constrain_similarities) == (5, 100, True)
    assert ensemble.rules == RulePolicyConfig() and ensemble.memoization == MemoizationConfig()
    assert ensemble.warnings == []  # Rasa only says so as information


def test_an_empty_list_uses_the_defaults_with_a_warning(tmp_path: Path) -> None:
    ensemble, path = _read(tmp_path, "recipe: default.v1\n\npolicies: []\n")
    assert ensemble.defaults_used and ensemble.ted is not None and ensemble.ted.epochs == 100
    [(line, message)] = _warnings(ensemble)
    assert line == 3 and "'policies' is empty: using Rasa's default policies" in message
    assert "UnexpecTEDIntentPolicy is not available here" in message
    assert ensemble.warnings[0].file == str(path)


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "kind"),
    [
        ("EmbeddingPolicy", PolicyKind.TED),
        ("KerasPolicy", PolicyKind.TED),
        ("SklearnPolicy", PolicyKind.TED),
        ("FormPolicy", PolicyKind.RULE),
        ("MappingPolicy", PolicyKind.RULE),
        ("FallbackPolicy", PolicyKind.RULE),
        ("TwoStageFallbackPolicy", PolicyKind.RULE),
    ],
)
def test_a_rasa_1_or_2_name_is_read_as_its_successor(
    tmp_path: Path, old: str, kind: PolicyKind
) -> None:
    ensemble, path = _read(tmp_path, f"policies:\n  - name: MemoizationPolicy\n  - name: {old}\n")
    assert [m.kind for m in ensemble.members] == [PolicyKind.MEMOIZATION, kind]
    member = ensemble.member(kind)
    assert member is not None and (member.source_name, member.file, member.line) == (
        old,
        str(path),
        3,
    )
    [(line, message)] = _warnings(ensemble)
    assert line == 3 and message.startswith(f"'{old}' is read as {kind.value}: ")


def test_fallback_keys_become_rule_policy_keys(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n"
        "  - name: FallbackPolicy\n"
        "    nlu_threshold: 0.4\n"
        "    ambiguity_threshold: 0.1\n"
        "    core_threshold: 0.25\n"
        "    fallback_action_name: action_my_fallback\n"
        "    priority: 4\n",
    )
    rules = ensemble.rules
    assert rules is not None
    assert (rules.core_fallback_threshold, rules.core_fallback_action_name) == (
        0.25,
        "action_my_fallback",
    )
    assert rules.priority == 4  # RulePolicy's own, not FallbackPolicy's Rasa 2 priority
    messages = [message for _, message in _warnings(ensemble)]
    for key in ("nlu_threshold", "ambiguity_threshold"):
        assert f"FallbackPolicy: key '{key}' is an NLU fallback setting" in " | ".join(messages)
    assert any("key 'priority' is not carried over" in m for m in messages)
    assert not any("unknown key" in m for m in messages)


def test_two_stage_fallback_keys(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n"
        "  - name: TwoStageFallbackPolicy\n"
        "    core_threshold: 0.35\n"
        "    fallback_core_action_name: action_core_fallback\n"
        "    fallback_nlu_action_name: action_nlu_fallback\n"
        "    deny_suggestion_intent_name: out_of_scope\n",
    )
    assert ensemble.rules is not None
    assert ensemble.rules.core_fallback_threshold == 0.35
    assert ensemble.rules.core_fallback_action_name == "action_core_fallback"
    ignored = [m for _, m in _warnings(ensemble) if "NLU fallback setting" in m]
    assert len(ignored) == 2


def test_fallback_policy_is_merged_into_the_listed_rule_policy(tmp_path: Path) -> None:
    ensemble, path = _read(
        tmp_path,
        "policies:\n"
        "  - name: TEDPolicy\n"
        "  - name: FallbackPolicy\n"
        "    core_threshold: 0.5\n"
        "    fallback_action_name: action_ask_again\n"
        "  - name: MappingPolicy\n"
        "  - name: RulePolicy\n"
        "    enable_fallback_prediction: false\n"
        "    core_fallback_action_name: action_sorry\n",
    )
    assert [m.kind for m in ensemble.members] == [PolicyKind.TED, PolicyKind.RULE]
    rule = ensemble.member(PolicyKind.RULE)
    assert rule is not None and (rule.source_name, rule.line) == ("RulePolicy", 7)
    assert ensemble.rules == RulePolicyConfig(
        core_fallback_threshold=0.5,
        core_fallback_action_name="action_sorry",  # RulePolicy's own key wins
        enable_fallback_prediction=False,
    )
    warnings = _warnings(ensemble)
    assert (3, f"FallbackPolicy is merged into the RulePolicy of {path}:7") in warnings
    assert (6, f"MappingPolicy is merged into the RulePolicy of {path}:7") in warnings
    assert (
        3,
        "FallbackPolicy: core_fallback_action_name 'action_ask_again' differs from "
        f"RulePolicy's 'action_sorry' ({path}:7), which is used",
    ) in warnings


def test_without_rule_policy_the_old_policies_become_one(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n  - name: FormPolicy\n  - name: FallbackPolicy\n    core_threshold: 0.2\n",
    )
    [member] = ensemble.members
    assert (member.kind, member.source_name, member.line) == (PolicyKind.RULE, "FormPolicy", 2)
    assert ensemble.rules == RulePolicyConfig(core_fallback_threshold=0.2)


def test_dotted_class_paths_match_their_last_part(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n"
        "  - name: rasa.core.policies.memoization.AugmentedMemoizationPolicy\n"
        "    max_history: 2\n"
        "  - name: rasa.core.policies.rule_policy.RulePolicy\n"
        "  - name: rasa.core.policies.ted_policy.TEDPolicy\n"
        "    epochs: 7\n",
    )
    assert [m.policy_name for m in ensemble.members] == [
        "AugmentedMemoizationPolicy",
        "RulePolicy",
        "TEDPolicy",
    ]
    assert ensemble.memoization == MemoizationConfig(max_history=2, augmented=True)
    assert ensemble.ted is not None and ensemble.ted.epochs == 7
    assert ensemble.members[0].source_name.startswith("rasa.core.policies.memoization.")
    assert ensemble.warnings == []


def test_a_policy_not_here_is_left_out_and_the_rest_trains(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n"
        "  - name: UnexpecTEDIntentPolicy\n"
        "    max_history: 5\n"
        "  - name: my_bot.policies.HandoffPolicy\n"
        "  - name: TEDPolicy\n"
        "    epochs: 3\n",
    )
    assert [m.kind for m in ensemble.members] == [PolicyKind.TED]
    [(line1, first), (line2, second)] = _warnings(ensemble)
    assert line1 == 2 and first.startswith("policy 'UnexpecTEDIntentPolicy' (it predicts")
    assert line2 == 4 and first.endswith(
        "is not available here and is left out; the other policies train (available: "
        "TEDPolicy, RulePolicy, MemoizationPolicy, AugmentedMemoizationPolicy)"
    )
    assert second.startswith("policy 'my_bot.policies.HandoffPolicy' is not available here")


def test_a_second_entry_of_a_policy_warns_and_the_first_wins(tmp_path: Path) -> None:
    ensemble, path = _read(
        tmp_path,
        "policies:\n"
        "  - name: TEDPolicy\n"
        "    epochs: 3\n"
        "  - name: MemoizationPolicy\n"
        "  - name: TEDPolicy\n"
        "    epochs: 9\n"
        "  - name: AugmentedMemoizationPolicy\n"
        "  - name: RulePolicy\n"
        "  - name: RulePolicy\n"
        "    restrict_rules: false\n",
    )
    assert ensemble.ted is not None and ensemble.ted.epochs == 3
    assert ensemble.memoization == MemoizationConfig()
    assert ensemble.rules == RulePolicyConfig()
    assert [line for line, _ in _warnings(ensemble)] == [5, 7, 9]
    assert _warnings(ensemble)[0][1] == (
        f"TEDPolicy: a second TEDPolicy entry (the first is TEDPolicy at {path}:2); only the "
        "first is used here, where Rasa would train both"
    )


# --- keys -------------------------------------------------------------------------------

TYPOS = """\
policies:
  - name: MemoizationPolicy
    max_histroy: 3
  - name: TEDPolicy
    epochs: 4
    evaluate_on_num_examples: 3
    colour: blue
    core_fallback_threshold: 0.2
  - name: RulePolicy
    restrict_rule: false
    core_fallback_treshold: 0.4
"""


def test_every_unknown_key_is_a_warning_with_line_and_did_you_mean(tmp_path: Path) -> None:
    ensemble, path = _read(tmp_path, TYPOS)
    assert _warnings(ensemble) == [
        (2, "MemoizationPolicy: unknown key 'max_histroy' ignored (did you mean 'max_history'?)"),
        (
            4,
            "TEDPolicy: unknown key 'evaluate_on_num_examples' ignored "
            "(did you mean 'evaluate_on_number_of_examples'?)",
        ),
        (4, "TEDPolicy: unknown key 'colour' ignored"),
        (4, "TEDPolicy: unknown key 'core_fallback_threshold' ignored (it is a RulePolicy key)"),
        (9, "RulePolicy: unknown key 'restrict_rule' ignored (did you mean 'restrict_rules'?)"),
        (
            9,
            "RulePolicy: unknown key 'core_fallback_treshold' ignored "
            "(did you mean 'core_fallback_threshold'?)",
        ),
    ]
    assert {issue.file for issue in ensemble.warnings} == {str(path)}
    # the keys that are right still apply
    assert ensemble.ted is not None and ensemble.ted.epochs == 4
    assert ensemble.rules == RulePolicyConfig() and ensemble.memoization == MemoizationConfig()


def test_keys_without_effect_here_warn(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n"
        "  - name: TEDPolicy\n"
        "    use_gpu: false\n"
        "    dense_dimension: {text: 128, intent: 30}\n"
        "  - name: RulePolicy\n"
        "    max_history: 8\n"
        "  - name: MemoizationPolicy\n"
        "    enable_feature_string_compression: false\n",
    )
    assert _warnings(ensemble) == [
        (2, "TEDPolicy: key 'use_gpu' has no effect here; ignored"),
        (2, "TEDPolicy: key 'dense_dimension.text' has no effect here; ignored"),
        (
            5,
            "RulePolicy: key 'max_history' has no effect here; ignored (Rasa sets RulePolicy's "
            "max_history to None so rules of any length match)",
        ),
        (
            7,
            "MemoizationPolicy: key 'enable_feature_string_compression' has no effect here; "
            "ignored (it only changes how Rasa stores its lookup keys)",
        ),
    ]
    assert ensemble.ted is not None and ensemble.ted.dense_dimension["intent"] == 30
    assert ensemble.rules is not None and ensemble.rules.max_history is None


def test_a_featurizer_gives_only_its_max_history(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n"
        "  - name: TEDPolicy\n"
        "    max_history: 3\n"
        "    featurizer:\n"
        "      - name: MaxHistoryTrackerFeaturizer\n"
        "        max_history: 8\n"
        "        state_featurizer:\n"
        "          - name: SingleStateFeaturizer\n",
    )
    assert ensemble.ted is not None and ensemble.ted.max_history == 8  # as Rasa's featurizer
    [(line, message)] = _warnings(ensemble)
    assert line == 2 and "of key 'featurizer' only its max_history (8) is used" in message


def test_two_policies_with_one_priority_warn(tmp_path: Path) -> None:
    ensemble, path = _read(
        tmp_path,
        "policies:\n  - name: MemoizationPolicy\n  - name: TEDPolicy\n    priority: 3\n",
    )
    member = ensemble.member(PolicyKind.TED)
    assert member is not None and member.priority == 3
    assert _warnings(ensemble) == [
        (
            3,
            f"TEDPolicy has the same priority 3 as MemoizationPolicy ({path}:2); give every "
            "policy its own priority, as Rasa asks",
        )
    ]


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ("TEDPolicy\n    epochs: ten", "epochs"),
        ("TEDPolicy\n    priority: high", "priority"),
        ("TEDPolicy\n    maximum_positive_similarity: 2.0", "max_pos_sim"),
        ("RulePolicy\n    core_fallback_threshold: 1.5", "core_fallback_threshold"),
        ("RulePolicy\n    enable_fallback_prediction: 'yes'", "enable_fallback_prediction"),
        ("RulePolicy\n    core_fallback_action_name: ''", "core_fallback_action_name"),
        ("FallbackPolicy\n    core_threshold: low", "core_fallback_threshold"),
        ("MemoizationPolicy\n    max_history: 0", "max_history"),
        (
            "AugmentedMemoizationPolicy\n    use_nlu_confidence_as_score: 1",
            "use_nlu_confidence_as_score",
        ),
    ],
)
def test_a_wrong_value_is_a_config_error_naming_key_and_entry(
    tmp_path: Path, entry: str, key: str
) -> None:
    path = _write(tmp_path, f"policies:\n  - name: UnexpecTEDIntentPolicy\n  - name: {entry}\n")
    with pytest.raises(ConfigError) as caught:
        read_ensemble(read_config_file(path))
    name = entry.split("\n")[0]
    assert caught.value.key == key
    assert caught.value.where == f"{path}:3: {name}"
    assert str(caught.value).startswith(f"{path}:3: {name}: config key '{key}': ")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("policies:\n  - name: TEDPolicy\n  - name: 7\n", 3, "'name' must be a class name, got 7"),
        ("policies:\n  - name: ''\n", 2, "'name' must be a class name, got ''"),
    ],
)
def test_a_malformed_entry_is_a_policy_config_error_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyConfigError) as caught:
        read_ensemble(read_config_file(path))
    assert isinstance(caught.value, PipelineError)
    assert (caught.value.file, caught.value.line) == (str(path), line)
    assert str(caught.value) == f"{path}:{line}: a policy {message}"


def test_check_config_returns_warnings_and_raises_every_error(tmp_path: Path) -> None:
    config = read_config_file(_write(tmp_path, TYPOS))
    assert check_config(config) == read_ensemble(config, log_warnings=False).warnings
    bad = _write(
        tmp_path,
        "policies:\n"
        "  - name: TEDPolicy\n"
        "    epochs: 0\n"
        "  - name: RulePolicy\n"
        "    core_fallback_threshold: -1\n"
        "  - name: 3\n",
        "bad.yml",
    )
    with pytest.raises(DataValidationError) as caught:
        check_config(read_config_file(bad))
    assert [(i.line, i.message) for i in caught.value.issues] == [
        (2, "TEDPolicy: config key 'epochs': must be at least 1, got 0"),
        (4, "RulePolicy: config key 'core_fallback_threshold': must be between 0 and 1, got -1"),
        (6, "a policy 'name' must be a class name, got 3"),
    ]


# --- overrides and the TED member --------------------------------------------------------


def test_overrides_go_on_the_ted_member(tmp_path: Path) -> None:
    config = read_config_file(
        _write(tmp_path, "policies:\n  - name: TEDPolicy\n    epochs: 30\n    max_history: 4\n")
    )
    ensemble = read_ensemble(config, {"epochs": 2, "priority": 5})
    assert ensemble.ted is not None and (ensemble.ted.epochs, ensemble.ted.max_history) == (2, 4)
    assert ensemble.members[0].priority == 5
    with pytest.raises(ConfigError) as caught:  # an override is not a file: strict
        read_ensemble(config, {"epochz": 2})
    assert caught.value.key == "epochz"
    rules_only = read_config_file(_write(tmp_path, "policies:\n  - name: RulePolicy\n", "r.yml"))
    assert read_ensemble(rules_only).ted is None
    assert ted_config(rules_only, {"epochs": 6}) == TEDConfig(epochs=6)
    with pytest.raises(ConfigError):
        ted_config(rules_only, {"epochs": "six"})


@pytest.mark.parametrize("project", ["moodbot", "formbot", "multiwoz"])
def test_ted_config_is_unchanged_for_the_shared_projects(data_dir: Path, project: str) -> None:
    config = read_config_file(data_dir / project / "config.yml")
    entry = {k: v for k, v in config.policy_config("TEDPolicy").items() if k != "name"}
    assert ted_config(config) == TEDConfig.from_rasa(entry)  # how it was read before
    assert ted_config(config, {"epochs": 3}) == TEDConfig.from_rasa({**entry, "epochs": 3})
    expected = {"moodbot": (5, 100, 1), "formbot": (5, 100, 2019), "multiwoz": (10, 100, 2019)}
    ted = ted_config(config)
    assert (ted.max_history, ted.epochs, ted.random_seed) == expected[project]
    assert read_ensemble(config).warnings == []


# --- the record in the archive -----------------------------------------------------------


def test_the_ensemble_record_round_trips_through_json(tmp_path: Path) -> None:
    ensemble, _ = _read(
        tmp_path,
        "policies:\n"
        "  - name: AugmentedMemoizationPolicy\n"
        "    max_history: 4\n"
        "  - name: FallbackPolicy\n"
        "    core_threshold: 0.45\n"
        "  - name: TEDPolicy\n"
        "    epochs: 12\n"
        "    batch_size: [16, 32]\n"
        "    priority: 2\n",
    )
    record = json.loads(json.dumps(ensemble.to_dict()))
    assert [p["policy"] for p in record["policies"]] == [
        "AugmentedMemoizationPolicy",
        "RulePolicy",
        "TEDPolicy",
    ]
    again = EnsembleConfig.from_dict(record)
    assert again == ensemble
    assert again.ted is not None and again.ted.batch_size == (16, 32)
    assert [m.priority for m in again.members] == [3, 4, 2]
    assert again.rules is not None and again.rules.core_fallback_threshold == 0.45


def test_reading_a_record_back_is_strict(tmp_path: Path) -> None:
    ensemble, _ = _read(tmp_path, "policies:\n  - name: RulePolicy\n  - name: TEDPolicy\n")
    good = ensemble.to_dict()

    def changed(index: int, **changes: object) -> dict[str, object]:
        record = json.loads(json.dumps(good))
        record["policies"][index].update(changes)
        return record

    rule_config = good["policies"][0]["config"]
    bad_records = [
        {**good, "extra": 1},
        {"policies": {}},
        changed(0, policy="FallbackPolicy"),
        changed(0, weight=1),
        changed(0, priority=9),  # differs from the RulePolicy settings' priority
        changed(0, config={**rule_config, "colour": 1}),
        changed(1, config={"epochs": 0}),
        changed(1, priority="high"),
        {"policies": [good["policies"][0], good["policies"][0]]},
    ]
    for record in bad_records:
        with pytest.raises(PolicyConfigError):
            EnsembleConfig.from_dict(record)
    assert EnsembleConfig.from_dict(good) == ensemble


def test_a_member_holds_settings_of_its_kind() -> None:
    with pytest.raises(PolicyConfigError):
        PolicyMember(PolicyKind.RULE, MemoizationConfig(), 3)
    member = PolicyMember(PolicyKind.MEMOIZATION, MemoizationConfig(augmented=True), 3)
    assert member.policy_name == "AugmentedMemoizationPolicy"


def test_a_config_without_a_file_names_config_yml() -> None:
    config = ProjectConfig(raw={"policies": [{"name": "TEDPolicy", "epoch": 3}]}, policy_lines=(2,))
    [issue] = read_ensemble(config, log_warnings=False).warnings
    assert (issue.file, issue.line) == ("config.yml", 2)
    assert "did you mean 'epochs'?" in issue.message
