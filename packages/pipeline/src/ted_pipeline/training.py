"""``train_project``: the one path from a project folder to a new archived model version.

Check and load the project (no TensorFlow yet, so data errors come in about a second),
read its policies (see ``ted_pipeline.config`` and ``ted_pipeline.policy_config``),
fingerprint the parsed project and compare with the store's latest version of the model
(unchanged -> skip; only the data changed -> fine-tuning allowed), then train every policy
of the ensemble (``ted_pipeline.policies.training``), replay the training stories with the
result (no dropout) and archive it with fingerprint, metrics and lineage. The result carries
the trained model, so a caller can score it without reading the archive back.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ted_archive import ArchiveError, ModelStore, ModelVersion
from ted_data_adapter.errors import DataValidationError
from ted_data_adapter.story_graph import ExpandedStory
from ted_data_adapter.vocabulary import Vocabulary
from ted_fingerprint import Decision
from ted_pipeline.archiving import save_trained
from ted_pipeline.config import augmentation_factor
from ted_pipeline.errors import FinetuneRefused
from ted_pipeline.fingerprints import compare_with, training_fingerprint
from ted_pipeline.loading import ModelRef, load_model
from ted_pipeline.policies.ensemble import PolicyEnsemble
from ted_pipeline.policies.training import TrainedEnsemble, train_ensemble
from ted_pipeline.policy_config import read_ensemble
from ted_pipeline.project import TrainingProject, load_training_project

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
    trained: TrainedEnsemble | None = field(default=None, repr=False)
    saved: ModelVersion | None = field(default=None, repr=False)
    ensemble: PolicyEnsemble | None = field(default=None, repr=False)
    # What a user should know about the run (for example that it cannot be repeated).
    notes: list[str] = field(default_factory=list)

    @property
    def policy(self) -> PolicyEnsemble | None:
        """The model just trained (every policy of its ensemble), in memory; None when
        nothing was trained."""
        return self.ensemble


def as_store(store: str | os.PathLike[str] | ModelStore) -> ModelStore:
    return store if isinstance(store, ModelStore) else ModelStore(store)


def _latest(store: ModelStore, name: str) -> ModelVersion | None:
    try:
        return store.get(name)
    except ArchiveError:
        return None


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
    strict: bool = False,
) -> TrainResult:
    """Train (or fine-tune, or skip) the model of a project and archive it in ``store``.

    ``config_file`` replaces the project's config.yml; ``config_overrides`` go on top.
    ``finetune=True`` continues the latest archived version for ``finetune_epoch_fraction``
    of the epochs when only the training data changed; otherwise it raises FinetuneRefused.
    """
    project = load_training_project(project_dir, config_file=config_file, strict=strict)
    ensemble = read_ensemble(project.config, config_overrides)
    if strict and ensemble.warnings:  # --strict: a config warning stops training too
        raise DataValidationError(ensemble.warnings)
    factor = augmentation_factor(project.config, augmentation)
    model_name = name or project.name
    model_store = as_store(store)
    vocabulary = Vocabulary.from_domain(project.data.domain)
    stories = project.data.training_stories(augmentation_factor=0)
    fingerprint = training_fingerprint(ensemble, vocabulary, stories, project.data.rules, factor)

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

    ted = ensemble.ted
    seed = ted.random_seed if ted is not None and ted.random_seed is not None else DEFAULT_SEED
    notes = []
    if ted is not None and ted.random_seed is None:
        notes.append(
            "TEDPolicy has no random_seed: this training is not reproducible (set random_seed "
            "in config.yml to get the same model from the same data)"
        )
    model_lineage: dict[str, Any] = dict(lineage or {})
    parent: Any = None
    epochs = ted.epochs if ted is not None else None
    if finetune and previous is not None:
        parent_model = load_model(
            ModelRef.in_store(model_name, previous.version), store=model_store
        )
        parent = parent_model.ted.policy if parent_model.ted is not None else None
        if ted is not None:
            epochs = max(1, math.ceil(ted.epochs * ted.finetune_epoch_fraction))
        model_lineage.update(parent_version=previous.version, finetuned=True)
    elif previous is not None:
        model_lineage.setdefault("previous_version", previous.version)
    trained = train_ensemble(
        ensemble,
        vocabulary,
        rules=project.data.rules,
        stories=stories,
        augmentation=factor,
        seed=seed,
        callbacks=callbacks,
        verbose=verbose,
        ted_parent=parent,
        ted_epochs=epochs,
    )
    policy = trained.ensemble(model_name=model_name)
    metrics = {**trained.metrics, **_replay_metrics(policy, stories)}
    if epochs is not None:
        metrics["epochs"] = epochs
    trained.metrics = metrics
    saved = save_trained(
        model_store,
        model_name,
        trained,
        ensemble=ensemble,
        fingerprint=fingerprint,
        augmentation=factor,
        lineage=model_lineage,
    )
    policy.version, policy.manifest = saved.version, saved.manifest
    return TrainResult(
        skipped=False,
        reason=reason,
        version=saved.version,
        metrics=metrics,
        archive=saved.archive_path,
        name=model_name,
        decision=comparison.decision.value,
        finetuned=finetune and previous is not None,
        project=project,
        stories=stories,
        trained=trained,
        saved=saved,
        ensemble=policy,
        notes=notes,
    )


def _replay_metrics(policy: PolicyEnsemble, stories: Sequence[ExpandedStory]) -> dict[str, Any]:
    """Accuracy of the trained model replaying its own training stories (no dropout)."""
    from ted_pipeline.evaluation import evaluate_policy, replay_stories_of

    if not stories:
        return {}
    report = evaluate_policy(policy, replay_stories_of(stories))
    return {
        "training_stories_action_accuracy": report.action_accuracy,
        "training_stories_action_accuracy_with_listen": report.action_accuracy_with_listen,
    }
