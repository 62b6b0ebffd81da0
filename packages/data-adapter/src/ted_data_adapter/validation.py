"""Checks stories and rules against the domain; every problem becomes an Issue with file:line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ted_data_adapter.domain import REQUESTED_SLOT, Domain
from ted_data_adapter.errors import Issue
from ted_data_adapter.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from ted_data_adapter.slots import Slot
from ted_data_adapter.story import STORY_START, StoryBlock


def _slot_value_problem(slot: Slot, value: Any) -> str | None:
    if value is None:
        return None
    if slot.type == "categorical" and str(value).lower() not in slot.values[:-1]:
        allowed = ", ".join(slot.values[:-1])
        return f"value {value!r} is not one of the values ({allowed}) of slot '{slot.name}'"
    if slot.type == "bool" and str(value).strip().lower() not in ("true", "false"):
        return f"bool slot '{slot.name}' set to non-boolean value {value!r}"
    if slot.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        try:
            float(value)
        except (TypeError, ValueError):
            return f"float slot '{slot.name}' set to non-numeric value {value!r}"
    if slot.type == "list" and not isinstance(value, list):
        return f"list slot '{slot.name}' set to non-list value {value!r}"
    return None


def validate_block(block: StoryBlock, domain: Domain) -> list[Issue]:
    """Unknown names, bad slot values and inconsistent steps in one story, rule or test story."""
    issues: list[Issue] = []
    file = block.file
    if not block.steps and not block.end_checkpoints:
        issues.append(Issue(file, block.line, f"{block.kind} '{block.name}' has no steps"))
    actions = domain.all_actions
    intents = domain.all_intents
    for located in block.located_events():
        event, line = located.event, located.line
        if isinstance(event, UserUttered):
            if event.intent not in intents:
                issues.append(
                    Issue(file, line, f"unknown intent '{event.intent}' (not in the domain)")
                )
            for entity in event.entities:
                if entity.entity not in domain.entities:
                    issues.append(
                        Issue(file, line, f"unknown entity '{entity.entity}' (not in the domain)")
                    )
                    continue
                if entity.role is not None and entity.role not in domain.entity_roles.get(
                    entity.entity, ()
                ):
                    issues.append(
                        Issue(
                            file,
                            line,
                            f"entity '{entity.entity}' has no role '{entity.role}' in the domain",
                        )
                    )
                if entity.group is not None and entity.group not in domain.entity_groups.get(
                    entity.entity, ()
                ):
                    issues.append(
                        Issue(
                            file,
                            line,
                            f"entity '{entity.entity}' has no group '{entity.group}' in the domain",
                        )
                    )
        elif isinstance(event, ActionExecuted):
            if event.name not in actions:
                issues.append(
                    Issue(file, line, f"unknown action '{event.name}' (not in the domain)")
                )
        elif isinstance(event, SlotSet):
            slot = domain.slots.get(event.name)
            if slot is None:
                if event.name != REQUESTED_SLOT:
                    issues.append(
                        Issue(file, line, f"unknown slot '{event.name}' (not in the domain)")
                    )
                continue
            problem = _slot_value_problem(slot, event.value)
            if problem:
                issues.append(Issue(file, line, problem))
        elif (
            isinstance(event, ActiveLoop)
            and event.name is not None
            and event.name not in domain.forms
        ):
            issues.append(
                Issue(file, line, f"active_loop '{event.name}' is not a form of the domain")
            )
    issues.extend(_consistency(block))
    return issues


def _consistency(block: StoryBlock) -> list[Issue]:
    """Steps that contradict each other inside one story."""
    issues: list[Issue] = []
    previous: Any = None
    for step in block.steps:
        if len(step) != 1:
            kinds = {type(alt[0].event) for alt in step if alt}
            if len(kinds) > 1:
                issues.append(
                    Issue(
                        block.file,
                        step[0][0].line,
                        "'or' alternatives must all be user turns or all slot events",
                    )
                )
            if any(isinstance(alt[0].event, ActionExecuted) for alt in step if alt):
                issues.append(
                    Issue(block.file, step[0][0].line, "'or' alternatives cannot be actions")
                )
            previous = None
            continue
        for located in step[0]:
            event = located.event
            if (
                isinstance(event, ActiveLoop)
                and event.name is not None
                and not (isinstance(previous, ActionExecuted) and previous.name == event.name)
            ):
                issues.append(
                    Issue(
                        block.file,
                        located.line,
                        f"active_loop '{event.name}' must directly follow 'action: {event.name}'",
                    )
                )
            if isinstance(event, (ActionExecuted, UserUttered)):
                previous = event
    return issues


def validate_checkpoints(blocks: Sequence[StoryBlock]) -> list[Issue]:
    """End checkpoints no story starts from, and start checkpoints no story ends with."""
    started = {name for block in blocks for name, _ in block.start_checkpoints}
    ended = {name for block in blocks for name, _ in block.end_checkpoints}
    issues = []
    for block in blocks:
        for name, line in block.end_checkpoints:
            if name not in started:
                issues.append(
                    Issue(
                        block.file,
                        line,
                        f"checkpoint '{name}' ends this {block.kind} but no story starts with it",
                    )
                )
        for name, line in block.start_checkpoints:
            if name not in ended and name != STORY_START:
                issues.append(
                    Issue(
                        block.file,
                        line,
                        f"checkpoint '{name}' starts this {block.kind} but no story ends with it",
                    )
                )
    return issues
