"""Errors of the trainer: one base class, a few specific kinds the callers map to statuses."""

from __future__ import annotations

# The longest status details string sent: details travel percent-encoded in trailing
# metadata, which clients cap at 8 KB (one non-ASCII character can take 12 bytes there), so
# an error echoing a huge request value would reach the client as RESOURCE_EXHAUSTED.
DETAILS_LIMIT = 500


def status_details(error: BaseException, limit: int = DETAILS_LIMIT) -> str:
    """``str(error)`` for a gRPC status, at most ``limit`` characters: a longer one loses its
    middle (the start names the field and the end usually says what is wrong)."""
    text = str(error)
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 2)  # room for the marker
    head = keep * 3 // 4
    tail = keep - head
    return f"{text[:head]}…[{len(text) - keep} characters left out]…{text[-tail:]}"


class TrainerError(Exception):
    """Base of every error ted-trainer raises on purpose."""


class SweepSpecError(TrainerError):
    """A sweep file is invalid; ``key`` names the offending key (dotted path)."""

    def __init__(self, key: str, message: str, source: str | None = None) -> None:
        self.key = key
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}sweep key '{key}': {message}")


class RequestError(TrainerError):
    """A service request is invalid; ``field`` names the offending request field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class RayUnavailableError(TrainerError):
    """The Ray cluster could not be reached or started."""


class JobNotFoundError(TrainerError):
    """No job has the given id."""


class SweepFailedError(TrainerError):
    """A sweep ended without any successful trial."""
