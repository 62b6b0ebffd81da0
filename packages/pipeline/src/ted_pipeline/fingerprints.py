"""The fingerprint of a training run, computed from the parsed project before featurizing.

Sections: ``config`` (every policy's settings that change the model, and the augmentation
factor), ``domain`` (the vocabulary the model is built on), ``data`` (the training stories
after checkpoints and ``or`` are expanded, and the rules; augmentation is a deterministic
function of the stories, the factor and the seed), ``code`` (package and format versions),
and the ``labels`` and ``feature_dims`` a fine-tuned model must keep. Nothing here needs
featurized arrays, so an unchanged project is recognized before any numpy or TensorFlow
work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ted_data_adapter
import ted_model
from ted_data_adapter.story import StoryBlock
from ted_data_adapter.story_graph import ExpandedStory
from ted_data_adapter.vocabulary import Vocabulary
from ted_fingerprint import (
    Decision,
    Fingerprint,
    FingerprintComparison,
    compare,
    project_fingerprint,
)
from ted_model.persistence import MODEL_FORMAT
from ted_pipeline.policy_config import EnsembleConfig
from ted_pipeline.version import __version__

# Config keys that change how training is observed, not the model it produces.
NON_MODEL_KEYS = ("tensorboard_log_directory", "tensorboard_log_level", "jit_compile")
# Sections a model must share with its parent to be fine-tuned.
FINETUNE_SECTIONS = ("labels", "feature_dims")
# Bumped when what goes into a section changes, so older archives count as changed.
FINGERPRINT_LAYOUT = 3


def training_fingerprint(
    ensemble: EnsembleConfig,
    vocabulary: Vocabulary,
    stories: Sequence[ExpandedStory],
    rules: Sequence[StoryBlock],
    augmentation: int,
) -> Fingerprint:
    """The fingerprint recorded in the archive's manifest: every policy's config, the
    vocabulary, the stories and the rules."""
    policies = ensemble.to_dict()["policies"]
    for policy in policies:
        if policy["policy"] == "TEDPolicy":
            policy["config"] = {
                k: v for k, v in policy["config"].items() if k not in NON_MODEL_KEYS
            }
    return project_fingerprint(
        config={"policies": policies, "augmentation": augmentation},
        domain=vocabulary.to_dict(),
        data={
            "stories": [[repr(event) for event in story.events] for story in stories],
            "rules": [_rule_repr(rule) for rule in rules],
        },
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


def _rule_repr(rule: StoryBlock) -> list[Any]:
    """A rule's content (not where it is written)."""
    steps = [[[repr(item.event) for item in part] for part in step] for step in rule.steps]
    conditions = [repr(item.event) for item in rule.conditions]
    return [rule.name, conditions, steps, rule.conversation_start, rule.wait_for_user_input]


def compare_with(fingerprint: Fingerprint, previous: Any) -> FingerprintComparison:
    """Compare with the manifest fingerprint of ``previous`` (a ModelVersion, or None)."""
    old = None
    if previous is not None and previous.manifest.fingerprint:
        old = Fingerprint(previous.manifest.fingerprint)
    return compare(fingerprint, old, must_match=FINETUNE_SECTIONS)


__all__ = ["Decision", "compare_with", "training_fingerprint"]
