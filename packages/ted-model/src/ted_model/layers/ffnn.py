"""A stack of randomly connected dense layers with GELU and dropout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from ted_model.layers.random_dense import RandomlyConnectedDense


@keras.saving.register_keras_serializable(package="ted_model")
class FeedForward(keras.layers.Layer):
    """Rasa's ``Ffnn``: each hidden size becomes dense -> GELU -> dropout."""

    def __init__(
        self,
        layer_sizes: Sequence[int],
        dropout: float = 0.0,
        density: float = 1.0,
        regularization: float = 0.0,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.layer_sizes = [int(size) for size in layer_sizes]
        self.dropout = dropout
        self.density = density
        self.regularization = regularization
        self.seed = seed

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.dense_layers = []
        self.dropout_layers = []
        shape = tuple(input_shape)
        for index, size in enumerate(self.layer_sizes):
            dense = RandomlyConnectedDense(
                size,
                density=self.density,
                activation="gelu",
                regularization=self.regularization,
                mask_seed=self.seed + index,
                name=f"hidden_{index}",
            )
            dense.build(shape)
            shape = dense.compute_output_shape(shape)
            self.dense_layers.append(dense)
            self.dropout_layers.append(
                keras.layers.Dropout(self.dropout, seed=self.seed + 7919 * (index + 1))
            )

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        outputs = inputs
        for dense, dropout in zip(self.dense_layers, self.dropout_layers, strict=True):
            outputs = dropout(dense(outputs), training=training)
        return outputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        if not self.layer_sizes:
            return tuple(input_shape)
        return (*input_shape[:-1], self.layer_sizes[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            layer_sizes=self.layer_sizes,
            dropout=self.dropout,
            density=self.density,
            regularization=self.regularization,
            seed=self.seed,
        )
        return config
