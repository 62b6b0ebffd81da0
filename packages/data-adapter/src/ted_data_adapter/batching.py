"""Batch planning in numpy: growing batch sizes, sequence/balanced order, stratified split."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ted_data_adapter.errors import DataError, SplitError
from ted_data_adapter.model_data import ModelData

STRATEGIES = ("sequence", "balanced")
BatchSize = int | Sequence[int]


def batch_size_for_epoch(batch_size: BatchSize, epoch: int, epochs: int) -> int:
    """Rasa's rule: a fixed size, or ``[start, end]`` growing linearly over the epochs.

    ``int(start + epoch * (end - start) / (epochs - 1))`` for 0-based ``epoch``; with a
    single epoch the start size is used.
    """
    if isinstance(batch_size, (int, np.integer)):
        return int(batch_size)
    sizes = list(batch_size)
    if len(sizes) != 2:
        raise DataError(f"batch_size must be an int or [start, end], got {batch_size!r}")
    start, end = int(sizes[0]), int(sizes[1])
    if epochs > 1:
        return int(start + epoch * (end - start) / (epochs - 1))
    return start


def row_classes(label_ids: np.ndarray) -> np.ndarray:
    """One class per row: the label itself, or (dialogues) the row's rarest real label."""
    labels = np.asarray(label_ids)
    if labels.ndim == 1:
        return labels.astype(np.int64)
    valid = labels >= 0
    counts = np.bincount(labels[valid].ravel()) if valid.any() else np.zeros(1, np.int64)
    frequency = np.where(valid, counts[np.clip(labels, 0, None)], np.iinfo(np.int64).max)
    rarest = np.take_along_axis(labels, frequency.argmin(axis=1)[:, None], axis=1)[:, 0]
    return np.where(valid.any(axis=1), rarest, -1).astype(np.int64)


class BatchPlanner:
    """Seeded example order per epoch; every epoch yields exactly ``len(label_ids)`` rows.

    ``sequence`` shuffles all rows. ``balanced`` interleaves classes in rounds where each class
    contributes ``int(count / n * batch_size) + 1`` rows, so rare classes appear in most batches
    and get repeated; classes that already went through all their rows skip every other round.
    """

    def __init__(self, label_ids: np.ndarray, strategy: str = "sequence", seed: int = 0) -> None:
        if strategy not in STRATEGIES:
            raise DataError(f"unknown batch strategy {strategy!r}; use one of {STRATEGIES}")
        self.classes = row_classes(label_ids)
        self.strategy = strategy
        self.seed = seed
        self.size = len(self.classes)

    def _rng(self, epoch: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, epoch])

    def epoch_indices(self, epoch: int, batch_size: int) -> np.ndarray:
        rng = self._rng(epoch)
        if self.strategy == "sequence" or self.size == 0:
            return rng.permutation(self.size)
        return self._balanced(rng, batch_size)

    def _balanced(self, rng: np.random.Generator, batch_size: int) -> np.ndarray:
        labels, inverse, counts = np.unique(self.classes, return_inverse=True, return_counts=True)
        members = [rng.permutation(np.flatnonzero(inverse == c)) for c in range(len(labels))]
        takes = (counts / self.size * batch_size).astype(np.int64) + 1
        cursor = np.zeros(len(labels), np.int64)
        cycles = np.zeros(len(labels), np.int64)
        skipped = np.zeros(len(labels), bool)
        parts: list[np.ndarray] = []
        total = 0
        while cycles.min() == 0 or total < self.size:
            for c in rng.permutation(len(labels)):
                if cycles[c] > 0 and not skipped[c]:
                    skipped[c] = True
                    continue
                skipped[c] = False
                chunk = members[c][cursor[c] : cursor[c] + takes[c]]
                parts.append(chunk)
                total += len(chunk)
                cursor[c] += takes[c]
                if cursor[c] >= counts[c]:
                    cycles[c] += 1
                    cursor[c] = 0
                if cycles.min() > 0 and total >= self.size:
                    break
        return np.concatenate(parts)[: self.size]

    def batches(self, epoch: int, batch_size: int) -> list[np.ndarray]:
        """Index arrays of this epoch's batches (the last one may be smaller)."""
        if batch_size < 1:
            raise DataError(f"batch size must be positive, got {batch_size}")
        order = self.epoch_indices(epoch, batch_size)
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def iterate_batches(
    model_data: ModelData,
    batch_size: BatchSize,
    epochs: int,
    strategy: str = "sequence",
    seed: int = 0,
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """(epoch, batch) pairs over all epochs, slicing the arrays (no per-epoch data copy)."""
    planner = BatchPlanner(model_data.label_ids, strategy, seed)
    for epoch in range(epochs):
        size = batch_size_for_epoch(batch_size, epoch, epochs)
        for index in planner.batches(epoch, size):
            yield epoch, {name: array[index] for name, array in model_data.features.items()}


def train_eval_split(
    model_data: ModelData, n_eval: int, seed: int = 0
) -> tuple[ModelData, ModelData]:
    """Hold out ``n_eval`` rows so every class keeps its share on both sides.

    Needs at least as many held-out rows as classes, and two rows of every class; otherwise
    a SplitError says which condition fails.
    """
    classes = row_classes(model_data.label_ids)
    total = len(classes)
    labels, inverse, counts = np.unique(classes, return_inverse=True, return_counts=True)
    if n_eval <= 0 or n_eval >= total:
        raise SplitError(f"cannot hold out {n_eval} of {total} examples: need 0 < n_eval < {total}")
    if n_eval < len(labels):
        raise SplitError(
            f"cannot stratify: {n_eval} held-out examples for {len(labels)} classes; "
            f"hold out at least {len(labels)}"
        )
    if total - n_eval < len(labels):
        raise SplitError(
            f"cannot stratify: {total - n_eval} training examples left for {len(labels)} classes"
        )
    single = labels[counts < 2]
    if len(single):
        raise SplitError(
            f"cannot stratify: class(es) {single.tolist()} have a single example; "
            "each class needs at least two"
        )
    # Largest-remainder allocation of n_eval over the classes, at least one per class.
    quota = counts / total * n_eval
    share = np.clip(np.floor(quota).astype(np.int64), 1, counts - 1)
    remainder = quota - np.floor(quota)
    while share.sum() < n_eval:
        room = np.flatnonzero(share < counts - 1)
        best = room[np.argmax(remainder[room])]
        share[best] += 1
        remainder[best] = -1.0
    while share.sum() > n_eval:
        room = np.flatnonzero(share > 1)
        worst = room[np.argmin(remainder[room])]
        share[worst] -= 1
        remainder[worst] = 2.0
    rng = np.random.default_rng(seed)
    held: list[np.ndarray] = []
    for c in range(len(labels)):
        held.append(rng.permutation(np.flatnonzero(inverse == c))[: share[c]])
    eval_rows = np.sort(np.concatenate(held))
    mask = np.ones(total, bool)
    mask[eval_rows] = False
    return model_data.subset(np.flatnonzero(mask)), model_data.subset(eval_rows)
