"""``ted.v1.TrainerService``: request validation, job start, event streaming.

Bad requests and sweep files become INVALID_ARGUMENT naming the field or sweep key; an
unreachable Ray cluster UNAVAILABLE; an unknown job NOT_FOUND. Nothing here blocks on
training: jobs run on Ray, driven by background threads (see ``job_runner``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import grpc
from google.protobuf import json_format, struct_pb2

from ted_protos.ted.v1 import trainer_pb2, trainer_pb2_grpc
from ted_trainer.errors import (
    JobNotFoundError,
    RayUnavailableError,
    RequestError,
    SweepSpecError,
    TrainerError,
    status_details,
)
from ted_trainer.events import ArchiveEvent, EpochEvent, StampedEvent, StateEvent, TrialEvent
from ted_trainer.job_runner import JobRunner
from ted_trainer.jobs import Job, JobKind, JobState
from ted_trainer.sweep_runner import SweepOutcome, TrialOutcome
from ted_trainer.sweep_spec import default_config_validator, parse_sweep_text
from ted_trainer.train_job import TrainOutcome

logger = logging.getLogger(__name__)

_STATES = {
    JobState.PENDING: trainer_pb2.JOB_STATE_PENDING,
    JobState.RUNNING: trainer_pb2.JOB_STATE_RUNNING,
    JobState.SUCCEEDED: trainer_pb2.JOB_STATE_SUCCEEDED,
    JobState.FAILED: trainer_pb2.JOB_STATE_FAILED,
    JobState.CANCELLED: trainer_pb2.JOB_STATE_CANCELLED,
}
_KINDS = {JobKind.TRAIN: trainer_pb2.JOB_KIND_TRAIN, JobKind.SWEEP: trainer_pb2.JOB_KIND_SWEEP}


class TrainerServicer(trainer_pb2_grpc.TrainerServiceServicer):
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    # --- starting jobs -------------------------------------------------------------------

    def Train(
        self, request: trainer_pb2.TrainRequest, context: grpc.ServicerContext
    ) -> trainer_pb2.StartJobResponse:
        with _status(context):
            overrides = _overrides(request.config_overrides)
            job = Job(JobKind.TRAIN, "")
            project = self._project(request.project, job.job_id, required=True)
            assert project is not None
            name = request.model_name or (
                project.name if request.project.WhichOneof("source") == "path" else "project"
            )
            _check_model_name("model_name", name)
            job.model_name = name
            self.runner.start_train(project, name, overrides, request.force, job=job)
            return trainer_pb2.StartJobResponse(job_id=job.job_id)
        raise AssertionError("unreachable")

    def Sweep(
        self, request: trainer_pb2.SweepRequest, context: grpc.ServicerContext
    ) -> trainer_pb2.StartJobResponse:
        with _status(context):
            if not request.spec_yaml.strip():
                raise RequestError("spec_yaml", "empty sweep file")
            spec = parse_sweep_text(request.spec_yaml, source="spec_yaml")
            project = self._project(request.project, _upload_hint(), required=False)
            if project is not None:
                spec = spec.with_project(project)
            if request.model_name:
                _check_model_name("model_name", request.model_name)
                spec = _replace_name(spec, request.model_name)
            if spec.name is not None:
                _check_model_name("spec_yaml: name", spec.name)
            job = self.runner.start_sweep(spec)
            return trainer_pb2.StartJobResponse(job_id=job.job_id)
        raise AssertionError("unreachable")

    def _project(
        self, source: trainer_pb2.ProjectSource, hint: str, *, required: bool
    ) -> Path | None:
        kind = source.WhichOneof("source")
        if kind is None:
            if required:
                raise RequestError("project", "give a project path or upload its files")
            return None
        if kind == "path":
            from ted_pipeline import ProjectNotFoundError, check_project_dir

            try:
                return check_project_dir(source.path)
            except ProjectNotFoundError as e:
                raise RequestError("project.path", f"{e} on the server") from e
        files = [(f.path, f.content) for f in source.files.files]
        if not files:
            raise RequestError("project.files", "no files uploaded")
        return self.runner.upload_project(files, hint)

    # --- reading jobs --------------------------------------------------------------------

    def WatchJob(
        self, request: trainer_pb2.WatchJobRequest, context: grpc.ServicerContext
    ) -> Iterator[trainer_pb2.JobEvent]:
        try:
            job = self.runner.registry.get(request.job_id)
        except JobNotFoundError as e:
            context.abort(grpc.StatusCode.NOT_FOUND, status_details(e))
        for stamped in job.events(is_active=context.is_active):
            yield event_to_proto(job.job_id, stamped)

    def GetJob(
        self, request: trainer_pb2.GetJobRequest, context: grpc.ServicerContext
    ) -> trainer_pb2.Job:
        try:
            job = self.runner.registry.get(request.job_id)
        except JobNotFoundError as e:
            context.abort(grpc.StatusCode.NOT_FOUND, status_details(e))
        return job_to_proto(job)

    def ListJobs(
        self, request: trainer_pb2.ListJobsRequest, context: grpc.ServicerContext
    ) -> trainer_pb2.ListJobsResponse:
        return trainer_pb2.ListJobsResponse(
            jobs=[job_to_proto(j) for j in self.runner.registry.all()]
        )

    def CancelJob(
        self, request: trainer_pb2.CancelJobRequest, context: grpc.ServicerContext
    ) -> trainer_pb2.Job:
        try:
            job = self.runner.registry.get(request.job_id)
        except JobNotFoundError as e:
            context.abort(grpc.StatusCode.NOT_FOUND, status_details(e))
        if not job.cancel():
            context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"job {job.job_id} already finished ({job.state.value})",
            )
        return job_to_proto(job)


class _status:
    """Maps our errors onto gRPC statuses (context manager around a handler body)."""

    def __init__(self, context: grpc.ServicerContext) -> None:
        self.context = context

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or not isinstance(exc, TrainerError):
            return False
        if isinstance(exc, SweepSpecError | RequestError):
            self.context.abort(grpc.StatusCode.INVALID_ARGUMENT, status_details(exc))
        if isinstance(exc, RayUnavailableError):
            self.context.abort(grpc.StatusCode.UNAVAILABLE, status_details(exc))
        self.context.abort(grpc.StatusCode.FAILED_PRECONDITION, status_details(exc))
        return False


def _overrides(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Struct numbers are doubles: give integral values back their int type."""
    raw = json_format.MessageToDict(struct)
    overrides = {key: _intify(value) for key, value in raw.items()}
    if overrides:
        try:
            default_config_validator()(overrides)
        except ValueError as e:
            key = getattr(e, "key", None)
            raise RequestError(
                f"config_overrides.{key}" if key else "config_overrides", str(e)
            ) from e
    return overrides


def _intify(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_intify(v) for v in value]
    if isinstance(value, dict):
        return {k: _intify(v) for k, v in value.items()}
    return value


def _check_model_name(field: str, name: str) -> None:
    from ted_archive.store import check_model_name

    try:
        check_model_name(name)
    except Exception as e:
        raise RequestError(field, str(e)) from e


def _replace_name(spec: Any, name: str) -> Any:
    import dataclasses

    return dataclasses.replace(spec, name=name)


def _upload_hint() -> str:
    import secrets

    return f"sweep-upload-{secrets.token_hex(4)}"


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(data)
    return struct


def _finite(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _trial_to_proto(trial: TrialOutcome) -> trainer_pb2.TrialSummary:
    return trainer_pb2.TrialSummary(
        trial_id=trial.trial_id,
        state=trial.state,
        hyperparameters=_struct(trial.hyperparameters),
        metric=_finite(trial.metric),
        duration_seconds=_finite(trial.duration_s),
        version=trial.version,
        error=trial.error,
        metrics={k: float(v) for k, v in trial.metrics.items()},
    )


def result_to_proto(result: TrainOutcome | SweepOutcome | None) -> trainer_pb2.JobResult:
    """A Train job's outcome, a sweep's outcome, or nothing yet."""
    if isinstance(result, TrainOutcome):
        return trainer_pb2.JobResult(
            skipped=result.skipped,
            reason=result.reason,
            version=result.version,
            metrics=dict(result.metrics),
        )
    if isinstance(result, SweepOutcome):
        best = result.best
        return trainer_pb2.JobResult(
            version=best.version if best else 0,
            metrics={k: float(v) for k, v in best.metrics.items()} if best else {},
            sweep_id=result.sweep_id,
            best_trial_id=best.trial_id if best else "",
            alias=result.alias if best and not result.cancelled else "",
            metric=result.metric,
            metric_source=result.metric_source,
            trials=[_trial_to_proto(t) for t in result.trials],
        )
    return trainer_pb2.JobResult()


def job_to_proto(job: Job) -> trainer_pb2.Job:
    snap = job.snapshot()
    return trainer_pb2.Job(
        job_id=snap.job_id,
        kind=_KINDS[snap.kind],
        state=_STATES[snap.state],
        model_name=snap.model_name,
        created_at=snap.created_at,
        finished_at=snap.finished_at,
        message=snap.message,
        result=result_to_proto(snap.result),
    )


def event_to_proto(job_id: str, stamped: StampedEvent) -> trainer_pb2.JobEvent:
    message = trainer_pb2.JobEvent(job_id=job_id, sequence=stamped.sequence, time=stamped.time)
    event = stamped.event
    if isinstance(event, StateEvent):
        message.state.CopyFrom(
            trainer_pb2.JobStateChanged(state=_STATES[JobState(event.state)], message=event.message)
        )
    elif isinstance(event, EpochEvent):
        message.epoch.CopyFrom(
            trainer_pb2.EpochMetrics(
                trial_id=event.trial_id, epoch=event.epoch, metrics=dict(event.metrics)
            )
        )
    elif isinstance(event, TrialEvent):
        message.trial.CopyFrom(
            trainer_pb2.TrialStateChanged(
                trial_id=event.trial_id,
                state=event.state,
                hyperparameters=_struct(event.hyperparameters),
                error=event.error,
            )
        )
    elif isinstance(event, ArchiveEvent):
        message.archive.CopyFrom(
            trainer_pb2.ArchiveWritten(
                trial_id=event.trial_id,
                model_name=event.model_name,
                version=event.version,
                archive_path=event.archive_path,
            )
        )
    return message
