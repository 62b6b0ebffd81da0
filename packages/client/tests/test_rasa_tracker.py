"""Rasa tracker dumps (JSON) read as domain events; errors name the file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ted_client.errors import ClientError, InvalidEventsError
from ted_client.rasa_tracker import events_from_json, load_events_file
from ted_data_adapter.events import (
    ActionExecuted,
    ActiveLoop,
    Entity,
    SessionStarted,
    SlotSet,
    UserUttered,
)


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
        SessionStarted(),  # what came before the session no longer counts
        ActionExecuted("action_listen"),
        UserUttered("inform", (Entity("city", "Berlin", role="to"),)),
        SlotSet("city", "Berlin"),
        ActiveLoop(None),
    ]
    assert events_from_json(tracker["events"]) == load_events_file(path)


def test_rasa_tracker_errors_say_where(tmp_path: Path) -> None:
    with pytest.raises(InvalidEventsError, match=r"events\[0\].parse_data.intent.name") as info:
        events_from_json([{"event": "user", "parse_data": {"intent": {}}}])
    assert info.value.field == "events[0].parse_data.intent.name"
    assert info.value.reason == "must be a non-empty string"
    bad = tmp_path / "bad.json"
    bad.write_text('[{"event": "action",\n "name": }]')
    with pytest.raises(InvalidEventsError, match=r"bad\.json:2") as read:
        load_events_file(bad)
    assert isinstance(read.value.__cause__, json.JSONDecodeError)


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({"sender_id": "x"}, "t", 'a tracker object needs an "events" list'),
        ("greet", "t", "expected a list of events or a tracker object"),
        (["greet"], "t[0]", "an event must be an object"),
        ([{"name": "x"}], "t[0].event", "missing event type"),
        ([{"event": "slot"}], "t[0].name", "must be a non-empty string"),
        ([{"event": "active_loop", "name": 3}], "t[0].name", "must be a string or null"),
        ([{"event": "user", "parse_data": "x"}], "t[0].parse_data", "must be an object"),
        (
            [{"event": "user", "parse_data": {"intent": {"name": "a"}, "entities": [1]}}],
            "t[0].parse_data.entities[0]",
            "must be an object",
        ),
    ],
)
def test_every_malformed_part_is_named(data: object, field: str, reason: str) -> None:
    with pytest.raises(InvalidEventsError) as info:
        events_from_json(data, source="t")
    assert (info.value.field, info.value.reason) == (field, reason)
    assert isinstance(info.value, ClientError)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(InvalidEventsError, match="cannot read") as info:
        load_events_file(missing)
    assert info.value.field == str(missing)
