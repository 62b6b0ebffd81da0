"""Checks stories and rules against the domain, the way ``rasa train`` judges them.

What stops ``rasa train`` is an error here: an action or a slot the domain lacks, an
``active_loop`` that names no action at all, ``or`` alternatives that are actions. What Rasa
trains anyway, only warning (or silently featurizing as nothing), is a warning here, and the
story is cleaned the same way: an entity, role or group the domain lacks is dropped (Rasa
does not featurize it), a categorical value the slot does not list counts as ``__other__``,
an ``active_loop`` naming an action that is not a form is dropped (its loop feature would be
empty). A user turn with an intent the domain lacks cannot be featurized here, so its story
(or just that ``or`` alternative) is left out, with the warning saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ted_data_adapter.domain import DEFAULT_LOOPS, REQUESTED_SLOT, Domain
from ted_data_adapter.errors import Issue
from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, SlotSet, UserUttered
from ted_data_adapter.report import Findings
from ted_data_adapter.slots import OTHER_VALUE, Slot
from ted_data_adapter.story import STORY_START, Located, Step, StoryBlock, kind_label


def _is_rasa_bool(value: Any) -> bool:
    """Whether Rasa can read ``value`` as a truth value (bool, number, numeric or true/false)."""
    if isinstance(value, (bool, int, float)):
        return True
    return isinstance(value, str) and (
        value.isnumeric() or value.strip().lower() in ("true", "false")
    )


def _slot_value_problem(slot: Slot, value: Any) -> str | None:
    if value is None:
        return None
    if slot.type == "categorical" and str(value).lower() not in slot.values[:-1]:
        allowed = ", ".join(slot.values[:-1])
        return (
            f"value {value!r} is not one of the values ({allowed}) of slot '{slot.name}'; "
            f"it counts as '{OTHER_VALUE}'"
        )
    if slot.type == "bool" and not _is_rasa_bool(value):
        return f"bool slot '{slot.name}' set to non-boolean value {value!r}"
    if slot.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        try:
            float(value)
        except (TypeError, ValueError):
            return f"float slot '{slot.name}' set to non-numeric value {value!r}"
    if slot.type == "list" and not isinstance(value, list):
        return f"list slot '{slot.name}' set to non-list value {value!r}"
    return None


class _Checker:
    """Checks the events of one block; ``event`` returns the event to keep (or None)."""

    def __init__(self, block: StoryBlock, domain: Domain, found: Findings) -> None:
        self.block = block
        self.domain = domain
        self.found = found
        self.actions = domain.all_actions
        self.intents = domain.all_intents

    def _entity(self, entity: Entity, line: int) -> Entity | None:
        file, domain = self.block.file, self.domain
        if entity.entity not in domain.entities:
            self.found.warn(
                file, line, f"unknown entity '{entity.entity}' (not in the domain); left out"
            )
            return None
        role, group = entity.role, entity.group
        if role is not None and role not in domain.entity_roles.get(entity.entity, ()):
            self.found.warn(
                file,
                line,
                f"entity '{entity.entity}' has no role '{role}' in the domain; the role is "
                "left out",
            )
            role = None
        if group is not None and group not in domain.entity_groups.get(entity.entity, ()):
            self.found.warn(
                file,
                line,
                f"entity '{entity.entity}' has no group '{group}' in the domain; the group is "
                "left out",
            )
            group = None
        return replace(entity, role=role, group=group)

    def user(self, event: UserUttered, line: int, alternatives: int) -> UserUttered | None:
        """The turn with unknown entity parts dropped; None when its intent is unknown."""
        if event.intent not in self.intents:
            what = kind_label(self.block.kind)
            left_out = "this 'or' alternative" if alternatives > 1 else f"the {what}"
            self.found.warn(
                self.block.file,
                line,
                f"unknown intent '{event.intent}' (not in the domain); {left_out} is left out "
                "of training",
            )
            return None
        entities = tuple(
            kept for e in event.entities if (kept := self._entity(e, line)) is not None
        )
        return event if entities == event.entities else replace(event, entities=entities)

    def other(self, event: Any, line: int) -> Any:
        """An action, slot or loop event as it is kept (None: dropped with a warning)."""
        file = self.block.file
        if isinstance(event, ActionExecuted) and event.name not in self.actions:
            self.found.error(file, line, f"unknown action '{event.name}' (not in the domain)")
        elif isinstance(event, SlotSet):
            slot = self.domain.slots.get(event.name)
            if slot is None:
                if event.name != REQUESTED_SLOT:
                    self.found.error(file, line, f"unknown slot '{event.name}' (not in the domain)")
                return event
            problem = _slot_value_problem(slot, event.value)
            if problem:
                self.found.warn(file, line, problem)
        elif isinstance(event, ActiveLoop) and event.name is not None:
            if event.name in self.domain.forms or event.name in DEFAULT_LOOPS:
                return event
            if event.name in self.actions:
                self.found.warn(
                    file,
                    line,
                    f"active_loop '{event.name}' is an action but not a form of the domain; "
                    "left out",
                )
                return None
            self.found.error(file, line, f"active_loop '{event.name}' is not a form of the domain")
        return event

    def alternative(
        self, run: tuple[Located, ...], alternatives: int
    ) -> tuple[Located, ...] | None:
        """The run of events as kept; None when it names an unknown intent.

        Every event is checked either way, so a left-out story still reports its errors.
        """
        kept: list[Located] = []
        usable = True
        for located in run:
            event, line = located.event, located.line
            checked: Any
            if isinstance(event, UserUttered):
                checked = self.user(event, line, alternatives)
                usable = usable and checked is not None
            else:
                checked = self.other(event, line)
            if checked is not None:
                kept.append(located if checked is event else Located(checked, line))
        return tuple(kept) if usable else None


def check_block(block: StoryBlock, domain: Domain, found: Findings) -> StoryBlock | None:
    """The block as it trains (cleaned as Rasa would), or None when it is left out."""
    what = kind_label(block.kind)
    if not block.steps and not block.end_checkpoints:
        found.warn(block.file, block.line, f"{what} '{block.name}' has no steps; left out")
        return None
    checker = _Checker(block, domain, found)
    conditions = checker.alternative(block.conditions, 1) or ()
    steps: list[Step] = []
    usable = True
    for step in block.steps:
        checked = [checker.alternative(run, len(step)) for run in step]
        left = [alt for alt in checked if alt is not None]
        if not left:
            if len(step) > 1:
                found.warn(
                    block.file,
                    step[0][0].line,
                    f"no 'or' alternative is left; the {what} is left out of training",
                )
            usable = False
        elif any(left):
            steps.append(tuple(alt for alt in left if alt))
    if not usable:
        return None
    cleaned = replace(block, steps=steps, conditions=conditions)
    _consistency(cleaned, found)
    return cleaned


def _consistency(block: StoryBlock, found: Findings) -> None:
    """Steps that contradict each other inside one story."""
    previous: Any = None
    turns = 0  # user turns and actions so far
    for step in block.steps:
        if len(step) != 1:
            kinds = {type(alt[0].event) for alt in step if alt}
            if any(isinstance(alt[0].event, ActionExecuted) for alt in step if alt):
                found.error(block.file, step[0][0].line, "'or' alternatives cannot be actions")
            elif len(kinds) > 1:
                found.warn(
                    block.file,
                    step[0][0].line,
                    "'or' alternatives mix user turns and slot events",
                )
            previous = None
            turns += 1
            continue
        for located in step[0]:
            event = located.event
            if isinstance(event, ActiveLoop) and event.name is not None:
                after_form = isinstance(previous, ActionExecuted) and previous.name == event.name
                continued = turns == 0 and bool(block.start_checkpoints)  # another block decides
                if turns == 0 and not continued:
                    found.warn(
                        block.file,
                        located.line,
                        f"{kind_label(block.kind)} '{block.name}' begins with active_loop "
                        f"'{event.name}' (the form is active from the start)",
                    )
                elif not after_form and not continued:
                    found.warn(
                        block.file,
                        located.line,
                        f"active_loop '{event.name}' does not directly follow "
                        f"'action: {event.name}'",
                    )
            if isinstance(event, (ActionExecuted, UserUttered)):
                previous = event
                turns += 1


def validate_checkpoints(blocks: Sequence[StoryBlock]) -> list[Issue]:
    """End checkpoints no story starts from, and start checkpoints no story ends with.

    Rasa warns about both ("unsatisfied checkpoint") and trains the rest.
    """
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
                        f"checkpoint '{name}' ends this {kind_label(block.kind)} but no story "
                        "starts with it",
                    )
                )
        for name, line in block.start_checkpoints:
            if name not in ended and name != STORY_START:
                issues.append(
                    Issue(
                        block.file,
                        line,
                        f"checkpoint '{name}' starts this {kind_label(block.kind)} but no story "
                        "ends with it",
                    )
                )
    return issues
