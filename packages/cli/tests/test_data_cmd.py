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
    assert f"{stories}:4: unknown intent 'hello' (not in the domain)" in err
    assert f"{stories}:6: unknown action 'utter_bye' (not in the domain)" in err
    assert any(
        line.startswith(f"{tmp_path / 'data' / 'rules.yml'}:4: malformed YAML") for line in err
    )
    assert err[-1] == f"3 problem(s) found in {tmp_path}"


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
