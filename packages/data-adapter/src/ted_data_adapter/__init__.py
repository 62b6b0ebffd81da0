"""Reads Rasa dialogue projects and turns conversations into TED training data."""

from ted_data_adapter.version import __version__

__all__ = ["__version__"]
