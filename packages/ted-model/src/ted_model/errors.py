"""Errors of ted-model: one base class and a few specific kinds."""

from __future__ import annotations


class TEDModelError(Exception):
    """Base of every error ted-model raises on purpose."""


class ConfigError(TEDModelError):
    """A TEDPolicy config key is unknown or has a wrong type or value.

    ``where`` (e.g. ``config.yml:5: TEDPolicy``) is set by a caller that knows which file
    entry the key came from; ``reason`` is the message without key and place.
    """

    def __init__(self, key: str, message: str, where: str | None = None) -> None:
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}config key '{key}': {message}")
        self.key = key
        self.reason = message
        self.where = where


class TrainingError(TEDModelError):
    """Training cannot run on this data (e.g. no training examples)."""


class ModelLoadError(TEDModelError):
    """A saved model is missing files, was written by an unknown format, or is corrupt."""
