"""``train_project``: the one path from a project folder to a new archived model version.

Check and load the project (no TensorFlow yet, so data errors come in about a second),
resolve the config (see ``ted_pipeline.config``), fingerprint the parsed project and compare
with the store's latest version of the model (unchanged -> skip; only the data changed ->
fine-tuning allowed), then augment, featurize, train or fine-tune, and archive with
fingerprint, metrics and lineage. The result carries the trained policy, so a caller can
score the model it just trained without reading the archive back.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ted_archive import ArchiveError, ModelStore, ModelVersion
from ted_data_adapter.story_graph import ExpandedStory, augment
from ted_data_adapter.vocabulary import Vocabulary
from ted_fingerprint import Decision
from ted_model import featurize_for_training, train_policy
from ted_pipeline.archiving import save_trained
from ted_pipeline.config import augmentation_factor, ted_config
from ted_pipeline.errors import FinetuneRefused
from ted_pipeline.fingerprints import compare_with, training_fingerprint
from ted_pipeline.loading import ModelRef, load_model
from ted_pipeline.project import TrainingProject, load_training_project

if TYPE_CHECKING:
    from ted_model import TEDPolicy, TrainedPolicy

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42


@dataclass
class TrainResult:
    """What ``train_project`` did: skipped (nothing changed) or wrote ``version``."""

    skipped: bool
    reason: str
    version: int | None
    metrics: dict[str, Any] = field(default_factory=dict)
    archive: Path | None = None
    name: str = ""
    decision: str = ""
    finetuned: bool = False
    # The project as loaded for this run, and its training stories (checkpoints and 'or'
    # expanded, not augmented): what a caller replays to score the trained policy.
    project: TrainingProject | None = field(default=None, repr=False)
    stories: list[ExpandedStory] = field(default_factory=list, repr=False)
    trained: TrainedPolicy | None = field(default=None, repr=False)
    saved: ModelVersion | None = field(default=None, repr=False)

    @cached_property
    def policy(self) -> TEDPolicy | None:
        """The policy just trained, over its weights in memory (None when skipped)."""
        if self.trained is None:
            return None
        return self.trained.to_policy(
            model_name=self.name,
            version=self.version,
            manifest=self.saved.manifest if self.saved is not None else None,
        )


def as_store(store: str | os.PathLike[str] | ModelStore) -> ModelStore:
    return store if isinstance(store, ModelStore) else ModelStore(store)


def _latest(store: ModelStore, name: str) -> ModelVersion | None:
    try:
        return store.get(name)
    except ArchiveError:
        return None


def _conversations(
    stories: Sequence[ExpandedStory], factor: int, seed: int
) -> list[tuple[Any, ...]]:
    return [story.events for story in (*stories, *augment(stories, factor, seed))]


def train_project(
    project_dir: str | os.PathLike[str],
    *,
    store: str | os.PathLike[str] | ModelStore,
    name: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    force: bool = False,
    augmentation: int | None = None,
    callbacks: Sequence[Any] = (),
    lineage: Mapping[str, Any] | None = None,
    finetune: bool = False,
    verbose: bool | None = None,
) -> TrainResult:
    """Train (or fine-tune, or skip) the model of a project and archive it in ``store``.

    ``config_file`` replaces the project's config.yml; ``config_overrides`` go on top.
    ``finetune=True`` continues the latest archived version for ``finetune_epoch_fraction``
    of the epochs when only the training data changed; otherwise it raises FinetuneRefused.
    """
    project = load_training_project(project_dir, config_file=config_file)
    config = ted_config(project.config, config_overrides)
    factor = augmentation_factor(project.config, augmentation)
    model_name = name or project.name
    model_store = as_store(store)
    vocabulary = Vocabulary.from_domain(project.data.domain)
    stories = project.data.training_stories(augmentation_factor=0)
    fingerprint = training_fingerprint(config, vocabulary, stories, factor)

    previous = _latest(model_store, model_name)
    comparison = compare_with(fingerprint, previous)
    reason = "; ".join(comparison.reasons)
    if previous is not None and comparison.decision == Decision.UNCHANGED and not force:
        logger.info("%s: nothing changed since version %d", model_name, previous.version)
        return TrainResult(
            skipped=True,
            reason=f"unchanged since version {previous.version}: {reason}",
            version=previous.version,
            metrics=dict(previous.manifest.metrics),
            archive=previous.archive_path,
            name=model_name,
            decision=comparison.decision.value,
            project=project,
            stories=stories,
        )
    if finetune and comparison.decision not in (Decision.FINETUNE, Decision.UNCHANGED):
        raise FinetuneRefused(f"cannot fine-tune {model_name}: {reason}")

    seed = config.random_seed if config.random_seed is not None else DEFAULT_SEED
    data = featurize_for_training(config, vocabulary, _conversations(stories, factor, seed))
    model_lineage: dict[str, Any] = dict(lineage or {})
    parent: TEDPolicy | None = None
    epochs = config.epochs
    if finetune and previous is not None:
        parent = load_model(ModelRef.in_store(model_name, previous.version), store=model_store)
        epochs = max(1, math.ceil(config.epochs * config.finetune_epoch_fraction))
        model_lineage.update(parent_version=previous.version, finetuned=True)
    elif previous is not None:
        model_lineage.setdefault("previous_version", previous.version)
    trained = train_policy(
        config, data, continue_from=parent, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    saved = save_trained(
        model_store,
        model_name,
        trained,
        fingerprint=fingerprint,
        augmentation=factor,
        lineage=model_lineage,
    )
    return TrainResult(
        skipped=False,
        reason=reason,
        version=saved.version,
        metrics=dict(trained.metrics),
        archive=saved.archive_path,
        name=model_name,
        decision=comparison.decision.value,
        finetuned=parent is not None,
        project=project,
        stories=stories,
        trained=trained,
        saved=saved,
    )
