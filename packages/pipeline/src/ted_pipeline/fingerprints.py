"""The fingerprint of a training run, computed from the parsed project before featurizing.

Sections: ``config`` (every TEDPolicy setting that changes the model, and the augmentation
factor), ``domain`` (the vocabulary the model is built on), ``data`` (the training stories
after checkpoints and ``or`` are expanded; augmentation is a deterministic function of these,
the factor and the seed), ``code`` (package and format versions), and the ``labels`` and
``feature_dims`` a fine-tuned model must keep. Nothing here needs featurized arrays, so an
unchanged project is recognized before any numpy or TensorFlow work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ted_data_adapter
import ted_model
from ted_data_adapter.story_graph import ExpandedStory
from ted_data_adapter.vocabulary import Vocabulary
from ted_fingerprint import (
    Decision,
    Fingerprint,
    FingerprintComparison,
    compare,
    project_fingerprint,
)
from ted_model.config import TEDConfig
from ted_model.persistence import MODEL_FORMAT
from ted_pipeline.version import __version__

# Config keys that change how training is observed, not the model it produces.
NON_MODEL_KEYS = ("tensorboard_log_directory", "tensorboard_log_level", "jit_compile")
# Sections a model must share with its parent to be fine-tuned.
FINETUNE_SECTIONS = ("labels", "feature_dims")
# Bumped when what goes into a section changes, so older archives count as changed.
FINGERPRINT_LAYOUT = 2


def training_fingerprint(
    config: TEDConfig,
    vocabulary: Vocabulary,
    stories: Sequence[ExpandedStory],
    augmentation: int,
) -> Fingerprint:
    """The fingerprint recorded in the archive's manifest."""
    model_config = {k: v for k, v in config.to_dict().items() if k not in NON_MODEL_KEYS}
    return project_fingerprint(
        config={"ted": model_config, "augmentation": augmentation},
        domain=vocabulary.to_dict(),
        data=[[repr(event) for event in story.events] for story in stories],
        code={
            "ted-model": ted_model.__version__,
            "ted-data-adapter": ted_data_adapter.__version__,
            "ted-pipeline": __version__,
            "model_format": MODEL_FORMAT,
            "fingerprint_layout": FINGERPRINT_LAYOUT,
        },
        extra={
            "labels": list(vocabulary.actions),
            "feature_dims": {k: int(v) for k, v in vocabulary.attribute_dims.items()},
        },
    )


def compare_with(fingerprint: Fingerprint, previous: Any) -> FingerprintComparison:
    """Compare with the manifest fingerprint of ``previous`` (a ModelVersion, or None)."""
    old = None
    if previous is not None and previous.manifest.fingerprint:
        old = Fingerprint(previous.manifest.fingerprint)
    return compare(fingerprint, old, must_match=FINETUNE_SECTIONS)


__all__ = ["Decision", "compare_with", "training_fingerprint"]
