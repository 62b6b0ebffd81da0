"""train_project: skip when unchanged, fine-tune when only data changed, refuse otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_pipeline import FinetuneRefused, ModelRef, load_model, train_project

pytestmark = pytest.mark.slow

EXTRA_STORY = """
- story: extra happy path
  steps:
  - intent: greet
  - action: utter_greet
  - intent: mood_great
  - action: utter_happy
  - intent: goodbye
  - action: utter_goodbye
"""


def test_unchanged_is_skipped_finetune_after_data_change(project: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    seen: list[tuple[int, dict[str, float]]] = []

    class Recorder:
        def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
            seen.append((epoch, logs))

    first = train_project(project, store=store, augmentation=0, callbacks=[Recorder()])
    assert first.version == 1 and first.name == "bot" and not first.skipped
    assert [epoch for epoch, _ in seen] == list(range(6))
    assert {"loss", "action_accuracy"} <= set(seen[0][1])
    assert {"eval_loss", "eval_action_accuracy"} <= set(seen[2][1])  # every 3 epochs
    assert "eval_action_accuracy" not in seen[0][1]
    assert "eval_action_accuracy" in first.metrics

    again = train_project(project, store=store, augmentation=0)
    assert again.skipped and again.version == 1
    assert "unchanged" in again.reason

    stories = project / "data" / "stories.yml"
    stories.write_text(stories.read_text(encoding="utf-8") + EXTRA_STORY, encoding="utf-8")
    tuned = train_project(project, store=store, augmentation=0, finetune=True)
    assert tuned.version == 2 and tuned.finetuned
    assert tuned.metrics["epochs"] == 3  # finetune_epoch_fraction 0.5 of 6
    manifest = load_model(ModelRef(store=store, name="bot", version=2)).manifest
    assert manifest.lineage["parent_version"] == 1
    assert manifest.lineage["finetuned"] is True


def test_finetune_refused_when_domain_changes(project: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    train_project(project, store=store, augmentation=0)
    domain = project / "domain.yml"
    text = domain.read_text(encoding="utf-8").replace(
        "  - bot_challenge\n", "  - bot_challenge\n  - thank_you\n"
    )
    domain.write_text(text, encoding="utf-8")
    with pytest.raises(FinetuneRefused, match="domain"):
        train_project(project, store=store, augmentation=0, finetune=True)
    retrained = train_project(project, store=store, augmentation=0)
    assert retrained.version == 2 and not retrained.finetuned
