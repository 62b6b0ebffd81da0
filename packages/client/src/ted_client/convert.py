"""The client direction of the event translation: domain events to ted.v1 messages.

The server reads these messages back (and validates them) in ``ted_predictor.convert``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format, struct_pb2

from ted_data_adapter.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from ted_protos.ted.v1 import events_pb2


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


def event_to_proto(event: Event) -> events_pb2.Event:
    """One domain event as a message."""
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
    if isinstance(event, ActionExecutionRejected):
        return events_pb2.Event(action_rejected=events_pb2.ActionExecutionRejected(name=event.name))
    if isinstance(event, Restarted):
        return events_pb2.Event(restarted=events_pb2.Restarted())
    if isinstance(event, SessionStarted):
        return events_pb2.Event(session_started=events_pb2.SessionStarted())
    if isinstance(event, UserUtteranceReverted):
        return events_pb2.Event(user_reverted=events_pb2.UserUtteranceReverted())
    if isinstance(event, ActionReverted):
        return events_pb2.Event(action_reverted=events_pb2.ActionReverted())
    raise TypeError(f"not a dialogue event: {event!r}")


def conversation_to_proto(events: Sequence[Event]) -> events_pb2.Conversation:
    """The events of one conversation as a ``Conversation`` message, in order."""
    return events_pb2.Conversation(events=[event_to_proto(e) for e in events])
