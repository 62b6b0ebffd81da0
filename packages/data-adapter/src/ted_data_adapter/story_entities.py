"""The ``entities:`` list of a user step in YAML stories and rules, in every form Rasa reads.

An item is an entity name alone (``- city``) or a mapping. In a mapping, ``role`` and
``group`` are labels of the entity; every other key is ``entity_name: value``, the way Rasa's
YAML story reader decides. So ``- city: Berlin`` with ``role: destination`` in the same item
is one entity with a role, and ``- entity: Berlin`` is an entity named ``entity``. Only a
mapping whose other keys are exactly ``entity`` and ``value`` is the explicit form
(``- entity: city`` / ``value: Berlin``).
"""

from __future__ import annotations

from typing import Any

from ted_data_adapter.events import Entity
from ted_data_adapter.report import Findings
from ted_data_adapter.yaml_lines import line_of

_LABELS = ("role", "group")
_EXPLICIT = {"entity", "value"}


def _label(item: dict[Any, Any], key: str) -> str | None:
    value = item.get(key)
    return None if value is None else str(value)


def _from_mapping(item: dict[Any, Any], file: str, line: int, found: Findings) -> Entity | None:
    role, group = _label(item, "role"), _label(item, "group")
    named = [(key, value) for key, value in item.items() if key not in _LABELS]
    if {str(key) for key, _ in named} == _EXPLICIT and len(named) == 2:
        return Entity(str(item["entity"]), item["value"], role, group)
    if not named:
        found.error(file, line, f"entity item {dict(item)!r} names no entity")
        return None
    if len(named) > 1:
        ignored = ", ".join(str(key) for key, _ in named[:-1])
        found.warn(
            file,
            line,
            f"entity item {dict(item)!r} names several entities; as in Rasa only the last, "
            f"'{named[-1][0]}', is read ({ignored} left out)",
        )
    key, value = named[-1]
    return Entity(str(key), value, role, group)


def read_entities(raw: Any, file: str, line: int, found: Findings) -> tuple[Entity, ...]:
    """The entities of one user step; unreadable items are errors (Rasa's schema refuses them)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        found.error(file, line, "'entities' must be a list")
        return ()
    out: list[Entity] = []
    for index, item in enumerate(raw):
        item_line = line_of(raw, index, line)
        if isinstance(item, str):
            out.append(Entity(item, None))
        elif isinstance(item, dict):
            entity = _from_mapping(item, file, item_line, found)
            if entity is not None:
                out.append(entity)
        else:
            found.error(file, item_line, f"cannot read entity {item!r}")
    return tuple(out)
