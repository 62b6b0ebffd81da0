"""The dialogue transformer: input projection, pre-norm encoder blocks, final norm."""

from __future__ import annotations

from typing import Any

import keras

from ted_model.layers.random_dense import RandomlyConnectedDense
from ted_model.layers.relative_attention import RelativeAttention


@keras.saving.register_keras_serializable(package="ted_model")
class TransformerBlock(keras.layers.Layer):
    """One pre-norm encoder block: attention and a GELU feed-forward, each residual."""

    def __init__(
        self,
        size: int,
        num_heads: int,
        max_relative_position: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        density: float = 1.0,
        regularization: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = size
        self.num_heads = num_heads
        self.max_relative_position = max_relative_position
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.density = density
        self.regularization = regularization
        self.seed = seed

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="attention_norm")
        self.attention_norm.build(input_shape)
        self.attention = RelativeAttention(
            self.num_heads,
            self.size,
            self.max_relative_position,
            attention_dropout=self.attention_dropout,
            density=self.density,
            regularization=self.regularization,
            seed=self.seed,
            name="attention",
        )
        self.attention.build(input_shape)
        self.attention_dropout_layer = keras.layers.Dropout(self.dropout, seed=self.seed + 21)
        self.ffn_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="ffn_norm")
        self.ffn_norm.build(input_shape)
        self.ffn_inner = RandomlyConnectedDense(
            4 * self.size,
            density=self.density,
            activation="gelu",
            regularization=self.regularization,
            mask_seed=self.seed + 22,
            name="ffn_inner",
        )
        self.ffn_inner.build(input_shape)
        self.ffn_outer = RandomlyConnectedDense(
            self.size,
            density=self.density,
            regularization=self.regularization,
            mask_seed=self.seed + 23,
            name="ffn_outer",
        )
        self.ffn_outer.build((*input_shape[:-1], 4 * self.size))
        self.ffn_dropout_inner = keras.layers.Dropout(self.dropout, seed=self.seed + 24)
        self.ffn_dropout_outer = keras.layers.Dropout(self.dropout, seed=self.seed + 25)

    def call(self, inputs: Any, attention_mask: Any, training: bool | None = None) -> Any:
        attended = self.attention(
            self.attention_norm(inputs), attention_mask=attention_mask, training=training
        )
        outputs = inputs + self.attention_dropout_layer(attended, training=training)
        hidden = self.ffn_dropout_inner(self.ffn_inner(self.ffn_norm(outputs)), training=training)
        return outputs + self.ffn_dropout_outer(self.ffn_outer(hidden), training=training)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            size=self.size,
            num_heads=self.num_heads,
            max_relative_position=self.max_relative_position,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            density=self.density,
            regularization=self.regularization,
            seed=self.seed,
        )
        return config


@keras.saving.register_keras_serializable(package="ted_model")
class DialogueTransformer(keras.layers.Layer):
    """Projects turn encodings to ``size`` and runs ``num_layers`` encoder blocks."""

    def __init__(
        self,
        num_layers: int,
        size: int,
        num_heads: int,
        max_relative_position: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        density: float = 1.0,
        regularization: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_layers = num_layers
        self.size = size
        self.num_heads = num_heads
        self.max_relative_position = max_relative_position
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.density = density
        self.regularization = regularization
        self.seed = seed

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.projection = RandomlyConnectedDense(
            self.size,
            density=self.density,
            regularization=self.regularization,
            mask_seed=self.seed,
            name="projection",
        )
        self.projection.build(input_shape)
        shape = (*input_shape[:-1], self.size)
        self.input_dropout = keras.layers.Dropout(self.dropout, seed=self.seed + 1)
        self.blocks = []
        for index in range(self.num_layers):
            block = TransformerBlock(
                self.size,
                self.num_heads,
                self.max_relative_position,
                dropout=self.dropout,
                attention_dropout=self.attention_dropout,
                density=self.density,
                regularization=self.regularization,
                seed=self.seed + 100 * (index + 1),
                name=f"block_{index}",
            )
            block.build(shape)
            self.blocks.append(block)
        self.output_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="output_norm")
        self.output_norm.build(shape)

    def call(self, inputs: Any, attention_mask: Any, training: bool | None = None) -> Any:
        outputs = self.input_dropout(self.projection(inputs), training=training)
        for block in self.blocks:
            outputs = block(outputs, attention_mask=attention_mask, training=training)
        return self.output_norm(outputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.size)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            num_layers=self.num_layers,
            size=self.size,
            num_heads=self.num_heads,
            max_relative_position=self.max_relative_position,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            density=self.density,
            regularization=self.regularization,
            seed=self.seed,
        )
        return config
