"""Reader for the Rasa 1.x Markdown story format (``## story``, ``* intent{...}``, ``- action``)."""

from __future__ import annotations

import json
import re
from typing import Any

from ted_data_adapter.errors import Issue
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, SlotSet, UserUttered
from ted_data_adapter.story import Located, StoryBlock

_USER = re.compile(r"^(?P<intent>[^{:]+?)\s*(?P<json>\{.*\})?\s*(?::\s*(?P<text>.*))?$")
_NLU_HEADERS = {"intent", "synonym", "regex", "lookup"}
_ACTION = re.compile(r"^(?P<name>[^{\s]+)\s*(?P<json>\{.*\})?\s*$")


def _json(raw: str | None, file: str, line: int, issues: list[Issue]) -> dict[str, Any] | None:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        issues.append(Issue(file, line, f"invalid JSON {raw!r}: {e.msg}"))
        return None
    if not isinstance(data, dict):
        issues.append(Issue(file, line, f"expected a JSON object, got {raw!r}"))
        return None
    return data


def _user(text: str, file: str, line: int, issues: list[Issue]) -> UserUttered | None:
    match = _USER.match(text.strip())
    if match is None or not match.group("intent").strip():
        issues.append(Issue(file, line, f"cannot read user turn {text!r}"))
        return None
    data = _json(match.group("json"), file, line, issues)
    if data is None:
        return None
    entities = tuple(Entity(str(k), v) for k, v in data.items())
    return UserUttered(match.group("intent").strip().lstrip("/"), entities, match.group("text"))


def _action(text: str, file: str, line: int, issues: list[Issue]) -> list[Located]:
    match = _ACTION.match(text.strip())
    if match is None:
        issues.append(Issue(file, line, f"cannot read action line {text!r}"))
        return []
    name = match.group("name")
    data = _json(match.group("json"), file, line, issues)
    if data is None:
        return []
    if name == "slot":
        return [Located(SlotSet(str(k), v), line) for k, v in data.items()]
    if name in ("form", "active_loop"):
        return [Located(ActiveLoop(data.get("name")), line)]
    if data:
        issues.append(Issue(file, line, f"unexpected arguments for action '{name}'"))
    return [Located(ActionExecuted(name), line)]


def read_story_markdown(
    text: str, file: str, issues: list[Issue], test: bool = False
) -> list[StoryBlock]:
    """Parse Markdown stories; ``* a OR b`` becomes an ``or`` step, ``>`` lines checkpoints."""
    blocks: list[StoryBlock] = []
    current: StoryBlock | None = None
    skipping = False
    kind = "test" if test else "story"
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.split("<!--")[0].strip()
        if not line:
            continue
        if line.startswith("##"):
            title = line.lstrip("#").strip()
            if title.split(":")[0] in _NLU_HEADERS and ":" in title:
                current, skipping = None, True  # NLU training examples, not a story
                continue
            current, skipping = StoryBlock(title, kind, file, number), False
            blocks.append(current)
            continue
        if current is None:
            if not skipping and not line.startswith("#"):
                issues.append(Issue(file, number, "content before the first '## story' header"))
            continue
        if line.startswith(">"):
            name = line[1:].strip()
            if not current.steps and not current.end_checkpoints:
                current.start_checkpoints += ((name, number),)
            else:
                current.end_checkpoints += ((name, number),)
            continue
        if current.end_checkpoints:
            nxt = StoryBlock(
                current.name, kind, file, number, start_checkpoints=current.end_checkpoints
            )
            blocks.append(nxt)
            current = nxt
        if line.startswith("*"):
            alternatives = []
            for part in line[1:].split(" OR "):
                user = _user(part, file, number, issues)
                if user is not None:
                    alternatives.append((Located(user, number),))
            if alternatives:
                current.steps.append(tuple(alternatives))
        elif line.startswith("-"):
            located = _action(line[1:], file, number, issues)
            if located:
                current.steps.append((tuple(located),))
        else:
            issues.append(Issue(file, number, f"cannot read story line {line!r}"))
    return blocks
