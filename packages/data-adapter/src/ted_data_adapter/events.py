"""Conversation events: the same objects feed training replay and prediction requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

ACTION_LISTEN = "action_listen"


@dataclass(frozen=True)
class Entity:
    """An extracted entity; role and group give the extra tags ``entity#role``/``entity@group``."""

    entity: str
    value: Any = None
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class UserUttered:
    """A user turn as the policy sees it: an intent and its entities (text is not used)."""

    intent: str
    entities: tuple[Entity, ...] = ()
    text: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ActionExecuted:
    """The bot ran an action (``action_listen`` means the bot waits for the user)."""

    name: str


@dataclass(frozen=True)
class SlotSet:
    """A slot got a value (``None`` resets it)."""

    name: str
    value: Any = None


@dataclass(frozen=True)
class ActiveLoop:
    """A form (loop) became active, or ``None``: no loop is active any more."""

    name: str | None


@dataclass(frozen=True)
class ActionExecutionRejected:
    """An action (a form, usually) refused to run: the user's input was not for it."""

    name: str


@dataclass(frozen=True)
class Restarted:
    """The conversation was restarted: everything before is forgotten."""


@dataclass(frozen=True)
class SessionStarted:
    """A new session began: what happened before no longer shapes the next action."""


@dataclass(frozen=True)
class UserUtteranceReverted:
    """The last user turn (and the bot's actions after it) is undone (``action_back``)."""


@dataclass(frozen=True)
class ActionReverted:
    """The last bot action is undone."""


# Events that only change which earlier events count (see ``ted_data_adapter.applied``).
ControlEvent = Union[  # noqa: UP007 - runtime alias
    ActionExecutionRejected, Restarted, SessionStarted, UserUtteranceReverted, ActionReverted
]
Event = Union[  # noqa: UP007 - runtime alias
    UserUttered,
    ActionExecuted,
    SlotSet,
    ActiveLoop,
    ActionExecutionRejected,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    ActionReverted,
]
CONTROL_EVENTS = (
    ActionExecutionRejected,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    ActionReverted,
)
Conversation = Sequence[Event]
