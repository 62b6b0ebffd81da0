"""Jobs of the trainer service: state, result and an append-only event log per job.

A job's events are kept for its lifetime, so a watcher that joins late replays everything
from the start and then follows live events; any number of watchers read the same log.
"""

from __future__ import annotations

import dataclasses
import enum
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ted_trainer.errors import JobNotFoundError
from ted_trainer.events import Event, StampedEvent, StateEvent

if TYPE_CHECKING:
    from ted_trainer.sweep_runner import SweepOutcome
    from ted_trainer.train_job import TrainOutcome


class JobKind(enum.Enum):
    TRAIN = "TRAIN"
    SWEEP = "SWEEP"


class JobState(enum.Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class Job:
    """One training job or sweep; thread-safe."""

    def __init__(self, kind: JobKind, model_name: str, job_id: str | None = None) -> None:
        self.job_id = job_id or f"{kind.value.lower()}-{secrets.token_hex(6)}"
        self.kind = kind
        self.model_name = model_name
        self.created_at = time.time()
        self.finished_at = 0.0
        self.state = JobState.PENDING
        self.message = ""
        self.result: TrainOutcome | SweepOutcome | None = None
        self.cancel_requested = threading.Event()
        self._events: list[StampedEvent] = []
        self._cond = threading.Condition()
        self._on_cancel: Callable[[], None] | None = None
        self.emit(StateEvent(JobState.PENDING.value))

    # --- writing -------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Append an event (a ``StateEvent`` also moves the job's state)."""
        with self._cond:
            if isinstance(event, StateEvent):
                state = JobState(event.state)
                if self.state.finished:
                    return  # a finished job's state is final
                if state == JobState.RUNNING and self.state == JobState.RUNNING:
                    return
                self.state = state
                self.message = event.message or self.message
                if state.finished:
                    self.finished_at = time.time()
            self._events.append(StampedEvent.now(len(self._events), event))
            self._cond.notify_all()

    def finish(
        self, state: JobState, message: str = "", result: TrainOutcome | SweepOutcome | None = None
    ) -> None:
        with self._cond:
            if result is not None:
                self.result = result
        self.emit(StateEvent(state.value, message))

    def set_canceller(self, cancel: Callable[[], None]) -> None:
        """What ``cancel()`` calls to stop the running work."""
        with self._cond:
            self._on_cancel = cancel
        if self.cancel_requested.is_set():
            cancel()

    def cancel(self) -> bool:
        """Ask the job to stop; False when it had already finished."""
        with self._cond:
            if self.state.finished:
                return False
            self.cancel_requested.set()
            on_cancel = self._on_cancel
        if on_cancel is not None:
            on_cancel()
        return True

    # --- reading -------------------------------------------------------------------------

    def events(
        self, start: int = 0, *, is_active: Callable[[], bool] = lambda: True, poll_s: float = 0.5
    ) -> Iterator[StampedEvent]:
        """Every event from ``start`` on, live, until the job has finished (or the reader left)."""
        index = start
        while True:
            with self._cond:
                while index >= len(self._events) and not self.state.finished:
                    self._cond.wait(timeout=poll_s)
                    if not is_active():
                        return
                batch = self._events[index:]
                done = self.state.finished
            yield from batch
            index += len(batch)
            if done and index >= len(self._events):
                return

    def snapshot(self) -> JobSnapshot:
        """A consistent copy of the job's state for readers."""
        with self._cond:
            return JobSnapshot(
                job_id=self.job_id,
                kind=self.kind,
                state=self.state,
                model_name=self.model_name,
                created_at=self.created_at,
                finished_at=self.finished_at,
                message=self.message,
                result=self.result,
            )


@dataclasses.dataclass(frozen=True)
class JobSnapshot:
    """What a reader sees of a job at one moment."""

    job_id: str
    kind: JobKind
    state: JobState
    model_name: str
    created_at: float
    finished_at: float
    message: str
    result: TrainOutcome | SweepOutcome | None


@dataclasses.dataclass
class JobRegistry:
    """All jobs of one server process."""

    _jobs: dict[str, Job] = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def add(self, job: Job) -> Job:
        with self._lock:
            self._jobs[job.job_id] = job
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(f"no job with id {job_id!r}")
        return job

    def all(self) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        return sorted(jobs, key=lambda j: j.created_at, reverse=True)

    def running(self) -> list[Job]:
        return [j for j in self.all() if not j.state.finished]
