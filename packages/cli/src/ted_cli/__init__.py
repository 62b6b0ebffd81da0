"""The ted command line: train, test, sweep, serve, predict and manage TED models."""

from ted_cli.version import __version__

__all__ = ["__version__"]
