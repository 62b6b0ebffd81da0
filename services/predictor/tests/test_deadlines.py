"""Client deadlines: a request whose deadline passes while it waits for a batch is dropped."""

from __future__ import annotations

import time
from pathlib import Path

import grpc
import pytest
from predictor_testlib import GREETED, MODEL, make_config, running_server

from ted_client.convert import conversation_to_proto
from ted_predictor.config import BatchingConfig
from ted_protos.ted.v1 import predictor_pb2, predictor_pb2_grpc


def _request() -> predictor_pb2.PredictRequest:
    return predictor_pb2.PredictRequest(
        model_spec=predictor_pb2.ModelSpec(name=MODEL), conversation=conversation_to_proto(GREETED)
    )


@pytest.mark.slow
def test_a_request_past_its_deadline_never_reaches_the_model(store_copy: Path) -> None:
    # a one-second batch window: the request is still queued when its 0.3 s deadline passes
    config = make_config(store_copy, batching=BatchingConfig(max_batch_size=16, timeout_s=1.0))
    with running_server(config) as (server, _client):
        labels = {"model": MODEL}
        registry = server.metrics.registry

        def batches() -> float:
            return registry.get_sample_value("ted_predictor_batch_size_count", labels) or 0.0

        before = batches()
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = predictor_pb2_grpc.PredictorServiceStub(channel)
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as info:
                stub.Predict(_request(), timeout=0.3)
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert time.monotonic() - started < 0.9  # the client was not kept waiting
            time.sleep(1.5)  # the batch window of that request is over
            assert batches() == before  # no batch ran it
            deadline_errors = registry.get_sample_value(
                "ted_predictor_requests_total", {"method": "Predict", "code": "DEADLINE_EXCEEDED"}
            )
            cancelled = registry.get_sample_value(
                "ted_predictor_requests_total", {"method": "Predict", "code": "CANCELLED"}
            )
            assert (deadline_errors or 0.0) + (cancelled or 0.0) == 1.0
            answer = stub.Predict(_request(), timeout=10)  # and the server still answers
            assert answer.model.version == 1
            assert batches() == before + 1
