"""TED's training loss: similarity to the right action against sampled wrong ones."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

_MASKED = -1e9


@keras.saving.register_keras_serializable(package="ted_model")
class DotProductLoss(keras.layers.Layer):
    """Rasa's dot-product loss with sampled negatives.

    For each example, ``num_negatives`` wrong labels are drawn uniformly from all labels
    except the right one, and ``num_negatives`` other examples of the batch are drawn as
    negative inputs (those with the same label are masked out). With cross-entropy the
    similarities input-label (positive first), input-wrong label and right label-other
    input are the logits of a softmax whose target is the positive; unless
    ``constrain_similarities`` the label-label term joins the softmax, otherwise every
    similarity also gets a sigmoid loss towards 1 (positive) or 0.

    Unlike Rasa, input-input similarities are not in the softmax: the inputs of a batch
    are turns of the same dialogues that share most of their history, and pushing them
    apart collapsed every embedding towards zero in our tests (moodbot never learned).
    ``scale_loss`` multiplies each example's loss by ``((1 - p) / 0.5) ** 4`` (no
    gradient through it) once any example has p > 0.5, focusing on unlearned examples.
    The margin loss pushes cosine similarities above ``max_pos_sim`` for the right label
    and below ``max_neg_sim`` for wrong ones.
    """

    def __init__(
        self,
        num_negatives: int,
        loss_type: str = "cross_entropy",
        scale_loss: bool = True,
        constrain_similarities: bool = False,
        max_pos_sim: float = 0.8,
        max_neg_sim: float = -0.2,
        use_max_neg_sim: bool = True,
        negative_margin_scale: float = 0.8,
        seed: int | None = None,
        input_negatives: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_negatives = num_negatives
        self.loss_type = loss_type
        self.scale_loss = scale_loss
        self.constrain_similarities = constrain_similarities
        self.max_pos_sim = max_pos_sim
        self.max_neg_sim = max_neg_sim
        self.use_max_neg_sim = use_max_neg_sim
        self.negative_margin_scale = negative_margin_scale
        self.seed = seed
        self.input_negatives = input_negatives
        self.seed_generator = keras.random.SeedGenerator(seed)

    def sample_negative_labels(self, label_ids: Any, num_labels: Any) -> Any:
        """[N, K] label ids drawn uniformly from all labels except each example's own."""
        draws = keras.random.randint(
            (ops.shape(label_ids)[0], self.num_negatives),
            0,
            num_labels - 1,
            seed=self.seed_generator,
            dtype="int32",
        )
        return draws + ops.cast(draws >= label_ids[:, None], "int32")

    def sample_negative_inputs(self, label_ids: Any) -> tuple[Any, Any]:
        """[N, K] indices of other examples of the batch and a mask of the usable ones."""
        count = ops.shape(label_ids)[0]
        index = keras.random.randint(
            (count, self.num_negatives), 0, count, seed=self.seed_generator, dtype="int32"
        )
        usable = ops.not_equal(ops.take(label_ids, index, axis=0), label_ids[:, None])
        return index, ops.cast(usable, "float32")

    def call(
        self,
        inputs_embed: Any,
        label_ids: Any,
        all_labels_embed: Any,
        training: bool | None = None,
    ) -> Any:
        """Mean loss over examples. inputs_embed [N, E], label_ids [N], all labels [L, E]."""
        label_ids = ops.cast(label_ids, "int32")
        num_labels = ops.shape(all_labels_embed)[0]
        labels_embed = ops.take(all_labels_embed, label_ids, axis=0)
        negative_label_ids = self.sample_negative_labels(label_ids, num_labels)
        negative_labels = ops.take(all_labels_embed, negative_label_ids, axis=0)
        negative_index, usable = self.sample_negative_inputs(label_ids)
        negative_inputs = ops.take(inputs_embed, negative_index, axis=0)

        sim_pos = ops.sum(inputs_embed * labels_embed, axis=-1, keepdims=True)
        sim_il = ops.einsum("ne,nke->nk", inputs_embed, negative_labels)
        sim_ll = ops.einsum("ne,nke->nk", labels_embed, negative_labels)
        sim_li = ops.einsum("ne,nke->nk", labels_embed, negative_inputs)
        sim_ii = ops.einsum("ne,nke->nk", inputs_embed, negative_inputs)
        if self.loss_type == "margin":
            return ops.mean(self._margin_loss(sim_pos, sim_il, sim_ll))
        return ops.mean(self._cross_entropy_loss(sim_pos, sim_il, sim_ll, sim_li, sim_ii, usable))

    def _cross_entropy_loss(
        self, sim_pos: Any, sim_il: Any, sim_ll: Any, sim_li: Any, sim_ii: Any, usable: Any
    ) -> Any:
        masked_li = sim_li + (1.0 - usable) * _MASKED
        parts = [sim_pos, sim_il, masked_li]
        if not self.constrain_similarities:
            parts.append(sim_ll)
        if self.input_negatives:
            parts.append(sim_ii + (1.0 - usable) * _MASKED)
        logits = ops.concatenate(parts, axis=-1)
        log_probs = ops.log_softmax(logits, axis=-1)
        loss = -log_probs[:, 0]
        if self.scale_loss:
            probability = ops.exp(-loss)
            scale = ops.where(
                ops.max(probability) > 0.5,
                ops.power((1.0 - probability) / 0.5, 4.0),
                ops.ones_like(probability),
            )
            loss = loss * ops.stop_gradient(scale)
        if self.constrain_similarities:
            loss = loss + ops.softplus(-sim_pos[:, 0])
            loss = loss + ops.sum(ops.softplus(sim_il), axis=-1)
            loss = loss + ops.sum(ops.softplus(sim_li) * usable, axis=-1)
        return loss

    def _margin_loss(self, sim_pos: Any, sim_il: Any, sim_ll: Any) -> Any:
        loss = ops.relu(self.max_pos_sim - sim_pos[:, 0])
        if self.use_max_neg_sim:
            loss = loss + ops.relu(ops.max(sim_il, axis=-1) - self.max_neg_sim)
        else:
            loss = loss + ops.sum(ops.relu(sim_il - self.max_neg_sim), axis=-1)
        return loss + self.negative_margin_scale * ops.relu(
            ops.max(sim_ll, axis=-1) - self.max_neg_sim
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            num_negatives=self.num_negatives,
            loss_type=self.loss_type,
            scale_loss=self.scale_loss,
            constrain_similarities=self.constrain_similarities,
            max_pos_sim=self.max_pos_sim,
            max_neg_sim=self.max_neg_sim,
            use_max_neg_sim=self.use_max_neg_sim,
            negative_margin_scale=self.negative_margin_scale,
            seed=self.seed,
            input_negatives=self.input_negatives,
        )
        return config
