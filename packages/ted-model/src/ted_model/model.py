"""The TED network as a ``keras.Model``: batch_loss, batch_predict, prepare_for_predict."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ted_model.config import LABEL_ATTRIBUTE, STATE_ATTRIBUTES, TEDConfig
from ted_model.layers import AttributeEmbedding, DialogueTransformer, DotProductLoss, EmbeddingHead

logger = logging.getLogger(__name__)

TURN_MASK = "turn_mask"
LABEL_IDS = "label_ids"
TARGET_MASK = "target_mask"


class TEDModel(keras.Model):
    """Turn states -> transformer -> dialogue embedding; actions -> label embedding.

    Inputs are dicts of float32 arrays ``<attribute>`` [batch, turns, dim] plus
    ``turn_mask`` [batch, turns] (0 = padding, else a conversation id within the row).
    In the "dialogues" layout (``causal``) turn t attends
    to itself and the ``max_history - 1`` turns before it, so each turn's output is the
    output its own window would give; ``label_ids``/``target_mask`` [batch, turns] pick
    the targets. In the "windows" layout attention is bidirectional inside the window,
    the last turn's output is used and ``label_ids`` is [batch].
    """

    def __init__(
        self,
        config: TEDConfig,
        attribute_dims: Mapping[str, int],
        label_features: np.ndarray,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ted_config = config
        self.attribute_dims = {name: int(attribute_dims.get(name, 0)) for name in STATE_ATTRIBUTES}
        self.attributes = [name for name in STATE_ATTRIBUTES if self.attribute_dims[name] > 0]
        if not self.attributes:
            raise ValueError("no turn attribute has any features")
        self.label_features = tf.constant(np.asarray(label_features, dtype="float32"))
        self.num_labels = int(label_features.shape[0])
        self.causal = config.effective_layout == "dialogues"
        seed = config.random_seed if config.random_seed is not None else 0
        similarity = config.effective_similarity
        input_dropout = config.drop_rate_dialogue if config.sparse_input_dropout else 0.0
        self.attribute_embeddings = {
            name: AttributeEmbedding(
                config.dense_dimension[name],
                config.encoding_dimension,
                config.hidden_layers_sizes[name],
                input_dropout=input_dropout,
                dropout=config.drop_rate_dialogue,
                density=config.connection_density,
                regularization=config.regularization_constant,
                seed=seed + 1000 * (index + 1),
                name=f"embed_{name}",
            )
            for index, name in enumerate(self.attributes)
        }
        label_dropout = config.drop_rate_label if config.sparse_input_dropout else 0.0
        self.label_embedding = AttributeEmbedding(
            config.dense_dimension[LABEL_ATTRIBUTE],
            config.encoding_dimension,
            config.hidden_layers_sizes[LABEL_ATTRIBUTE],
            input_dropout=label_dropout,
            dropout=config.drop_rate_label,
            density=config.connection_density,
            regularization=config.regularization_constant,
            seed=seed + 9000,
            name="embed_label",
        )
        self.transformer = DialogueTransformer(
            config.number_of_transformer_layers,
            config.transformer_size,
            config.number_of_attention_heads,
            config.relative_positions,
            dropout=config.drop_rate_dialogue,
            attention_dropout=config.drop_rate_attention,
            density=config.connection_density,
            regularization=config.regularization_constant,
            seed=seed + 20000,
            name="dialogue_transformer",
        )
        self.dialogue_head = EmbeddingHead(
            config.embedding_dimension,
            similarity=similarity,
            regularization=config.regularization_constant,
            name="dialogue_head",
        )
        self.label_head = EmbeddingHead(
            config.embedding_dimension,
            similarity=similarity,
            regularization=config.regularization_constant,
            name="label_head",
        )
        self.loss_layer = DotProductLoss(
            config.number_of_negative_examples,
            loss_type=config.loss_type,
            scale_loss=config.scale_loss,
            constrain_similarities=config.constrain_similarities,
            max_pos_sim=config.max_pos_sim,
            max_neg_sim=config.max_neg_sim,
            use_max_neg_sim=config.use_max_neg_sim,
            negative_margin_scale=config.negative_margin_scale,
            input_negatives=config.input_negatives,
            seed=seed + 30000,
            name="dot_product_loss",
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.Mean(name="action_accuracy")
        self._predict_label_embed: Any = None

    # --- building -------------------------------------------------------------------
    def zero_batch(self, turns: int = 2) -> dict[str, np.ndarray]:
        """A one-example batch of the right feature shapes, used to create the variables."""
        batch: dict[str, np.ndarray] = {
            name: np.zeros((1, turns, self.attribute_dims[name]), dtype="float32")
            for name in self.attributes
        }
        batch[TURN_MASK] = np.ones((1, turns), dtype="float32")
        return batch

    def build_variables(self) -> None:
        """Create every variable from the known input sizes (no forward pass, no training)."""
        config = self.ted_config
        for name in self.attributes:
            self.attribute_embeddings[name].build((None, None, self.attribute_dims[name]))
        states = config.encoding_dimension * len(self.attributes)
        self.transformer.build((None, None, states))
        self.dialogue_head.build((None, None, config.transformer_size))
        self.label_embedding.build((None, int(self.label_features.shape[1])))
        self.label_head.build((None, config.encoding_dimension))
        self.built = True

    # --- forward --------------------------------------------------------------------
    def attention_mask(self, turn_mask: Any) -> Any:
        """[batch, query, key]: real keys only; causal within max_history if ``causal``.

        ``turn_mask`` is 0 for padding and otherwise the id of the conversation the turn
        belongs to (1 when a row holds one conversation): training packs several short
        conversations into one row, and a turn only sees turns of its own conversation.
        """
        turn_mask = ops.cast(turn_mask, "float32")
        same = ops.equal(turn_mask[:, :, None], turn_mask[:, None, :])
        mask = ops.cast(same, "float32") * ops.cast(turn_mask[:, None, :] > 0, "float32")
        if not self.causal:
            return mask
        length = ops.shape(turn_mask)[1]
        positions = ops.arange(length)
        distance = positions[:, None] - positions[None, :]
        allowed = distance >= 0
        if self.ted_config.max_history is not None:
            allowed = ops.logical_and(allowed, distance < self.ted_config.max_history)
        return mask * ops.cast(allowed, "float32")[None, :, :]

    def encode(self, inputs: Mapping[str, Any], training: bool | None = None) -> Any:
        """Dialogue embeddings [batch, turns, embedding_dimension] for every turn."""
        parts = [
            self.attribute_embeddings[name](inputs[name], training=training)
            for name in self.attributes
        ]
        states = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        encoded = self.transformer(
            states, attention_mask=self.attention_mask(inputs[TURN_MASK]), training=training
        )
        return self.dialogue_head(encoded)

    def embed_labels(self, training: bool | None = None) -> Any:
        """Label embeddings [num_labels, embedding_dimension] of every action."""
        return self.label_head(self.label_embedding(self.label_features, training=training))

    def call(self, inputs: Mapping[str, Any], training: bool | None = None) -> Any:
        return self.encode(inputs, training=training)

    def select_targets(self, inputs: Mapping[str, Any], embedded: Any) -> tuple[Any, Any]:
        """The (embeddings [N, E], label ids [N]) of the training targets in a batch."""
        if self.causal:
            flat = ops.reshape(embedded, (-1, self.ted_config.embedding_dimension))
            labels = ops.reshape(ops.cast(inputs[LABEL_IDS], "int32"), (-1,))
            keep = ops.reshape(ops.cast(inputs[TARGET_MASK], "bool"), (-1,))
            return tf.boolean_mask(flat, keep), tf.boolean_mask(labels, keep)
        return embedded[:, -1, :], ops.cast(inputs[LABEL_IDS], "int32")

    def batch_loss(
        self, inputs: Mapping[str, Any], training: bool | None = None
    ) -> tuple[Any, Any]:
        """(sampled-negatives loss, full-softmax accuracy) of one batch."""
        embedded, labels = self.select_targets(inputs, self.encode(inputs, training=training))
        labels_embed = self.embed_labels(training=training)
        loss = self.loss_layer(embedded, labels, labels_embed, training=training)
        predicted = ops.argmax(ops.matmul(embedded, ops.transpose(labels_embed)), axis=-1)
        accuracy = ops.mean(ops.cast(ops.equal(ops.cast(predicted, "int32"), labels), "float32"))
        return loss, accuracy

    # --- keras fit --------------------------------------------------------------------
    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker, self.accuracy_tracker]

    def train_step(self, data: Any) -> dict[str, Any]:
        inputs = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            loss, accuracy = self.batch_loss(inputs, training=True)
            total = loss + ops.sum(ops.stack(self.losses)) if self.losses else loss
        gradients = tape.gradient(total, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(accuracy)
        return {
            "loss": self.loss_tracker.result(),
            "action_accuracy": self.accuracy_tracker.result(),
        }

    def test_step(self, data: Any) -> dict[str, Any]:
        inputs = data[0] if isinstance(data, tuple) else data
        loss, accuracy = self.batch_loss(inputs, training=False)
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(accuracy)
        return {
            "loss": self.loss_tracker.result(),
            "action_accuracy": self.accuracy_tracker.result(),
        }

    # --- prediction -------------------------------------------------------------------
    def prepare_for_predict(self) -> None:
        """Compute the label embeddings once; prediction then only encodes dialogues."""
        self._predict_label_embed = tf.constant(ops.convert_to_numpy(self.embed_labels(False)))

    def batch_predict(self, inputs: Mapping[str, Any]) -> Any:
        """Confidences [batch, num_labels] for the last turn of each window."""
        if self._predict_label_embed is None:
            self.prepare_for_predict()
        embedded = self.encode(inputs, training=False)[:, -1, :]
        similarities = ops.matmul(embedded, ops.transpose(self._predict_label_embed))
        return ops.softmax(similarities, axis=-1)
