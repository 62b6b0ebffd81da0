"""Reader for Rasa 2.0-3.1 YAML stories, rules and test stories.

What Rasa's schema refuses is an error; what Rasa's reader only warns about (and skips) is a
warning. A story whose user or bot steps have only text (end-to-end) is read and skipped with
one warning: ted does not train on text yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ted_data_adapter.entity_annotations import entities_from_text
from ted_data_adapter.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from ted_data_adapter.report import Findings
from ted_data_adapter.retrieval import split_intent
from ted_data_adapter.story import Located, Step, StoryBlock, kind_label
from ted_data_adapter.story_entities import read_entities
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
# Rasa 2.x read the 1.x name of the default action that deactivates a form as the new one.
LEGACY_ACTION_NAMES = {"action_deactivate_form": "action_deactivate_loop"}


def renamed_action(name: str, file: str, line: int, found: Findings) -> str:
    """A Rasa 2.0-alpha / 1.x action name read as its Rasa 3 name, with a warning."""
    new = LEGACY_ACTION_NAMES.get(name)
    if new is None:
        return name
    found.warn(
        file, line, f"'{name}' is the old name of '{new}' (Rasa 3 needs '{new}'); read as it"
    )
    return new


TEST_FILE_PREFIX = "test_"


@dataclass(frozen=True)
class SkipBlock:
    """A step that makes its whole story (or rule) unusable for training, and why."""

    line: int
    reason: str
    end_to_end: bool = False


Parsed = list[Located] | str | SkipBlock | None


@dataclass(frozen=True)
class _Context:
    file: str
    found: Findings
    test: bool  # test stories may name full retrieval intents (Rasa: files named test_*)


def _slot_events(raw: Any, line: int, ctx: _Context) -> list[Located]:
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
            ctx.found.error(ctx.file, item_line, f"cannot read slot_was_set item {item!r}")
    return out


def _intent_name(raw: Any, line: int, ctx: _Context) -> str | None:
    """The intent the policies see: a leading ``/`` dropped, a retrieval intent's base."""
    name = str(raw).strip()
    if name.startswith("/"):
        ctx.found.warn(ctx.file, line, f"intent '{name}' starts with '/', which is not needed")
        name = name[1:]
    try:
        base, key = split_intent(name)
    except ValueError as e:
        ctx.found.error(ctx.file, line, str(e))
        return None
    if key is not None and not ctx.test:
        ctx.found.warn(
            ctx.file,
            line,
            f"'{name}' is a full retrieval intent; as Rasa does, only its base intent "
            f"'{base}' is used for training",
        )
    return base


def _user_step(step: dict[Any, Any], line: int, ctx: _Context) -> Parsed:
    text = step.get("user")
    if "intent" not in step:
        return SkipBlock(line, "a 'user:' step has only text, no 'intent:'", end_to_end=True)
    if step["intent"] is None or not str(step["intent"]).strip():
        return SkipBlock(line, "a user step has an empty 'intent:'")
    intent = _intent_name(step["intent"], line, ctx)
    entities = read_entities(
        step.get("entities"), ctx.file, line_of(step, "entities", line), ctx.found
    )
    if not entities and isinstance(text, str):
        entities = entities_from_text(text)
    if intent is None:
        return None
    return [Located(UserUttered(intent, entities, text if isinstance(text, str) else None), line)]


def parse_step(step: Any, line: int, ctx: _Context) -> Parsed:
    """Events of one plain step, the checkpoint name of a checkpoint step, or a SkipBlock."""
    file, found = ctx.file, ctx.found
    if not isinstance(step, dict):
        found.error(file, line, f"a step must be a mapping, got {step!r}")
        return None
    unknown = sorted(str(k) for k in step if k not in _STEP_KEYS)
    if unknown:
        found.error(file, line, f"unknown step key(s) {', '.join(unknown)}")
        return None
    if "checkpoint" in step:
        return str(step["checkpoint"])
    if "intent" in step or "user" in step:
        return _user_step(step, line, ctx)
    if "action" in step:
        name = str(step["action"] or "").strip()
        if not name:
            found.error(file, line, "an 'action:' step needs an action name")
            return None
        return [Located(ActionExecuted(renamed_action(name, file, line, found)), line)]
    if "bot" in step:
        return SkipBlock(line, "a 'bot:' step has only text, no 'action:'", end_to_end=True)
    if "slot_was_set" in step:
        return _slot_events(step["slot_was_set"], line, ctx)
    if "active_loop" in step:
        value = step["active_loop"]
        return [Located(ActiveLoop(None if value is None else str(value)), line)]
    if "entities" in step:
        found.warn(file, line, "'entities' without an 'intent'; the step is left out")
    return None


def _or_step(raw: Any, line: int, ctx: _Context) -> Step | SkipBlock | None:
    if not isinstance(raw, list):
        ctx.found.error(ctx.file, line, "'or' needs a list of steps")
        return None
    if not raw:
        ctx.found.warn(ctx.file, line, "'or' without steps; the step is left out")
        return None
    alternatives: list[tuple[Located, ...]] = []
    for index, item in enumerate(raw):
        item_line = line_of(raw, index, line)
        parsed = parse_step(item, item_line, ctx)
        if isinstance(parsed, SkipBlock):
            return parsed
        if isinstance(parsed, str):
            ctx.found.error(ctx.file, item_line, "a checkpoint cannot be an 'or' alternative")
        elif parsed:
            alternatives.append(tuple(parsed))
    return tuple(alternatives) if alternatives else None


def _rule_conditions(raw: Any, line: int, ctx: _Context) -> tuple[Located, ...]:
    conditions: list[Located] = []
    for index, item in enumerate(raw or []):
        parsed = parse_step(item, line_of(raw, index, line), ctx)
        if isinstance(parsed, list):
            conditions.extend(parsed)
    return tuple(conditions)


def _block_name(raw: dict[Any, Any], kind: str, line: int, ctx: _Context) -> str | None:
    """The story's (or rule's) name; None when the entry has no name key (then skipped)."""
    name_key = "rule" if kind == "rule" else "story"
    if name_key not in raw:
        ctx.found.warn(
            ctx.file, line, f"a {kind_label(kind)} without a '{name_key}:' key is left out"
        )
        return None
    name = raw[name_key]
    if name is None or not str(name).strip():
        ctx.found.warn(ctx.file, line, f"a {kind_label(kind)} with an empty name")
        return f"<unnamed {kind_label(kind)}>"
    return str(name)


def parse_block(raw: Any, kind: str, line: int, ctx: _Context) -> list[StoryBlock]:
    """One story / rule entry -> blocks (several when checkpoints sit mid-story)."""
    if not isinstance(raw, dict):
        ctx.found.error(ctx.file, line, f"a {kind_label(kind)} must be a mapping")
        return []
    name = _block_name(raw, kind, line, ctx)
    if name is None:
        return []
    steps_raw = raw.get("steps")
    if steps_raw is not None and not isinstance(steps_raw, list):
        ctx.found.error(ctx.file, line, f"{kind_label(kind)} '{name}': 'steps' must be a list")
        return []
    if not steps_raw:
        ctx.found.warn(ctx.file, line, f"{kind_label(kind)} '{name}' has no steps; it is left out")
        return []
    block = StoryBlock(name, kind, ctx.file, line)
    if kind == "rule":
        block.conversation_start = bool(raw.get("conversation_start", False))
        block.wait_for_user_input = bool(raw.get("wait_for_user_input", True))
        block.conditions = _rule_conditions(raw.get("condition"), line, ctx)
    blocks = [block]
    skip: SkipBlock | None = None
    for index, step in enumerate(steps_raw):
        step_line = line_of(steps_raw, index, line)
        parsed: Step | Parsed
        if isinstance(step, dict) and "or" in step:
            parsed = _or_step(step["or"], step_line, ctx)
        else:
            parsed = parse_step(step, step_line, ctx)
            if isinstance(parsed, list):
                parsed = (tuple(parsed),) if parsed else None
        if isinstance(parsed, SkipBlock):
            skip = skip or parsed
        elif isinstance(parsed, str):
            current = blocks[-1]
            if not current.steps and not current.end_checkpoints:
                current.start_checkpoints += ((parsed, step_line),)
            else:
                current.end_checkpoints += ((parsed, step_line),)
        elif parsed:
            current = blocks[-1]
            if current.end_checkpoints:  # a checkpoint mid-story: continue in a new block
                current = StoryBlock(
                    name, kind, ctx.file, step_line, start_checkpoints=current.end_checkpoints
                )
                blocks.append(current)
            current.steps.append(parsed)
    if skip is not None:
        why = " (end-to-end stories train on text, which ted does not do yet)"
        ctx.found.warn(
            ctx.file,
            skip.line,
            f"{kind_label(kind)} '{name}' is left out of training: {skip.reason}"
            + (why if skip.end_to_end else ""),
        )
        return []
    return blocks


def read_story_yaml(data: Any, file: str, found: Findings, test: bool = False) -> list[StoryBlock]:
    """Blocks of the ``stories`` and ``rules`` of one YAML file; other keys are ignored."""
    blocks: list[StoryBlock] = []
    if not isinstance(data, dict):
        return blocks
    ctx = _Context(file, found, test or PurePath(file).name.startswith(TEST_FILE_PREFIX))
    for key, kind in (("stories", "test" if test else "story"), ("rules", "rule")):
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            found.error(file, line_of(data, key, own_line(data, 1)), f"'{key}' must be a list")
            continue
        for index, entry in enumerate(entries):
            blocks.extend(parse_block(entry, kind, line_of(entries, index), ctx))
    return blocks
