"""TEDPolicy: a loaded model that ranks the next actions of conversations."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ted_model.config import TEDConfig
from ted_model.errors import ModelLoadError
from ted_model.numpy_predictor import NumpyPredictor
from ted_model.persistence import ModelMeta, load_model_dir

logger = logging.getLogger(__name__)

# Up to this many conversations numpy beats the graph call (whose fixed cost dominates).
# MultiWOZ model, predict_batch medians: 8 conversations 1.6 ms numpy vs 2.7 ms compiled,
# 16: 2.9 vs 3.8 ms, 32: 8.7 vs 6.6 ms.
NUMPY_MAX_BATCH = 128


@dataclass(frozen=True)
class Prediction:
    """Actions ranked by confidence, best first."""

    ranking: list[tuple[str, float]]
    confidences: np.ndarray = field(repr=False, compare=False, default_factory=lambda: np.zeros(0))

    @property
    def action(self) -> str:
        return self.ranking[0][0]

    @property
    def confidence(self) -> float:
        return self.ranking[0][1]


class TEDPolicy:
    """Predicts with a trained TED model; create it with ``TEDPolicy.load``."""

    def __init__(
        self,
        model: Any,
        config: TEDConfig,
        vocabulary: Any,
        meta: ModelMeta,
        *,
        model_name: str | None = None,
        version: int | None = None,
        manifest: Any = None,
    ) -> None:
        from ted_data_adapter.featurizer import StateFeaturizer

        self.model = model
        self.config = config
        self.vocabulary = vocabulary
        self.meta = meta
        self.model_name = model_name
        self.version = version
        self.manifest = manifest
        self.action_names = list(meta.action_names)
        self.featurizer = StateFeaturizer(vocabulary)
        self._predict_fn = self._compile_predict()
        self._numpy_predict = NumpyPredictor(model)
        self._warm_thread: threading.Thread | None = None
        self.warm_up(background=True)

    # --- loading ----------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        model_dir: str | os.PathLike[str],
        *,
        model_name: str | None = None,
        version: int | None = None,
        manifest: Any = None,
    ) -> TEDPolicy:
        """Load from an unpacked model directory (archives: ``ted_pipeline.load_model``)."""
        source = Path(model_dir)
        if not source.is_dir():
            raise ModelLoadError(f"no model directory at {source}")
        model, config, vocabulary, meta = load_model_dir(source)
        return cls(
            model,
            config,
            vocabulary,
            meta,
            model_name=model_name,
            version=version,
            manifest=manifest,
        )

    # --- compiled prediction ----------------------------------------------------------
    def _compile_predict(self) -> Any:
        import tensorflow as tf

        turns = self.config.max_history
        signature = {
            name: tf.TensorSpec([None, turns, self.meta.attribute_dims[name]], tf.float32, name)
            for name in self.model.attributes
        }
        signature["turn_mask"] = tf.TensorSpec([None, turns], tf.float32, "turn_mask")
        model = self.model
        return tf.function(model.batch_predict, input_signature=[signature], autograph=False)

    def warm_up(self, background: bool = False) -> None:
        """Trace the compiled predict function once so the first batch request is fast.

        Single conversations use the numpy path, which needs no warm-up, so loading does
        not wait for the trace when ``background`` is true.
        """
        zeros = self.model.zero_batch(self.config.max_history or 1)
        self.confidences(zeros, compiled=False)
        if background:
            # not a daemon: interpreter exit waits for the trace instead of aborting it
            self._warm_thread = threading.Thread(
                target=self.confidences, args=(zeros,), kwargs={"compiled": True}, daemon=False
            )
            self._warm_thread.start()
        else:
            self.confidences(zeros, compiled=True)

    def wait_until_warm(self, timeout: float | None = None) -> None:
        """Block until the background trace of the compiled predict function is done."""
        if self._warm_thread is not None:
            self._warm_thread.join(timeout)

    def _inputs(self, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        names = [*self.model.attributes, "turn_mask"]
        return {name: features[name] for name in names}

    def confidences(
        self, features: dict[str, np.ndarray], *, compiled: bool | None = None
    ) -> np.ndarray:
        """Softmax confidences [batch, actions] for featurized request windows.

        Small batches use the numpy forward pass, larger ones the compiled TensorFlow
        function (``compiled`` forces one or the other); both give the same numbers.
        """
        inputs = self._inputs(features)
        if compiled is None:
            compiled = inputs["turn_mask"].shape[0] > NUMPY_MAX_BATCH
        if compiled:
            return np.asarray(self._predict_fn(inputs))
        return self._numpy_predict(inputs)

    def _featurize(self, conversations: Sequence[Sequence[Any]]) -> dict[str, np.ndarray]:
        """Request features; a name the model does not know raises the data adapter's
        UnknownSymbolError, which says which conversation, event and field it was."""
        return self.featurizer.featurize_events_batch(conversations, self.config.max_history)

    # --- public API -------------------------------------------------------------------
    def rank(self, confidences: np.ndarray, top_k: int | None = None) -> Prediction:
        """Ranking with Rasa's ``ranking_length`` and ``renormalize_confidences``."""
        order = np.argsort(-confidences, kind="stable")
        kept = confidences[order]
        if self.config.ranking_length > 0:
            order, kept = order[: self.config.ranking_length], kept[: self.config.ranking_length]
            if self.config.renormalize_confidences and kept.sum() > 0:
                kept = kept / kept.sum()
        if top_k is not None:
            order, kept = order[:top_k], kept[:top_k]
        ranking = [(self.action_names[i], float(c)) for i, c in zip(order, kept, strict=True)]
        return Prediction(ranking=ranking, confidences=confidences)

    def predict(self, events: Sequence[Any], top_k: int | None = None) -> Prediction:
        """Rank the next action after ``events`` (a conversation so far)."""
        return self.predict_batch([events], top_k=top_k)[0]

    def predict_batch(
        self, conversations: Sequence[Sequence[Any]], top_k: int | None = None
    ) -> list[Prediction]:
        """Rank the next action of each conversation (one compiled call for all)."""
        if not conversations:
            return []
        confidences = self.confidences(self._featurize(conversations))
        return [self.rank(row, top_k) for row in confidences]
