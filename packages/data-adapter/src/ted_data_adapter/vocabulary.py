"""The featurizer's vocabularies: the index of each intent, entity tag, action, slot and form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ted_data_adapter.domain import DEFAULT_ACTIONS, Domain
from ted_data_adapter.errors import DataError
from ted_data_adapter.events import ACTION_LISTEN
from ted_data_adapter.slots import Slot, SlotMapping

VOCABULARY_FORMAT = 1
ATTRIBUTES = ("intent", "entities", "action_name", "slots", "active_loop")


@dataclass(frozen=True)
class Vocabulary:
    """Ordered symbols; persisted as JSON with the model so requests map to the same indices."""

    intents: tuple[str, ...]
    entity_tags: tuple[str, ...]
    actions: tuple[str, ...]
    slots: tuple[Slot, ...]  # featurized slots only, in feature order
    forms: tuple[str, ...]
    other_slots: tuple[str, ...] = ()  # known slots that are not featurized
    intent_entities: tuple[tuple[str, tuple[str, ...] | None, tuple[str, ...]], ...] = ()

    @classmethod
    def from_domain(cls, domain: Domain) -> Vocabulary:
        """Deterministic vocabulary: sorted names, ``action_listen`` first among actions."""
        actions = sorted(domain.all_actions - {ACTION_LISTEN})
        featurized = tuple(
            domain.slots[name]
            for name in sorted(domain.slots)
            if domain.slots[name].feature_dim > 0
        )
        other = tuple(sorted(name for name, s in domain.slots.items() if s.feature_dim == 0))
        intent_entities = tuple(
            (
                name,
                None if config.use_entities is None else tuple(sorted(config.use_entities)),
                tuple(sorted(config.ignore_entities)),
            )
            for name, config in sorted(domain.intents.items())
        )
        return cls(
            intents=tuple(sorted(domain.all_intents)),
            entity_tags=tuple(domain.entity_tags()),
            actions=(ACTION_LISTEN, *actions),
            slots=featurized,
            forms=tuple(sorted(domain.forms)),
            other_slots=other,
            intent_entities=intent_entities,
        )

    @property
    def attribute_dims(self) -> dict[str, int]:
        return {
            "intent": len(self.intents),
            "entities": len(self.entity_tags),
            "action_name": len(self.actions),
            "slots": sum(slot.feature_dim for slot in self.slots),
            "active_loop": len(self.forms),
        }

    @property
    def slot_feature_names(self) -> list[str]:
        return [name for slot in self.slots for name in slot.feature_names()]

    @property
    def default_actions(self) -> tuple[str, ...]:
        return tuple(a for a in self.actions if a in DEFAULT_ACTIONS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": VOCABULARY_FORMAT,
            "intents": list(self.intents),
            "entity_tags": list(self.entity_tags),
            "actions": list(self.actions),
            "slots": [
                {
                    "name": s.name,
                    "type": s.type,
                    "values": list(s.values),
                    "min_value": s.min_value,
                    "max_value": s.max_value,
                    "initial_value": s.initial_value,
                    "auto_fill": s.auto_fill,
                    "mappings": [mapping_to_dict(m) for m in s.mappings if not m.conditional],
                }
                for s in self.slots
            ],
            "forms": list(self.forms),
            "other_slots": list(self.other_slots),
            "intent_entities": [
                {
                    "intent": i,
                    "use_entities": None if u is None else list(u),
                    "ignore_entities": list(g),
                }
                for i, u, g in self.intent_entities
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        if data.get("format") != VOCABULARY_FORMAT:
            raise DataError(f"unsupported vocabulary format {data.get('format')!r}")
        try:
            slots = tuple(
                Slot(
                    name=s["name"],
                    type=s["type"],
                    values=tuple(s["values"]),
                    min_value=float(s["min_value"]),
                    max_value=float(s["max_value"]),
                    initial_value=s.get("initial_value"),
                    auto_fill=bool(s.get("auto_fill", False)),
                    mappings=tuple(mapping_from_dict(m) for m in s.get("mappings", ())),
                )
                for s in data["slots"]
            )
            return cls(
                intents=tuple(data["intents"]),
                entity_tags=tuple(data["entity_tags"]),
                actions=tuple(data["actions"]),
                slots=slots,
                forms=tuple(data["forms"]),
                other_slots=tuple(data.get("other_slots", ())),
                intent_entities=tuple(
                    (
                        e["intent"],
                        None if e["use_entities"] is None else tuple(e["use_entities"]),
                        tuple(e["ignore_entities"]),
                    )
                    for e in data.get("intent_entities", ())
                ),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"malformed vocabulary: {e}") from e

    def save(self, path: str | Path) -> None:
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=1, sort_keys=True), encoding="utf-8"
        )

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise DataError(f"cannot read vocabulary {path}: {e}") from e
        return cls.from_dict(data)


def mapping_to_dict(mapping: SlotMapping) -> dict[str, Any]:
    return {
        "type": mapping.type,
        "entity": mapping.entity,
        "role": mapping.role,
        "group": mapping.group,
        "intents": list(mapping.intents),
        "not_intents": list(mapping.not_intents),
        "value": mapping.value,
    }


def mapping_from_dict(data: dict[str, Any]) -> SlotMapping:
    return SlotMapping(
        type=data["type"],
        entity=data.get("entity"),
        role=data.get("role"),
        group=data.get("group"),
        intents=tuple(data.get("intents", ())),
        not_intents=tuple(data.get("not_intents", ())),
        value=data.get("value"),
    )
