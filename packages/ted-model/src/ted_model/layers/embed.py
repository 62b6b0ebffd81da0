"""Projects encoder outputs or label features into the shared similarity space."""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="ted_model")
class EmbeddingHead(keras.layers.Layer):
    """A regularized linear layer to ``embedding_dimension``; L2-normalized for cosine."""

    def __init__(
        self,
        embedding_dimension: int,
        similarity: str = "inner",
        regularization: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.embedding_dimension = embedding_dimension
        self.similarity = similarity
        self.regularization = regularization

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        regularizer = keras.regularizers.L2(self.regularization) if self.regularization else None
        self.dense = keras.layers.Dense(
            self.embedding_dimension, kernel_regularizer=regularizer, name="dense"
        )
        self.dense.build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        outputs = self.dense(inputs)
        if self.similarity == "cosine":
            outputs = keras.ops.normalize(outputs, axis=-1)
        return outputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.embedding_dimension)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            embedding_dimension=self.embedding_dimension,
            similarity=self.similarity,
            regularization=self.regularization,
        )
        return config
