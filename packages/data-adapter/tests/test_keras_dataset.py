"""The Keras bridge: one real fit call whose batch size grows from epoch to epoch.

Needs the optional ``keras`` extra (TensorFlow); skipped where it is not installed, such as
the data-adapter tox env that proves the package works without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from ted_data_adapter import StateFeaturizer, Vocabulary, load_project  # noqa: E402
from ted_data_adapter.keras_dataset import make_eval_dataset, make_training_dataset  # noqa: E402


class BatchRecorder(keras.Model):  # type: ignore[misc]
    """A tiny real classifier that records the size of every batch it trains on."""

    def __init__(self, n_actions: int) -> None:
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.dense = keras.layers.Dense(n_actions)
        self.sizes: list[tuple[int, int]] = []
        self.epoch = 0

    def call(self, x: dict[str, Any]) -> Any:
        joined = keras.ops.concatenate([x["intent"], x["action_name"], x["slots"]], axis=-1)
        return self.dense(self.flatten(joined))

    def train_step(self, data: dict[str, Any]) -> dict[str, Any]:
        self.sizes.append((self.epoch, int(keras.ops.shape(data["label_ids"])[0])))
        with tf.GradientTape() as tape:
            logits = self(data, training=True)
            loss = keras.ops.mean(
                keras.losses.sparse_categorical_crossentropy(data["label_ids"], logits, True)
            )
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables, strict=True))
        return {"loss": loss}


class EpochMarker(keras.callbacks.Callback):  # type: ignore[misc]
    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.model.epoch = epoch


@pytest.mark.parametrize("strategy", ["sequence", "balanced"])
def test_batch_size_grows_inside_one_fit_call(shop_dir: Path, strategy: str) -> None:
    project = load_project(shop_dir)
    featurizer = StateFeaturizer(Vocabulary.from_domain(project.domain))
    data = featurizer.featurize(project.training_conversations(3, seed=0), 3)
    rows = len(data)
    epochs = 4
    schedule = [4, 16]
    model = BatchRecorder(len(data.action_names))
    model.compile(optimizer="adam", run_eagerly=True)
    dataset = make_training_dataset(data, schedule, epochs, strategy, seed=0)
    model.fit(dataset, epochs=epochs, verbose=0, callbacks=[EpochMarker()])
    expected = [int(4 + e * 12 / 3) for e in range(epochs)]  # 4, 8, 12, 16
    for epoch, size in enumerate(expected):
        sizes = [s for e, s in model.sizes if e == epoch]
        assert max(sizes) == size, (epoch, sizes)
        assert sum(sizes) == rows  # each epoch is one full pass over the data
        assert len(sizes) == -(-rows // size)
    assert dataset.epoch_source.sizes_seen == expected


def test_eval_dataset_keeps_row_order(shop_dir: Path) -> None:
    project = load_project(shop_dir)
    featurizer = StateFeaturizer(Vocabulary.from_domain(project.domain))
    data = featurizer.featurize(project.training_conversations(0), 3)
    labels = np.concatenate([b["label_ids"].numpy() for b in make_eval_dataset(data, 4)])
    assert np.array_equal(labels, data.label_ids)
