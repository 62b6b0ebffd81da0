"""``ted data validate``: every problem printed as file:line: message, non-zero exit."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

pytest.importorskip("ted_data_adapter")

from ted_cli.commands import data


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ted")
    data.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def shared_data() -> Path:
    override = os.environ.get("TED_SHARED_DATA")
    return (
        Path(override)
        if override
        else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    )


def test_valid_project(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["data", "validate", str(shared_data() / "moodbot")]) == 0
    out = capsys.readouterr().out
    assert "OK - 3 stories" in out and "2 rules" in out


def test_every_problem_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "domain.yml").write_text(
        'version: "3.1"\nintents:\n  - greet\nresponses:\n  utter_hi:\n    - text: hi\n'
    )
    (tmp_path / "data" / "stories.yml").write_text(
        "stories:\n- story: s\n  steps:\n  - intent: hello\n  - action: utter_hi\n"
        "  - action: utter_bye\n"
    )
    (tmp_path / "data" / "rules.yml").write_text("rules:\n- rule: r\n  steps: [\n")
    assert run(["data", "validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    stories = tmp_path / "data" / "stories.yml"
    # an intent the domain lacks is a warning in Rasa: printed as one, its story left out
    assert (
        f"{stories}:4: warning: unknown intent 'hello' (not in the domain); the story is left "
        "out of training"
    ) in err
    assert f"{stories}:6: unknown action 'utter_bye' (not in the domain)" in err
    assert any(
        line.startswith(f"{tmp_path / 'data' / 'rules.yml'}:4: malformed YAML") for line in err
    )
    assert (
        f"{tmp_path / 'data'}:0: no story is left to train (1 left out, see the warnings)"
    ) in err
    assert err[-1] == f"3 problem(s) and 1 warning(s) found in {tmp_path}"


def test_conflicts_are_reported_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "domain.yml").write_text(
        'version: "3.1"\nintents:\n  - greet\nresponses:\n  utter_hi:\n    - text: hi\n'
        "  utter_ho:\n    - text: ho\n"
    )
    (tmp_path / "data" / "stories.yml").write_text(
        "stories:\n- story: a\n  steps:\n  - intent: greet\n  - action: utter_hi\n"
        "- story: b\n  steps:\n  - intent: greet\n  - action: utter_ho\n"
    )
    assert run(["data", "validate", str(tmp_path)]) == 0
    capsys.readouterr()
    assert run(["data", "validate", str(tmp_path), "--conflicts", "--max-history", "2"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{tmp_path / 'data' / 'stories.yml'}:9: story conflict: 'b' runs")
    assert err[-1] == f"1 story conflict(s) with max_history 2 in {tmp_path}"


def _small_project(root: Path, config: str) -> Path:
    (root / "data").mkdir()
    (root / "domain.yml").write_text(
        'version: "3.1"\nintents:\n  - greet\nresponses:\n  utter_hi:\n    - text: hi\n'
    )
    (root / "data" / "stories.yml").write_text(
        "stories:\n- story: s\n  steps:\n  - intent: greet\n  - action: utter_hi\n"
    )
    path = root / "config.yml"
    path.write_text(config)
    return path


def test_a_config_typo_is_a_warning_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ted_pipeline")
    config = _small_project(
        tmp_path,
        "recipe: default.v1\npolicies:\n  - name: MemoizationPolicy\n  - name: TEDPolicy\n"
        "    epochs: 5\n    evaluate_on_num_examples: 3\n",
    )
    assert run(["data", "validate", str(tmp_path)]) == 0  # a warning, as the data is fine
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{config}:4: warning: TEDPolicy: unknown key 'evaluate_on_num_examples' ignored "
        "(did you mean 'evaluate_on_number_of_examples'?)"
    ]
    assert "OK - 1 stories" in captured.out


def test_a_wrong_config_value_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ted_pipeline")
    config = _small_project(
        tmp_path, "policies:\n  - name: RulePolicy\n    core_fallback_threshold: 3\n"
    )
    assert run(["data", "validate", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{config}:2: RulePolicy: config key 'core_fallback_threshold': must be between 0 and 1, "
        "got 3",
        f"1 problem(s) found in {tmp_path}",
    ]


WARN_DOMAIN = (
    'version: "3.1"\nintents:\n  - greet\nresponses:\n  utter_hi:\n    - text: hi\n'
    "slots:\n  mood:\n    type: categorical\n    values: [good, bad]\n"
    "    mappings:\n      - type: from_intent\n        intent: cheer\n        value: good\n"
)
WARN_STORIES = (
    "stories:\n- story: s\n  steps:\n  - intent: greet\n  - slot_was_set:\n"
    "    - mood: great\n  - action: utter_hi\n"
)


def _warned_project(root: Path) -> Path:
    (root / "data").mkdir()
    (root / "domain.yml").write_text(WARN_DOMAIN)
    (root / "data" / "stories.yml").write_text(WARN_STORIES)
    return root


def _expected_warnings(root: Path) -> list[str]:
    return [
        f"{root / 'data' / 'stories.yml'}:6: warning: value 'great' is not one of the values "
        "(good, bad) of slot 'mood'; it counts as '__other__'",
        f"{root / 'domain.yml'}:12: warning: slot 'mood' mapping names unknown intent 'cheer'; "
        "the mapping is skipped",
    ]


def test_warnings_are_printed_and_do_not_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _warned_project(tmp_path)
    assert run(["data", "validate", str(project)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == _expected_warnings(project)  # each once, nothing else
    assert captured.out.strip().endswith("; 2 warning(s)")
    assert "OK - 1 stories" in captured.out


def test_strict_fails_on_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _warned_project(tmp_path)
    assert run(["data", "validate", str(project), "--strict"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [*_expected_warnings(project), f"2 warning(s) found in {project} (--strict)"]


def test_train_prints_warnings_before_it_trains_and_strict_stops_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ted_pipeline")
    from ted_cli.main import main

    (tmp_path / "bot").mkdir()
    project = _warned_project(tmp_path / "bot")
    (project / "data" / "broken.yml").write_text(
        "stories:\n- story: b\n  steps:\n  - intent: greet\n  - action: utter_wave\n"
    )
    store = tmp_path / "store"
    # a data error stops training; the warnings found beside it come first, as warnings
    assert main(["train", str(project), "--store", str(store)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == _expected_warnings(project)
    assert err[2] == "ted: error: 1 problem(s) in the dialogue data:"
    assert (
        err[3]
        == f"{project / 'data' / 'broken.yml'}:5: unknown action 'utter_wave' (not in the domain)"
    )
    (project / "data" / "broken.yml").unlink()
    # with --strict the warnings alone stop it, before anything is trained
    assert main(["train", str(project), "--store", str(store), "--strict"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "ted: error: 2 problem(s) in the dialogue data:"
    assert err[1:] == [line.replace(": warning:", ":") for line in _expected_warnings(project)]
    assert not store.exists() or not any(store.iterdir())
