"""The training path reads a project as ``ted train`` needs it: without ``tests/``, with the
data's warnings kept on the project, and with ``strict`` stopping on them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ted_data_adapter import DataValidationError, load_project
from ted_pipeline import load_training_project, train_project

EXTRA_STORY = """\
stories:
  - story: greet from mars
    steps:
      - intent: greet
        entities:
          - planet: mars
      - action: utter_greet
"""


@pytest.fixture
def bot(tmp_path: Path, data_dir: Path) -> Path:
    project = tmp_path / "bot"
    shutil.copytree(data_dir / "moodbot", project)
    return project


def test_training_does_not_read_tests(bot: Path) -> None:
    broken = bot / "tests" / "test_stories.yml"
    broken.write_text("stories:\n- story: t\n  steps: [\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"test_stories\.yml:4: malformed YAML"):
        load_project(bot)  # what `ted data validate` reads
    loaded = load_training_project(bot)
    assert loaded.data.test_stories == [] and len(loaded.data.stories) == 3
    assert str(broken) not in loaded.data.files


def test_warnings_are_kept_and_strict_stops_training(bot: Path, tmp_path: Path) -> None:
    extra = bot / "data" / "extra.yml"
    extra.write_text(EXTRA_STORY, encoding="utf-8")
    loaded = load_training_project(bot)
    assert [str(w) for w in loaded.data.warnings] == [
        f"{extra.resolve()}:4: unknown entity 'planet' (not in the domain); left out"
    ]
    with pytest.raises(DataValidationError, match="unknown entity 'planet'"):
        load_training_project(bot, strict=True)
    store = tmp_path / "store"
    with pytest.raises(DataValidationError, match="unknown entity 'planet'"):
        train_project(bot, store=store, augmentation=0, strict=True)
    assert not store.exists() or not any(store.iterdir())
