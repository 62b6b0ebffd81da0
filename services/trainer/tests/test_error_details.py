"""Status details are clipped, so a request with a huge value still gets its real status.

Details travel in trailing metadata, which the client refuses beyond 8 KB: a 12 KB job id
echoed whole would come back as RESOURCE_EXHAUSTED instead of NOT_FOUND. None of these
requests reach Ray, so the server points at an address where nothing listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from ted_protos.ted.v1 import trainer_pb2, trainer_pb2_grpc
from ted_trainer.errors import DETAILS_LIMIT, RequestError, status_details
from ted_trainer.server import create_server

HUGE = "j" * 12_000


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[trainer_pb2_grpc.TrainerServiceStub]:
    server, port = create_server(tmp_path / "store", ray_address="127.0.0.1:1")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield trainer_pb2_grpc.TrainerServiceStub(channel)
    finally:
        server.stop(grace=0)


def test_huge_job_id_is_not_found_with_short_details(
    stub: trainer_pb2_grpc.TrainerServiceStub,
) -> None:
    for call in (stub.GetJob, stub.CancelJob):
        request = (
            trainer_pb2.GetJobRequest(job_id=HUGE)
            if call is stub.GetJob
            else trainer_pb2.CancelJobRequest(job_id=HUGE)
        )
        with pytest.raises(grpc.RpcError) as info:
            call(request, timeout=30)
        assert info.value.code() is grpc.StatusCode.NOT_FOUND
        details = info.value.details() or ""
        assert len(details) <= DETAILS_LIMIT
        assert details.startswith("no job with id 'jjj")
        assert "characters left out" in details


def test_huge_model_name_is_invalid_argument_naming_the_field(
    stub: trainer_pb2_grpc.TrainerServiceStub, moodbot: Path
) -> None:
    request = trainer_pb2.TrainRequest(
        project=trainer_pb2.ProjectSource(path=str(moodbot)),
        model_name="\N{GRINNING FACE}" * 3_000,  # 12 KB of UTF-8, 36 KB percent-encoded
    )
    with pytest.raises(grpc.RpcError) as info:
        stub.Train(request, timeout=30)
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    details = info.value.details() or ""
    assert len(details) <= DETAILS_LIMIT
    assert details.startswith("model_name: invalid model name ")
    assert details.endswith("not starting with '.', '_' or '-')")


def test_short_details_are_whole() -> None:
    assert status_details(RequestError("model_name", "bad")) == "model_name: bad"
    clipped = status_details(ValueError("a" * 100 + "z" * 100), limit=100)
    assert clipped == "a" * 45 + "…[140 characters left out]…" + "z" * 15
