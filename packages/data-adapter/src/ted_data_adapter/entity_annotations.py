"""Entities annotated inline in test-story user text: ``[value](entity)`` or ``[value]{...}``."""

from __future__ import annotations

import json
import re

from ted_data_adapter.events import Entity

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


def entities_from_text(text: str) -> tuple[Entity, ...]:
    """Entities annotated in a test story's user text (Rasa's Markdown-style annotation)."""
    found: list[Entity] = []
    for match in _ANNOTATION.finditer(text):
        value = match.group("text")
        if match.group("short"):
            name, _, synonym = match.group("short").partition(":")
            found.append(Entity(name.strip(), synonym.strip() or value))
            continue
        try:
            data = json.loads(match.group("json"))
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "entity" in data:
            found.append(
                Entity(
                    str(data["entity"]),
                    data.get("value", value),
                    data.get("role"),
                    data.get("group"),
                )
            )
    return tuple(found)
