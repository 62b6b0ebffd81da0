"""The job log: ordered events, late joiners replay everything, final state is final."""

from __future__ import annotations

import threading
import time

from ted_trainer.events import EpochEvent, StateEvent
from ted_trainer.jobs import Job, JobKind, JobRegistry, JobState
from ted_trainer.train_job import TrainOutcome


def test_late_watchers_replay_and_follow_live_events() -> None:
    job = Job(JobKind.TRAIN, "m")
    job.emit(StateEvent("RUNNING"))
    job.emit(EpochEvent(1, {"loss": 1.0}))
    seen: dict[str, list[int]] = {"a": [], "b": []}

    def watch(name: str) -> None:
        for stamped in job.events():
            seen[name].append(stamped.sequence)

    first = threading.Thread(target=watch, args=("a",))
    first.start()
    for epoch in range(2, 5):
        time.sleep(0.01)
        job.emit(EpochEvent(epoch, {"loss": 1.0 / epoch}))
    outcome = TrainOutcome(False, "", 3, {"loss": 0.25}, "/store/m/3")
    job.finish(JobState.SUCCEEDED, "done", outcome)
    late = threading.Thread(target=watch, args=("b",))
    late.start()
    first.join(5)
    late.join(5)
    assert seen["a"] == seen["b"] == list(range(7))
    assert job.state is JobState.SUCCEEDED and job.result is outcome
    snapshot = job.snapshot()
    assert (snapshot.state, snapshot.message, snapshot.result) == (
        JobState.SUCCEEDED,
        "done",
        outcome,
    )
    # a finished job stays finished
    job.finish(JobState.FAILED, "late")
    assert job.state is JobState.SUCCEEDED
    assert not job.cancel()


def test_cancel_calls_the_canceller_even_when_set_later() -> None:
    job = Job(JobKind.SWEEP, "m")
    calls: list[str] = []
    assert job.cancel()
    job.set_canceller(lambda: calls.append("stop"))
    assert calls == ["stop"] and job.cancel_requested.is_set()


def test_watcher_that_leaves_stops_waiting() -> None:
    job = Job(JobKind.TRAIN, "m")
    active = [True]
    got = []

    def watch() -> None:
        for stamped in job.events(is_active=lambda: active[0], poll_s=0.05):
            got.append(stamped.sequence)

    t = threading.Thread(target=watch)
    t.start()
    time.sleep(0.1)
    active[0] = False
    t.join(2)
    assert not t.is_alive() and got == [0]


def test_registry_lists_newest_first() -> None:
    registry = JobRegistry()
    a = registry.add(Job(JobKind.TRAIN, "a"))
    time.sleep(0.01)
    b = registry.add(Job(JobKind.SWEEP, "b"))
    assert [j.job_id for j in registry.all()] == [b.job_id, a.job_id]
    assert registry.get(a.job_id) is a
