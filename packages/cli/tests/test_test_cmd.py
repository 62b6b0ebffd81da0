"""``ted test``: model references, clear errors, and a real end-to-end replay on moodbot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ted_cli.main import main

# --- end to end: a real model trained on moodbot, tested through `ted` -----------------------


def _shared_data() -> Path:
    env = os.environ.get("TED_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


MOODBOT = _shared_data() / "moodbot"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pipeline = pytest.importorskip("ted_pipeline", reason="ted test needs ted-pipeline")
    root = tmp_path_factory.mktemp("store")
    pipeline.train_project(
        MOODBOT, store=root, name="mood", config_overrides={"epochs": 20}, augmentation=0
    )
    return root


def _ted(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_json_output_has_consistent_numbers(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _ted(
        ["test", "--model", f"{store}/mood", "--stories", str(MOODBOT / "tests"), "--json"], capsys
    )
    assert code == 0, err
    data = json.loads(out)  # exactly one JSON object, nothing else on stdout
    for key in (
        "action_accuracy",
        "action_accuracy_with_listen",
        "f1_weighted",
        "conversation_accuracy",
        "correct",
        "total",
    ):
        assert key in data
    assert data["total"] == 19  # bot actions in moodbot's 7 test stories
    assert data["total_with_listen"] == 35  # plus one listen per user turn (16)
    assert data["correct"] / data["total"] == pytest.approx(data["action_accuracy"])
    assert data["correct_with_listen"] / 35 == pytest.approx(data["action_accuracy_with_listen"])
    assert 0.0 <= data["f1_weighted"] <= 1.0
    assert data["conversations_correct"] / 7 == pytest.approx(data["conversation_accuracy"])
    assert sum(a["support"] for a in data["per_action"].values()) == 35


@pytest.mark.slow
def test_version_alias_and_archive_file_give_the_same_result(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ted_archive import ModelStore

    model_store = ModelStore(store)
    model_store.set_alias("mood", "good", 1)
    archive = model_store.get("mood", 1).archive_path
    outputs = []
    for ref in (f"{store}/mood@1", f"{store}/mood@good", str(archive)):
        code, out, err = _ted(
            ["test", "--model", ref, "--stories", str(MOODBOT / "tests"), "--json"], capsys
        )
        assert code == 0, err
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.slow
def test_readable_table(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _ted(
        ["test", "--model", f"{store}/mood", "--stories", str(MOODBOT / "tests")], capsys
    )
    assert code == 0
    assert "action accuracy (excluding action_listen)" in out
    assert "/19)" in out and "/35)" in out
    assert "utter_greet" in out and "precision" in out


@pytest.mark.slow
def test_unknown_action_is_a_clear_error(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stories = tmp_path / "bad.yml"
    stories.write_text(
        "stories:\n- story: bad\n  steps:\n  - intent: greet\n  - action: utter_teleport\n",
        encoding="utf-8",
    )
    code, out, err = _ted(["test", "--model", f"{store}/mood", "--stories", str(stories)], capsys)
    assert code == 1
    assert out == ""
    assert "bad.yml:5: action 'utter_teleport' is not known to the model" in err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("suffix", "message"),
    [("mood@7", "has no version 7"), ("mood@best", "no alias 'best'"), ("nobody", "not found")],
)
def test_missing_model_is_a_clear_error(
    store: Path, suffix: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _ted(
        ["test", "--model", f"{store}/{suffix}", "--stories", str(MOODBOT / "tests")], capsys
    )
    assert code == 1
    assert message in err
    assert "Traceback" not in err


def test_missing_stories_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ted_pipeline", reason="ted test needs ted-pipeline")
    code, _, err = _ted(
        ["test", "--model", f"{tmp_path}/mood", "--stories", str(tmp_path / "none.yml")], capsys
    )
    assert code == 1
    assert "no stories at" in err


def test_corrupt_archive_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ted_pipeline", reason="ted test needs ted-pipeline")
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"this is not a gzip file")
    stories = tmp_path / "s.yml"
    stories.write_text("stories: []\n", encoding="utf-8")
    code, _, err = _ted(["test", "--model", str(archive), "--stories", str(stories)], capsys)
    assert code == 1
    assert "cannot load model" in err and "model.tar.gz" in err
