"""The files of a saved TED model, and building a ready model back from them.

A model directory (what goes into a ted-archive archive) holds ``model.weights.h5``,
``ted_config.json``, ``vocabulary.json``, ``label_features.npy`` and ``model.json`` (format
version, feature dimensions, layout, action names). Loading creates the variables with
one forward pass on a zero batch (no training step) and then reads the weights.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ted_model.config import TEDConfig
from ted_model.errors import ModelLoadError
from ted_model.version import __version__

logger = logging.getLogger(__name__)

MODEL_FORMAT = 1
WEIGHTS_FILE = "model.weights.h5"
CONFIG_FILE = "ted_config.json"
VOCABULARY_FILE = "vocabulary.json"
LABEL_FEATURES_FILE = "label_features.npy"
META_FILE = "model.json"
MODEL_FILES = (WEIGHTS_FILE, CONFIG_FILE, VOCABULARY_FILE, LABEL_FEATURES_FILE, META_FILE)


@dataclass(frozen=True)
class ModelMeta:
    """What prediction needs besides weights, config and vocabulary."""

    attribute_dims: dict[str, int]
    action_names: list[str]
    layout: str
    max_history: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "ted_model": __version__,
            "attribute_dims": self.attribute_dims,
            "action_names": self.action_names,
            "layout": self.layout,
            "max_history": self.max_history,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMeta:
        if data.get("format") != MODEL_FORMAT:
            raise ModelLoadError(
                f"unsupported model format {data.get('format')!r} (this is {MODEL_FORMAT})"
            )
        try:
            return cls(
                attribute_dims={k: int(v) for k, v in data["attribute_dims"].items()},
                action_names=[str(name) for name in data["action_names"]],
                layout=str(data["layout"]),
                max_history=data["max_history"],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ModelLoadError(f"{META_FILE} is incomplete: {e}") from e


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


def save_model_dir(
    target: Path,
    model: Any,
    config: TEDConfig,
    vocabulary: Any,
    meta: ModelMeta,
) -> None:
    """Write every file prediction needs into the (existing, empty) directory ``target``."""
    model.save_weights(str(target / WEIGHTS_FILE))
    _write_json(target / CONFIG_FILE, config.to_dict())
    _write_json(target / VOCABULARY_FILE, vocabulary.to_dict())
    _write_json(target / META_FILE, meta.to_dict())
    np.save(target / LABEL_FEATURES_FILE, np.asarray(model.label_features), allow_pickle=False)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot read {path.name}: {e}") from e


def load_model_dir(source: Path) -> tuple[Any, TEDConfig, Any, ModelMeta]:
    """(model ready to predict, config, vocabulary, meta) from a model directory."""
    from ted_data_adapter.vocabulary import Vocabulary
    from ted_model.training import build_model

    missing = [name for name in MODEL_FILES if not (source / name).is_file()]
    if missing:
        raise ModelLoadError(f"{source} is not a TED model directory: missing {', '.join(missing)}")
    meta = ModelMeta.from_dict(_read_json(source / META_FILE))
    try:
        config = TEDConfig.from_dict(_read_json(source / CONFIG_FILE))
        vocabulary = Vocabulary.from_dict(_read_json(source / VOCABULARY_FILE))
        label_features = np.load(source / LABEL_FEATURES_FILE, allow_pickle=False)
    except ModelLoadError:
        raise
    except Exception as e:  # config, vocabulary or array errors of other packages
        raise ModelLoadError(f"cannot read the model in {source}: {e}") from e
    model = build_model(config, meta.attribute_dims, label_features, compile=False)
    try:
        model.load_weights(str(source / WEIGHTS_FILE))
    except Exception as e:
        raise ModelLoadError(f"cannot load {WEIGHTS_FILE}: {e}") from e
    model.prepare_for_predict()
    return model, config, vocabulary, meta
