"""TrainerService over a real gRPC server on loopback, jobs on the real local Ray."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ted_archive import ModelStore
from ted_protos.ted.v1 import trainer_pb2, trainer_pb2_grpc
from ted_trainer.server import TrainerServer, create_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(ray_local: None, tmp_path: Path) -> Iterator[TrainerServer]:
    srv, _port = create_server(tmp_path / "store")
    srv.start()
    yield srv
    srv.stop(grace=1)


@pytest.fixture
def stub(server: TrainerServer) -> Iterator[trainer_pb2_grpc.TrainerServiceStub]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield trainer_pb2_grpc.TrainerServiceStub(channel)


def _overrides(values: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _train_request(moodbot: Path, tiny: dict, epochs: int) -> trainer_pb2.TrainRequest:
    return trainer_pb2.TrainRequest(
        project=trainer_pb2.ProjectSource(path=str(moodbot)),
        config_overrides=_overrides({**tiny, "epochs": epochs}),
        model_name="mood",
    )


def _watch(stub: trainer_pb2_grpc.TrainerServiceStub, job_id: str) -> list[trainer_pb2.JobEvent]:
    return list(stub.WatchJob(trainer_pb2.WatchJobRequest(job_id=job_id), timeout=300))


def test_train_streams_epochs_to_two_watchers_then_skips_when_unchanged(
    server: TrainerServer,
    stub: trainer_pb2_grpc.TrainerServiceStub,
    moodbot: Path,
    tiny: dict,
    tmp_path: Path,
) -> None:
    job_id = stub.Train(_train_request(moodbot, tiny, epochs=3)).job_id
    streams: dict[str, list[trainer_pb2.JobEvent]] = {}
    watchers = [
        threading.Thread(target=lambda n=n: streams.__setitem__(n, _watch(stub, job_id)))
        for n in ("a", "b")
    ]
    for w in watchers:
        w.start()
    for w in watchers:
        w.join(300)
    late = _watch(stub, job_id)  # joins after the end: replays everything
    for events in (streams["a"], streams["b"], late):
        assert [e.sequence for e in events] == list(range(len(events)))
        assert [e.epoch.epoch for e in events if e.HasField("epoch")] == [1, 2, 3]
        assert "loss" in next(e for e in events if e.HasField("epoch")).epoch.metrics
        assert events[-1].state.state == trainer_pb2.JOB_STATE_SUCCEEDED
        assert [e.archive.version for e in events if e.HasField("archive")] == [1]
    job = stub.GetJob(trainer_pb2.GetJobRequest(job_id=job_id))
    assert job.state == trainer_pb2.JOB_STATE_SUCCEEDED and not job.result.skipped
    assert job.result.version == 1 and job.kind == trainer_pb2.JOB_KIND_TRAIN

    again = stub.Train(_train_request(moodbot, tiny, epochs=3)).job_id
    events = _watch(stub, again)
    assert not any(e.HasField("epoch") for e in events)
    job = stub.GetJob(trainer_pb2.GetJobRequest(job_id=again))
    assert job.state == trainer_pb2.JOB_STATE_SUCCEEDED
    assert job.result.skipped and "unchanged" in job.result.reason
    assert ModelStore(tmp_path / "store").versions("mood") == [1]
    listed = stub.ListJobs(trainer_pb2.ListJobsRequest()).jobs
    assert [j.job_id for j in listed] == [again, job_id]


def test_cancel_a_running_train_job(
    stub: trainer_pb2_grpc.TrainerServiceStub, moodbot: Path, tiny: dict, tmp_path: Path
) -> None:
    job_id = stub.Train(_train_request(moodbot, tiny, epochs=500)).job_id
    for event in stub.WatchJob(trainer_pb2.WatchJobRequest(job_id=job_id), timeout=300):
        if event.HasField("epoch"):
            stub.CancelJob(trainer_pb2.CancelJobRequest(job_id=job_id))
            break
    events = _watch(stub, job_id)
    assert events[-1].state.state == trainer_pb2.JOB_STATE_CANCELLED
    with pytest.raises(grpc.RpcError) as info:
        stub.CancelJob(trainer_pb2.CancelJobRequest(job_id=job_id))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    store = ModelStore(tmp_path / "store")
    assert "mood" not in store.list_models()


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (
            trainer_pb2.SweepRequest(spec_yaml="num_samples: 0\n"),
            "num_samples",
        ),
        (
            trainer_pb2.SweepRequest(spec_yaml="search_space: {foo: {choice: [1]}}\n"),
            "search_space.foo",
        ),
        (trainer_pb2.SweepRequest(spec_yaml="num_samples: 1\n"), "project"),
        (
            trainer_pb2.TrainRequest(project=trainer_pb2.ProjectSource(path="/no/such/dir")),
            "project.path",
        ),
        (trainer_pb2.TrainRequest(), "project"),
        (
            trainer_pb2.TrainRequest(
                project=trainer_pb2.ProjectSource(
                    files=trainer_pb2.ProjectFiles(
                        files=[trainer_pb2.ProjectFile(path="../domain.yml", content=b"x")]
                    )
                )
            ),
            "project.files.files[0].path",
        ),
        (
            trainer_pb2.TrainRequest(
                project=trainer_pb2.ProjectSource(
                    files=trainer_pb2.ProjectFiles(
                        files=[trainer_pb2.ProjectFile(path="data/stories.yml", content=b"")]
                    )
                )
            ),
            "project.files",
        ),
    ],
)
def test_bad_requests_are_invalid_argument_naming_the_field(
    stub: trainer_pb2_grpc.TrainerServiceStub, request_: object, field: str
) -> None:
    call = stub.Sweep if isinstance(request_, trainer_pb2.SweepRequest) else stub.Train
    with pytest.raises(grpc.RpcError) as info:
        call(request_)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"'{field}'" in info.value.details() or f"{field}:" in info.value.details()


def test_bad_override_unknown_job_health_and_reflection(
    server: TrainerServer, stub: trainer_pb2_grpc.TrainerServiceStub, moodbot: Path
) -> None:
    request = trainer_pb2.TrainRequest(
        project=trainer_pb2.ProjectSource(path=str(moodbot)),
        config_overrides=_overrides({"bogus_key": 1}),
    )
    with pytest.raises(grpc.RpcError) as info:
        stub.Train(request)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "config_overrides.bogus_key" in info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        stub.GetJob(trainer_pb2.GetJobRequest(job_id="nope"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", "ted.v1.TrainerService"):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = reflect.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        names = {s.name for r in replies for s in r.list_services_response.service}
        assert "ted.v1.TrainerService" in names


def test_unreachable_ray_address_is_unavailable(moodbot: Path, tmp_path: Path) -> None:
    srv, port = create_server(tmp_path / "store", ray_address="127.0.0.1:1")
    srv.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = trainer_pb2_grpc.TrainerServiceStub(channel)
            with pytest.raises(grpc.RpcError) as info:
                stub.Train(
                    trainer_pb2.TrainRequest(project=trainer_pb2.ProjectSource(path=str(moodbot)))
                )
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "127.0.0.1:1" in info.value.details()
    finally:
        srv.stop(grace=0)
