"""Archiving a trained policy as the next version of a model, with its provenance.

The manifest records the fingerprint (what the model was trained from), the whole config
(with the augmentation factor), the training metrics, the lineage (parent or previous
version, sweep and trial, ...) and the versions of the packages that wrote it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ted_data_adapter
import ted_model
from ted_archive import ModelStore, ModelVersion
from ted_fingerprint import Fingerprint
from ted_pipeline.policies.training import TrainedEnsemble
from ted_pipeline.policy_config import EnsembleConfig
from ted_pipeline.version import __version__


def package_versions() -> dict[str, str]:
    return {
        "ted-model": ted_model.__version__,
        "ted-data-adapter": ted_data_adapter.__version__,
        "ted-pipeline": __version__,
    }


def manifest_config(ensemble: EnsembleConfig, augmentation: int) -> dict[str, Any]:
    """The manifest's config: TED's keys at the top (as before ensembles), every policy of
    the ensemble under ``policies``, and the augmentation factor."""
    ted = ensemble.ted.to_dict() if ensemble.ted is not None else {}
    return {**ted, **ensemble.to_dict(), "augmentation": augmentation}


def save_trained(
    store: ModelStore,
    name: str,
    trained: TrainedEnsemble,
    *,
    ensemble: EnsembleConfig,
    fingerprint: Fingerprint,
    augmentation: int,
    lineage: Mapping[str, Any],
) -> ModelVersion:
    """Write the model directory and publish it atomically as the next version of ``name``."""
    with tempfile.TemporaryDirectory(prefix="ted-archive-src-") as tmp:
        model_dir = Path(tmp) / "model"
        model_dir.mkdir()
        trained.save(model_dir)
        return store.save(
            name,
            model_dir,
            fingerprint=dict(fingerprint),
            config=manifest_config(ensemble, augmentation),
            metrics=dict(trained.metrics),
            lineage=dict(lineage),
            packages=package_versions(),
        )
