"""Starts Train and Sweep jobs in background threads that only drive Ray.

The server thread returns a job id at once; the work runs on Ray (a task per Train job,
Tune trials per sweep), so the server stays responsive and jobs outlive their clients.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ted_trainer.errors import RayUnavailableError, RequestError, TrainerError
from ted_trainer.jobs import Job, JobKind, JobRegistry, JobState
from ted_trainer.ray_session import ensure_ray
from ted_trainer.sweep_runner import SweepPlan, plan_sweep, run_sweep
from ted_trainer.sweep_spec import SweepSpec
from ted_trainer.train_job import TrainTask, drive_train_job

logger = logging.getLogger(__name__)
UPLOADS_FOLDER = ".uploads"


class JobRunner:
    """Owns the job registry and the threads driving each job."""

    def __init__(self, store_root: str | Path, ray_address: str | None = None) -> None:
        self.store_root = Path(store_root).resolve()
        self.ray_address = ray_address
        self.registry = JobRegistry()
        self._threads: list[threading.Thread] = []

    def connect(self) -> None:
        """Connect to Ray (raises ``RayUnavailableError`` with a clear message)."""
        ensure_ray(self.ray_address)

    # --- projects --------------------------------------------------------------------------

    def upload_project(self, files: Sequence[tuple[str, bytes]], job_hint: str) -> Path:
        """Write uploaded files under the store (shared with the Ray workers)."""
        target = self.store_root / UPLOADS_FOLDER / job_hint
        for index, (name, _content) in enumerate(files):
            relative = Path(name)
            if not name or relative.is_absolute() or ".." in relative.parts:
                raise RequestError(
                    f"project.files.files[{index}].path",
                    f"{name!r} must be a relative path inside the project",
                )
        from ted_pipeline import ProjectNotFoundError, check_project_dir

        if target.exists():
            shutil.rmtree(target)
        for name, content in files:
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        try:
            return check_project_dir(target)
        except ProjectNotFoundError as e:
            shutil.rmtree(target, ignore_errors=True)
            raise RequestError(
                "project.files",
                "the uploaded files are not a project (no domain.yml, "
                "domain.yaml or domain/ at the top)",
            ) from e

    # --- jobs ------------------------------------------------------------------------------

    def start_train(
        self,
        project_dir: Path,
        model_name: str,
        overrides: dict[str, Any],
        force: bool,
        job: Job | None = None,
    ) -> Job:
        self.connect()
        job = self.registry.add(job or Job(JobKind.TRAIN, model_name))
        task = TrainTask(
            project_dir=str(project_dir),
            store_root=str(self.store_root),
            model_name=model_name,
            config_overrides=overrides,
            force=force,
        )
        self._spawn(job, lambda: drive_train_job(job, task))
        return job

    def start_sweep(self, spec: SweepSpec) -> Job:
        plan = plan_sweep(spec, store_root=self.store_root)
        self.connect()
        job = self.registry.add(Job(JobKind.SWEEP, plan.context.model_name, job_id=plan.sweep_id))
        self._spawn(job, lambda: self._drive_sweep(job, plan))
        return job

    def _drive_sweep(self, job: Job, plan: SweepPlan) -> None:
        job.set_canceller(lambda: None)  # the sweep's stopper watches job.cancel_requested
        outcome = run_sweep(plan, on_event=job.emit, cancel=job.cancel_requested)
        state = JobState.CANCELLED if outcome.cancelled else JobState.SUCCEEDED
        best = outcome.best
        message = (
            f"best trial {best.trial_id}: {outcome.model_name} version {best.version} "
            f"is now {outcome.alias!r}"
            if best and not outcome.cancelled
            else "cancelled"
            if outcome.cancelled
            else "no trial finished"
        )
        job.finish(state, message, outcome)

    def _spawn(self, job: Job, body: Any) -> None:
        def run() -> None:
            try:
                body()
            except TrainerError as e:
                job.finish(JobState.FAILED, str(e))
            except Exception as e:  # never let a job thread die silently
                logger.exception("job %s failed", job.job_id)
                job.finish(JobState.FAILED, f"{type(e).__name__}: {e}")

        thread = threading.Thread(target=run, name=f"job-{job.job_id}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel running jobs and wait for their threads (graceful stop)."""
        for job in self.registry.running():
            job.cancel()
        for thread in self._threads:
            thread.join(timeout=timeout)


__all__ = ["JobRunner", "RayUnavailableError"]
