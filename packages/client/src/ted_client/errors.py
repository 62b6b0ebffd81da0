"""Errors of ted-client: one base class, a kind for failed calls and kinds for bad input.

Callers such as ``ted predict`` catch :class:`ClientError` and show its one-line message.
"""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error ted-client raises on purpose."""


class PredictorClientError(ClientError):
    """A call to the predictor failed; ``code_name`` is the gRPC status code name."""

    def __init__(self, code_name: str, details: str) -> None:
        super().__init__(f"{code_name}: {details}")
        self.code_name = code_name
        self.details = details


class InvalidEventsError(ClientError):
    """An events file or tracker JSON is unreadable or malformed.

    ``field`` is the path of the offending part, such as ``tracker.json[3].parse_data``.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class InvalidModelRefError(ClientError):
    """A model reference is not ``NAME``, ``NAME@VERSION`` or ``NAME@ALIAS``."""

    def __init__(self, text: str) -> None:
        super().__init__(f"model: expected NAME[@VERSION|@ALIAS], got {text!r}")
        self.text = text
