"""What train_project decides before TensorFlow is imported: data errors and "unchanged".

Each case runs in a fresh interpreter, so ``sys.modules`` shows what the decision needed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ted_pipeline import train_project

PROBE = """
import json, sys
from ted_data_adapter import DataValidationError
from ted_pipeline import train_project

outcome = {}
try:
    result = train_project(sys.argv[1], store=sys.argv[2], augmentation=0)
    outcome["skipped"] = result.skipped
    outcome["reason"] = result.reason
except DataValidationError as e:
    outcome["issues"] = [str(issue) for issue in e.issues]
outcome["heavy"] = sorted(m for m in ("tensorflow", "keras", "ray") if m in sys.modules)
print(json.dumps(outcome))
"""


def _probe(project: Path, store: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(project), str(store)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_unknown_action_is_reported_before_tensorflow_loads(
    project: Path, tmp_path: Path
) -> None:
    stories = project / "data" / "stories.yml"
    text = stories.read_text(encoding="utf-8").replace("utter_happy", "utter_overjoyed", 1)
    stories.write_text(text, encoding="utf-8")
    outcome = _probe(project, tmp_path / "store")
    assert outcome["heavy"] == []
    assert any(
        "stories.yml:" in issue and "unknown action 'utter_overjoyed'" in issue
        for issue in outcome["issues"]
    ), outcome
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())


@pytest.mark.slow
def test_an_unchanged_project_is_skipped_without_featurizing_or_tensorflow(
    project: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    first = train_project(project, store=store, augmentation=0)
    assert first.version == 1 and not first.skipped
    outcome = _probe(project, store)
    assert outcome["skipped"] is True and "unchanged since version 1" in outcome["reason"]
    assert outcome["heavy"] == []


@pytest.mark.slow
def test_the_same_stories_in_another_folder_are_unchanged(project: Path, tmp_path: Path) -> None:
    """The fingerprint is of the parsed content, not of paths or file layout."""
    store = tmp_path / "store"
    train_project(project, store=store, name="bot", augmentation=0)
    moved = tmp_path / "elsewhere" / "bot"
    shutil.copytree(project, moved)
    again = train_project(moved, store=store, augmentation=0)
    assert again.skipped and again.version == 1
