"""The TED model: one causal pass over a dialogue equals encoding each window separately."""

from __future__ import annotations

import numpy as np

from ted_model.config import TEDConfig
from ted_model.model import TEDModel

DIMS = {"intent": 4, "entities": 3, "action_name": 6, "slots": 2, "active_loop": 0}


def _dialogue(turns: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    batch = {
        name: (rng.random((1, turns, dim)) < 0.4).astype("float32")
        for name, dim in DIMS.items()
        if dim
    }
    batch["turn_mask"] = np.ones((1, turns), "float32")
    return batch


def _small(max_history: int | None, layers: int = 1) -> TEDModel:
    config = TEDConfig(
        max_history=max_history,
        transformer_size=16,
        number_of_attention_heads=2,
        number_of_transformer_layers=layers,
        encoding_dimension=8,
        embedding_dimension=5,
        random_seed=3,
        layout="dialogues",
    )
    model = TEDModel(config, DIMS, np.eye(6, dtype="float32"))
    model.build_variables()
    return model


def test_banded_causal_pass_equals_each_window() -> None:
    history, turns = 3, 7
    model = _small(history)
    dialogue = _dialogue(turns)
    whole = np.asarray(model.encode(dialogue, training=False))[0]
    for t in range(turns):
        start = max(0, t + 1 - history)
        window = {name: array[:, start : t + 1] for name, array in dialogue.items()}
        # left-pad to max_history as the request featurizer does
        pad = history - window["turn_mask"].shape[1]
        window = {
            name: np.concatenate([np.zeros((1, pad, *a.shape[2:]), "float32"), a], axis=1)
            for name, a in window.items()
        }
        alone = np.asarray(model.encode(window, training=False))[0, -1]
        np.testing.assert_allclose(whole[t], alone, atol=1e-5)


def test_without_history_limit_every_turn_sees_the_whole_past() -> None:
    model = _small(None)
    dialogue = _dialogue(6, seed=1)
    whole = np.asarray(model.encode(dialogue, training=False))[0]
    prefix = {name: array[:, :4] for name, array in dialogue.items()}
    np.testing.assert_allclose(
        whole[3], np.asarray(model.encode(prefix, training=False))[0, -1], atol=1e-5
    )


def test_batch_predict_gives_confidences_over_all_actions() -> None:
    model = _small(3)
    confidences = np.asarray(model.batch_predict(_dialogue(3)))
    assert confidences.shape == (1, 6)
    np.testing.assert_allclose(confidences.sum(), 1.0, rtol=1e-5)


def test_packed_conversations_encode_as_if_alone() -> None:
    from ted_model.datasets import pack_dialogues, pack_rows

    model = _small(max_history=3)
    rng = np.random.default_rng(5)
    lengths = [7, 2, 4, 5]
    turns = max(lengths)
    batch = {
        name: (rng.random((len(lengths), turns, dim)) < 0.4).astype("float32")
        for name, dim in DIMS.items()
        if dim
    }
    batch["turn_mask"] = (np.arange(turns)[None, :] < np.array(lengths)[:, None]).astype("float32")
    batch["label_ids"] = rng.integers(0, 6, (len(lengths), turns)).astype("int32")
    batch["target_mask"] = batch["turn_mask"].copy()
    packed = pack_dialogues(batch, row_length=turns)
    assert pack_rows(np.array(lengths), turns) == [[0], [3, 1], [2]]
    assert packed["turn_mask"].shape == (3, 7)
    assert packed["turn_mask"][1].tolist() == [1, 1, 1, 1, 1, 2, 2]
    alone, alone_labels = model.select_targets(batch, model.encode(batch, training=False))
    together, labels = model.select_targets(packed, model.encode(packed, training=False))
    # row order after packing: conversation 0, then 3 and 1, then 2
    order = np.concatenate([np.arange(s, s + n) for s, n in [(0, 7), (13, 5), (7, 2), (9, 4)]])
    np.testing.assert_allclose(np.asarray(together), np.asarray(alone)[order], atol=1e-5)
    np.testing.assert_array_equal(np.asarray(labels), np.asarray(alone_labels)[order])
