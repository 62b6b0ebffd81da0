"""From conversations to a trained TED model: featurize, build (or continue), fit.

This is what ted-model offers to whoever composes a training run (ted-pipeline adds the
project, config file, fingerprint and archive around it). ``featurize_for_training`` needs
only numpy; TensorFlow is imported when ``train_policy`` runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ted_model.config import TEDConfig
from ted_model.persistence import ModelMeta, save_model_dir

if TYPE_CHECKING:
    from ted_data_adapter.model_data import ModelData
    from ted_data_adapter.vocabulary import Vocabulary
    from ted_model.policy import TEDPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingData:
    """Featurized training conversations and what a saved model records about them."""

    model_data: ModelData
    meta: ModelMeta
    vocabulary: Vocabulary

    @property
    def examples(self) -> int:
        return len(self.model_data)


def featurize_for_training(
    config: TEDConfig, vocabulary: Vocabulary, conversations: Sequence[Sequence[Any]]
) -> TrainingData:
    """ModelData in the layout ``config`` trains with (numpy only, no TensorFlow)."""
    from ted_data_adapter.featurizer import StateFeaturizer

    layout = config.effective_layout
    model_data = StateFeaturizer(vocabulary).featurize(
        conversations, config.max_history, layout, deduplicate=config.deduplicate_examples
    )
    meta = ModelMeta(
        attribute_dims={k: int(v) for k, v in vocabulary.attribute_dims.items()},
        action_names=list(model_data.action_names),
        layout=layout,
        max_history=config.max_history,
    )
    return TrainingData(model_data, meta, vocabulary)


@dataclass
class TrainedPolicy:
    """A freshly trained model with everything needed to save it or predict with it."""

    model: Any
    config: TEDConfig
    data: TrainingData
    epochs: int
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def save(self, target: str | os.PathLike[str]) -> None:
        """Write the model directory (an existing, empty folder)."""
        save_model_dir(Path(target), self.model, self.config, self.data.vocabulary, self.data.meta)

    def to_policy(
        self, *, model_name: str | None = None, version: int | None = None, manifest: Any = None
    ) -> TEDPolicy:
        """A TEDPolicy over the trained weights in memory (no save and reload)."""
        from ted_model.policy import TEDPolicy

        self.model.prepare_for_predict()
        return TEDPolicy(
            self.model,
            self.config,
            self.data.vocabulary,
            self.data.meta,
            model_name=model_name,
            version=version,
            manifest=manifest,
        )


def train_policy(
    config: TEDConfig,
    data: TrainingData,
    *,
    continue_from: TEDPolicy | None = None,
    epochs: int | None = None,
    callbacks: Sequence[Any] = (),
    verbose: bool | None = None,
) -> TrainedPolicy:
    """Train a new model on ``data``, or train ``continue_from`` (a loaded policy) further.

    Seeds are set from ``config.random_seed`` first, so the same data, config and seed give
    the same weights on CPU.
    """
    from ted_model import training

    training.seed_everything(config.random_seed)
    if continue_from is not None:
        continue_from.wait_until_warm()  # its predict function is traced; leave it be
        model = continue_from.model
        training.compile_model(model, config)
    else:
        model = training.build_model(
            config, data.meta.attribute_dims, data.model_data.label_features
        )
    result = training.fit(
        model,
        config,
        data.model_data.features,
        layout=data.meta.layout,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    metrics: dict[str, Any] = {**result.metrics, "epochs": result.epochs}
    metrics["examples"] = data.examples
    return TrainedPolicy(model, config, data, result.epochs, result.history, metrics)
