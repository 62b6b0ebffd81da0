"""Replays conversations into symbolic turn states, the same way for training and requests.

A state is taken before every action (``action_listen`` is implied before each user turn):
the latest user intent and entities (only when the previous action was ``action_listen``,
as Rasa featurizes them), the previous action, the slot features and the active loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ted_data_adapter.errors import UnknownSymbolError
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
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
        self.fillers = [(i, s) for i, s in enumerate(vocab.slots) if s.auto_fill or s.mappings]
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

    def _fill_from_user(self, event: UserUttered) -> list[tuple[int, Any]]:
        """Slot values that the user turn sets through auto_fill and unconditional mappings."""
        updates: list[tuple[int, Any]] = []
        for position, slot in self.fillers:
            found: list[Any] = []
            value: Any = None
            filled = False
            for entity in event.entities:
                if slot.auto_fill and entity.entity == slot.name:
                    found.append(entity.value)
            for mapping in slot.mappings:
                if mapping.conditional:
                    continue
                if mapping.intents and event.intent not in mapping.intents:
                    continue
                if event.intent in mapping.not_intents:
                    continue
                if mapping.type == "from_entity":
                    found.extend(
                        e.value
                        for e in event.entities
                        if e.entity == mapping.entity
                        and e.role == mapping.role
                        and e.group == mapping.group
                    )
                elif mapping.type == "from_intent" and mapping.intents:
                    value, filled = mapping.value, True
            if found:
                value, filled = (found if slot.type == "list" else found[-1]), True
            if filled:
                updates.append((position, True if value is None and not found else value))
        return updates

    def replay(
        self, events: Sequence[Event], *, final_listen: bool = False, current: bool = False
    ) -> tuple[list[StateKey], list[int]]:
        """States before each action and the action's index; ``current`` adds the state now."""
        intent = -1
        tags: tuple[int, ...] = ()
        prev_action = -1
        loop = -1
        slot_features = list(self.initial_features)
        slots_key = tuple(x for f in slot_features for x in f)
        states: list[StateKey] = []
        labels: list[int] = []

        def state() -> StateKey:
            if prev_action == LISTEN_INDEX and intent >= 0:
                return (intent, tags, prev_action, slots_key, loop)
            return (-1, (), prev_action, slots_key, loop)

        for index, event in enumerate(events):
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
                updates = self._fill_from_user(event)
                if updates:
                    for position, value in updates:
                        slot_features[position] = tuple(self.vocab.slots[position].encode(value))
                    slots_key = tuple(x for f in slot_features for x in f)
            elif isinstance(event, SlotSet):
                slot_at = self.slot_position.get(event.name)
                if slot_at is None:
                    if event.name not in self.known_slots:
                        raise UnknownSymbolError(index, "slot", event.name)
                    continue
                slot: Slot = self.vocab.slots[slot_at]
                slot_features[slot_at] = tuple(slot.encode(event.value))
                slots_key = tuple(x for f in slot_features for x in f)
            elif isinstance(event, ActiveLoop):
                if event.name is None:
                    loop = -1
                else:
                    found_loop = self.form_index.get(event.name)
                    if found_loop is None:
                        raise UnknownSymbolError(index, "active_loop", event.name)
                    loop = found_loop
            else:
                raise UnknownSymbolError(index, "event type", type(event).__name__)
        if final_listen and prev_action != LISTEN_INDEX:
            states.append(state())
            labels.append(LISTEN_INDEX)
        if current:
            states.append(state())
        return states, labels
