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


class StateDict(dict[str, Mapping[str, Any]]):
    """A state that also carries its hashable form (``key``), built as the state is."""

    key: tuple[Any, ...] = ()


def _frozen_parts(state: Mapping[str, Mapping[str, Any]]) -> tuple[Any, ...]:
    user = state.get(USER)
    slots = state.get(SLOTS)
    return (
        tuple(sorted(user.items())) if user else (),
        tuple(sorted(slots.items())) if slots else (),
        state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME),
        state.get(ACTIVE_LOOP, {}).get(LOOP_NAME),
    )


def frozen_key(states: Sequence[State]) -> tuple[Any, ...]:
    """A hashable form of a state sequence, cheaper than ``state_key`` for lookups."""
    return tuple(
        state.key if isinstance(state, StateDict) and state.key else _frozen_parts(state)
        for state in states
    )


def frozen_key_of(key: str) -> tuple[Any, ...]:
    """``frozen_key`` of the states a ``state_key`` text holds (lists read as tuples)."""

    def tupled(value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    states = [
        {part: {name: tupled(v) for name, v in values.items()} for part, values in state.items()}
        for state in states_from_key(key)
    ]
    return frozen_key(states)


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
        self._initial: dict[frozenset[str], dict[str, Any]] = {}
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

    def _slot_feature(self, slot: Slot, value: Any) -> Any:
        """A slot's entry in the slots part: its features, ``should_not_be_set``, or None
        when all its features are zero (an unset slot is not in the state)."""
        if value == SHOULD_NOT_BE_SET:
            return SHOULD_NOT_BE_SET
        features = slot.encode(value)
        return tuple(features) if any(features) else None

    def _initial_features(self, without_slots: frozenset[str]) -> dict[str, Any]:
        """The slots part before any event (slots with an initial value), computed once."""
        if without_slots not in self._initial:
            initial = {}
            for name, slot in self.slots.items():
                feature = self._slot_feature(slot, slot.initial_value)
                if feature is not None and name not in without_slots:
                    initial[name] = feature
            self._initial[without_slots] = initial
        return self._initial[without_slots]

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
        # the slots part changes only when a slot does: kept up to date, shared by states
        features = {} if omit_unset_slots else dict(self._initial_features(without_slots))
        slots_part: dict[str, Any] = dict(features)
        slots_key = tuple(sorted(slots_part.items()))
        user_key: tuple[Any, ...] = ()
        user: dict[str, Any] = {}
        action: str | None = None
        loop: str | None = None
        out: list[State] = []

        def set_slot(name: str, value: Any) -> None:
            nonlocal slots_part, slots_key
            slot = self.slots.get(name)
            if slot is None or name in without_slots:
                return  # not featurized (or left out): never part of a state
            feature = self._slot_feature(slot, value)
            if feature is None:
                if name not in features:
                    return
                del features[name]
            else:
                if features.get(name) == feature:
                    return
                features[name] = feature
            slots_part = dict(features)  # a new part: earlier states keep theirs
            slots_key = tuple(sorted(slots_part.items()))

        def now() -> State:
            state = StateDict()
            if user:
                state[USER] = user
            if slots_part:
                state[SLOTS] = slots_part
            if action is not None:
                state[PREVIOUS_ACTION] = {ACTION_NAME: action}
            shown_loop = loop if loop and loop not in without_loops else None
            if shown_loop:
                state[ACTIVE_LOOP] = {LOOP_NAME: shown_loop}
            state.key = (user_key, slots_key, action, shown_loop)
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
                user_key = tuple(sorted(user.items()))
                for name, value in self._filled_by(event).items():
                    set_slot(name, value)
            elif isinstance(event, SlotSet):
                set_slot(event.name, event.value)
            elif isinstance(event, ActiveLoop):
                loop = event.name
        out.append(now())
        return out


class ConversationStates:
    """One conversation's states, computed once for each set of options and shared by the
    policies that read them (rules and memoization read the same states)."""

    def __init__(self, replay: RasaStates, events: Sequence[Event]) -> None:
        self.replay = replay
        self.events = events
        self._cache: dict[tuple[bool, frozenset[str], frozenset[str]], list[State]] = {}

    def get(
        self,
        *,
        omit_unset_slots: bool = False,
        without_slots: frozenset[str] = frozenset(),
        without_loops: frozenset[str] = frozenset(),
    ) -> list[State]:
        key = (omit_unset_slots, without_slots, without_loops)
        if key not in self._cache:
            self._cache[key] = self.replay.states(
                self.events,
                omit_unset_slots=omit_unset_slots,
                without_slots=without_slots,
                without_loops=without_loops,
            )
        return self._cache[key]
