"""Versioned, verified TED model archives and a model store safe for many concurrent writers."""

from ted_archive.version import __version__

__all__ = ["__version__"]
