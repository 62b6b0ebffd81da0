"""A Train job: one ``train_project`` run as a Ray task, its epochs streamed back.

The task runs in a Ray worker (never in the server process); per-epoch metrics travel back
through a ``ray.util.queue.Queue`` that the driving thread drains into the job's event log.
Cancelling force-kills the task; the store's atomic save means no partial archive appears.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from ted_trainer.events import ArchiveEvent, EpochEvent, StateEvent, numeric_metrics
from ted_trainer.jobs import Job, JobState

logger = logging.getLogger(__name__)
_POLL_S = 0.25


@dataclasses.dataclass(frozen=True)
class TrainTask:
    """What one Train job trains (picklable; paths must be visible to the Ray workers)."""

    project_dir: str
    store_root: str
    model_name: str
    config_overrides: dict[str, Any]
    force: bool = False
    cpus: float = 1.0
    gpus: float = 0.0


@dataclasses.dataclass(frozen=True)
class TrainOutcome:
    """What a Train job produced (picklable: it travels back from the Ray task)."""

    skipped: bool
    reason: str
    version: int
    metrics: dict[str, float]
    archive_path: str


class QueueEpochReporter:
    """``on_epoch_end`` callback putting each epoch's metrics on a Ray queue."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.queue.put((epoch + 1, numeric_metrics(logs)))


def train_in_worker(task: TrainTask, queue: Any) -> TrainOutcome:
    """Body of the Ray task: same code path as ``ted train``."""
    import ray

    from ted_trainer.devices import configure_tensorflow

    configure_tensorflow(ray.get_gpu_ids(), task.cpus)
    from ted_archive import ModelStore
    from ted_pipeline import train_project

    result = train_project(
        task.project_dir,
        store=ModelStore(task.store_root),
        name=task.model_name,
        config_overrides=task.config_overrides or None,
        force=task.force,
        callbacks=[QueueEpochReporter(queue)],
    )
    return TrainOutcome(
        skipped=bool(result.skipped),
        reason=str(result.reason or ""),
        version=int(result.version or 0),
        metrics=numeric_metrics(dict(result.metrics or {})),
        archive_path=str(result.archive or ""),
    )


def drive_train_job(job: Job, task: TrainTask) -> None:
    """Run ``task`` on Ray and mirror it into ``job`` (call from a background thread)."""
    import ray
    from ray.util.queue import Empty, Queue

    queue = Queue(actor_options={"num_cpus": 0})
    remote = ray.remote(train_in_worker).options(
        num_cpus=task.cpus, num_gpus=task.gpus, max_retries=0
    )
    ref = remote.remote(task, queue)
    job.set_canceller(lambda: ray.cancel(ref, force=True))
    job.emit(StateEvent(JobState.RUNNING.value, f"training {task.model_name}"))

    def drain() -> None:
        while True:
            try:
                epoch, metrics = queue.get_nowait()
            except Empty:
                return
            job.emit(EpochEvent(epoch, metrics))

    try:
        while True:
            ready, _ = ray.wait([ref], timeout=_POLL_S)
            drain()
            if ready:
                break
        result: TrainOutcome = ray.get(ref)
        drain()
    except Exception as e:  # the task failed, was cancelled or its worker died
        if job.cancel_requested.is_set():
            job.finish(JobState.CANCELLED, "cancelled")
        else:
            job.finish(JobState.FAILED, _task_error(e))
        return
    finally:
        ray.kill(queue.actor)  # type: ignore[arg-type]
    if result.skipped:
        message = f"nothing trained: {result.reason}"
    else:
        job.emit(ArchiveEvent(task.model_name, result.version, result.archive_path))
        message = f"{task.model_name} version {result.version}"
    job.finish(JobState.SUCCEEDED, message, result)


def _task_error(e: Exception) -> str:
    cause = getattr(e, "cause", None)
    text = str(cause) if cause is not None else str(e)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else type(e).__name__)[:500]
