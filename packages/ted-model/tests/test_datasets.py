"""The one batching path: batch-size schedule, batch order, held-out split and packing."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ted_model.config import STATE_ATTRIBUTES
from ted_model.datasets import (
    EpochBatches,
    balanced_order,
    batch_size_for_epoch,
    conversation_lengths,
    make_training_dataset,
    pack_dialogues,
    pack_rows,
    split_eval,
    trim_padding,
)
from ted_model.model import LABEL_IDS, TARGET_MASK, TURN_MASK

Features = dict[str, np.ndarray]

# Attribute dims as the featurizer produces them; a dim-0 attribute is still present.
DIMS = dict(zip(STATE_ATTRIBUTES, (4, 3, 6, 2, 0), strict=True))
# Channel 0 of this attribute carries the row number at every real turn, so a row can be
# recognised after batching, trimming and packing.
ROW_ID = "slots"
N_ACTIONS = 6


def _attributes(mask: np.ndarray, rng: np.random.Generator) -> Features:
    """Sparse 0/1 features for every state attribute, zero on padding turns."""
    rows, turns = mask.shape
    features: Features = {}
    for name, dim in DIMS.items():
        values = (rng.random((rows, turns, dim)) < 0.4).astype(np.float32)
        features[name] = values * mask[:, :, None]
    features[ROW_ID][:, :, 0] = np.arange(rows, dtype=np.float32)[:, None] * mask
    return features


def windows_features(labels: np.ndarray, history: int = 4, seed: int = 0) -> Features:
    """Windows layout: left-padded [N, H] windows, one label per row."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, history + 1, len(labels))
    mask = (np.arange(history)[None, :] >= history - lengths[:, None]).astype(np.float32)
    features = _attributes(mask, rng)
    features[TURN_MASK] = mask
    features[LABEL_IDS] = np.asarray(labels, dtype=np.int32)
    return features


def dialogue_features(lengths: list[int], padding: int = 2, seed: int = 0) -> Features:
    """Dialogues layout: right-padded [D, T] conversations, a label and target per turn."""
    rng = np.random.default_rng(seed)
    turns = max(lengths) + padding
    mask = (np.arange(turns)[None, :] < np.array(lengths)[:, None]).astype(np.float32)
    features = _attributes(mask, rng)
    features[TURN_MASK] = mask
    labels = rng.integers(0, N_ACTIONS, mask.shape)
    features[LABEL_IDS] = np.where(mask > 0, labels, -1).astype(np.int32)
    targets = (rng.random(mask.shape) < 0.7).astype(np.float32) * mask
    targets[:, 0] = 1.0  # every conversation keeps at least one target
    features[TARGET_MASK] = targets
    return features


def row_ids(batch: Features, layout: str) -> np.ndarray:
    """Row numbers of an unpacked batch, read from a turn that is real in every row."""
    turn = -1 if layout == "windows" else 0
    return batch[ROW_ID][:, turn, 0].astype(np.int64)


def packed_row_ids(batch: Features) -> list[int]:
    """Row numbers of the conversations in a packed batch, read at each segment start."""
    ids = []
    for row in range(batch[TURN_MASK].shape[0]):
        segments = batch[TURN_MASK][row]
        for segment in np.unique(segments[segments > 0]):
            first = int(np.flatnonzero(segments == segment)[0])
            ids.append(int(batch[ROW_ID][row, first, 0]))
    return ids


def epoch(batches: EpochBatches) -> list[Features]:
    """All batches of the next epoch."""
    return list(batches())


def make_batches(
    features: Features,
    layout: str,
    *,
    batch_size: int | tuple[int, int] = 4,
    epochs: int = 3,
    strategy: str = "sequence",
    seed: int | None = 1,
    rows_per_example: float = 1.0,
    pack: bool = False,
) -> EpochBatches:
    """EpochBatches with small defaults, as training.fit builds it."""
    return EpochBatches(
        features,
        layout=layout,
        batch_size=batch_size,
        epochs=epochs,
        strategy=strategy,
        seed=seed,
        rows_per_example=rows_per_example,
        pack=pack,
    )


# --- batch-size schedule ------------------------------------------------------------------


def test_growing_batch_size_follows_rasas_example() -> None:
    """[64, 256] over 5 epochs grows as Rasa's linearly_increasing_batch_size does."""
    sizes = [batch_size_for_epoch((64, 256), e, 5) for e in range(5)]
    assert sizes == [64, 112, 160, 208, 256]


def test_fixed_batch_size_is_the_same_every_epoch() -> None:
    """An int batch size does not change from epoch to epoch."""
    assert {batch_size_for_epoch(32, e, 10) for e in range(10)} == {32}


def test_single_epoch_uses_the_start_size() -> None:
    """With one epoch the schedule cannot grow and starts (and ends) at the first size."""
    assert batch_size_for_epoch((8, 32), 0, 1) == 8


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(min_value=1, max_value=32),
    grow=st.integers(min_value=0, max_value=64),
    epochs=st.integers(min_value=1, max_value=12),
    rows=st.integers(min_value=1, max_value=120),
    strategy=st.sampled_from(["sequence", "balanced"]),
    layout=st.sampled_from(["windows", "dialogues"]),
)
def test_every_epoch_yields_all_rows_once_in_batches_of_the_scheduled_size(
    start: int, grow: int, epochs: int, rows: int, strategy: str, layout: str
) -> None:
    """Rasa's linear schedule decides each epoch's size; every row appears once per epoch."""
    end = start + grow
    if layout == "windows":
        features = windows_features(np.arange(rows) % 7)
    else:
        features = dialogue_features([1 + i % 5 for i in range(rows)])
    batches = make_batches(
        features, layout, batch_size=(start, end), epochs=epochs, strategy=strategy, seed=3
    )
    previous = 0
    yielded = 0
    for e in range(epochs):
        expected = int(start + e * (end - start) / (epochs - 1)) if epochs > 1 else start
        size = batch_size_for_epoch((start, end), e, epochs)
        assert size == expected
        assert size >= previous
        previous = size
        sizes = []
        ids = []
        for batch in batches():
            sizes.append(len(batch[TURN_MASK]))
            ids.extend(row_ids(batch, layout).tolist())
        assert all(s == size for s in sizes[:-1])
        assert 0 < sizes[-1] <= size
        assert sorted(ids) == list(range(rows))
        yielded += len(sizes)
    assert batches.total_steps() == yielded


def test_iterating_past_the_last_epoch_keeps_the_last_size() -> None:
    """Extra passes (after the planned epochs) use the final batch size, not a larger one."""
    batches = make_batches(windows_features(np.arange(40) % 3), "windows", batch_size=(4, 12))
    first_batch_sizes = [len(epoch(batches)[0][LABEL_IDS]) for _ in range(5)]
    assert first_batch_sizes == [4, 8, 12, 12, 12]


def test_batch_size_counts_examples_scaled_by_rows_per_example() -> None:
    """rows_per_example converts the example count to rows, never below one row."""
    features = dialogue_features([3] * 20)
    assert (
        make_batches(features, "dialogues", batch_size=8, rows_per_example=0.25).rows_per_batch(0)
        == 2
    )
    assert (
        make_batches(features, "dialogues", batch_size=1, rows_per_example=0.1).rows_per_batch(0)
        == 1
    )


def test_training_dataset_plans_a_new_epoch_on_every_pass() -> None:
    """The tf.data pipeline fit uses: each pass over it is the next epoch of the schedule."""
    features = windows_features(np.arange(30) % 5)
    batches = make_batches(features, "windows", batch_size=(5, 15), epochs=3)
    dataset = make_training_dataset(batches)
    for expected in (5, 10, 15):
        sizes = [int(batch[LABEL_IDS].shape[0]) for batch in dataset]
        assert sizes[0] == expected
        assert sum(sizes) == 30
    spec = dataset.element_spec[ROW_ID]
    assert spec.shape.as_list() == [None, None, DIMS[ROW_ID]]


# --- batch order --------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    labels=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=80),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_balanced_order_is_a_seeded_permutation_that_mixes_all_labels(
    labels: list[int], seed: int
) -> None:
    """A permutation; its first round has every label once; same seed, same order."""
    array = np.array(labels)
    order = balanced_order(array, np.random.default_rng(seed))
    assert sorted(order.tolist()) == list(range(len(labels)))
    distinct = np.unique(array)
    assert sorted(array[order[: len(distinct)]].tolist()) == distinct.tolist()
    again = balanced_order(array, np.random.default_rng(seed))
    np.testing.assert_array_equal(order, again)


@settings(max_examples=80, deadline=None)
@given(
    rare=st.lists(st.integers(min_value=1, max_value=5), max_size=20),
    common=st.integers(min_value=1, max_value=60),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_balanced_order_spreads_each_label_over_the_epoch(
    rare: list[int], common: int, seed: int
) -> None:
    """A label with c of the longest label's L rows recurs at least every L // c positions."""
    array = np.random.default_rng(seed).permutation(np.array([*rare, *[0] * common]))
    order = balanced_order(array, np.random.default_rng(seed))
    values, counts = np.unique(array, return_counts=True)
    longest = int(counts.max())
    for value, count in zip(values, counts, strict=True):
        positions = np.flatnonzero(array[order] == value)
        assert (np.diff(positions) >= longest // count).all()


def test_balanced_order_differs_between_seeds() -> None:
    """The order is shuffled: two seeds give two different orders."""
    labels = np.arange(60) % 4
    first = balanced_order(labels, np.random.default_rng(0))
    second = balanced_order(labels, np.random.default_rng(1))
    assert not np.array_equal(first, second)


def test_balanced_windows_put_rare_actions_into_many_batches() -> None:
    """Balanced windows: the first batch has every action, rare ones land in distinct batches."""
    labels = np.array([0] * 90 + [1] * 8 + [2] * 2)
    batches = make_batches(windows_features(labels), "windows", batch_size=10, strategy="balanced")
    planned = epoch(batches)
    assert set(planned[0][LABEL_IDS].tolist()) == {0, 1, 2}
    for rare, count in ((1, 8), (2, 2)):
        holding = [i for i, batch in enumerate(planned) if rare in batch[LABEL_IDS]]
        assert len(holding) == count
    assert sum(len(batch[LABEL_IDS]) for batch in planned) == len(labels)


def test_sequence_windows_shuffle_anew_every_epoch() -> None:
    """Sequence order: each epoch is a different shuffle of all rows, kept within batches."""
    batches = make_batches(windows_features(np.arange(50) % 5), "windows", batch_size=8)
    orders = [np.concatenate([row_ids(b, "windows") for b in epoch(batches)]) for _ in range(3)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(50))
        assert not np.array_equal(order, np.arange(50))
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[1], orders[2])


def test_dialogue_batches_keep_their_rows_in_data_order() -> None:
    """Dialogues: the epoch is shuffled, but rows inside one batch are in ascending order."""
    batches = make_batches(dialogue_features([2, 5, 3, 4] * 6), "dialogues", batch_size=5)
    planned = epoch(batches)
    ids = [row_ids(batch, "dialogues") for batch in planned]
    assert all((np.diff(batch_ids) > 0).all() for batch_ids in ids)
    assert sorted(np.concatenate(ids).tolist()) == list(range(24))


def test_balanced_dialogues_fall_back_to_sequence_order(caplog: pytest.LogCaptureFixture) -> None:
    """Dialogue rows have many labels, so 'balanced' orders them as 'sequence' does."""
    features = dialogue_features([2, 5, 3, 4] * 6)
    with caplog.at_level(logging.INFO, logger="ted_model.datasets"):
        balanced = make_batches(features, "dialogues", strategy="balanced", pack=False)
    assert "dialogues use sequence order" in caplog.text
    sequence = make_batches(features, "dialogues", strategy="sequence", pack=False)
    for _ in range(2):
        got = [row_ids(b, "dialogues").tolist() for b in epoch(balanced)]
        assert got == [row_ids(b, "dialogues").tolist() for b in epoch(sequence)]


# --- reproducibility ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "strategy", "pack"),
    [
        ("windows", "balanced", False),
        ("windows", "sequence", False),
        ("dialogues", "sequence", True),
    ],
)
def test_same_seed_gives_identical_batches(layout: str, strategy: str, pack: bool) -> None:
    """Two planners with one seed yield the same arrays, epoch after epoch."""
    if layout == "windows":
        features = windows_features(np.arange(45) % 4)
    else:
        features = dialogue_features([2, 6, 3, 1, 5] * 5)
    first = make_batches(features, layout, batch_size=(4, 9), strategy=strategy, pack=pack, seed=11)
    second = make_batches(
        features, layout, batch_size=(4, 9), strategy=strategy, pack=pack, seed=11
    )
    for _ in range(3):
        one, two = epoch(first), epoch(second)
        assert len(one) == len(two)
        for a, b in zip(one, two, strict=True):
            assert a.keys() == b.keys()
            for name in a:
                np.testing.assert_array_equal(a[name], b[name])


def test_different_seeds_give_different_orders() -> None:
    """The seed drives the order: another seed, another first epoch."""
    features = windows_features(np.arange(45) % 4)
    one = np.concatenate([row_ids(b, "windows") for b in epoch(make_batches(features, "windows"))])
    other = make_batches(features, "windows", seed=2)
    two = np.concatenate([row_ids(b, "windows") for b in epoch(other)])
    assert not np.array_equal(one, two)


# --- trimming -----------------------------------------------------------------------------


def test_window_batches_drop_leading_padding_and_keep_labels() -> None:
    """Windows: turn columns that are padding in every row go; the label vector stays."""
    features = windows_features(np.array([0, 1, 2]), history=5)
    features[TURN_MASK] = np.array([[0, 0, 0, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 0, 1]], np.float32)
    trimmed = trim_padding(features, "windows")
    assert trimmed[TURN_MASK].tolist() == [[0, 1, 1], [1, 1, 1], [0, 0, 1]]
    assert trimmed["intent"].shape == (3, 3, DIMS["intent"])
    np.testing.assert_array_equal(trimmed["intent"], features["intent"][:, 2:])
    np.testing.assert_array_equal(trimmed[LABEL_IDS], features[LABEL_IDS])


def test_dialogue_batches_drop_trailing_padding() -> None:
    """Dialogues: columns after the batch's longest conversation go, nothing real is lost."""
    features = dialogue_features([2, 4, 3], padding=3)
    trimmed = trim_padding(features, "dialogues")
    assert trimmed[TURN_MASK].shape == (3, 4)
    for name, array in features.items():
        np.testing.assert_array_equal(trimmed[name], array[:, :4])


def test_all_padding_batch_is_left_unchanged() -> None:
    """A batch without any real turn has nothing to cut."""
    features = dialogue_features([2, 3])
    features[TURN_MASK] = np.zeros_like(features[TURN_MASK])
    trimmed = trim_padding(features, "dialogues")
    assert trimmed[TURN_MASK].shape == features[TURN_MASK].shape


# --- held-out split -----------------------------------------------------------------------


def assert_partition(features: Features, train: Features, held: Features, layout: str) -> None:
    """Train and held-out rows are disjoint, together all rows, each in data order."""
    train_ids, held_ids = row_ids(train, layout), row_ids(held, layout)
    assert (np.diff(train_ids) > 0).all() and (np.diff(held_ids) > 0).all()
    assert sorted([*train_ids.tolist(), *held_ids.tolist()]) == list(
        range(len(features[TURN_MASK]))
    )
    for name, array in features.items():
        np.testing.assert_array_equal(train[name], array[train_ids])
        np.testing.assert_array_equal(held[name], array[held_ids])


def test_windows_split_holds_out_exactly_the_requested_examples() -> None:
    """Windows: 'examples' rows are held out, the rest trains."""
    features = windows_features(np.arange(40) % 6)
    train, held = split_eval(features, "windows", 7, seed=3)
    assert held is not None
    assert len(held[LABEL_IDS]) == 7 and len(train[LABEL_IDS]) == 33
    assert_partition(features, train, held, "windows")


def test_dialogue_split_holds_out_whole_conversations_with_enough_targets() -> None:
    """Dialogues: whole conversations, just enough of them to reach 'examples' targets."""
    features = dialogue_features([3, 7, 2, 5, 4, 6, 1, 8] * 3)
    examples = 12
    train, held = split_eval(features, "dialogues", examples, seed=0)
    assert held is not None
    assert_partition(features, train, held, "dialogues")
    per_conversation = held[TARGET_MASK].sum(axis=1)
    assert per_conversation.sum() >= examples
    # one conversation fewer would not reach the requested number of targets
    assert per_conversation.sum() - per_conversation.max() < examples


def test_split_is_deterministic_for_a_seed_and_changes_with_it() -> None:
    """Same seed, same held-out rows; another seed, other rows."""
    features = windows_features(np.arange(40) % 6)
    held = [split_eval(features, "windows", 8, seed=s)[1] for s in (5, 5, 6)]
    assert all(h is not None for h in held)
    ids = [row_ids(h, "windows").tolist() for h in held if h is not None]
    assert ids[0] == ids[1]
    assert ids[0] != ids[2]


def test_split_without_seed_still_partitions() -> None:
    """seed=None draws an unseeded split, still a clean partition."""
    features = windows_features(np.arange(20) % 3)
    train, held = split_eval(features, "windows", 5, seed=None)
    assert held is not None
    assert_partition(features, train, held, "windows")


@pytest.mark.parametrize("examples", [0, -3])
def test_no_held_out_examples_keeps_all_rows_for_training(examples: int) -> None:
    """Zero or negative 'examples' means no evaluation set."""
    features = windows_features(np.arange(10) % 3)
    train, held = split_eval(features, "windows", examples, seed=1)
    assert held is None
    assert train.keys() == features.keys()
    for name, array in features.items():
        np.testing.assert_array_equal(train[name], array)


@pytest.mark.parametrize("layout", ["windows", "dialogues"])
def test_split_always_leaves_one_training_row(layout: str) -> None:
    """Asking for more than there is holds out all rows but one."""
    if layout == "windows":
        features = windows_features(np.arange(6) % 2)
    else:
        features = dialogue_features([2, 3, 4, 2, 3, 4])
    train, held = split_eval(features, layout, 1000, seed=1)
    assert held is not None
    assert len(train[TURN_MASK]) == 1 and len(held[TURN_MASK]) == 5
    assert_partition(features, train, held, layout)


def test_single_row_is_never_split() -> None:
    """One row cannot be split: it all trains and there is no evaluation set."""
    features = windows_features(np.array([2]))
    train, held = split_eval(features, "windows", 1, seed=1)
    assert held is None
    assert len(train[LABEL_IDS]) == 1


# --- packing ------------------------------------------------------------------------------


def test_conversation_lengths_count_turns_up_to_the_last_real_one() -> None:
    """Lengths of right-padded conversations; an empty row has length zero."""
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0]], np.float32)
    assert conversation_lengths(mask).tolist() == [2, 4, 0, 1]


@settings(max_examples=80, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=12),
    extra=st.integers(min_value=0, max_value=10),
)
def test_pack_rows_fills_rows_first_fit_without_overflow(lengths: list[int], extra: int) -> None:
    """Every conversation in exactly one row, no row over length, at most one half-empty row."""
    row_length = max(lengths) + extra
    rows = pack_rows(np.array(lengths), row_length)
    assert sorted(i for row in rows for i in row) == list(range(len(lengths)))
    fills = [sum(lengths[i] for i in row) for row in rows]
    assert all(fill <= row_length for fill in fills)
    assert sum(2 * fill <= row_length for fill in fills) <= 1
    assert pack_rows(np.array(lengths), row_length) == rows


@settings(max_examples=80, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=1, max_value=10), min_size=1, max_size=10),
    extra=st.one_of(st.none(), st.integers(min_value=0, max_value=8)),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_packing_keeps_every_turn_of_every_conversation(
    lengths: list[int], extra: int | None, seed: int
) -> None:
    """Each conversation is one contiguous segment of a packed row, with all its turns."""
    batch = dialogue_features(lengths, seed=seed)
    requested = None if extra is None else max(lengths) + extra
    packed = pack_dialogues(batch, requested)
    row_length = max(lengths) if requested is None else requested
    rows = pack_rows(np.array(lengths), row_length)
    assert packed[TURN_MASK].shape[0] == len(rows)
    assert packed[TURN_MASK].shape[1] <= row_length
    assert int((packed[TURN_MASK] > 0).sum()) == sum(lengths)
    for row, members in enumerate(rows):
        offset = 0
        for segment, index in enumerate(members, start=1):
            length = lengths[index]
            columns = np.flatnonzero(packed[TURN_MASK][row] == segment)
            assert columns.tolist() == list(range(offset, offset + length))
            for name, array in batch.items():
                if name != TURN_MASK:
                    np.testing.assert_array_equal(packed[name][row, columns], array[index, :length])
            offset += length
        assert not packed[TURN_MASK][row, offset:].any()
        assert not packed[TARGET_MASK][row, offset:].any()


def test_packed_epochs_carry_every_conversation_once() -> None:
    """With packing on, an epoch's packed batches still hold each conversation exactly once."""
    lengths = [2, 6, 3, 1, 5, 4, 2, 7] * 4
    features = dialogue_features(lengths)
    batches = make_batches(features, "dialogues", batch_size=(5, 10), pack=True)
    for _ in range(3):
        planned = epoch(batches)
        assert sorted(i for b in planned for i in packed_row_ids(b)) == list(range(len(lengths)))
        assert sum(int((b[TURN_MASK] > 0).sum()) for b in planned) == sum(lengths)
        assert sum(float(b[TARGET_MASK].sum()) for b in planned) == features[TARGET_MASK].sum()
        assert all(b[TURN_MASK].shape[1] <= max(lengths) for b in planned)


def test_windows_are_never_packed() -> None:
    """pack=True only applies to the dialogues layout; windows stay one example per row."""
    batches = make_batches(windows_features(np.arange(12) % 3), "windows", pack=True)
    assert batches.pack is False
    planned = epoch(batches)
    assert [len(b[LABEL_IDS]) for b in planned] == [4, 4, 4]
    assert set(np.unique(np.concatenate([b[TURN_MASK] for b in planned], axis=None))) <= {0, 1}
