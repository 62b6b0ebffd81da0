"""Each layer: output shape, its weights, and a get_config / from_config round trip."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

from ted_model.layers import (
    AttributeEmbedding,
    DialogueTransformer,
    DotProductLoss,
    EmbeddingHead,
    FeedForward,
    RandomlyConnectedDense,
    RelativeAttention,
    TransformerBlock,
)


def _round_trip(layer: keras.layers.Layer) -> keras.layers.Layer:
    config = layer.get_config()
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(clone) is type(layer)
    assert clone.get_config() == config
    return clone


def _inputs(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).normal(size=shape).astype("float32")


def test_randomly_connected_dense() -> None:
    layer = RandomlyConnectedDense(16, density=0.2, mask_seed=3)
    out = layer(_inputs(2, 5, 40))
    assert out.shape == (2, 5, 16)
    assert [w.path.split("/")[-1] for w in layer.weights] == ["kernel", "bias", "kernel_mask"]
    mask = np.asarray(layer.kernel_mask)
    assert mask.any(axis=0).all() and mask.any(axis=1).all()  # no dead unit
    assert 0.15 < mask.mean() < 0.35
    clone = RandomlyConnectedDense.from_config(layer.get_config())
    clone(_inputs(1, 1, 40))
    np.testing.assert_array_equal(np.asarray(clone.kernel_mask), mask)  # same pattern
    _round_trip(layer)


def test_feed_forward() -> None:
    layer = FeedForward([12, 6], dropout=0.1, density=0.5)
    assert layer(_inputs(3, 4, 8)).shape == (3, 4, 6)
    assert len(layer.trainable_weights) == 4
    _round_trip(layer)


def test_attribute_embedding() -> None:
    layer = AttributeEmbedding(20, 50, hidden_layer_sizes=[30], input_dropout=0.1, dropout=0.1)
    assert layer(_inputs(2, 7, 11)).shape == (2, 7, 50)
    assert len(layer.trainable_weights) == 6  # sparse-to-dense, hidden, encoding
    _round_trip(layer)


def test_embedding_head_normalizes_for_cosine() -> None:
    layer = EmbeddingHead(8, similarity="cosine")
    out = np.asarray(layer(_inputs(5, 16)))
    assert out.shape == (5, 8)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, rtol=1e-5)
    assert len(layer.trainable_weights) == 2
    _round_trip(layer)


def _causal_mask(turns: int) -> np.ndarray:
    return np.tril(np.ones((turns, turns), "float32"))[None]


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (RelativeAttention, {"num_heads": 2, "size": 8, "max_relative_position": 3}),
        (TransformerBlock, {"size": 8, "num_heads": 2, "max_relative_position": 3}),
        (
            DialogueTransformer,
            {"num_layers": 2, "size": 8, "num_heads": 2, "max_relative_position": 3},
        ),
    ],
)
def test_attention_layers(cls: Any, kwargs: dict[str, Any]) -> None:
    layer = cls(**kwargs)
    x = _inputs(2, 5, 8)
    out = np.asarray(layer(x, attention_mask=np.repeat(_causal_mask(5), 2, axis=0)))
    assert out.shape == (2, 5, 8)
    assert layer.trainable_weights
    # causal: changing the last turn leaves earlier outputs alone
    changed = x.copy()
    changed[:, -1] += 1.0
    out2 = np.asarray(layer(changed, attention_mask=np.repeat(_causal_mask(5), 2, axis=0)))
    np.testing.assert_allclose(out[:, :-1], out2[:, :-1], atol=1e-5)
    assert not np.allclose(out[:, -1], out2[:, -1])
    _round_trip(layer)


def test_relative_attention_ignores_absolute_position() -> None:
    """The same turns give the same output wherever they sit (left padding or not)."""
    layer = RelativeAttention(num_heads=2, size=8, max_relative_position=4)
    x = _inputs(1, 3, 8)
    padded = np.concatenate([np.zeros((1, 2, 8), "float32"), x], axis=1)
    mask = np.ones((1, 3, 3), "float32")
    padded_mask = np.zeros((1, 5, 5), "float32")
    padded_mask[:, :, 2:] = 1.0
    out = np.asarray(layer(x, attention_mask=mask))
    out_padded = np.asarray(layer(padded, attention_mask=padded_mask))
    np.testing.assert_allclose(out[:, -1], out_padded[:, -1], atol=1e-5)


def test_dot_product_loss_layer_config() -> None:
    layer = DotProductLoss(3, seed=4)
    loss = layer(_inputs(6, 4), np.array([0, 1, 2, 0, 1, 2]), _inputs(5, 4))
    assert np.asarray(loss).shape == ()
    assert np.isfinite(float(loss))
    _round_trip(layer)
