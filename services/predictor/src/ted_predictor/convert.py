"""Translate ted.v1 event messages into the data adapter's domain events (the server side).

Validation of the message shape happens here (a missing event kind, an empty intent, too
many events); unknown names are found later by the model's featurizer. Every error names
the offending field as a path such as ``conversation.events[3].user.intent``. The other
direction (domain events to messages) is the client's: ``ted_client.convert``.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf import json_format, struct_pb2

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


class _FieldError(Exception):
    """A problem at ``path`` relative to the event; the full path is built only on error."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason


def _required_name(text: str, path: str) -> str:
    if not text or len(text) > 256:
        raise _FieldError(path, "must not be empty" if not text else "longer than 256 characters")
    return text


def _value(value: struct_pb2.Value, path: str) -> Any:
    try:
        return value_to_python(value, path)
    except InvalidRequestError as e:
        raise _FieldError(path, e.reason) from e


def _entity(message: events_pb2.Entity, index: int) -> Entity:
    path = f"user.entities[{index}]"
    return Entity(
        entity=_required_name(message.entity, f"{path}.entity"),
        value=_value(message.value, f"{path}.value"),
        role=_required_name(message.role, f"{path}.role") if message.HasField("role") else None,
        group=_required_name(message.group, f"{path}.group") if message.HasField("group") else None,
    )


def _event(message: events_pb2.Event) -> Event:
    kind = message.WhichOneof("kind")
    if kind == "user":
        user = message.user
        entities = user.entities
        return UserUttered(
            intent=_required_name(user.intent, "user.intent"),
            entities=tuple(_entity(entity, i) for i, entity in enumerate(entities))
            if entities
            else (),
        )
    if kind == "action":
        return ActionExecuted(_required_name(message.action.name, "action.name"))
    if kind == "slot":
        return SlotSet(
            name=_required_name(message.slot.name, "slot.name"),
            value=_value(message.slot.value, "slot.value"),
        )
    if kind == "active_loop":
        return ActiveLoop(message.active_loop.name or None)
    if kind == "action_rejected":
        return ActionExecutionRejected(
            _required_name(message.action_rejected.name, "action_rejected.name")
        )
    if kind in _MARKERS:
        return _MARKERS[kind]()
    raise _FieldError("", "no event kind set (expected user, action, slot or active_loop)")


# Events without fields: they only change which earlier events count.
_MARKERS: dict[str, type[Restarted | SessionStarted | UserUtteranceReverted | ActionReverted]] = {
    "restarted": Restarted,
    "session_started": SessionStarted,
    "user_reverted": UserUtteranceReverted,
    "action_reverted": ActionReverted,
}


def event_from_proto(message: events_pb2.Event, field: str) -> Event:
    """One domain event; ``field`` is the path of ``message`` used in errors."""
    try:
        return _event(message)
    except _FieldError as e:
        raise InvalidRequestError(f"{field}.{e.path}" if e.path else field, e.reason) from None


def conversation_from_proto(
    message: events_pb2.Conversation, *, max_events: int, field: str = "conversation"
) -> list[Event]:
    """The domain events of a conversation, refusing more than ``max_events``."""
    events = message.events
    count = len(events)
    if count > max_events:
        raise InvalidRequestError(
            f"{field}.events", f"{count} events, at most {max_events} are allowed"
        )
    converted: list[Event] = []
    try:
        for message_event in events:
            converted.append(_event(message_event))
    except _FieldError as e:
        path = f"{field}.events[{len(converted)}]"
        raise InvalidRequestError(f"{path}.{e.path}" if e.path else path, e.reason) from None
    return converted
