"""Joins story blocks at checkpoints, expands ``or`` steps, and augments stories (seeded)."""

from __future__ import annotations

import itertools
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ted_data_adapter.events import ACTION_LISTEN, ActionExecuted, Event
from ted_data_adapter.story import STORY_START, StoryBlock

logger = logging.getLogger(__name__)

DEFAULT_AUGMENTATION_FACTOR = 50
MAX_VARIANTS_PER_BLOCK = 1000
MAX_CONVERSATIONS = 100_000


Source = tuple[str, int]  # (file, line) of an event


@dataclass(frozen=True)
class ExpandedStory:
    """One complete conversation made from one or more blocks (names joined by ' > ').

    ``sources`` gives the file and line of every event and ``origin`` where the (first)
    story begins (for messages about the story).
    """

    name: str
    events: tuple[Event, ...]
    augmented: bool = False
    sources: tuple[Source, ...] = field(default=(), compare=False, repr=False)
    origin: Source = field(default=("", 0), compare=False, repr=False)


EventPath = tuple[tuple[Event, ...], tuple[Source, ...]]


def _variants(block: StoryBlock) -> list[EventPath]:
    """Every path through the block's ``or`` steps (capped), with each event's source."""
    choices = [list(step) for step in block.steps]
    prefix = tuple(block.conditions)
    out: list[EventPath] = []
    for combination in itertools.product(*choices):
        located = prefix + tuple(item for part in combination for item in part)
        out.append(
            (
                tuple(item.event for item in located),
                tuple((block.file, item.line) for item in located),
            )
        )
        if len(out) >= MAX_VARIANTS_PER_BLOCK:
            logger.warning(
                "%s '%s': more than %d 'or' paths, keeping the first",
                block.kind,
                block.name,
                len(out),
            )
            break
    return out


def _finish(name: str, path: EventPath, wait: bool, origin: Source) -> ExpandedStory:
    events, sources = path
    last = events[-1] if events else None
    if wait and not (isinstance(last, ActionExecuted) and last.name == ACTION_LISTEN):
        events = (*events, ActionExecuted(ACTION_LISTEN))
        sources = (*sources, sources[-1] if sources else ("", 0))
    return ExpandedStory(name, events, sources=sources, origin=origin)


def expand_blocks(
    blocks: Sequence[StoryBlock], max_checkpoint_visits: int = 2
) -> list[ExpandedStory]:
    """Complete conversations: every way to go from a story start along checkpoints to an end."""
    by_start: dict[str, list[StoryBlock]] = defaultdict(list)
    for block in blocks:
        for checkpoint in block.starts:
            by_start[checkpoint].append(block)
    variants = {id(block): _variants(block) for block in blocks}
    results: list[ExpandedStory] = []

    def walk(
        block: StoryBlock,
        prefix: EventPath,
        names: tuple[str, ...],
        visits: dict[int, int],
        origin: Source,
    ) -> None:
        following = [nxt for checkpoint in block.ends for nxt in by_start.get(checkpoint, [])]
        name_path = names if names and names[-1] == block.name else (*names, block.name)
        for events, sources in variants[id(block)]:
            if len(results) >= MAX_CONVERSATIONS:
                return
            path = (prefix[0] + events, prefix[1] + sources)
            allowed = [nxt for nxt in following if visits.get(id(nxt), 0) < max_checkpoint_visits]
            if not allowed:
                results.append(
                    _finish(" > ".join(name_path), path, block.wait_for_user_input, origin)
                )
                continue
            for nxt in allowed:
                counts = dict(visits)
                counts[id(nxt)] = counts.get(id(nxt), 0) + 1
                walk(nxt, path, name_path, counts, origin)

    for block in by_start.get(STORY_START, []):
        walk(block, ((), ()), (), {id(block): 1}, (block.file, block.line))
    return results


def augment(stories: Sequence[ExpandedStory], factor: int, seed: int) -> list[ExpandedStory]:
    """Random concatenations of complete stories (``factor * 10`` of them, 2-3 stories each).

    A story that ends (no checkpoint left) can be followed by any story that starts at the
    beginning of a conversation; slots and the active loop carry over like in one long chat.
    """
    if factor <= 0 or len(stories) < 2:
        return []
    rng = random.Random(seed)
    out: list[ExpandedStory] = []
    for _ in range(factor * 10):
        picked = [stories[rng.randrange(len(stories))] for _ in range(rng.choice((2, 3)))]
        events = tuple(event for story in picked for event in story.events)
        sources = tuple(source for story in picked for source in story.sources)
        name = " + ".join(s.name for s in picked)
        out.append(ExpandedStory(name, events, augmented=True, sources=sources))
    return out
