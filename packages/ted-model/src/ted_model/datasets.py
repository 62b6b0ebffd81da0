"""Training batches as a tf.data pipeline whose batch size grows from epoch to epoch.

Keras re-iterates a finite dataset at every epoch; each iteration here plans the next
epoch (its batch size from Rasa's linear schedule, its order from the batch strategy), so
one ``fit`` call sees growing batches. Each batch is cut to its longest conversation, so
padding costs little, and the tensors have fixed rank with unknown batch and turn sizes,
so the compiled train step is traced once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

import numpy as np
import tensorflow as tf

from ted_model.model import LABEL_IDS, TARGET_MASK, TURN_MASK

logger = logging.getLogger(__name__)


def batch_size_for_epoch(batch_size: int | tuple[int, int], epoch: int, epochs: int) -> int:
    """Rasa's linearly increasing batch size: start at the first, end at the second."""
    if isinstance(batch_size, int):
        return batch_size
    start, end = batch_size
    if epochs <= 1:
        return int(start)
    return int(start + epoch * (end - start) / (epochs - 1))


def balanced_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Example order that mixes every label into every batch (round robin over labels)."""
    groups = [rng.permutation(np.flatnonzero(labels == label)) for label in np.unique(labels)]
    rng.shuffle(groups)
    longest = max((len(group) for group in groups), default=0)
    slots = np.full((len(groups), longest), -1, dtype=np.int64)
    for row, group in enumerate(groups):
        # spread each label evenly over the epoch instead of front-loading rare ones
        positions = np.floor(np.arange(len(group)) * longest / max(len(group), 1)).astype(int)
        slots[row, positions] = group
    order = slots.T.reshape(-1)
    return order[order >= 0]


def trim_padding(batch: Mapping[str, np.ndarray], layout: str) -> dict[str, np.ndarray]:
    """Drop turn columns that are padding in every row of the batch."""
    real = batch[TURN_MASK].any(axis=0)
    if not real.any():
        return dict(batch)
    if layout == "dialogues":
        keep = slice(0, int(np.flatnonzero(real)[-1]) + 1)
    else:
        keep = slice(int(np.flatnonzero(real)[0]), None)
    return {
        name: (array if name == LABEL_IDS and layout == "windows" else array[:, keep])
        for name, array in batch.items()
    }


def conversation_lengths(turn_mask: np.ndarray) -> np.ndarray:
    """Turns up to and including the last real one, per row (rows start at turn 0)."""
    real = turn_mask > 0
    last = real.shape[1] - np.argmax(np.flip(real, axis=1), axis=1)
    return np.where(real.any(axis=1), last, 0)


def pack_rows(lengths: np.ndarray, row_length: int) -> list[list[int]]:
    """First-fit decreasing: group conversation indices into rows of ``row_length`` turns.

    Deterministic for given lengths (a stable sort), so packed batches stay reproducible.
    """
    rows: list[list[int]] = []
    free: list[int] = []
    for index in np.argsort(-lengths, kind="stable"):
        need = int(lengths[index])
        for row, space in enumerate(free):
            if space >= need:
                rows[row].append(int(index))
                free[row] -= need
                break
        else:
            rows.append([int(index)])
            free.append(row_length - need)
    return rows


def pack_dialogues(
    batch: Mapping[str, np.ndarray], row_length: int | None = None
) -> dict[str, np.ndarray]:
    """Several whole conversations per row, ``turn_mask`` holding the conversation id.

    Under the banded causal mask with relative positions a turn only sees earlier turns
    of its own conversation, so packing changes no output, only how much padding the
    batch carries (conversations are 5 to 46 turns long in MultiWOZ, about 21 typically).
    """
    lengths = conversation_lengths(batch[TURN_MASK])
    row_length = max(int(lengths.max(initial=1)), row_length or 0, 1)
    rows = pack_rows(lengths, row_length)
    sources, source_turns, targets, target_turns, ids = [], [], [], [], []
    for row, members in enumerate(rows):
        offset = 0
        for segment, index in enumerate(members, start=1):
            length = int(lengths[index])
            sources.append(np.full(length, index))
            source_turns.append(np.arange(length))
            targets.append(np.full(length, row))
            target_turns.append(np.arange(offset, offset + length))
            ids.append(np.full(length, segment, dtype=np.float32))
            offset += length
    src = np.concatenate(sources)
    src_t = np.concatenate(source_turns)
    dst = np.concatenate(targets)
    dst_t = np.concatenate(target_turns)
    used = int(dst_t.max(initial=0)) + 1
    packed: dict[str, np.ndarray] = {}
    for name, array in batch.items():
        out = np.zeros((len(rows), used, *array.shape[2:]), dtype=array.dtype)
        out[dst, dst_t] = array[src, src_t]
        packed[name] = out
    packed[TURN_MASK][dst, dst_t] = np.concatenate(ids)
    return packed


class EpochBatches:
    """Plans one epoch of batches each time it is iterated."""

    def __init__(
        self,
        features: Mapping[str, np.ndarray],
        *,
        layout: str,
        batch_size: int | tuple[int, int],
        epochs: int,
        strategy: str,
        seed: int | None,
        rows_per_example: float = 1.0,
        pack: bool = False,
    ) -> None:
        self.features = dict(features)
        self.layout = layout
        self.batch_size = batch_size
        self.epochs = epochs
        self.strategy = strategy
        self.rng = np.random.default_rng(seed)
        self.rows_per_example = rows_per_example
        self.pack = pack and layout == "dialogues"
        self.row_length = int(conversation_lengths(self.features[TURN_MASK]).max(initial=1))
        self.epoch = 0
        self.rows = int(self.features[TURN_MASK].shape[0])
        if strategy == "balanced" and layout == "dialogues":
            logger.info("balanced batches need single-label rows; dialogues use sequence order")

    def rows_per_batch(self, epoch: int) -> int:
        examples = batch_size_for_epoch(self.batch_size, epoch, self.epochs)
        return max(1, round(examples * self.rows_per_example))

    def total_steps(self) -> int:
        """Number of batches over all epochs (for learning-rate schedules)."""
        return sum(-(-self.rows // self.rows_per_batch(e)) for e in range(self.epochs))

    def order(self) -> np.ndarray:
        if self.strategy == "balanced" and self.layout == "windows":
            return balanced_order(self.features[LABEL_IDS], self.rng)
        return self.rng.permutation(self.rows)

    def __call__(self) -> Iterator[dict[str, np.ndarray]]:
        size = self.rows_per_batch(min(self.epoch, self.epochs - 1))
        self.epoch += 1
        order = self.order()
        for start in range(0, len(order), size):
            index = np.sort(order[start : start + size]) if self.layout == "dialogues" else None
            index = order[start : start + size] if index is None else index
            batch = {name: array[index] for name, array in self.features.items()}
            if self.pack:
                yield pack_dialogues(batch, self.row_length)
            else:
                yield trim_padding(batch, self.layout)


def output_signature(features: Mapping[str, np.ndarray]) -> dict[str, tf.TensorSpec]:
    """Fixed-rank specs with unknown batch and turn sizes."""
    specs: dict[str, tf.TensorSpec] = {}
    for name, array in features.items():
        shape = [None] * array.ndim
        if array.ndim == 3:
            shape[2] = array.shape[2]
        specs[name] = tf.TensorSpec(shape, tf.as_dtype(array.dtype), name=name)
    return specs


def make_training_dataset(batches: EpochBatches) -> tf.data.Dataset:
    """A dataset Keras can iterate once per epoch, one planned epoch each time."""
    dataset = tf.data.Dataset.from_generator(
        batches, output_signature=output_signature(batches.features)
    )
    options = tf.data.Options()
    options.deterministic = True
    return dataset.with_options(options).prefetch(2)


def split_eval(
    features: Mapping[str, np.ndarray], layout: str, examples: int, seed: int | None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """Hold out about ``examples`` training targets (whole conversations in 'dialogues')."""
    if examples <= 0:
        return dict(features), None
    rng = np.random.default_rng(None if seed is None else seed + 1)
    rows = int(features[TURN_MASK].shape[0])
    order = rng.permutation(rows)
    if layout == "dialogues":
        targets = features[TARGET_MASK].sum(axis=1)[order]
        count = int(np.searchsorted(np.cumsum(targets), examples) + 1)
    else:
        count = examples
    count = min(count, rows - 1)
    if count <= 0:
        return dict(features), None
    held, kept = np.sort(order[:count]), np.sort(order[count:])
    train = {name: array[kept] for name, array in features.items()}
    held_out = {name: array[held] for name, array in features.items()}
    return train, held_out
