"""Errors the command line turns into a one-line message and an exit code."""

from __future__ import annotations


class CliError(Exception):
    """A user-facing failure: printed as ``ted: error: <message>``, no traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
