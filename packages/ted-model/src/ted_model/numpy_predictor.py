"""The TED forward pass in numpy, for single conversations where graph overhead dominates.

A request is one short window (a few turns): calling a compiled TensorFlow function costs
more than the arithmetic. This module copies the trained weights once and computes the
same confidences with a handful of numpy calls (agreement with the TensorFlow path is
tested to 1e-5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

_SQRT_HALF = 1.0 / math.sqrt(2.0)


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), enough for float32 GELU."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * _SQRT_HALF))


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, epsilon: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def _dense(layer: Any) -> tuple[np.ndarray, np.ndarray | None]:
    kernel = np.asarray(layer.kernel)
    mask = getattr(layer, "kernel_mask", None)
    if mask is not None:
        kernel = kernel * np.asarray(mask)
    bias = getattr(layer, "bias", None)
    return kernel, (None if bias is None else np.asarray(bias))


def _apply(weights: tuple[np.ndarray, np.ndarray | None], x: np.ndarray) -> np.ndarray:
    kernel, bias = weights
    out = x @ kernel
    return out if bias is None else out + bias


class NumpyPredictor:
    """Confidences [batch, actions] for left-padded request windows (last turn predicts)."""

    def __init__(self, model: Any) -> None:
        self.attributes = list(model.attributes)
        self.embeddings = {}
        for name in self.attributes:
            layer = model.attribute_embeddings[name]
            self.embeddings[name] = (
                _dense(layer.sparse_to_dense),
                [_dense(dense) for dense in layer.encoder.dense_layers],
            )
        transformer = model.transformer
        self.projection = _dense(transformer.projection)
        self.blocks = []
        for block in transformer.blocks:
            attention = block.attention
            self.blocks.append(
                {
                    "norm1": (
                        np.asarray(block.attention_norm.gamma),
                        np.asarray(block.attention_norm.beta),
                        block.attention_norm.epsilon,
                    ),
                    "qkvo": [
                        _dense(attention.projections[n])
                        for n in ("query", "key", "value", "output")
                    ],
                    "rel_k": np.asarray(attention.relative_keys),
                    "rel_v": np.asarray(attention.relative_values),
                    "heads": attention.num_heads,
                    "max_rel": attention.max_relative_position,
                    "norm2": (
                        np.asarray(block.ffn_norm.gamma),
                        np.asarray(block.ffn_norm.beta),
                        block.ffn_norm.epsilon,
                    ),
                    "inner": _dense(block.ffn_inner),
                    "outer": _dense(block.ffn_outer),
                }
            )
        norm = transformer.output_norm
        self.output_norm = (np.asarray(norm.gamma), np.asarray(norm.beta), norm.epsilon)
        self.head = _dense(model.dialogue_head.dense)
        self.cosine = model.dialogue_head.similarity == "cosine"
        self.causal = model.causal
        self.max_history = model.ted_config.max_history
        self.label_embed_t = np.asarray(model._predict_label_embed).T.copy()

    def _attention_mask(self, turn_mask: np.ndarray) -> np.ndarray:
        turns = turn_mask.shape[1]
        mask = np.broadcast_to(turn_mask[:, None, :], (turn_mask.shape[0], turns, turns))
        if not self.causal:
            return mask
        distance = np.arange(turns)[:, None] - np.arange(turns)[None, :]
        allowed = distance >= 0
        if self.max_history is not None:
            allowed &= distance < self.max_history
        return mask * allowed

    def _block(
        self, x: np.ndarray, mask: np.ndarray, block: dict[str, Any], *, last_only: bool = False
    ) -> np.ndarray:
        """One pre-norm transformer block; with ``last_only`` just the last turn's output.

        Only the last turn's output of the last block is used, so there the queries, the
        output projection and the feed-forward part run for one turn instead of all of them
        (keys and values still cover every turn). Same numbers, a fraction of the work.
        """
        batch, turns, size = x.shape
        heads = block["heads"]
        head_size = size // heads
        h = _layer_norm(x, *block["norm1"])
        query, key, value, output = block["qkvo"]

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, t.shape[1], heads, head_size).transpose(0, 2, 1, 3)

        rows = slice(turns - 1, turns) if last_only else slice(0, turns)
        q = split(_apply(query, h[:, rows])) * (head_size**-0.5)
        k = split(_apply(key, h))
        v = split(_apply(value, h))
        distance = np.arange(turns)[rows, None] - np.arange(turns)[None, :]
        index = np.clip(distance, -block["max_rel"], block["max_rel"]) + block["max_rel"]
        rel_k = block["rel_k"][index]
        rel_v = block["rel_v"][index]
        logits = q @ k.transpose(0, 1, 3, 2) + np.einsum("bhqd,qkd->bhqk", q, rel_k)
        logits = logits + (1.0 - mask[:, None, rows]) * -1e9
        logits = logits - logits.max(axis=-1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=-1, keepdims=True)
        attended = weights @ v + np.einsum("bhqk,qkd->bhqd", weights, rel_v)
        attended = attended.transpose(0, 2, 1, 3).reshape(batch, -1, size)
        x = x[:, rows] + _apply(output, attended)
        hidden = _gelu(_apply(block["inner"], _layer_norm(x, *block["norm2"])))
        return x + _apply(block["outer"], hidden)

    def __call__(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        parts = []
        for name in self.attributes:
            sparse_to_dense, encoders = self.embeddings[name]
            h = _apply(sparse_to_dense, features[name])
            for dense in encoders:
                h = _gelu(_apply(dense, h))
            parts.append(h)
        x = _apply(self.projection, np.concatenate(parts, axis=-1))
        mask = self._attention_mask(features["turn_mask"])
        for number, block in enumerate(self.blocks, start=1):
            x = self._block(x, mask, block, last_only=number == len(self.blocks))
        last = _layer_norm(x[:, -1], *self.output_norm)
        embedded = _apply(self.head, last)
        if self.cosine:
            embedded = embedded / np.maximum(
                np.linalg.norm(embedded, axis=-1, keepdims=True), 1e-12
            )
        similarities = embedded @ self.label_embed_t
        similarities -= similarities.max(axis=-1, keepdims=True)
        exp = np.exp(similarities)
        return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)
