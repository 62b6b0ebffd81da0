"""Errors of ted-pipeline: one base class and a few specific kinds.

Errors of the packages below (a data problem with file:line from ted-data-adapter, a config
key from ted-model, a refused archive from ted-archive) pass through unchanged where the
caller can act on them as they are; the kinds here are about the composition itself.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error ted-pipeline raises on purpose."""


class ProjectNotFoundError(PipelineError):
    """A path is not a project folder (no domain.yml, domain.yaml or domain/ in it)."""


class FinetuneRefused(PipelineError):
    """Fine-tuning was asked for but the previous model does not fit the new data."""


class ModelRefError(PipelineError):
    """A model reference is neither an archive file nor STORE/NAME[@VERSION|@ALIAS]."""


class ModelLoadError(PipelineError):
    """A model could not be verified, unpacked or loaded; the message names it and why."""


class PolicyConfigError(PipelineError):
    """The ``policies:`` of a config.yml (or an archived ensemble record) cannot be read.

    ``file`` and ``line`` point at the policy entry when the problem is in a file.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int = 0) -> None:
        super().__init__(f"{file}:{line}: {message}" if file else message)
        self.file = file
        self.line = line
        self.reason = message
