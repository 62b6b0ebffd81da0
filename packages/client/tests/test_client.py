"""PredictorClient against a real predictor process; ModelRef parsing; the lazy exports."""

from __future__ import annotations

import pytest
from client_testlib import MODEL, RunningPredictor, free_port

import ted_client
from ted_client import (
    ClientError,
    InvalidModelRefError,
    ModelRef,
    PredictorClient,
    PredictorClientError,
)
from ted_data_adapter.events import ActionExecuted, UserUttered

GREETED = [ActionExecuted("action_listen"), UserUttered("greet")]


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("bot", ModelRef("bot")),
        ("bot@3", ModelRef("bot", version=3)),
        ("bot@best", ModelRef("bot", alias="best")),
    ],
)
def test_model_refs_parse_and_print_back(text: str, ref: ModelRef) -> None:
    assert ModelRef.parse(text) == ref
    assert str(ref) == text
    spec = ref.to_proto()
    assert spec.name == "bot"
    assert spec.WhichOneof("version_choice") == (
        "version" if ref.version is not None else "alias" if ref.alias else None
    )


@pytest.mark.parametrize("text", ["", "@3", "bot@"])
def test_bad_model_refs_are_refused(text: str) -> None:
    with pytest.raises(InvalidModelRefError, match="expected NAME") as info:
        ModelRef.parse(text)
    assert isinstance(info.value, ClientError) and info.value.text == text


def test_every_public_name_is_exported() -> None:
    for name in ted_client.__all__:
        assert getattr(ted_client, name) is not None
    with pytest.raises(AttributeError):
        _ = ted_client.no_such_name  # type: ignore[attr-defined]


def test_predict_and_status_calls(predictor: RunningPredictor) -> None:
    with PredictorClient(predictor.address, timeout=30) as client:
        client.wait_ready(10)
        result = client.predict(MODEL, GREETED, top_k=3)
        assert (result.model, result.version) == (MODEL, 1) and len(result.ranking) == 3
        assert result.to_json()["ranking"][0] == {
            "action": result.ranking[0][0],
            "confidence": result.ranking[0][1],
        }
        batch = client.predict_batch(ModelRef(MODEL, version=1), [GREETED, GREETED[:1]], top_k=3)
        assert [r.version for r in batch] == [1, 1]
        assert [a for a, _ in batch[0].ranking] == [a for a, _ in result.ranking]
        (model,) = client.list_models()
        assert (model.name, model.serving_versions, model.latest_version) == (MODEL, (1,), 1)
        (status,) = client.model_status(MODEL)
        assert (status.name, status.version, status.state) == (MODEL, 1, "available")
        assert not status.error and status.load_seconds > 0


def test_failed_calls_carry_the_status_code(predictor: RunningPredictor) -> None:
    with PredictorClient(predictor.address, timeout=30) as client:
        with pytest.raises(PredictorClientError) as info:
            client.predict(f"{MODEL}@7", GREETED)
        assert info.value.code_name == "NOT_FOUND"
        with pytest.raises(PredictorClientError) as info:
            client.predict(MODEL, GREETED, top_k=-1)
        assert info.value.code_name == "INVALID_ARGUMENT" and "top_k" in info.value.details


def test_an_unreachable_server_is_unavailable() -> None:
    with PredictorClient(f"127.0.0.1:{free_port()}", timeout=2) as client:
        with pytest.raises(PredictorClientError) as info:
            client.wait_ready(0.5)
        assert info.value.code_name == "UNAVAILABLE"
        with pytest.raises(PredictorClientError) as info:
            client.predict(MODEL, GREETED)
        assert info.value.code_name == "UNAVAILABLE"
