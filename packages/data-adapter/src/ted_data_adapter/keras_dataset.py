"""Keras/TensorFlow bridge: a tf.data pipeline whose batch size changes per epoch in one fit.

Imported only when used (``pip install ted-data-adapter[keras]``). Each pass over the
dataset is one epoch: the generator plans that epoch's batches with the epoch's batch size,
so ``keras.Model.fit(dataset, epochs=epochs)`` sees growing batches without rebuilding
anything. An abandoned pass (Keras peeks at one batch to build the model) does not count as
an epoch. Batches are dicts ``name -> array``; the arrays are sliced per batch, never copied
whole.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from ted_data_adapter.batching import BatchPlanner, BatchSize, batch_size_for_epoch
from ted_data_adapter.model_data import ModelData

logger = logging.getLogger(__name__)

# Keras reads the number of steps once, from the first (largest) epoch; later epochs with
# bigger batches end earlier, which Keras reports with this warning. It is expected here.
warnings.filterwarnings("ignore", message="Your input ran out of data", category=UserWarning)


class EpochBatches:
    """Callable generator source: each full pass yields the next epoch's batches."""

    def __init__(
        self,
        model_data: ModelData,
        batch_size: BatchSize,
        epochs: int,
        strategy: str = "sequence",
        seed: int = 0,
    ) -> None:
        self.model_data = model_data
        self.batch_size = batch_size
        self.epochs = epochs
        self.planner = BatchPlanner(model_data.label_ids, strategy, seed)
        self.completed_epochs = 0
        self.sizes_seen: list[int] = []

    def size_for(self, epoch: int) -> int:
        return batch_size_for_epoch(self.batch_size, min(epoch, self.epochs - 1), self.epochs)

    def __call__(self) -> Iterator[dict[str, np.ndarray]]:
        epoch = self.completed_epochs
        size = self.size_for(epoch)
        features = self.model_data.features
        for index in self.planner.batches(epoch, size):
            yield {name: array[index] for name, array in features.items()}
        self.sizes_seen.append(size)
        self.completed_epochs += 1
        logger.debug("epoch %d planned with batch size %d", epoch, size)


def output_signature(model_data: ModelData) -> dict[str, Any]:
    """TensorSpecs with an unknown batch dimension, one per feature array."""
    return {
        name: tf.TensorSpec(shape=(None, *array.shape[1:]), dtype=tf.as_dtype(array.dtype))
        for name, array in model_data.features.items()
    }


def make_training_dataset(
    model_data: ModelData,
    batch_size: BatchSize,
    epochs: int,
    strategy: str = "sequence",
    seed: int = 0,
) -> tf.data.Dataset:
    """A dataset for ``model.fit(dataset, epochs=epochs)`` with the batch-size schedule."""
    source = EpochBatches(model_data, batch_size, epochs, strategy, seed)
    dataset = tf.data.Dataset.from_generator(source, output_signature=output_signature(model_data))
    dataset = dataset.prefetch(2)
    dataset.epoch_source = source
    return dataset


def make_eval_dataset(model_data: ModelData, batch_size: int) -> tf.data.Dataset:
    """Fixed-size batches in row order, for ``validation_data`` / ``evaluate``."""
    tensors = {name: array for name, array in model_data.features.items()}
    return tf.data.Dataset.from_tensor_slices(tensors).batch(batch_size)
