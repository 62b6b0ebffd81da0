"""A project: what it is (one definition) and loading it for training.

A project is a folder holding a domain (``domain.yml``, ``domain.yaml`` or a ``domain/``
folder); ted-data-adapter's ``find_domain`` is the one test of that, and every entry point
(``ted train``, ``ted sweep``, the trainer service) asks :func:`check_project_dir`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ted_data_adapter import Project, find_domain, load_project
from ted_data_adapter.config import ProjectConfig
from ted_pipeline.errors import ProjectNotFoundError


def check_project_dir(path: str | os.PathLike[str]) -> Path:
    """The resolved project folder, or ProjectNotFoundError saying what is missing."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ProjectNotFoundError(f"{str(path)!r} is not a directory")
    if find_domain(root) is None:
        raise ProjectNotFoundError(
            f"{str(path)!r} is not a project folder: it holds no domain.yml, domain.yaml "
            "or domain/ folder"
        )
    return root.resolve()


@dataclass(frozen=True)
class TrainingProject:
    """A validated project and the config.yml that applies to its training."""

    root: Path
    data: Project
    config: ProjectConfig

    @property
    def name(self) -> str:
        """The default model name: the folder's name."""
        return self.root.name


def load_training_project(
    path: str | os.PathLike[str],
    *,
    config_file: str | os.PathLike[str] | None = None,
    strict: bool = False,
) -> TrainingProject:
    """Check and load a project; ``config_file`` replaces its own config.yml (as in Rasa).

    Raises ProjectNotFoundError, or DataValidationError listing every problem as file:line.
    Nothing here imports TensorFlow, so a data error is reported in about a second. The
    data's warnings are in ``data.warnings`` (with ``strict`` they are raised as errors).
    ``tests/`` is not read: a broken test story stops ``ted test``, not training.
    """
    root = check_project_dir(path)
    data = load_project(root, include_tests=False, strict=strict)
    config = ProjectConfig.load(config_file) if config_file is not None else data.config
    return TrainingProject(root=root, data=data, config=config)
