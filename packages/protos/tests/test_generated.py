"""The committed generated code imports, matches the installed runtimes and round-trips."""

from __future__ import annotations

import re
from pathlib import Path

import grpc
from google.protobuf import __version__ as protobuf_version
from google.protobuf import struct_pb2

from ted_protos.ted.v1 import events_pb2, predictor_pb2, predictor_pb2_grpc

GENERATED = Path(__file__).resolve().parents[1] / "src" / "ted_protos" / "ted" / "v1"


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_gencode_runtime_version_is_compatible_with_installed_protobuf() -> None:
    source = (GENERATED / "predictor_pb2.py").read_text()
    match = re.search(
        r"ValidateProtobufRuntimeVersion\(\s*_runtime_version\.Domain\.PUBLIC,\s*(\d+),\s*(\d+),"
        r"\s*(\d+)",
        source,
    )
    assert match, "generated code lost its runtime version check"
    gencode = tuple(int(g) for g in match.groups())
    runtime = _version_tuple(protobuf_version)
    assert runtime[0] == gencode[0], "protobuf major version must equal the gencode's"
    assert runtime >= gencode


def test_grpc_generated_version_is_not_newer_than_installed_grpc() -> None:
    source = (GENERATED / "predictor_pb2_grpc.py").read_text()
    match = re.search(r"GRPC_GENERATED_VERSION = '([\d.]+)'", source)
    assert match
    assert _version_tuple(grpc.__version__) >= _version_tuple(match.group(1))


def test_messages_live_under_the_package_path() -> None:
    assert predictor_pb2.PredictRequest.__module__ == "ted_protos.ted.v1.predictor_pb2"
    assert predictor_pb2.DESCRIPTOR.package == "ted.v1"
    service = predictor_pb2.DESCRIPTOR.services_by_name["PredictorService"]
    assert [m.name for m in service.methods] == [
        "Predict",
        "PredictBatch",
        "GetModelStatus",
        "ListModels",
    ]
    assert hasattr(predictor_pb2_grpc, "PredictorServiceStub")
    assert hasattr(predictor_pb2_grpc, "add_PredictorServiceServicer_to_server")


def test_request_round_trip_keeps_every_event_kind() -> None:
    conversation = events_pb2.Conversation(
        events=[
            events_pb2.Event(action=events_pb2.ActionExecuted(name="action_listen")),
            events_pb2.Event(
                user=events_pb2.UserUttered(
                    intent="inform",
                    entities=[
                        events_pb2.Entity(
                            entity="city",
                            value=struct_pb2.Value(string_value="Berlin"),
                            role="destination",
                        )
                    ],
                )
            ),
            events_pb2.Event(
                slot=events_pb2.SlotSet(name="n", value=struct_pb2.Value(number_value=2))
            ),
            events_pb2.Event(active_loop=events_pb2.ActiveLoop(name="booking_form")),
        ]
    )
    request = predictor_pb2.PredictRequest(
        model_spec=predictor_pb2.ModelSpec(name="bot", alias="best"), conversation=conversation
    )
    parsed = predictor_pb2.PredictRequest.FromString(request.SerializeToString())
    assert parsed == request
    kinds = [event.WhichOneof("kind") for event in parsed.conversation.events]
    assert kinds == ["action", "user", "slot", "active_loop"]
    entity = parsed.conversation.events[1].user.entities[0]
    assert entity.HasField("role") and not entity.HasField("group")
    assert parsed.model_spec.WhichOneof("version_choice") == "alias"
