"""Which names in an event a trained model does not know (checked before any prediction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ted_data_adapter.domain import DEFAULT_LOOPS
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered


@dataclass(frozen=True)
class KnownSymbols:
    """The names a model's vocabulary accepts, as sets for fast lookups."""

    intents: frozenset[str]
    actions: frozenset[str]
    entities: frozenset[str]
    slots: frozenset[str]
    forms: frozenset[str]

    @classmethod
    def from_vocabulary(cls, vocabulary: Any) -> KnownSymbols:
        tags = tuple(getattr(vocabulary, "entity_tags", ()))
        slots = {slot.name for slot in getattr(vocabulary, "slots", ())}
        slots |= set(getattr(vocabulary, "other_slots", ()))
        return cls(
            intents=frozenset(vocabulary.intents),
            actions=frozenset(vocabulary.actions),
            entities=frozenset(tag.split("#")[0].split("@")[0] for tag in tags),
            slots=frozenset(slots),
            forms=frozenset(getattr(vocabulary, "forms", ())) | frozenset(DEFAULT_LOOPS),
        )

    def problems(self, event: Event) -> list[str]:
        """What in ``event`` the model was not trained with (empty when all is known)."""
        if isinstance(event, ActionExecuted):
            if event.name not in self.actions:
                return [f"action {event.name!r} is not known to the model"]
        elif isinstance(event, UserUttered):
            out = []
            if event.intent not in self.intents:
                out.append(f"intent {event.intent!r} is not known to the model")
            out += [
                f"entity {e.entity!r} is not known to the model"
                for e in event.entities
                if e.entity not in self.entities
            ]
            return out
        elif isinstance(event, SlotSet):
            if event.name not in self.slots:
                return [f"slot {event.name!r} is not known to the model"]
        elif (
            isinstance(event, ActiveLoop)
            and event.name is not None
            and event.name not in self.forms
        ):
            return [f"form {event.name!r} is not known to the model"]
        return []
