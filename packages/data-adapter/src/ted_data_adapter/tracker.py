"""Replays conversations into symbolic turn states, the same way for training and requests.

A state is taken before every action (``action_listen`` is implied before each user turn):
the latest user intent and entities (only when the previous action was ``action_listen``,
as Rasa featurizes them), the previous action, the slot features and the active loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from ted_data_adapter.applied import applied_positions
from ted_data_adapter.domain import DEFAULT_LOOPS
from ted_data_adapter.errors import UnknownSymbolError
from ted_data_adapter.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from ted_data_adapter.slots import Slot
from ted_data_adapter.vocabulary import Vocabulary

# (intent index, entity tag indices, previous action index, slot features, loop index); -1 = none
StateKey = tuple[int, tuple[int, ...], int, tuple[float, ...], int]
LISTEN_INDEX = 0


class Replayer:
    """A small tracker over a fixed vocabulary."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.intent_index = {name: i for i, name in enumerate(vocab.intents)}
        self.tag_index = {name: i for i, name in enumerate(vocab.entity_tags)}
        self.action_index = {name: i for i, name in enumerate(vocab.actions)}
        self.form_index = {name: i for i, name in enumerate(vocab.forms)}
        self.slot_position = {slot.name: i for i, slot in enumerate(vocab.slots)}
        self.known_slots = set(self.slot_position) | set(vocab.other_slots)
        self.entity_names = {tag.split("#")[0].split("@")[0] for tag in vocab.entity_tags}
        self.entity_filter = {
            name: (use, set(ignore)) for name, use, ignore in vocab.intent_entities
        }
        self._index_fillers()
        self.initial_features = [tuple(s.encode(s.initial_value)) for s in vocab.slots]

    def _entity_tags(self, event: UserUttered, index: int) -> tuple[int, ...]:
        use, ignore = self.entity_filter.get(event.intent, (None, set()))
        tags: set[int] = set()
        for entity in event.entities:
            name = entity.entity
            if name not in self.entity_names:
                raise UnknownSymbolError(index, "entity", name)
            if name in ignore or (use is not None and name not in use):
                continue
            keys = [name]
            if entity.role is not None:
                keys.append(f"{name}#{entity.role}")
            if entity.group is not None:
                keys.append(f"{name}@{entity.group}")
            for key in keys:
                tag = self.tag_index.get(key)
                if tag is None:
                    raise UnknownSymbolError(index, "entity", key)
                tags.add(tag)
        return tuple(sorted(tags))

    def _index_fillers(self) -> None:
        """Per entity name and per intent, the slots a user turn can fill (for fast replay)."""
        self.entity_fills: dict[str, list[tuple[int, str | None, str | None, Any]]] = {}
        self.intent_fills: dict[str, list[tuple[int, Any]]] = {}
        for position, slot in enumerate(self.vocab.slots):
            if slot.auto_fill:
                self.entity_fills.setdefault(slot.name, []).append((position, None, None, None))
            for mapping in slot.mappings:
                if mapping.conditional:
                    continue
                if mapping.type == "from_entity" and mapping.entity is not None:
                    rule = (position, mapping.role, mapping.group, mapping)
                    self.entity_fills.setdefault(mapping.entity, []).append(rule)
                elif mapping.type == "from_intent":
                    for intent in mapping.intents:
                        self.intent_fills.setdefault(intent, []).append((position, mapping.value))

    def _fill_from_user(self, event: UserUttered) -> dict[int, Any]:
        """Slot values the user turn sets: from_intent values, then entity values override.

        An entity fills a slot through ``auto_fill`` (same name) or an unconditional
        ``from_entity`` mapping whose role, group and intent filters match; list slots
        collect every matching value, other slots take the last one.
        """
        updates: dict[int, Any] = {}
        for position, value in self.intent_fills.get(event.intent, ()):
            updates[position] = value
        found: dict[int, list[Any]] = {}
        used: set[tuple[int, int]] = set()
        for number, entity in enumerate(event.entities):
            for position, role, group, mapping in self.entity_fills.get(entity.entity, ()):
                if mapping is not None:
                    if entity.role != role or entity.group != group:
                        continue
                    if mapping.intents and event.intent not in mapping.intents:
                        continue
                    if event.intent in mapping.not_intents:
                        continue
                if (position, number) not in used:  # auto_fill and a mapping may both match
                    used.add((position, number))
                    found.setdefault(position, []).append(entity.value)
        for position, values in found.items():
            is_list = self.vocab.slots[position].type == "list"
            updates[position] = values if is_list else values[-1]
        return updates

    def replay(
        self, events: Sequence[Event], *, final_listen: bool = False, current: bool = False
    ) -> tuple[list[StateKey], list[int]]:
        """States before each applied action and the action's index; ``current`` adds the
        state now. Only the applied events count (see ``ted_data_adapter.applied``); an
        event index in an UnknownSymbolError refers to those."""
        positions = applied_positions(events)
        intent = -1
        tags: tuple[int, ...] = ()
        prev_action = -1
        loop = -1
        slot_features = list(self.initial_features)
        slots_key = tuple(chain.from_iterable(slot_features))
        states: list[StateKey] = []
        labels: list[int] = []

        def state() -> StateKey:
            if prev_action == LISTEN_INDEX and intent >= 0:
                return (intent, tags, prev_action, slots_key, loop)
            return (-1, (), prev_action, slots_key, loop)

        for index in positions:
            event = events[index]
            if isinstance(event, ActionExecuted):
                action = self.action_index.get(event.name)
                if action is None:
                    raise UnknownSymbolError(index, "action", event.name)
                states.append(state())
                labels.append(action)
                prev_action = action
            elif isinstance(event, UserUttered):
                new_intent = self.intent_index.get(event.intent)
                if new_intent is None:
                    raise UnknownSymbolError(index, "intent", event.intent)
                new_tags = self._entity_tags(event, index)
                if prev_action != LISTEN_INDEX:
                    states.append(state())
                    labels.append(LISTEN_INDEX)
                    prev_action = LISTEN_INDEX
                intent, tags = new_intent, new_tags
                changed = False
                for position, value in self._fill_from_user(event).items():
                    encoded = tuple(self.vocab.slots[position].encode(value))
                    if encoded != slot_features[position]:
                        slot_features[position] = encoded
                        changed = True
                if changed:
                    slots_key = tuple(chain.from_iterable(slot_features))
            elif isinstance(event, SlotSet):
                slot_at = self.slot_position.get(event.name)
                if slot_at is None:
                    if event.name not in self.known_slots:
                        raise UnknownSymbolError(index, "slot", event.name)
                    continue
                slot: Slot = self.vocab.slots[slot_at]
                encoded = tuple(slot.encode(event.value))
                if encoded != slot_features[slot_at]:
                    slot_features[slot_at] = encoded
                    slots_key = tuple(chain.from_iterable(slot_features))
            elif isinstance(event, ActiveLoop):
                if event.name is None:
                    loop = -1
                else:
                    found_loop = self.form_index.get(event.name)
                    if found_loop is None:
                        if event.name not in DEFAULT_LOOPS:
                            raise UnknownSymbolError(index, "active_loop", event.name)
                        found_loop = -1  # a default loop is no form: no feature (as Rasa)
                    loop = found_loop
            elif isinstance(event, ActionExecutionRejected):
                if event.name not in self.action_index:
                    raise UnknownSymbolError(index, "action", event.name)
            else:
                raise UnknownSymbolError(index, "event type", type(event).__name__)
        if final_listen and prev_action != LISTEN_INDEX:
            states.append(state())
            labels.append(LISTEN_INDEX)
        if current:
            states.append(state())
        return states, labels
