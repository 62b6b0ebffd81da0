"""Batch strategies are seeded and behave as documented; the split is stratified or refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ted_data_adapter import (
    BatchPlanner,
    DataError,
    SplitError,
    StateFeaturizer,
    Vocabulary,
    batch_size_for_epoch,
    iterate_batches,
    load_project,
    train_eval_split,
)


def test_rasa_schedule_examples() -> None:
    assert [batch_size_for_epoch([64, 256], e, 5) for e in range(5)] == [64, 112, 160, 208, 256]
    assert batch_size_for_epoch([8, 32], 0, 1) == 8
    assert batch_size_for_epoch(32, 9, 10) == 32
    with pytest.raises(DataError, match=r"int or \[start, end\]"):
        batch_size_for_epoch([1, 2, 3], 0, 2)


def test_sequence_is_a_seeded_permutation() -> None:
    labels = np.arange(50) % 5
    a = BatchPlanner(labels, "sequence", seed=1)
    b = BatchPlanner(labels, "sequence", seed=1)
    assert np.array_equal(a.epoch_indices(0, 8), b.epoch_indices(0, 8))
    assert not np.array_equal(a.epoch_indices(0, 8), a.epoch_indices(1, 8))
    assert sorted(a.epoch_indices(3, 8).tolist()) == list(range(50))


def test_balanced_repeats_rare_classes() -> None:
    labels = np.array([0] * 90 + [1] * 8 + [2] * 2)
    planner = BatchPlanner(labels, "balanced", seed=0)
    order = planner.epoch_indices(0, 10)
    assert len(order) == len(labels)
    seen = np.bincount(labels[order], minlength=3)
    assert seen[2] >= 2 and seen[1] >= 8  # every class goes through all its rows
    assert seen[2] / seen.sum() > 2 / 100  # rare classes are over-represented
    batches = planner.batches(0, 10)
    # the rare class shows up in most batches rather than in one or two
    assert sum(2 in labels[b] for b in batches) >= len(batches) // 2
    again = BatchPlanner(labels, "balanced", seed=0).epoch_indices(0, 10)
    assert np.array_equal(order, again)
    with pytest.raises(DataError, match="unknown batch strategy"):
        BatchPlanner(labels, "random")


def test_balanced_on_dialogue_rows(shop_dir: Path) -> None:
    project = load_project(shop_dir)
    featurizer = StateFeaturizer(Vocabulary.from_domain(project.domain))
    data = featurizer.featurize(project.training_conversations(2, seed=1), 3, layout="dialogues")
    planner = BatchPlanner(data.label_ids, "balanced", seed=2)
    assert len(planner.epoch_indices(0, 4)) == len(data)
    sizes = [
        len(batch["label_ids"]) for _, batch in iterate_batches(data, [2, 6], 3, "balanced", 2)
    ]
    assert sum(sizes) == 3 * len(data)
    assert max(sizes) == 6


def _data(shop_dir: Path):  # type: ignore[no-untyped-def]
    project = load_project(shop_dir)
    featurizer = StateFeaturizer(Vocabulary.from_domain(project.domain))
    return featurizer.featurize(project.training_conversations(10, seed=4), 4)


def test_stratified_split(shop_dir: Path) -> None:
    data = _data(shop_dir)
    classes, _counts = np.unique(data.label_ids, return_counts=True)
    n_eval = len(classes) + 3
    train, evaluation = train_eval_split(data, n_eval, seed=5)
    assert len(evaluation) == n_eval and len(train) + len(evaluation) == len(data)
    assert set(evaluation.label_ids.tolist()) == set(classes.tolist())
    assert set(train.label_ids.tolist()) == set(classes.tolist())
    again, _ = train_eval_split(data, n_eval, seed=5)
    assert np.array_equal(again.label_ids, train.label_ids)


def test_split_errors_are_specific(shop_dir: Path) -> None:
    data = _data(shop_dir)
    classes = len(np.unique(data.label_ids))
    with pytest.raises(SplitError, match=f"hold out at least {classes}"):
        train_eval_split(data, classes - 1)
    with pytest.raises(SplitError, match="need 0 < n_eval"):
        train_eval_split(data, len(data))
    single = data.subset(
        np.concatenate(
            [np.flatnonzero(data.label_ids == 0), [np.flatnonzero(data.label_ids != 0)[0]]]
        )
    )
    with pytest.raises(SplitError, match="single example"):
        train_eval_split(single, 2)
