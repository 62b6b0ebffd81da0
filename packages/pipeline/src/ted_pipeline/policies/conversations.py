"""Rules and stories as the event sequences Rasa's policies learn from.

A rule becomes: its condition events, the rule snippet action ``...`` (anything may come
before; left out for ``conversation_start: true``), its steps with the waits for the user
made explicit, and either a final ``action_listen`` or, with ``wait_for_user_input: false``,
another ``...`` (anything may follow). In a rule, a slot or loop set to null means "must not
be set" (Rasa's ``should_not_be_set``). Stories keep their events, waits made explicit.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from ted_data_adapter.applied import with_explicit_listens
from ted_data_adapter.events import (
    ACTION_LISTEN,
    ActionExecuted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from ted_data_adapter.rasa_states import RULE_SNIPPET_ACTION, SHOULD_NOT_BE_SET
from ted_data_adapter.story import StoryBlock
from ted_data_adapter.story_graph import ExpandedStory

logger = logging.getLogger(__name__)

MAX_VARIANTS_PER_RULE = 100


@dataclass(frozen=True)
class TrainingConversation:
    """A rule or story as events, with where it came from (for messages)."""

    name: str
    events: tuple[Event, ...]
    is_rule: bool
    source: str = ""  # file:line where the rule or story begins
    # file:line of each event (an added listen takes the line of what follows it)
    event_sources: tuple[str, ...] = ()

    def where(self, event_index: int) -> str:
        """file:line of an event, or of the conversation when it is not known."""
        if 0 <= event_index < len(self.event_sources) and self.event_sources[event_index]:
            return self.event_sources[event_index]
        return self.source

    @property
    def user_turns(self) -> int:
        return sum(isinstance(event, UserUttered) for event in self.events)


def _must_not_be_set(event: Event) -> Event:
    if isinstance(event, ActiveLoop) and event.name is None:
        return ActiveLoop(SHOULD_NOT_BE_SET)
    if isinstance(event, SlotSet) and event.value is None:
        return SlotSet(event.name, SHOULD_NOT_BE_SET)
    return event


def rule_conversations(blocks: Sequence[StoryBlock]) -> list[TrainingConversation]:
    """Every rule (each path through its ``or`` steps) as the events Rasa learns from."""
    out: list[TrainingConversation] = []
    for block in blocks:
        head: list[Event] = [item.event for item in block.conditions]
        if not block.conversation_start:
            head.append(ActionExecuted(RULE_SNIPPET_ACTION))
        paths = itertools.product(*(list(step) for step in block.steps))
        for number, path in enumerate(paths):
            if number >= MAX_VARIANTS_PER_RULE:
                logger.warning("rule '%s': more than %d 'or' paths, keeping the first",
                               block.name, MAX_VARIANTS_PER_RULE)  # fmt: skip
                break
            body = [item.event for part in path for item in part]
            events = with_explicit_listens([*head, *body], final=block.wait_for_user_input)
            if not block.wait_for_user_input:
                events.append(ActionExecuted(RULE_SNIPPET_ACTION))
            out.append(
                TrainingConversation(
                    block.name,
                    tuple(_must_not_be_set(event) for event in events),
                    is_rule=True,
                    source=f"{block.file}:{block.line}",
                )
            )
    return out


def _with_listens_and_sources(story: ExpandedStory) -> tuple[list[Event], list[str]]:
    """Explicit listens as ``with_explicit_listens`` adds them, each event's file:line."""
    lines = [f"{file}:{line}" if file else "" for file, line in story.sources]
    lines += [""] * (len(story.events) - len(lines))
    events: list[Event] = []
    sources: list[str] = []
    for event, source in zip(story.events, lines, strict=True):
        if isinstance(event, UserUttered) and not (
            events and isinstance(events[-1], ActionExecuted) and events[-1].name == ACTION_LISTEN
        ):
            events.append(ActionExecuted(ACTION_LISTEN))
            sources.append(source)
        events.append(event)
        sources.append(source)
    explicit = with_explicit_listens(events)
    sources += [sources[-1] if sources else ""] * (len(explicit) - len(events))
    return explicit, sources


def story_conversations(stories: Sequence[ExpandedStory]) -> list[TrainingConversation]:
    """Training stories (not augmented) as events with the waits for the user explicit."""
    out = []
    for story in stories:
        file, line = story.origin
        events, sources = _with_listens_and_sources(story)
        out.append(
            TrainingConversation(
                story.name, tuple(events), False, f"{file}:{line}" if file else "", tuple(sources)
            )
        )
    return out
