"""Job events: what a watcher sees of a running training job or sweep.

Plain dataclasses so the sweep runner and the training task do not need grpc; the service
turns them into ``ted.v1.JobEvent`` messages.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass(frozen=True)
class EpochEvent:
    """Metrics at the end of one epoch (epochs count from 1)."""

    epoch: int
    metrics: dict[str, float]
    trial_id: str = ""


@dataclasses.dataclass(frozen=True)
class TrialEvent:
    """A sweep trial started, finished, failed or is being retried."""

    trial_id: str
    state: str
    hyperparameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    error: str = ""


@dataclasses.dataclass(frozen=True)
class ArchiveEvent:
    """An archive was written into the store."""

    model_name: str
    version: int
    archive_path: str
    trial_id: str = ""
    # The trial's final selection value (NaN for Train jobs).
    objective: float = float("nan")


@dataclasses.dataclass(frozen=True)
class StateEvent:
    """The job itself changed state (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED)."""

    state: str
    message: str = ""


Event = EpochEvent | TrialEvent | ArchiveEvent | StateEvent
EventSink = Callable[[Event], None]


@dataclasses.dataclass(frozen=True)
class StampedEvent:
    """An event with its place in the job's log."""

    sequence: int
    time: float
    event: Event

    @classmethod
    def now(cls, sequence: int, event: Event) -> StampedEvent:
        return cls(sequence=sequence, time=time.time(), event=event)


def numeric_metrics(logs: dict[str, Any] | None) -> dict[str, float]:
    """The numeric entries of a metrics dict as floats (Keras logs hold numpy scalars)."""
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError):
            continue
    return out
