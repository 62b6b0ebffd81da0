"""Embeds one multi-hot turn attribute (intent, entities, slots, ...) into a dense vector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from ted_model.layers.ffnn import FeedForward


@keras.saving.register_keras_serializable(package="ted_model")
class AttributeEmbedding(keras.layers.Layer):
    """Sparse-to-dense projection, optional hidden layers, then the encoding layer.

    Mirrors Rasa's per-attribute path: input dropout on the multi-hot features, a
    regularized dense layer to ``dense_dimension``, the attribute's hidden layers and a
    randomly connected layer to ``encoding_dimension``.
    """

    def __init__(
        self,
        dense_dimension: int,
        encoding_dimension: int,
        hidden_layer_sizes: Sequence[int] = (),
        input_dropout: float = 0.0,
        dropout: float = 0.0,
        density: float = 1.0,
        regularization: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dense_dimension = dense_dimension
        self.encoding_dimension = encoding_dimension
        self.hidden_layer_sizes = [int(size) for size in hidden_layer_sizes]
        self.input_dropout = input_dropout
        self.dropout = dropout
        self.density = density
        self.regularization = regularization
        self.seed = seed

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        regularizer = keras.regularizers.L2(self.regularization) if self.regularization else None
        self.input_dropout_layer = keras.layers.Dropout(self.input_dropout, seed=self.seed)
        self.sparse_to_dense = keras.layers.Dense(
            self.dense_dimension, kernel_regularizer=regularizer, name="sparse_to_dense"
        )
        self.sparse_to_dense.build(input_shape)
        shape = self.sparse_to_dense.compute_output_shape(input_shape)
        self.encoder = FeedForward(
            [*self.hidden_layer_sizes, self.encoding_dimension],
            dropout=self.dropout,
            density=self.density,
            regularization=self.regularization,
            seed=self.seed + 1,
            name="encoding",
        )
        self.encoder.build(shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        outputs = self.input_dropout_layer(inputs, training=training)
        outputs = self.sparse_to_dense(outputs)
        return self.encoder(outputs, training=training)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.encoding_dimension)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            dense_dimension=self.dense_dimension,
            encoding_dimension=self.encoding_dimension,
            hidden_layer_sizes=self.hidden_layer_sizes,
            input_dropout=self.input_dropout,
            dropout=self.dropout,
            density=self.density,
            regularization=self.regularization,
            seed=self.seed,
        )
        return config
