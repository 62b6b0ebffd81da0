"""Domain events to ted.v1 messages: the client side of the translation."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2

from ted_client.convert import conversation_to_proto, event_to_proto, python_to_value
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, SlotSet, UserUttered
from ted_protos.ted.v1 import events_pb2


def test_user_turn_keeps_intent_entities_roles_and_groups() -> None:
    event = UserUttered("inform", (Entity("city", "Berlin", role="to"), Entity("n", 2, group="g")))
    message = event_to_proto(event)
    assert message.WhichOneof("kind") == "user"
    assert message.user.intent == "inform"
    first, second = message.user.entities
    assert (first.entity, first.value.string_value, first.role) == ("city", "Berlin", "to")
    assert not first.HasField("group")
    assert (second.entity, second.value.number_value, second.group) == ("n", 2.0, "g")
    assert not second.HasField("role")


def test_actions_slots_and_loops() -> None:
    assert event_to_proto(ActionExecuted("utter_greet")).action.name == "utter_greet"
    slot = event_to_proto(SlotSet("flags", {"a": [1.0, True]})).slot
    assert slot.name == "flags"
    assert slot.value.struct_value["a"][0] == 1.0 and slot.value.struct_value["a"][1] is True
    assert event_to_proto(SlotSet("city", None)).slot.value.WhichOneof("kind") == "null_value"
    assert event_to_proto(ActiveLoop("booking_form")).active_loop.name == "booking_form"
    inactive = event_to_proto(ActiveLoop(None))
    assert inactive.WhichOneof("kind") == "active_loop" and inactive.active_loop.name == ""


def test_values_keep_their_json_type() -> None:
    assert python_to_value(True).WhichOneof("kind") == "bool_value"
    assert python_to_value(3).number_value == 3.0
    assert python_to_value("x").string_value == "x"
    assert python_to_value(None).null_value == struct_pb2.NULL_VALUE
    assert list(python_to_value([1, "a"]).list_value.values)[1].string_value == "a"


def test_conversation_keeps_order_and_survives_the_wire() -> None:
    events = [ActionExecuted("action_listen"), UserUttered("greet"), SlotSet("s", 1.5)]
    message = conversation_to_proto(events)
    parsed = events_pb2.Conversation.FromString(message.SerializeToString())
    assert [e.WhichOneof("kind") for e in parsed.events] == ["action", "user", "slot"]
    assert parsed == message


def test_a_non_event_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not a dialogue event"):
        event_to_proto("greet")  # type: ignore[arg-type]
