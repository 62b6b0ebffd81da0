"""Rasa's dialogue states: what RulePolicy and MemoizationPolicy look up and match.

A state is taken before every applied action, plus one for "now". It holds up to four
parts, named as Rasa names them so lookup keys (JSON) are the same as Rasa's:

- ``user``: the latest user turn's ``intent`` and its featurized ``entities`` (sorted entity
  names plus ``entity#role`` / ``entity#group``, filtered by the intent's use/ignore lists).
  It stays in every state until the next user turn, not only right after the listen.
- ``prev_action``: ``action_name`` of the latest action.
- ``active_loop``: ``name`` of the active loop (also Rasa's ``should_not_be_set``).
- ``slots``: every featurized slot whose features are not all zero, as a tuple of its
  features (``should_not_be_set`` as is); with ``omit_unset_slots`` (how Rasa reads rules)
  only slots that an event has set count.

A user turn fills the slots whose unconditional ``from_entity`` mapping matches one of its
entities (type, role and group), as Rasa's training data does; a list slot takes every match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ted_data_adapter.applied import applied_events
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from ted_data_adapter.slots import Slot
from ted_data_adapter.vocabulary import Vocabulary

SHOULD_NOT_BE_SET = "should_not_be_set"
RULE_SNIPPET_ACTION = "..."
USER, PREVIOUS_ACTION, ACTIVE_LOOP, SLOTS = "user", "prev_action", "active_loop", "slots"
INTENT, ENTITIES, ACTION_NAME, LOOP_NAME = "intent", "entities", "action_name", "name"

# {"user": {"intent": ..., "entities": (...)}, "prev_action": {...}, ...}; never mutated.
State = Mapping[str, Mapping[str, Any]]


def state_key(states: Sequence[State]) -> str:
    """The JSON text of a state sequence, keys sorted (tuples become lists), as Rasa's."""
    return json.dumps(list(states), sort_keys=True)


def states_from_key(key: str) -> list[dict[str, dict[str, Any]]]:
    """The states back from ``state_key`` (lists stay lists)."""
    loaded: list[dict[str, dict[str, Any]]] = json.loads(key)
    return loaded


class RasaStates:
    """Replays conversations into Rasa's states over a model's vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.slots: dict[str, Slot] = {slot.name: slot for slot in vocabulary.slots}
        self._entity_filter = {
            intent: (None if use is None else set(use), set(ignore))
            for intent, use, ignore in vocabulary.intent_entities
        }
        self._known_tags = set(vocabulary.entity_tags)
        self._fills: dict[str, list[tuple[Slot, str | None, str | None]]] = {}
        for slot in vocabulary.slots:
            for mapping in slot.mappings:
                if mapping.type == "from_entity" and mapping.entity and not mapping.conditional:
                    self._fills.setdefault(mapping.entity, []).append(
                        (slot, mapping.role, mapping.group)
                    )

    # --- parts of a state ----------------------------------------------------------------
    def _entities(self, event: UserUttered) -> tuple[str, ...]:
        use, ignore = self._entity_filter.get(event.intent, (None, set()))
        names: set[str] = set()
        for entity in event.entities:
            base = entity.entity
            if base in ignore or (use is not None and base not in use):
                continue
            names.add(base)
            for extra in (entity.role, entity.group):
                if extra is not None and self._wanted(base, extra):
                    names.add(f"{base}#{extra}")
        return tuple(sorted(names))

    def _wanted(self, base: str, extra: str) -> bool:
        """A role or group label counts when the domain declares it for that entity."""
        return f"{base}#{extra}" in self._known_tags or f"{base}@{extra}" in self._known_tags

    def _slot_features(self, values: Mapping[str, Any], set_slots: set[str], omit: bool) -> dict:
        out: dict[str, Any] = {}
        for name, slot in self.slots.items():
            if omit and name not in set_slots:
                continue
            value = values.get(name)
            if value == SHOULD_NOT_BE_SET:
                out[name] = SHOULD_NOT_BE_SET
                continue
            features = slot.encode(value)
            if any(features):
                out[name] = tuple(features)
        return out

    def _filled_by(self, event: UserUttered) -> dict[str, Any]:
        found: dict[str, list[Any]] = {}
        slots: dict[str, Slot] = {}
        for entity in event.entities:
            for slot, role, group in self._fills.get(entity.entity, ()):
                if entity.role == role and entity.group == group:
                    found.setdefault(slot.name, []).append(entity.value)
                    slots[slot.name] = slot
        return {
            name: (values if slots[name].type == "list" else values[-1])
            for name, values in found.items()
        }

    # --- replay --------------------------------------------------------------------------
    def states(
        self,
        events: Iterable[Event],
        *,
        omit_unset_slots: bool = False,
        without_slots: frozenset[str] = frozenset(),
        without_loops: frozenset[str] = frozenset(),
    ) -> list[State]:
        """The state before each applied action, then the state after the last event.

        ``without_slots`` / ``without_loops`` leave out what only rules mention (Rasa
        removes those from the states the memoization and TED policies see).
        """
        values: dict[str, Any] = {s.name: s.initial_value for s in self.slots.values()}
        set_slots: set[str] = set()
        user: dict[str, Any] = {}
        action: str | None = None
        loop: str | None = None
        out: list[State] = []

        def now() -> State:
            state: dict[str, Mapping[str, Any]] = {}
            if user:
                state[USER] = user
            slots = self._slot_features(values, set_slots, omit_unset_slots)
            for name in without_slots:
                slots.pop(name, None)
            if slots:
                state[SLOTS] = slots
            if action is not None:
                state[PREVIOUS_ACTION] = {ACTION_NAME: action}
            if loop and loop not in without_loops:
                state[ACTIVE_LOOP] = {LOOP_NAME: loop}
            return state

        for event in applied_events(list(events)):
            if isinstance(event, ActionExecuted):
                out.append(now())
                action = event.name
            elif isinstance(event, UserUttered):
                entities = self._entities(event)
                user = (
                    {INTENT: event.intent, ENTITIES: entities}
                    if entities
                    else {INTENT: event.intent}
                )
                for name, value in self._filled_by(event).items():
                    values[name] = value
                    set_slots.add(name)
            elif isinstance(event, SlotSet):
                values[event.name] = event.value
                set_slots.add(event.name)
            elif isinstance(event, ActiveLoop):
                loop = event.name
        out.append(now())
        return out
