"""Reader for Rasa 2.0-3.1 YAML stories, rules and test stories."""

from __future__ import annotations

from typing import Any

from ted_data_adapter.entity_annotations import entities_from_text
from ted_data_adapter.errors import Issue
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, SlotSet, UserUttered
from ted_data_adapter.story import Located, Step, StoryBlock
from ted_data_adapter.yaml_lines import line_of, own_line

_STEP_KEYS = {
    "intent",
    "user",
    "entities",
    "action",
    "bot",
    "slot_was_set",
    "active_loop",
    "checkpoint",
    "or",
}


def _entities(raw: Any, file: str, line: int, issues: list[Issue]) -> tuple[Entity, ...]:
    out: list[Entity] = []
    if raw is None:
        return ()
    if not isinstance(raw, list):
        issues.append(Issue(file, line, "'entities' must be a list"))
        return ()
    for index, item in enumerate(raw):
        item_line = line_of(raw, index, line)
        if isinstance(item, str):
            out.append(Entity(item, None))
        elif isinstance(item, dict) and "entity" in item:
            out.append(
                Entity(str(item["entity"]), item.get("value"), item.get("role"), item.get("group"))
            )
        elif isinstance(item, dict) and len(item) == 1:
            ((name, value),) = item.items()
            out.append(Entity(str(name), value))
        else:
            issues.append(Issue(file, item_line, f"cannot read entity {item!r}"))
    return tuple(out)


def _slot_events(raw: Any, file: str, line: int, issues: list[Issue]) -> list[Located]:
    out: list[Located] = []
    items = raw if isinstance(raw, list) else [raw]
    for index, item in enumerate(items):
        item_line = line_of(raw, index, line) if isinstance(raw, list) else line
        if isinstance(item, str):
            out.append(Located(SlotSet(item, True), item_line))
        elif isinstance(item, dict):
            for key, value in item.items():
                out.append(Located(SlotSet(str(key), value), line_of(item, key, item_line)))
        else:
            issues.append(Issue(file, item_line, f"cannot read slot_was_set item {item!r}"))
    return out


def parse_step(step: Any, file: str, line: int, issues: list[Issue]) -> list[Located] | str | None:
    """Events of one plain step, or the checkpoint name for a checkpoint step."""
    if not isinstance(step, dict):
        issues.append(Issue(file, line, f"a step must be a mapping, got {step!r}"))
        return None
    unknown = sorted(str(k) for k in step if k not in _STEP_KEYS)
    if unknown:
        issues.append(Issue(file, line, f"unknown step key(s) {', '.join(unknown)}"))
        return None
    if "checkpoint" in step:
        return str(step["checkpoint"])
    if "intent" in step or "user" in step:
        intent = step.get("intent")
        text = step.get("user")
        if intent is None:
            issues.append(
                Issue(
                    file, line, "a user step needs an 'intent' (text-only steps are not supported)"
                )
            )
            return None
        entities = _entities(step.get("entities"), file, line_of(step, "entities", line), issues)
        if not entities and isinstance(text, str):
            entities = entities_from_text(text)
        return [
            Located(
                UserUttered(str(intent), entities, text if isinstance(text, str) else None), line
            )
        ]
    if "action" in step:
        return [Located(ActionExecuted(str(step["action"])), line)]
    if "bot" in step:
        issues.append(
            Issue(file, line, "'bot' text steps (end-to-end) are not supported; use 'action'")
        )
        return None
    if "slot_was_set" in step:
        return _slot_events(step["slot_was_set"], file, line, issues)
    if "active_loop" in step:
        value = step["active_loop"]
        return [Located(ActiveLoop(None if value is None else str(value)), line)]
    if "entities" in step:
        issues.append(Issue(file, line, "'entities' without an 'intent'"))
    return None


def _or_step(raw: Any, file: str, line: int, issues: list[Issue]) -> Step | None:
    if not isinstance(raw, list) or not raw:
        issues.append(Issue(file, line, "'or' needs a non-empty list of steps"))
        return None
    alternatives: list[tuple[Located, ...]] = []
    for index, item in enumerate(raw):
        parsed = parse_step(item, file, line_of(raw, index, line), issues)
        if isinstance(parsed, str):
            issues.append(
                Issue(file, line_of(raw, index, line), "a checkpoint cannot be an 'or' alternative")
            )
        elif parsed:
            alternatives.append(tuple(parsed))
    return tuple(alternatives) if alternatives else None


def parse_block(raw: Any, kind: str, file: str, line: int, issues: list[Issue]) -> list[StoryBlock]:
    """One story / rule entry -> blocks (several when checkpoints sit mid-story)."""
    if not isinstance(raw, dict):
        issues.append(Issue(file, line, f"a {kind} must be a mapping"))
        return []
    name_key = "rule" if kind == "rule" else "story"
    name = raw.get(name_key)
    if name is None:
        issues.append(Issue(file, line, f"a {kind} needs a '{name_key}' name"))
        name = f"<unnamed {kind}>"
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, list):
        issues.append(Issue(file, line, f"{kind} '{name}' needs a list of 'steps'"))
        return []
    block = StoryBlock(str(name), kind, file, line)
    if kind == "rule":
        block.conversation_start = bool(raw.get("conversation_start", False))
        block.wait_for_user_input = bool(raw.get("wait_for_user_input", True))
        conditions: list[Located] = []
        condition_raw = raw.get("condition") or []
        for index, item in enumerate(condition_raw):
            parsed = parse_step(item, file, line_of(condition_raw, index, line), issues)
            if isinstance(parsed, list):
                conditions.extend(parsed)
        block.conditions = tuple(conditions)
    blocks = [block]
    for index, step in enumerate(steps_raw):
        step_line = line_of(steps_raw, index, line)
        if isinstance(step, dict) and "or" in step:
            alternatives = _or_step(step["or"], file, step_line, issues)
            if alternatives:
                blocks[-1].steps.append(alternatives)
            continue
        parsed = parse_step(step, file, step_line, issues)
        if isinstance(parsed, str):
            current = blocks[-1]
            if not current.steps:
                if current.end_checkpoints:
                    current.end_checkpoints += ((parsed, step_line),)
                else:
                    current.start_checkpoints += ((parsed, step_line),)
            else:
                current.end_checkpoints += ((parsed, step_line),)
        elif parsed:
            current = blocks[-1]
            if current.end_checkpoints:  # a checkpoint mid-story: continue in a new block
                current = StoryBlock(
                    block.name, kind, file, step_line, start_checkpoints=current.end_checkpoints
                )
                blocks.append(current)
            current.steps.append((tuple(parsed),))
    return blocks


def read_story_yaml(
    data: Any, file: str, issues: list[Issue], test: bool = False
) -> list[StoryBlock]:
    """Blocks of the ``stories`` and ``rules`` of one YAML file; other keys are ignored."""
    blocks: list[StoryBlock] = []
    if not isinstance(data, dict):
        return blocks
    for key, kind in (("stories", "test" if test else "story"), ("rules", "rule")):
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            issues.append(
                Issue(file, line_of(data, key, own_line(data, 1)), f"'{key}' must be a list")
            )
            continue
        for index, entry in enumerate(entries):
            blocks.extend(parse_block(entry, kind, file, line_of(entries, index), issues))
    return blocks
