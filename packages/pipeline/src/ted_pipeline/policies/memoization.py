"""MemoizationPolicy and AugmentedMemoizationPolicy: the training stories remembered exactly.

Every action of the (not augmented) training stories is stored under the last
``max_history`` dialogue states before it; a state window that led to two different
actions is forgotten. At prediction the conversation's last ``max_history`` states are
looked up: a hit predicts its action with confidence 1.0, a miss predicts nothing. The
augmented variant, on a miss, forgets the oldest events one action at a time (within
``max_history``) and looks up again, so a story still applies after slots were filled
earlier in the conversation. Slots and loops that only rules mention are left out of the
states, as Rasa does for its ML policies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ted_data_adapter.applied import applied_events
from ted_data_adapter.events import ACTION_LISTEN, ActionExecuted, Event
from ted_data_adapter.rasa_states import (
    ConversationStates,
    RasaStates,
    State,
    frozen_key,
    frozen_key_of,
    state_key,
)
from ted_data_adapter.vocabulary import Vocabulary
from ted_pipeline.policies.conversations import TrainingConversation
from ted_pipeline.policies.prediction import PolicyPrediction

logger = logging.getLogger(__name__)

MEMORY_FORMAT = 1


def _window(states: Sequence[State], max_history: int | None) -> list[State]:
    return list(states if not max_history else states[-max_history:])


@dataclass
class Memory:
    """State window key -> action, and what only rules mention (left out of the states)."""

    lookup: dict[str, str] = field(default_factory=dict)
    rule_only_slots: frozenset[str] = frozenset()
    rule_only_loops: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MEMORY_FORMAT,
            "lookup": dict(sorted(self.lookup.items())),
            "rule_only_slots": sorted(self.rule_only_slots),
            "rule_only_loops": sorted(self.rule_only_loops),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Memory:
        if data.get("format") != MEMORY_FORMAT:
            raise ValueError(f"unknown memoization format {data.get('format')!r}")
        return cls(
            {str(k): str(v) for k, v in data["lookup"].items()},
            frozenset(data.get("rule_only_slots", ())),
            frozenset(data.get("rule_only_loops", ())),
        )


class MemoizationPolicy:
    """Predicts the action a training story took after exactly the same recent states."""

    name = "MemoizationPolicy"

    def __init__(
        self,
        vocabulary: Vocabulary,
        memory: Memory,
        *,
        max_history: int | None = None,
        priority: int = 3,
        augmented: bool = False,
    ) -> None:
        self.vocabulary = vocabulary
        self.memory = memory
        self.max_history = max_history
        self.priority = priority
        self.augmented = augmented
        if augmented:
            self.name = "AugmentedMemoizationPolicy"
        self.states = RasaStates(vocabulary)
        self._frozen: dict[tuple[Any, ...], str] | None = None

    @classmethod
    def train(
        cls,
        vocabulary: Vocabulary,
        stories: Sequence[TrainingConversation],
        *,
        max_history: int | None = None,
        priority: int = 3,
        augmented: bool = False,
        rule_only_slots: frozenset[str] = frozenset(),
        rule_only_loops: frozenset[str] = frozenset(),
    ) -> MemoizationPolicy:
        """Remember every action of ``stories`` under its state window."""
        policy = cls(
            vocabulary,
            Memory(rule_only_slots=rule_only_slots, rule_only_loops=rule_only_loops),
            max_history=max_history,
            priority=priority,
            augmented=augmented,
        )
        lookup: dict[str, str] = {}
        ambiguous: set[str] = set()
        for story in stories:
            states = policy.states.states(story.events)
            labels = [e.name for e in applied_events(story.events) if isinstance(e, ActionExecuted)]
            for index, action in enumerate(labels):
                key = state_key(_window(states[: index + 1], max_history))
                if key in ambiguous:
                    continue
                if key in lookup and lookup[key] != action:
                    ambiguous.add(key)
                    del lookup[key]
                elif key not in lookup:
                    lookup[key] = action
        policy.memory.lookup = lookup
        policy._frozen = None
        logger.info("%s memorized %d state windows", policy.name, len(lookup))
        return policy

    def _states(
        self, events: Sequence[Event], replayed: ConversationStates | None = None
    ) -> list[State]:
        conversation = replayed or ConversationStates(self.states, events)
        return _window(
            conversation.get(
                without_slots=self.memory.rule_only_slots,
                without_loops=self.memory.rule_only_loops,
            ),
            self.max_history,
        )

    def _lookup(self, states: Sequence[State]) -> str | None:
        if self._frozen is None:  # built on first use: frozen keys hash fast, JSON does not
            self._frozen = {frozen_key_of(k): v for k, v in self.memory.lookup.items()}
        return self._frozen.get(frozen_key(states))

    def recall(
        self, events: Sequence[Event], replayed: ConversationStates | None = None
    ) -> str | None:
        """The memorized next action after ``events``, or None."""
        states = self._states(events, replayed)
        action = self._lookup(states)
        if action is None and self.augmented:
            action = self._recall_truncated(states, list(applied_events(events)))
        return action

    def _recall_truncated(self, old: list[State], events: list[Event]) -> str | None:
        """Forget the oldest events up to the next action, again and again, and look up."""
        current: list[Event] | None = _strip_to_action(_trim(events, self.max_history), 0)
        while current is not None:
            states = self._states(current)
            if states != old:
                action = self._lookup(states)
                if action is not None:
                    return action
                old = states
            current = _strip_to_action(current, 1)
        return None

    def predict(
        self, events: Sequence[Event], replayed: ConversationStates | None = None
    ) -> PolicyPrediction:
        action = self.recall(events, replayed)
        scores = {action: 1.0} if action is not None else {}
        return PolicyPrediction(
            self.name, self.priority, scores, source="memorized" if action else ""
        )

    def predict_batch(
        self,
        conversations: Sequence[Sequence[Event]],
        states: Sequence[ConversationStates] | None = None,
    ) -> list[PolicyPrediction]:
        if states is None:
            return [self.predict(events) for events in conversations]
        return [self.predict(e, s) for e, s in zip(conversations, states, strict=True)]


def _trim(events: list[Event], max_history: int | None) -> list[Event]:
    """The applied events from the listen where ``max_history`` actions back begins."""
    if not max_history:
        return events
    actions = 0
    for count, event in enumerate(reversed(events), start=1):
        if isinstance(event, ActionExecuted):
            actions += 1
            if actions > max_history and event.name == ACTION_LISTEN:
                return events[-count:]
    return events


def _strip_to_action(events: list[Event], skip: int) -> list[Event] | None:
    """The events from the first (``skip`` 0) or second (``skip`` 1) action on, or None."""
    seen = -1
    for index, event in enumerate(events):
        if isinstance(event, ActionExecuted):
            seen += 1
            if seen == skip:
                return events[index:] or None
    return None
