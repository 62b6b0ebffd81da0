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


Event = Union[UserUttered, ActionExecuted, SlotSet, ActiveLoop]  # noqa: UP007 - runtime alias
Conversation = Sequence[Event]
