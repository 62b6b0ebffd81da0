"""Content fingerprints of TED projects that decide whether a model must be retrained."""

from ted_fingerprint.version import __version__

__all__ = ["__version__"]
