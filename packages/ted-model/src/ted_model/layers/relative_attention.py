"""Multi-head self-attention with learned relative position embeddings (Shaw et al.)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ted_model.layers.random_dense import RandomlyConnectedDense


@keras.saving.register_keras_serializable(package="ted_model")
class RelativeAttention(keras.layers.Layer):
    """Self-attention whose positions are the distance between query and key turn.

    Distances are clipped to ``[-max_relative_position, max_relative_position]``. Because
    nothing depends on absolute positions, a turn sees the same keys and positions whether
    it is the last turn of a left-padded window or one turn of a whole dialogue under a
    banded causal mask, which lets training encode every dialogue turn once.
    """

    def __init__(
        self,
        num_heads: int,
        size: int,
        max_relative_position: int,
        attention_dropout: float = 0.0,
        density: float = 1.0,
        regularization: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.size = size
        self.max_relative_position = max_relative_position
        self.attention_dropout = attention_dropout
        self.density = density
        self.regularization = regularization
        self.seed = seed
        self.head_size = size // num_heads

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.projections = {}
        for index, name in enumerate(("query", "key", "value", "output")):
            layer = RandomlyConnectedDense(
                self.size,
                density=self.density,
                use_bias=False,
                regularization=self.regularization,
                mask_seed=self.seed + index,
                name=name,
            )
            layer.build(input_shape if name != "output" else (*input_shape[:-1], self.size))
            self.projections[name] = layer
        positions = 2 * self.max_relative_position + 1
        self.relative_keys = self.add_weight(
            name="relative_keys",
            shape=(positions, self.head_size),
            initializer=keras.initializers.RandomNormal(stddev=self.head_size**-0.5),
        )
        self.relative_values = self.add_weight(
            name="relative_values",
            shape=(positions, self.head_size),
            initializer=keras.initializers.RandomNormal(stddev=self.head_size**-0.5),
        )
        self.dropout_layer = keras.layers.Dropout(self.attention_dropout, seed=self.seed + 11)

    def _split_heads(self, x: Any) -> Any:
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (batch, length, self.num_heads, self.head_size))
        return ops.transpose(x, (0, 2, 1, 3))

    def call(self, inputs: Any, attention_mask: Any, training: bool | None = None) -> Any:
        """``attention_mask`` [batch, query, key] is 1 where a query may see a key."""
        query = self._split_heads(self.projections["query"](inputs)) * (self.head_size**-0.5)
        key = self._split_heads(self.projections["key"](inputs))
        value = self._split_heads(self.projections["value"](inputs))
        length = ops.shape(inputs)[1]
        positions = ops.arange(length)
        distance = ops.clip(
            positions[:, None] - positions[None, :],
            -self.max_relative_position,
            self.max_relative_position,
        )
        index = distance + self.max_relative_position
        relative_keys = ops.take(self.relative_keys, index, axis=0)
        relative_values = ops.take(self.relative_values, index, axis=0)
        logits = ops.einsum("bhqd,bhkd->bhqk", query, key)
        logits = logits + ops.einsum("bhqd,qkd->bhqk", query, relative_keys)
        mask = ops.cast(attention_mask, logits.dtype)[:, None, :, :]
        logits = logits + (1.0 - mask) * -1e9
        weights = ops.softmax(logits, axis=-1)
        weights = self.dropout_layer(weights, training=training)
        outputs = ops.einsum("bhqk,bhkd->bhqd", weights, value)
        outputs = outputs + ops.einsum("bhqk,qkd->bhqd", weights, relative_values)
        outputs = ops.transpose(outputs, (0, 2, 1, 3))
        outputs = ops.reshape(outputs, (ops.shape(inputs)[0], length, self.size))
        return self.projections["output"](outputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.size)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            size=self.size,
            max_relative_position=self.max_relative_position,
            attention_dropout=self.attention_dropout,
            density=self.density,
            regularization=self.regularization,
            seed=self.seed,
        )
        return config
