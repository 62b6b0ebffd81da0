"""End to end against one real server: predictions, statuses, health, reflection, metrics."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from predictor_testlib import CONVERSATIONS, GREETED, MODEL, listen

from ted_client.client import PredictorClient
from ted_client.convert import conversation_to_proto
from ted_client.errors import PredictorClientError
from ted_data_adapter.events import Entity, SlotSet, UserUttered
from ted_predictor.health import SERVICE_NAME, model_service_name
from ted_predictor.server import PredictorServer
from ted_protos.ted.v1 import events_pb2, predictor_pb2, predictor_pb2_grpc

Served = tuple[PredictorServer, PredictorClient]


@pytest.fixture(scope="module")
def in_process(served: Served, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The same archive loaded in this process (``ted_pipeline.load_model``)."""
    from ted_pipeline import ModelRef, load_model

    server, _ = served
    return load_model(ModelRef(store=Path(server.config.store), name=MODEL, version=1))


def test_predictions_equal_the_in_process_model(served: Served, in_process: object) -> None:
    _, client = served
    expected = in_process.predict_batch(CONVERSATIONS)  # type: ignore[attr-defined]
    batch = client.predict_batch(MODEL, CONVERSATIONS)
    for events, want, got_batch in zip(CONVERSATIONS, expected, batch, strict=True):
        got = client.predict(MODEL, events)
        assert (got.model, got.version) == (MODEL, 1)
        for result in (got, got_batch):  # batch sizes differ in float rounding only
            assert len(result.ranking) == len(want.ranking)
            assert dict(result.ranking) == pytest.approx(
                {a: float(c) for a, c in want.ranking}, abs=1e-5
            )
            confidences = [c for _, c in result.ranking]
            assert confidences == sorted(confidences, reverse=True)


def test_top_k_and_version_and_alias_specs(served: Served) -> None:
    _, client = served
    full = client.predict(MODEL, GREETED)
    top = client.predict(f"{MODEL}@1", GREETED, top_k=3)
    assert len(top.ranking) == 3 and top.version == 1
    assert dict(top.ranking) == pytest.approx(dict(full.ranking[:3]), abs=1e-5)
    latest = client.predict(f"{MODEL}@latest", GREETED).ranking
    assert dict(latest) == pytest.approx(dict(full.ranking), abs=1e-5)
    assert sum(c for _, c in full.ranking) == pytest.approx(1.0, abs=1e-3)


def _predict_request(
    events: list[events_pb2.Event], **spec: object
) -> predictor_pb2.PredictRequest:
    return predictor_pb2.PredictRequest(
        model_spec=predictor_pb2.ModelSpec(name=MODEL, **spec),  # type: ignore[arg-type]
        conversation=events_pb2.Conversation(events=events),
    )


def _user(intent: str, *entities: events_pb2.Entity) -> events_pb2.Event:
    return events_pb2.Event(user=events_pb2.UserUttered(intent=intent, entities=entities))


def _action(name: str) -> events_pb2.Event:
    return events_pb2.Event(action=events_pb2.ActionExecuted(name=name))


LISTEN = _action("action_listen")

NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def _spec_only(**fields: object) -> predictor_pb2.PredictRequest:
    return predictor_pb2.PredictRequest(**fields)  # type: ignore[arg-type]


def _slot(name: str) -> events_pb2.Event:
    value = struct_pb2.Value(string_value="x")
    return events_pb2.Event(slot=events_pb2.SlotSet(name=name, value=value))


def _loop(name: str) -> events_pb2.Event:
    return events_pb2.Event(active_loop=events_pb2.ActiveLoop(name=name))


CITY = events_pb2.Entity(entity="city")
BAD_REQUESTS = [
    (
        "unknown model",
        _spec_only(model_spec=predictor_pb2.ModelSpec(name="nobot")),
        NOT_FOUND,
        "unknown model 'nobot'",
    ),
    ("unknown version", _predict_request([LISTEN], version=99), NOT_FOUND, "no version 99"),
    (
        "unknown alias",
        _predict_request([LISTEN], alias="production"),
        NOT_FOUND,
        "no alias 'production'",
    ),
    ("version zero", _predict_request([LISTEN], version=0), INVALID, "model_spec.version"),
    ("no model name", _spec_only(), INVALID, "model_spec.name"),
    (
        "unknown intent",
        _predict_request([LISTEN, _user("order_pizza")]),
        INVALID,
        "conversation.events[1].user.intent: unknown intent 'order_pizza'",
    ),
    (
        "unknown action",
        _predict_request([LISTEN, _user("greet"), _action("utter_pizza")]),
        INVALID,
        "conversation.events[2].action.name: unknown action 'utter_pizza'",
    ),
    (
        "unknown entity",
        _predict_request([LISTEN, _user("greet", CITY)]),
        INVALID,
        "conversation.events[1].user.entities: unknown entity 'city'",
    ),
    (
        "unknown slot",
        _predict_request([LISTEN, _slot("cuisine")]),
        INVALID,
        "conversation.events[1].slot.name: unknown slot 'cuisine'",
    ),
    (
        "unknown form",
        _predict_request([LISTEN, _loop("f")]),
        INVALID,
        "conversation.events[1].active_loop.name: unknown active_loop 'f'",
    ),
    (
        "event without kind",
        _predict_request([LISTEN, events_pb2.Event()]),
        INVALID,
        "conversation.events[1]: no event kind set",
    ),
    (
        "empty intent",
        _predict_request([LISTEN, _user("")]),
        INVALID,
        "conversation.events[1].user.intent: must not be empty",
    ),
    (
        "too many events",
        _predict_request([LISTEN] * 1001),
        INVALID,
        "conversation.events: 1001 events, at most 1000",
    ),
    (
        "negative top_k",
        _spec_only(model_spec=predictor_pb2.ModelSpec(name=MODEL), top_k=-1),
        INVALID,
        "top_k",
    ),
]


@pytest.mark.parametrize(
    ("request_", "code", "message"),
    [pytest.param(r, c, m, id=name) for name, r, c, m in BAD_REQUESTS],
)
def test_bad_requests_get_precise_statuses(
    channel: grpc.Channel,
    request_: predictor_pb2.PredictRequest,
    code: grpc.StatusCode,
    message: str,
) -> None:
    stub = predictor_pb2_grpc.PredictorServiceStub(channel)
    with pytest.raises(grpc.RpcError) as info:
        stub.Predict(request_, timeout=30)
    assert info.value.code() == code
    assert message in info.value.details()
    # the server still answers
    assert stub.Predict(_predict_request([LISTEN]), timeout=30).model.version == 1


def test_batch_errors_name_the_conversation(channel: grpc.Channel) -> None:
    stub = predictor_pb2_grpc.PredictorServiceStub(channel)
    good = conversation_to_proto(GREETED)
    bad = events_pb2.Conversation(events=[LISTEN, _user("greet"), _action("utter_nope")])
    request = predictor_pb2.PredictBatchRequest(
        model_spec=predictor_pb2.ModelSpec(name=MODEL), conversations=[good, good, bad]
    )
    with pytest.raises(grpc.RpcError) as info:
        stub.PredictBatch(request, timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "conversations[2].events[2].action.name" in info.value.details()


def test_bad_requests_in_one_dynamic_batch_fail_alone(served: Served) -> None:
    """Concurrent good and bad Predict calls share batches; only the bad ones fail."""
    from concurrent.futures import ThreadPoolExecutor

    _, client = served
    bad = [listen(), UserUttered("no_such_intent")]
    jobs = [GREETED if i % 3 else bad for i in range(60)]

    def call(events: list) -> str:
        try:
            return client.predict(MODEL, events).ranking[0][0]
        except PredictorClientError as e:
            return e.code_name

    registry = served[0].metrics.registry
    labels = {"model": MODEL}

    def batch_stats() -> tuple[float, float]:
        total = registry.get_sample_value("ted_predictor_batch_size_sum", labels) or 0.0
        count = registry.get_sample_value("ted_predictor_batch_size_count", labels) or 0.0
        return total, count

    total_before, count_before = batch_stats()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, jobs))
    total, count = batch_stats()
    # 60 calls, fewer model calls: concurrent requests really ran together
    assert total - total_before >= 60 and count - count_before < total - total_before
    expected_good = client.predict(MODEL, GREETED).ranking[0][0]
    for events, result in zip(jobs, results, strict=True):
        assert result == ("INVALID_ARGUMENT" if events is bad else expected_good)


def test_message_size_limit(channel: grpc.Channel) -> None:
    stub = predictor_pb2_grpc.PredictorServiceStub(channel)
    huge = _predict_request([_user("greet" * 300_000)])  # over 1 MB of intent text
    with pytest.raises(grpc.RpcError) as info:
        stub.Predict(huge, timeout=30)
    assert info.value.code() in (
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )


def test_model_status_and_list_models(served: Served) -> None:
    _, client = served
    (status,) = client.model_status(MODEL)
    assert (status.name, status.version, status.state) == (MODEL, 1, "available")
    assert "latest" in status.aliases and status.load_seconds > 0 and not status.error
    (info,) = client.list_models()
    assert (info.name, info.serving_versions, info.latest_version) == (MODEL, (1,), 1)
    with pytest.raises(PredictorClientError, match="NOT_FOUND"):
        client.model_status("nobot")


def test_health_is_serving_per_model(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE_NAME, model_service_name(MODEL)):
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.SERVING, service
    with pytest.raises(grpc.RpcError) as info:
        health.Check(health_pb2.HealthCheckRequest(service=model_service_name("nobot")), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_the_services(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    names = {s.name for s in response.list_services_response.service}
    assert {"ted.v1.PredictorService", "grpc.health.v1.Health"} <= names
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="ted.v1.PredictRequest")
    (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    assert response.file_descriptor_response.file_descriptor_proto


def test_metrics_are_exposed(served: Served) -> None:
    server, client = served
    client.predict(MODEL, GREETED)
    with pytest.raises(PredictorClientError):
        client.predict("nobot", GREETED)
    assert server.metrics_port
    url = f"http://127.0.0.1:{server.metrics_port}/metrics"
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    assert 'ted_predictor_requests_total{code="OK",method="Predict"}' in text
    assert 'ted_predictor_errors_total{code="NOT_FOUND",method="Predict"}' in text
    assert 'ted_predictor_loaded_versions{model="moodbot"} 1.0' in text
    assert "ted_predictor_request_latency_seconds_bucket" in text
    assert 'ted_predictor_batch_size_count{model="moodbot"}' in text
    assert 'ted_predictor_model_load_seconds_count{model="moodbot"} 1.0' in text


def test_slots_entities_and_loops_reach_the_model_as_typed_values(served: Served) -> None:
    """A conversation with every event kind is translated (and refused only for its names)."""
    _, client = served
    events = [listen(), UserUttered("greet", (Entity("city", "Berlin"),)), SlotSet("x", 1.5)]
    with pytest.raises(PredictorClientError) as info:
        client.predict(MODEL, events)
    assert info.value.code_name == "INVALID_ARGUMENT"
    assert "events[1].user.entities" in info.value.details


def test_expired_deadline_is_not_internal(channel: grpc.Channel) -> None:
    stub = predictor_pb2_grpc.PredictorServiceStub(channel)
    with pytest.raises(grpc.RpcError) as info:
        stub.Predict(_predict_request([LISTEN]), timeout=0.000001)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert stub.Predict(_predict_request([LISTEN]), timeout=30).model.version == 1


def test_unused_event_types_from_a_file_are_sent(served: Served, tmp_path: Path) -> None:
    from ted_client.rasa_tracker import load_events_file

    path = tmp_path / "events.json"
    path.write_text(
        '[{"event": "action", "name": "action_listen"}, {"event": "bot", "text": "hi"},'
        ' {"event": "user", "parse_data": {"intent": {"name": "greet"}}}]'
    )
    _, client = served
    events = load_events_file(path)
    assert events == [listen(), UserUttered("greet")]
    got = dict(client.predict(MODEL, events).ranking)
    assert got == pytest.approx(dict(client.predict(MODEL, events[:2]).ranking), abs=1e-5)
