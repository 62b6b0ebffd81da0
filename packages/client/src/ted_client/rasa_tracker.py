"""Read the events of a Rasa tracker dump (JSON) as domain events.

Accepts a JSON list of events or a tracker object with an ``events`` list. Read: ``user``,
``action``, ``slot``, ``active_loop`` (and 1.x ``form``), ``action_execution_rejected``, and
the events that change which earlier events count: ``restart``, ``session_started``,
``rewind`` (the user's turn undone) and ``undo`` (the bot's action undone). Every other type
(``bot``, ``user_featurization`` ...) is skipped. Errors name the event index and field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ted_client.errors import InvalidEventsError
from ted_data_adapter.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    Entity,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidEventsError(f"{where}.{key}", "must be a non-empty string")
    return value


def _user(data: dict[str, Any], where: str) -> UserUttered:
    parse = data.get("parse_data") or {}
    if not isinstance(parse, dict):
        raise InvalidEventsError(f"{where}.parse_data", "must be an object")
    intent = parse.get("intent") or {}
    if not isinstance(intent, dict):
        raise InvalidEventsError(f"{where}.parse_data.intent", "must be an object")
    name = _text(intent, "name", f"{where}.parse_data.intent")
    entities = []
    raw_entities = parse.get("entities") or []
    if not isinstance(raw_entities, list):
        raise InvalidEventsError(f"{where}.parse_data.entities", "must be a list")
    for i, item in enumerate(raw_entities):
        at = f"{where}.parse_data.entities[{i}]"
        if not isinstance(item, dict):
            raise InvalidEventsError(at, "must be an object")
        role, group = item.get("role"), item.get("group")
        entities.append(
            Entity(
                entity=_text(item, "entity", at),
                value=item.get("value"),
                role=str(role) if role is not None else None,
                group=str(group) if group is not None else None,
            )
        )
    return UserUttered(intent=name, entities=tuple(entities), text=data.get("text"))


def events_from_json(data: Any, source: str = "events") -> list[Event]:
    """Domain events from parsed tracker JSON (a list, or an object with ``events``)."""
    if isinstance(data, dict):
        if "events" not in data:
            raise InvalidEventsError(source, 'a tracker object needs an "events" list')
        data = data["events"]
    if not isinstance(data, list):
        raise InvalidEventsError(source, "expected a list of events or a tracker object")
    events: list[Event] = []
    for index, item in enumerate(data):
        where = f"{source}[{index}]"
        if not isinstance(item, dict):
            raise InvalidEventsError(where, "an event must be an object")
        kind = item.get("event")
        if kind == "user":
            events.append(_user(item, where))
        elif kind == "action":
            events.append(ActionExecuted(_text(item, "name", where)))
        elif kind == "slot":
            events.append(SlotSet(_text(item, "name", where), item.get("value")))
        elif kind in ("active_loop", "form"):  # "form": the Rasa 1.x name
            name = item.get("name")
            if name is not None and not isinstance(name, str):
                raise InvalidEventsError(f"{where}.name", "must be a string or null")
            events.append(ActiveLoop(name or None))
        elif kind == "action_execution_rejected":
            events.append(ActionExecutionRejected(_text(item, "name", where)))
        elif kind in _MARKERS:
            events.append(_MARKERS[kind]())
        elif not isinstance(kind, str):
            raise InvalidEventsError(f"{where}.event", "missing event type")
    return events


# Rasa event types without fields that change which earlier events count.
_MARKERS: dict[str, type[Restarted | SessionStarted | UserUtteranceReverted | ActionReverted]] = {
    "restart": Restarted,
    "session_started": SessionStarted,
    "rewind": UserUtteranceReverted,
    "undo": ActionReverted,
}


def load_events_file(path: str | Path) -> list[Event]:
    """Events of a tracker JSON file; errors name the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InvalidEventsError(str(path), f"cannot read: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise InvalidEventsError(
            f"{path}:{e.lineno}", f"not valid JSON: {e.msg} (column {e.colno})"
        ) from e
    return events_from_json(data, source=str(path))
