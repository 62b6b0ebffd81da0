"""A dense layer whose kernel keeps only a fixed random fraction of its connections."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="ted_model")
class RandomlyConnectedDense(keras.layers.Layer):
    """Dense layer with a fixed sparse connectivity pattern (Rasa's ``connection_density``).

    The pattern is drawn once from ``mask_seed`` and stored as a non-trainable weight, so a
    saved model predicts the same after loading. Every input reaches at least one output
    and every output sees at least one input, so no unit is dead.
    """

    def __init__(
        self,
        units: int,
        density: float = 1.0,
        activation: str | None = None,
        use_bias: bool = True,
        regularization: float = 0.0,
        mask_seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.density = density
        self.activation_name = activation
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.regularization = regularization
        self.mask_seed = mask_seed

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        in_dim = int(input_shape[-1])  # type: ignore[arg-type]
        regularizer = keras.regularizers.L2(self.regularization) if self.regularization else None
        self.kernel = self.add_weight(
            name="kernel",
            shape=(in_dim, self.units),
            initializer="glorot_uniform",
            regularizer=regularizer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
            if self.use_bias
            else None
        )
        self.kernel_mask = self.add_weight(
            name="kernel_mask",
            shape=(in_dim, self.units),
            initializer=keras.initializers.Constant(self._draw_mask(in_dim)),
            trainable=False,
        )

    def _draw_mask(self, in_dim: int) -> np.ndarray:
        if self.density >= 1.0 or in_dim == 0:
            return np.ones((in_dim, self.units), dtype="float32")
        rng = np.random.default_rng(self.mask_seed)
        mask = rng.random((in_dim, self.units)) < self.density
        rows = np.arange(max(in_dim, self.units))
        mask[rows % in_dim, rows % self.units] = True
        return mask.astype("float32")

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        outputs = keras.ops.matmul(inputs, self.kernel * self.kernel_mask)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            units=self.units,
            density=self.density,
            activation=self.activation_name,
            use_bias=self.use_bias,
            regularization=self.regularization,
            mask_seed=self.mask_seed,
        )
        return config
