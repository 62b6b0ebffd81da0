"""Errors of ted-predictor: one base class, a few kinds that map to gRPC status codes.

The mapping to status codes lives in :mod:`ted_predictor.status` only.
"""

from __future__ import annotations

from typing import TypeVar

E = TypeVar("E", bound=BaseException)


def find_cause(error: BaseException, kind: type[E]) -> E | None:
    """``error`` itself or the first exception of ``kind`` in its cause/context chain."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


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


class PredictorClientError(PredictorError):
    """A call from :class:`ted_predictor.client.PredictorClient` failed."""

    def __init__(self, code_name: str, details: str) -> None:
        super().__init__(f"{code_name}: {details}")
        self.code_name = code_name
        self.details = details
