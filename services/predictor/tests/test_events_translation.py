"""Proto <-> domain event translation and Rasa tracker files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, SlotSet, UserUttered
from ted_predictor.convert import conversation_from_proto, conversation_to_proto
from ted_predictor.errors import InvalidRequestError
from ted_predictor.rasa_tracker import events_from_json, load_events_file
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


def test_rasa_tracker_events_are_read_and_others_skipped(tmp_path: Path) -> None:
    tracker = {
        "sender_id": "x",
        "events": [
            {"event": "action", "name": "action_session_start"},
            {"event": "session_started"},
            {"event": "action", "name": "action_listen"},
            {
                "event": "user",
                "text": "to berlin",
                "parse_data": {
                    "intent": {"name": "inform", "confidence": 0.9},
                    "entities": [{"entity": "city", "value": "Berlin", "role": "to"}],
                },
            },
            {"event": "bot", "text": "ok"},
            {"event": "slot", "name": "city", "value": "Berlin"},
            {"event": "active_loop", "name": None},
        ],
    }
    path = tmp_path / "tracker.json"
    path.write_text(json.dumps(tracker))
    assert load_events_file(path) == [
        ActionExecuted("action_session_start"),
        ActionExecuted("action_listen"),
        UserUttered("inform", (Entity("city", "Berlin", role="to"),)),
        SlotSet("city", "Berlin"),
        ActiveLoop(None),
    ]
    assert events_from_json(tracker["events"]) == load_events_file(path)


def test_rasa_tracker_errors_say_where(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match=r"events\[0\].parse_data.intent.name"):
        events_from_json([{"event": "user", "parse_data": {"intent": {}}}])
    bad = tmp_path / "bad.json"
    bad.write_text('[{"event": "action",\n "name": }]')
    with pytest.raises(InvalidRequestError, match=r"bad\.json:2"):
        load_events_file(bad)
