"""Server-side event translation: messages (as the client builds them) to domain events."""

from __future__ import annotations

import pytest

from ted_client.convert import conversation_to_proto
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, SlotSet, UserUttered
from ted_predictor.convert import conversation_from_proto
from ted_predictor.errors import InvalidRequestError
from ted_protos.ted.v1 import events_pb2

EVENTS = [
    ActionExecuted("action_listen"),
    UserUttered("inform", (Entity("city", "Berlin", role="to"), Entity("n", 2.0, group="g"))),
    SlotSet("city", "Berlin"),
    SlotSet("flags", {"a": [1.0, True]}),
    SlotSet("city", None),
    ActiveLoop("booking_form"),
    ActiveLoop(None),
    ActionExecuted("utter_ask"),
]


def test_round_trip_keeps_every_event() -> None:
    message = conversation_to_proto(EVENTS)
    parsed = events_pb2.Conversation.FromString(message.SerializeToString())
    assert conversation_from_proto(parsed, max_events=100) == EVENTS


def test_errors_name_the_event_and_field() -> None:
    message = conversation_to_proto(EVENTS)
    message.events[1].user.intent = ""
    with pytest.raises(InvalidRequestError) as info:
        conversation_from_proto(message, max_events=100)
    assert info.value.field == "conversation.events[1].user.intent"
    message = events_pb2.Conversation(events=[events_pb2.Event(), events_pb2.Event()])
    with pytest.raises(InvalidRequestError, match=r"events\[0\]: no event kind"):
        conversation_from_proto(message, max_events=100)
    with pytest.raises(InvalidRequestError, match="2 events, at most 1"):
        conversation_from_proto(message, max_events=1)
