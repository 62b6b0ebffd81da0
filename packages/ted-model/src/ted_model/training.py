"""Fitting a TEDModel on featurized data: seeds, batches, evaluation, checkpoints, logs."""

from __future__ import annotations

import importlib.util
import logging
import math
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ted_model.config import STATE_ATTRIBUTES, TEDConfig
from ted_model.datasets import EpochBatches, make_training_dataset, split_eval, trim_padding
from ted_model.errors import TrainingError
from ted_model.model import LABEL_IDS, TARGET_MASK, TURN_MASK, TEDModel

logger = logging.getLogger(__name__)

EVAL_CHUNK_ROWS = 256


@dataclass
class FitResult:
    """What one training run produced."""

    model: TEDModel
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    epochs: int = 0
    seconds: float = 0.0


def seed_everything(seed: int | None) -> None:
    """Make weights, dropout and negative sampling repeatable for a given seed (CPU)."""
    if seed is None:
        return
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def build_model(
    config: TEDConfig,
    attribute_dims: Mapping[str, int],
    label_features: np.ndarray,
    *,
    compile: bool = True,
) -> TEDModel:
    """A TEDModel with all variables created (and the optimizer attached if ``compile``)."""
    model = TEDModel(config, attribute_dims, label_features)
    model.build_variables()
    if compile:
        compile_model(model, config)
    return model


def compile_model(model: TEDModel, config: TEDConfig, total_steps: int | None = None) -> None:
    """Attach a fresh optimizer (also used before fine-tuning a loaded model).

    With ``learning_rate_decay: linear`` and a known number of steps the learning rate
    falls linearly to zero over training, which steadies the last epochs.
    """
    learning_rate: Any = config.learning_rate
    if config.learning_rate_decay == "linear" and total_steps:
        learning_rate = keras.optimizers.schedules.PolynomialDecay(
            config.learning_rate, decay_steps=total_steps, end_learning_rate=0.0, power=1.0
        )
    averaging: dict[str, Any] = {}
    if config.ema_momentum > 0:
        # the trained model ends with the moving average of the weights
        averaging = {"use_ema": True, "ema_momentum": config.ema_momentum}
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, **averaging),
        jit_compile=config.jit_compile,
    )


def model_inputs(features: Mapping[str, np.ndarray], layout: str) -> dict[str, np.ndarray]:
    """The arrays the model consumes (state attributes, masks and labels)."""
    names = [*STATE_ATTRIBUTES, TURN_MASK, LABEL_IDS]
    if layout == "dialogues":
        names.append(TARGET_MASK)
    return {name: features[name] for name in names if name in features}


def drop_unneeded_turns(features: Mapping[str, np.ndarray], layout: str) -> dict[str, np.ndarray]:
    """Dialogues layout: drop conversations without targets and turns after the last target.

    Under causal attention later turns cannot influence earlier outputs, so they are dead
    weight; after deduplication most augmented conversations have no target left at all.
    """
    out = dict(features)
    if layout != "dialogues":
        return out
    targets = out[TARGET_MASK] > 0
    keep = targets.any(axis=1)
    out = {name: array[keep] for name, array in out.items()}
    targets = targets[keep]
    after_last = np.flip(np.cumsum(np.flip(targets, axis=1), axis=1), axis=1) == 0
    out[TURN_MASK] = np.where(after_last, 0.0, out[TURN_MASK]).astype(np.float32)
    return out


def _rows_per_example(features: Mapping[str, np.ndarray], layout: str, unit: str) -> float:
    if layout != "dialogues" or unit == "conversations":
        return 1.0
    return int(features[TURN_MASK].shape[0]) / max(count_targets(features, layout), 1)


def count_targets(features: Mapping[str, np.ndarray], layout: str) -> int:
    if layout == "dialogues":
        return int(features[TARGET_MASK].sum())
    return int(features[LABEL_IDS].shape[0])


class Evaluator:
    """Full-softmax accuracy and the training loss on held-out examples."""

    def __init__(self, model: TEDModel, features: Mapping[str, np.ndarray], layout: str) -> None:
        self.model = model
        self.layout = layout
        self.chunks = []
        rows = int(features[TURN_MASK].shape[0])
        for start in range(0, rows, EVAL_CHUNK_ROWS):
            chunk = {
                name: array[start : start + EVAL_CHUNK_ROWS] for name, array in features.items()
            }
            chunk = trim_padding(chunk, layout)
            self.chunks.append((chunk, count_targets(chunk, layout)))
        self._step = tf.function(lambda batch: model.batch_loss(batch, training=False))

    def __call__(self) -> dict[str, float]:
        total = sum(weight for _, weight in self.chunks)
        loss = accuracy = 0.0
        for chunk, weight in self.chunks:
            if weight == 0:
                continue
            batch_loss, batch_accuracy = self._step(chunk)
            loss += float(batch_loss) * weight
            accuracy += float(batch_accuracy) * weight
        return {"eval_loss": loss / total, "eval_action_accuracy": accuracy / total}


class EvaluationCallback(keras.callbacks.Callback):
    """Adds eval_loss / eval_action_accuracy to the logs every N epochs and at the end."""

    def __init__(self, evaluator: Evaluator, every: int, epochs: int) -> None:
        super().__init__()
        self.evaluator = evaluator
        self.every = every
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            logs.update(self.evaluator())


class BestWeightsCallback(keras.callbacks.Callback):
    """Keeps the weights of the best evaluated epoch (``checkpoint_model``) and restores them."""

    def __init__(self, monitor: str) -> None:
        super().__init__()
        self.monitor = monitor
        self.best = -math.inf
        self.best_epoch = -1
        self.best_weights: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is not None and float(value) > self.best:
            self.best = float(value)
            self.best_epoch = epoch
            self.best_weights = [np.array(w) for w in self.model.get_weights()]

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            logger.info(
                "restored the weights of epoch %d (%s=%.4f)",
                self.best_epoch + 1,
                self.monitor,
                self.best,
            )


class EpochEndAdapter(keras.callbacks.Callback):
    """Lets any object with ``on_epoch_end(epoch, logs)`` receive the per-epoch metrics."""

    def __init__(self, target: Any) -> None:
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.target.on_epoch_end(epoch, {k: float(v) for k, v in (logs or {}).items()})


def _keras_callbacks(callbacks: Sequence[Any]) -> list[keras.callbacks.Callback]:
    return [c if isinstance(c, keras.callbacks.Callback) else EpochEndAdapter(c) for c in callbacks]


def fit(
    model: TEDModel,
    config: TEDConfig,
    features: Mapping[str, np.ndarray],
    *,
    layout: str,
    epochs: int | None = None,
    callbacks: Sequence[Any] = (),
    verbose: bool | None = None,
    on_batch: Callable[[], None] | None = None,
) -> FitResult:
    """Train ``model`` in place with Keras ``fit`` (one call, growing batch size)."""
    import time

    epochs = epochs or config.epochs
    inputs = drop_unneeded_turns(model_inputs(features, layout), layout)
    train, held_out = split_eval(
        inputs, layout, config.evaluate_on_number_of_examples, config.random_seed
    )
    targets = count_targets(train, layout)
    if targets == 0:
        raise TrainingError("no training examples: the stories contain no action to predict")
    batches = EpochBatches(
        train,
        layout=layout,
        batch_size=config.batch_size,
        epochs=epochs,
        strategy=config.batch_strategy,
        seed=config.random_seed,
        # dialogues layout: batch_size counts conversations (as Rasa's does when each
        # example is a whole dialogue; far fewer, fuller steps than one per 64 windows)
        # or, with batch_size_unit "examples", prediction targets as Rasa's windows do
        rows_per_example=_rows_per_example(train, layout, config.batch_size_unit),
        pack=config.pack_dialogues,
    )
    if config.learning_rate_decay != "none" or config.ema_momentum > 0:
        compile_model(model, config, batches.total_steps())
    keras_callbacks: list[keras.callbacks.Callback] = []
    if held_out is not None and count_targets(held_out, layout) > 0:
        evaluator = Evaluator(model, held_out, layout)
        keras_callbacks.append(
            EvaluationCallback(evaluator, config.evaluate_every_number_of_epochs, epochs)
        )
    if config.checkpoint_model:
        monitor = "eval_action_accuracy" if held_out is not None else "action_accuracy"
        keras_callbacks.append(BestWeightsCallback(monitor))
    if config.tensorboard_log_directory:
        if importlib.util.find_spec("tensorboard") is None:
            raise TrainingError(
                "tensorboard_log_directory is set but the tensorboard package is not "
                "installed (pip install tensorboard)"
            )
        keras_callbacks.append(
            keras.callbacks.TensorBoard(
                config.tensorboard_log_directory, update_freq=config.tensorboard_log_level
            )
        )
    keras_callbacks.extend(_keras_callbacks(callbacks))
    if verbose is None:
        verbose = sys.stdout.isatty()
    started = time.perf_counter()
    with warnings.catch_warnings():
        # Each epoch ends when its (differently sized) batches run out: expected here.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        warnings.filterwarnings("ignore", message=".*shuffle=True.*")
        history = model.fit(
            make_training_dataset(batches),
            epochs=epochs,
            callbacks=keras_callbacks,
            verbose=1 if verbose else 0,
        )
    seconds = time.perf_counter() - started
    logs = {name: [float(v) for v in values] for name, values in history.history.items()}
    metrics = {name: values[-1] for name, values in logs.items() if values}
    metrics["train_seconds"] = seconds
    logger.info("trained %d epochs in %.1f s: %s", epochs, seconds, metrics)
    return FitResult(model=model, history=logs, metrics=metrics, epochs=epochs, seconds=seconds)
