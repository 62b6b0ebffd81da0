"""Keras layers of the TED model, one per module."""

from ted_model.layers.attribute_embedding import AttributeEmbedding
from ted_model.layers.dot_product_loss import DotProductLoss
from ted_model.layers.embed import EmbeddingHead
from ted_model.layers.ffnn import FeedForward
from ted_model.layers.random_dense import RandomlyConnectedDense
from ted_model.layers.relative_attention import RelativeAttention
from ted_model.layers.transformer import DialogueTransformer, TransformerBlock

__all__ = [
    "AttributeEmbedding",
    "DialogueTransformer",
    "DotProductLoss",
    "EmbeddingHead",
    "FeedForward",
    "RandomlyConnectedDense",
    "RelativeAttention",
    "TransformerBlock",
]
