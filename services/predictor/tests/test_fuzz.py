"""Random and malformed requests: never INTERNAL, never a crash, the server keeps answering."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from predictor_testlib import GREETED, MODEL

from ted_client.client import PredictorClient
from ted_client.convert import conversation_to_proto
from ted_predictor.server import PredictorServer
from ted_protos.ted.v1 import events_pb2, predictor_pb2

Served = tuple[PredictorServer, PredictorClient]

INTENTS = ["greet", "goodbye", "mood_great", "mood_unhappy", "affirm", "deny", "bot_challenge"]
ACTIONS = ["action_listen", "utter_greet", "utter_happy", "utter_cheer_up", "utter_goodbye"]
names = st.one_of(st.sampled_from(INTENTS + ACTIONS), st.text(max_size=20))
values = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)


def _value(v: object) -> struct_pb2.Value:
    out = struct_pb2.Value()
    if v is None:
        out.null_value = struct_pb2.NULL_VALUE
    elif isinstance(v, bool):
        out.bool_value = v
    elif isinstance(v, float):
        out.number_value = v
    else:
        out.string_value = str(v)
    return out


@st.composite
def events(draw: st.DrawFn) -> events_pb2.Event:
    kind = draw(st.sampled_from(["user", "action", "slot", "active_loop", "none"]))
    if kind == "user":
        entities = [
            events_pb2.Entity(
                entity=draw(names),
                value=_value(draw(values)),
                role=draw(st.one_of(st.none(), st.text(max_size=5))),
            )
            for _ in range(draw(st.integers(0, 2)))
        ]
        return events_pb2.Event(user=events_pb2.UserUttered(intent=draw(names), entities=entities))
    if kind == "action":
        return events_pb2.Event(action=events_pb2.ActionExecuted(name=draw(names)))
    if kind == "slot":
        return events_pb2.Event(
            slot=events_pb2.SlotSet(name=draw(names), value=_value(draw(values)))
        )
    if kind == "active_loop":
        return events_pb2.Event(active_loop=events_pb2.ActiveLoop(name=draw(names)))
    return events_pb2.Event()


@st.composite
def model_specs(draw: st.DrawFn) -> predictor_pb2.ModelSpec:
    spec = predictor_pb2.ModelSpec(name=draw(st.one_of(st.just(MODEL), st.text(max_size=10))))
    choice = draw(st.sampled_from(["none", "version", "alias"]))
    if choice == "version":
        spec.version = draw(st.integers(-(2**63), 2**63 - 1))
    elif choice == "alias":
        spec.alias = draw(st.one_of(st.just("latest"), st.text(max_size=10)))
    return spec


conversations = st.lists(events(), max_size=12).map(lambda e: events_pb2.Conversation(events=e))
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


def _call(method: grpc.UnaryUnaryMultiCallable, request: object) -> grpc.StatusCode:
    try:
        method(request, timeout=30)
    except grpc.RpcError as e:
        return e.code()
    return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def methods(served: Served) -> dict[str, grpc.UnaryUnaryMultiCallable]:
    server, _ = served
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    ident = lambda b: b  # noqa: E731  raw bytes in and out

    def method(name: str, request_type: type) -> grpc.UnaryUnaryMultiCallable:
        return channel.unary_unary(
            f"/ted.v1.PredictorService/{name}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=ident,
        )

    out = {
        "Predict": method("Predict", predictor_pb2.PredictRequest),
        "PredictBatch": method("PredictBatch", predictor_pb2.PredictBatchRequest),
        "GetModelStatus": method("GetModelStatus", predictor_pb2.GetModelStatusRequest),
    }
    for name in ("Predict", "PredictBatch", "GetModelStatus", "ListModels"):
        out[f"raw-{name}"] = channel.unary_unary(
            f"/ted.v1.PredictorService/{name}",
            request_serializer=ident,
            response_deserializer=ident,
        )
    return out


FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(spec=model_specs(), conversation=conversations, top_k=st.integers(-5, 50))
def test_random_predict_requests(
    methods: dict, spec: object, conversation: object, top_k: int
) -> None:
    request = predictor_pb2.PredictRequest(model_spec=spec, conversation=conversation, top_k=top_k)
    assert _call(methods["Predict"], request) not in FORBIDDEN


@FUZZ
@given(spec=model_specs(), batch=st.lists(conversations, max_size=5))
def test_random_batch_and_status_requests(methods: dict, spec: object, batch: list) -> None:
    request = predictor_pb2.PredictBatchRequest(model_spec=spec, conversations=batch)
    assert _call(methods["PredictBatch"], request) not in FORBIDDEN
    status = predictor_pb2.GetModelStatusRequest(model_spec=spec)
    assert _call(methods["GetModelStatus"], status) not in FORBIDDEN


@FUZZ
@given(
    payload=st.binary(max_size=300),
    method=st.sampled_from(["Predict", "PredictBatch", "GetModelStatus", "ListModels"]),
)
def test_random_bytes(methods: dict, payload: bytes, method: str) -> None:
    assert _call(methods[f"raw-{method}"], payload) not in FORBIDDEN


def test_server_still_answers_after_the_fuzzing(served: Served) -> None:
    server, client = served
    assert client.predict(MODEL, GREETED).ranking[0][0]
    assert server.metrics.requests.labels(method="Predict", code="INTERNAL")._value.get() == 0
    assert conversation_to_proto(GREETED).events
