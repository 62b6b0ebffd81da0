"""Which settings a training run uses: one reader of config.yml, one precedence.

From lowest to highest:

1. Rasa's TEDPolicy defaults (``ted_model.TEDConfig``).
2. The TEDPolicy entry of the project's ``config.yml`` -- or, when a config file is given
   (``ted train --config FILE``, a sweep file's ``config:``), of that file instead: it
   replaces the project's config.yml as a whole, as ``rasa train --config`` does.
3. Overrides, key by key: ``ted train --epochs``, the trainer's ``config_overrides``, and in
   a sweep its defaults for trials (``evaluate_every_number_of_epochs: 1``), then the sweep
   file's ``overrides:`` and ``epochs:``, then each trial's sampled hyperparameters.

Every config.yml is parsed by ted-data-adapter's ``ProjectConfig`` (file:line in errors);
its whole ``policies:`` list is read by :mod:`ted_pipeline.policy_config`, and the TEDPolicy
settings here are the TED member of that ensemble.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ted_data_adapter.config import ProjectConfig
from ted_data_adapter.story_graph import DEFAULT_AUGMENTATION_FACTOR
from ted_model.config import TEDConfig
from ted_pipeline.policy_config import read_ensemble, ted_from_overrides

TED_POLICY = "TEDPolicy"


def read_config_file(path: str | os.PathLike[str]) -> ProjectConfig:
    """Parse a config.yml (DataValidationError with file:line when it is malformed)."""
    return ProjectConfig.load(path)


def ted_entry(config: ProjectConfig) -> dict[str, Any]:
    """The raw keys of the TEDPolicy entry (without ``name``), ``{}`` when there is none."""
    return {k: v for k, v in config.policy_config(TED_POLICY).items() if k != "name"}


def ted_config(config: ProjectConfig, overrides: Mapping[str, Any] | None = None) -> TEDConfig:
    """The typed TEDPolicy settings: the ensemble's TED member with ``overrides`` on top.

    When config.yml lists policies but no TEDPolicy, TEDPolicy's defaults with the overrides;
    when it lists none at all, the TEDPolicy of Rasa's default policies. Warnings about the
    config (unknown keys, ...) are logged with file and line.
    """
    ensemble = read_ensemble(config, overrides)
    return ensemble.ted if ensemble.ted is not None else ted_from_overrides(overrides)


def augmentation_factor(config: ProjectConfig, explicit: int | None) -> int:
    """Story augmentation: the explicit value (``--augmentation``), else the config file's
    top-level ``augmentation_factor``, else Rasa's default of 50."""
    if explicit is not None:
        return explicit
    return int(config.raw.get("augmentation_factor", DEFAULT_AUGMENTATION_FACTOR))
