"""Error details echo clipped request values, so a huge value still gets its real status.

Details travel in trailing metadata, which the client refuses beyond 8 KB: a 12 KB model
name echoed whole would come back as RESOURCE_EXHAUSTED instead of NOT_FOUND.
"""

from __future__ import annotations

import grpc
import pytest
from predictor_testlib import GREETED, MODEL

from ted_client.convert import conversation_to_proto
from ted_predictor.errors import ECHO_LIMIT, clip, echo
from ted_predictor.status import DETAILS_LIMIT
from ted_protos.ted.v1 import predictor_pb2, predictor_pb2_grpc

HUGE_ASCII = "m" * 12_000
HUGE_UNICODE = "\N{GRINNING FACE}" * 3_000  # 12 KB of UTF-8, 36 KB percent-encoded


def _predict(stub: predictor_pb2_grpc.PredictorServiceStub, **spec: object) -> grpc.RpcError:
    request = predictor_pb2.PredictRequest(
        model_spec=predictor_pb2.ModelSpec(**spec),  # type: ignore[arg-type]
        conversation=conversation_to_proto(GREETED),
    )
    with pytest.raises(grpc.RpcError) as info:
        stub.Predict(request, timeout=30)
    return info.value


@pytest.mark.parametrize("name", [HUGE_ASCII, HUGE_UNICODE], ids=["ascii", "unicode"])
def test_huge_model_name_is_not_found_with_short_details(channel: grpc.Channel, name: str) -> None:
    error = _predict(predictor_pb2_grpc.PredictorServiceStub(channel), name=name)
    assert error.code() is grpc.StatusCode.NOT_FOUND
    details = error.details() or ""
    assert len(details) <= DETAILS_LIMIT
    assert details.startswith(f"unknown model {name[:50]!r}"[:-1])
    assert f"{len(repr(name)) - ECHO_LIMIT} more characters" in details


def test_huge_alias_is_not_found_with_short_details(channel: grpc.Channel) -> None:
    stub = predictor_pb2_grpc.PredictorServiceStub(channel)
    error = _predict(stub, name=MODEL, alias=HUGE_ASCII)
    assert error.code() is grpc.StatusCode.NOT_FOUND
    details = error.details() or ""
    assert len(details) <= DETAILS_LIMIT
    assert details.startswith(f"model {MODEL!r} has no alias 'mmm")
    assert "more characters" in details


def test_huge_name_in_model_status_is_not_found(channel: grpc.Channel) -> None:
    stub = predictor_pb2_grpc.PredictorServiceStub(channel)
    request = predictor_pb2.GetModelStatusRequest(
        model_spec=predictor_pb2.ModelSpec(name=HUGE_ASCII)
    )
    with pytest.raises(grpc.RpcError) as info:
        stub.GetModelStatus(request, timeout=30)
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    assert len(info.value.details() or "") <= DETAILS_LIMIT


def test_short_values_are_echoed_whole() -> None:
    assert echo("moodbot") == "'moodbot'"
    assert clip("x" * ECHO_LIMIT) == "x" * ECHO_LIMIT
    clipped = clip("x" * (ECHO_LIMIT + 7))
    assert clipped == "x" * ECHO_LIMIT + "…[7 more characters]"
