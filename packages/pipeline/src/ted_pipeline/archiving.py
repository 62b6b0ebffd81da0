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
from ted_model import TrainedPolicy
from ted_pipeline.version import __version__


def package_versions() -> dict[str, str]:
    return {
        "ted-model": ted_model.__version__,
        "ted-data-adapter": ted_data_adapter.__version__,
        "ted-pipeline": __version__,
    }


def save_trained(
    store: ModelStore,
    name: str,
    trained: TrainedPolicy,
    *,
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
            config={**trained.config.to_dict(), "augmentation": augmentation},
            metrics=dict(trained.metrics),
            lineage=dict(lineage),
            packages=package_versions(),
        )
