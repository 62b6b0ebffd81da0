"""Errors of ted-predictor: one base class, a few kinds that map to gRPC status codes.

The mapping to status codes lives in :mod:`ted_predictor.status` only.
"""

from __future__ import annotations

ECHO_LIMIT = 200  # characters of a request value repeated in an error message


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with a marker of how much was left out.

    Error details travel in gRPC trailing metadata, which clients refuse beyond a few KB
    (RESOURCE_EXHAUSTED), so a huge request value must not come back whole.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more characters]"


def echo(value: object) -> str:
    """A request value quoted for an error message (its repr), clipped to :data:`ECHO_LIMIT`."""
    return clip(repr(value))


class PredictorError(Exception):
    """Base of every error ted-predictor raises on purpose."""


class ConfigError(PredictorError):
    """The predictor configuration is invalid."""


class InvalidRequestError(PredictorError):
    """A request is malformed; ``field`` is the path of the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class ModelNotFoundError(PredictorError):
    """The model, version or alias is unknown to this predictor."""


class ModelUnavailableError(PredictorError):
    """The model exists but no version of it is loaded (yet)."""


class ModelLoadError(PredictorError):
    """A model version could not be verified, unpacked, loaded or warmed."""


class RequestDeadlineError(PredictorError):
    """The client's deadline passed before the answer was ready."""
