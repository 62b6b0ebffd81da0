"""Errors of the trainer: one base class, a few specific kinds the callers map to statuses."""

from __future__ import annotations


class TrainerError(Exception):
    """Base of every error ted-trainer raises on purpose."""


class SweepSpecError(TrainerError):
    """A sweep file is invalid; ``key`` names the offending key (dotted path)."""

    def __init__(self, key: str, message: str, source: str | None = None) -> None:
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}sweep key '{key}': {message}")


class RequestError(TrainerError):
    """A service request is invalid; ``field`` names the offending request field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class RayUnavailableError(TrainerError):
    """The Ray cluster could not be reached or started."""


class JobNotFoundError(TrainerError):
    """No job has the given id."""


class SweepFailedError(TrainerError):
    """A sweep ended without any successful trial."""
