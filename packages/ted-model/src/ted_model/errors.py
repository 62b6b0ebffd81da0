"""Errors of ted-model: one base class and a few specific kinds."""

from __future__ import annotations


class TEDModelError(Exception):
    """Base of every error ted-model raises on purpose."""


class ConfigError(TEDModelError):
    """A TEDPolicy config key is unknown or has a wrong type or value."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config key '{key}': {message}")
        self.key = key


class TrainingError(TEDModelError):
    """Training cannot run on this data (e.g. no training examples)."""


class ModelLoadError(TEDModelError):
    """A saved model is missing files, was written by an unknown format, or is corrupt."""
