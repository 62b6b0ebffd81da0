"""Slots and their featurization by type, following Rasa's per-type encoding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OTHER_VALUE = "__other__"
SLOT_TYPES = ("bool", "float", "categorical", "list", "text", "any")
_TYPE_ALIASES = {
    "boolean": "bool",
    "unfeaturized": "any",
    "rasa.shared.core.slots.BooleanSlot": "bool",
    "rasa.shared.core.slots.FloatSlot": "float",
    "rasa.shared.core.slots.CategoricalSlot": "categorical",
    "rasa.shared.core.slots.ListSlot": "list",
    "rasa.shared.core.slots.TextSlot": "text",
    "rasa.shared.core.slots.AnySlot": "any",
}


def normalize_slot_type(name: str) -> str | None:
    """Canonical slot type name, or None when the type is unknown."""
    name = _TYPE_ALIASES.get(name, name)
    return name if name in SLOT_TYPES else None


@dataclass(frozen=True)
class SlotMapping:
    """How a slot is filled after a user turn (only the parts replay needs)."""

    type: str
    entity: str | None = None
    role: str | None = None
    group: str | None = None
    intents: tuple[str, ...] = ()
    not_intents: tuple[str, ...] = ()
    value: Any = None
    conditional: bool = False  # only applies while a given form is active


def _truthy(value: Any) -> float:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "y", "on"):
            return 1.0
        if text in ("false", "0", "no", "n", "off", ""):
            return 0.0
        raise ValueError(value)
    return 1.0 if bool(value) else 0.0


@dataclass(frozen=True)
class Slot:
    """A domain slot; ``encode`` gives the features the policy sees for a value."""

    name: str
    type: str
    influence_conversation: bool = True
    values: tuple[str, ...] = ()  # categorical: lower-cased values, OTHER_VALUE last
    min_value: float = 0.0
    max_value: float = 1.0
    initial_value: Any = None
    mappings: tuple[SlotMapping, ...] = ()
    auto_fill: bool = False

    @property
    def feature_dim(self) -> int:
        if not self.influence_conversation:
            return 0
        if self.type == "categorical":
            return len(self.values)
        if self.type == "bool":
            return 2
        if self.type in ("float", "list", "text"):
            return 1
        return 0

    def feature_names(self) -> list[str]:
        if self.type == "categorical":
            return [f"{self.name}={v}" for v in self.values][: self.feature_dim]
        return [f"{self.name}_{i}" for i in range(self.feature_dim)]

    def encode(self, value: Any) -> list[float]:
        """Features of ``value``: set/unset flags, scaled floats or a one-hot category."""
        dim = self.feature_dim
        if dim == 0:
            return []
        if self.type == "text":
            return [0.0 if value is None else 1.0]
        if self.type == "list":
            try:
                return [1.0 if value is not None and len(value) > 0 else 0.0]
            except TypeError:
                return [1.0]
        if self.type == "bool":
            if value is None:
                return [0.0, 0.0]
            try:
                return [1.0, _truthy(value)]
            except ValueError:
                return [0.0, 0.0]
        if self.type == "float":
            try:
                number = float(value)
            except (TypeError, ValueError):
                return [0.0]
            capped = max(self.min_value, min(self.max_value, number))
            span = abs(self.max_value - self.min_value) or 1.0
            return [(capped - self.min_value) / span]
        # categorical
        features = [0.0] * dim
        if value is None:
            return features
        text = str(value).lower()
        index = self.values.index(text) if text in self.values else len(self.values) - 1
        features[index] = 1.0
        return features
