"""Translate between ted.v1 event messages and the data adapter's domain events.

Validation of the message shape happens here (a missing event kind, an empty intent, too
many events); unknown names are found later by the model's featurizer. Every error names
the offending field as a path such as ``conversation.events[3].user.intent``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format, struct_pb2

from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, Event, SlotSet, UserUttered
from ted_predictor.errors import InvalidRequestError
from ted_protos.ted.v1 import events_pb2


def value_to_python(value: struct_pb2.Value, field: str) -> Any:
    """A ``google.protobuf.Value`` as plain Python data (an unset value is ``None``)."""
    kind = value.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "number_value":
        if not math.isfinite(value.number_value):
            raise InvalidRequestError(field, "numbers must be finite")
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    try:
        return json_format.MessageToDict(value)
    except (ValueError, TypeError) as e:  # e.g. NaN inside a nested struct
        raise InvalidRequestError(field, f"cannot read the value: {e}") from e


def python_to_value(data: Any) -> struct_pb2.Value:
    """Plain JSON-like Python data as a ``google.protobuf.Value``."""
    message = struct_pb2.Value()
    if data is None:
        message.null_value = struct_pb2.NULL_VALUE
    elif isinstance(data, bool):
        message.bool_value = data
    elif isinstance(data, (int, float)):
        message.number_value = float(data)
    elif isinstance(data, str):
        message.string_value = data
    else:
        json_format.ParseDict(data, message)
    return message


def _required_name(text: str, field: str) -> str:
    if not text:
        raise InvalidRequestError(field, "must not be empty")
    if len(text) > 256:
        raise InvalidRequestError(field, "longer than 256 characters")
    return text


def _entity(message: events_pb2.Entity, field: str) -> Entity:
    return Entity(
        entity=_required_name(message.entity, f"{field}.entity"),
        value=value_to_python(message.value, f"{field}.value"),
        role=_required_name(message.role, f"{field}.role") if message.HasField("role") else None,
        group=_required_name(message.group, f"{field}.group")
        if message.HasField("group")
        else None,
    )


def event_from_proto(message: events_pb2.Event, field: str) -> Event:
    """One domain event; ``field`` is the path of ``message`` used in errors."""
    kind = message.WhichOneof("kind")
    if kind == "user":
        user = message.user
        return UserUttered(
            intent=_required_name(user.intent, f"{field}.user.intent"),
            entities=tuple(
                _entity(entity, f"{field}.user.entities[{i}]")
                for i, entity in enumerate(user.entities)
            ),
        )
    if kind == "action":
        return ActionExecuted(_required_name(message.action.name, f"{field}.action.name"))
    if kind == "slot":
        return SlotSet(
            name=_required_name(message.slot.name, f"{field}.slot.name"),
            value=value_to_python(message.slot.value, f"{field}.slot.value"),
        )
    if kind == "active_loop":
        return ActiveLoop(message.active_loop.name or None)
    raise InvalidRequestError(
        field, "no event kind set (expected user, action, slot or active_loop)"
    )


def conversation_from_proto(
    message: events_pb2.Conversation, *, max_events: int, field: str = "conversation"
) -> list[Event]:
    """The domain events of a conversation, refusing more than ``max_events``."""
    count = len(message.events)
    if count > max_events:
        raise InvalidRequestError(
            f"{field}.events", f"{count} events, at most {max_events} are allowed"
        )
    return [event_from_proto(e, f"{field}.events[{i}]") for i, e in enumerate(message.events)]


def event_to_proto(event: Event) -> events_pb2.Event:
    """One domain event as a message (the client side of the translation)."""
    if isinstance(event, UserUttered):
        return events_pb2.Event(
            user=events_pb2.UserUttered(
                intent=event.intent,
                entities=[
                    events_pb2.Entity(
                        entity=e.entity,
                        value=python_to_value(e.value),
                        role=e.role,
                        group=e.group,
                    )
                    for e in event.entities
                ],
            )
        )
    if isinstance(event, ActionExecuted):
        return events_pb2.Event(action=events_pb2.ActionExecuted(name=event.name))
    if isinstance(event, SlotSet):
        return events_pb2.Event(
            slot=events_pb2.SlotSet(name=event.name, value=python_to_value(event.value))
        )
    if isinstance(event, ActiveLoop):
        return events_pb2.Event(active_loop=events_pb2.ActiveLoop(name=event.name or ""))
    raise TypeError(f"not a dialogue event: {event!r}")


def conversation_to_proto(events: Sequence[Event]) -> events_pb2.Conversation:
    return events_pb2.Conversation(events=[event_to_proto(e) for e in events])
