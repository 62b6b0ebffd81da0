"""``train_project``: the one path from a project folder to a new archived model version.

Load and validate the project, featurize, fingerprint, compare with the store's latest
version of the model (unchanged -> skip; only the data changed -> fine-tuning allowed),
train or fine-tune, and save the archive with fingerprint, metrics and lineage.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ted_model.config import TEDConfig
from ted_model.errors import FinetuneRefused, TrainingError
from ted_model.persistence import MODEL_FORMAT, ModelMeta, load_model_dir, save_model_dir
from ted_model.version import __version__

logger = logging.getLogger(__name__)

# Config keys that change how training is observed, not the model it produces.
_NON_MODEL_KEYS = ("tensorboard_log_directory", "tensorboard_log_level", "jit_compile")


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


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The TEDPolicy entry of a Rasa-style config.yml (or ``{}`` when it has none)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise TrainingError(f"cannot read config file {path}: {e}") from e
    if not isinstance(data, dict):
        raise TrainingError(f"{path}: expected a mapping at the top level")
    for policy in data.get("policies") or []:
        if isinstance(policy, dict) and str(policy.get("name", "")).split(".")[-1] == "TEDPolicy":
            return dict(policy)
    return {}


def _fingerprint_data(
    config: TEDConfig,
    vocabulary: Any,
    conversations: Sequence[Any],
    augmentation: Any,
    meta: ModelMeta,
) -> Any:
    import ted_data_adapter
    from ted_fingerprint import project_fingerprint

    model_config = {k: v for k, v in config.to_dict().items() if k not in _NON_MODEL_KEYS}
    # epochs and evaluation settings change the training, so they stay in the config section
    return project_fingerprint(
        config={"ted": model_config, "augmentation": augmentation},
        domain=vocabulary.to_dict(),
        data=[[repr(event) for event in events] for events in conversations],
        code={
            "ted-model": __version__,
            "ted-data-adapter": ted_data_adapter.__version__,
            "model_format": MODEL_FORMAT,
        },
        extra={"labels": meta.action_names, "feature_dims": meta.attribute_dims},
    )


def _latest(store: Any, name: str) -> Any:
    from ted_archive import ArchiveError

    try:
        return store.get(name)
    except ArchiveError:
        return None


def train_project(
    project_dir: str | os.PathLike[str],
    *,
    store: str | os.PathLike[str] | Any,
    name: str | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    force: bool = False,
    augmentation: int | None = None,
    callbacks: Sequence[Any] = (),
    lineage: Mapping[str, Any] | None = None,
    finetune: bool = False,
    config_file: str | os.PathLike[str] | None = None,
    verbose: bool | None = None,
) -> TrainResult:
    """Train (or fine-tune, or skip) the TED model of a project and archive it in ``store``.

    ``finetune=True`` continues the latest archived version for ``finetune_epoch_fraction``
    of the epochs when only the training data changed; otherwise it raises FinetuneRefused.
    """
    from ted_archive import ModelStore
    from ted_data_adapter.featurizer import StateFeaturizer
    from ted_data_adapter.project import load_project
    from ted_data_adapter.vocabulary import Vocabulary
    from ted_fingerprint import Decision, Fingerprint, compare
    from ted_model import training

    root = Path(project_dir)
    project = load_project(root)
    raw = read_config_file(config_file) if config_file else project.config.policy_config()
    raw = {**raw, **(config_overrides or {})}
    config = TEDConfig.from_rasa(raw)
    model_name = name or root.resolve().name
    model_store = store if isinstance(store, ModelStore) else ModelStore(store)
    seed = config.random_seed if config.random_seed is not None else 42
    conversations = project.training_conversations(augmentation_factor=augmentation, seed=seed)
    vocabulary = Vocabulary.from_domain(project.domain)
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
    fingerprint = _fingerprint_data(config, vocabulary, conversations, augmentation, meta)

    previous = _latest(model_store, model_name)
    old = None
    if previous is not None and previous.manifest.fingerprint:
        old = Fingerprint(previous.manifest.fingerprint)
    comparison = compare(fingerprint, old, must_match=("labels", "feature_dims"))
    reason = "; ".join(comparison.reasons)
    if comparison.decision == Decision.UNCHANGED and not force:
        logger.info("%s: nothing changed since version %d", model_name, previous.version)
        return TrainResult(
            skipped=True,
            reason=f"unchanged since version {previous.version}: {reason}",
            version=previous.version,
            metrics=dict(previous.manifest.metrics),
            archive=previous.archive_path,
            name=model_name,
            decision=comparison.decision.value,
        )
    if finetune and comparison.decision not in (Decision.FINETUNE, Decision.UNCHANGED):
        raise FinetuneRefused(f"cannot fine-tune {model_name}: {reason}")

    model_lineage: dict[str, Any] = dict(lineage or {})
    epochs = config.epochs
    with tempfile.TemporaryDirectory(prefix="ted-train-") as tmp:
        training.seed_everything(config.random_seed)
        if finetune and previous is not None:
            model_store.unpack(model_name, previous.version, Path(tmp) / "parent")
            model, _, _, _ = load_model_dir(Path(tmp) / "parent")
            training.compile_model(model, config)
            epochs = max(1, math.ceil(config.epochs * config.finetune_epoch_fraction))
            model_lineage.update(parent_version=previous.version, finetuned=True)
        else:
            model = training.build_model(config, meta.attribute_dims, model_data.label_features)
            if previous is not None:
                model_lineage.setdefault("previous_version", previous.version)
        result = training.fit(
            model,
            config,
            model_data.features,
            layout=layout,
            epochs=epochs,
            callbacks=callbacks,
            verbose=verbose,
        )
        out = Path(tmp) / "model"
        out.mkdir()
        save_model_dir(out, model, config, vocabulary, meta)
        metrics = {**result.metrics, "epochs": epochs, "examples": len(model_data)}
        version = model_store.save(
            model_name,
            out,
            fingerprint=dict(fingerprint),
            config={**config.to_dict(), "augmentation": augmentation},
            metrics=metrics,
            lineage=model_lineage,
            packages={"ted-model": __version__},
        )
    return TrainResult(
        skipped=False,
        reason=reason,
        version=version.version,
        metrics=metrics,
        archive=version.archive_path,
        name=model_name,
        decision=comparison.decision.value,
        finetuned=bool(finetune and previous is not None),
    )
