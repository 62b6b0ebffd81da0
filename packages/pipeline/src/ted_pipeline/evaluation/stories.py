"""Stories to replay: test stories checked against a model's vocabulary, or a project's own.

A model archive carries its vocabulary, not the project's domain, so story files are parsed
with ted-data-adapter's reader and every event is checked against the vocabulary: an
action, intent, entity, slot or form the model never saw is reported with its file and line
before anything is predicted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ted_data_adapter import load_story_blocks
from ted_data_adapter.errors import Issue
from ted_data_adapter.events import UserUttered
from ted_data_adapter.story import Located, StoryBlock
from ted_data_adapter.story_graph import ExpandedStory, expand_blocks
from ted_pipeline.evaluation.errors import EvaluationError
from ted_pipeline.evaluation.replay import ReplayStory
from ted_pipeline.evaluation.symbols import KnownSymbols

logger = logging.getLogger(__name__)

MAX_LISTED = 20


def _unknown_symbol_issues(blocks: list[StoryBlock], known: KnownSymbols) -> list[Issue]:
    issues = []
    for block in blocks:
        for located in block.located_events():
            issues += [Issue(block.file, located.line, p) for p in known.problems(located.event)]
    return issues


def _without_unknown_entities(blocks: list[StoryBlock], known: KnownSymbols) -> list[StoryBlock]:
    """The blocks with entities the model does not know left out of their user turns, each
    with a warning (as training leaves out entities the domain does not declare)."""
    out = []
    for block in blocks:
        steps = []
        for step in block.steps:
            alternatives = []
            for run in step:
                kept = []
                for located in run:
                    event = located.event
                    if isinstance(event, UserUttered):
                        entities = tuple(e for e in event.entities if e.entity in known.entities)
                        for entity in event.entities:
                            if entity.entity not in known.entities:
                                logger.warning(
                                    "%s:%d: entity %r is not known to the model; left out",
                                    block.file,
                                    located.line,
                                    entity.entity,
                                )
                        if entities != event.entities:
                            located = Located(replace(event, entities=entities), located.line)
                    kept.append(located)
                alternatives.append(tuple(kept))
            steps.append(tuple(alternatives))
        out.append(replace(block, steps=steps))
    return out


def load_replay_stories(path: str | Path, vocabulary: Any) -> list[ReplayStory]:
    """Stories (test stories with ``user:`` text too) from a file or folder, ready to replay.

    Raises DataValidationError for unreadable or malformed files and EvaluationError when a
    story names an action, intent, slot or form the model does not know; both list file and
    line. Entities the model does not know are left out with a warning, as in training.
    """
    if not Path(path).exists():
        raise EvaluationError(f"no stories at {path}")
    blocks = load_story_blocks(path, test=True)
    if not blocks:
        raise EvaluationError(f"no stories in {path} (story files: .yml, .yaml, .md)")
    known = KnownSymbols.from_vocabulary(vocabulary)
    blocks = _without_unknown_entities(blocks, known)
    unknown = sorted(set(_unknown_symbol_issues(blocks, known)))
    if unknown:
        listed = "\n".join(str(issue) for issue in unknown[:MAX_LISTED])
        more = f"\n... and {len(unknown) - MAX_LISTED} more" if len(unknown) > MAX_LISTED else ""
        raise EvaluationError(
            f"{len(unknown)} problem(s): the stories name things the model was not trained "
            f"with:\n{listed}{more}"
        )
    sources = {block.name: f"{block.file}:{block.line}" for block in blocks}
    return [
        ReplayStory(story.name, tuple(story.events), sources.get(story.name, ""))
        for story in expand_blocks(blocks)
    ]


def replay_stories_of(stories: Sequence[ExpandedStory]) -> list[ReplayStory]:
    """Already loaded stories (a project's training stories, say) as stories to replay."""
    out = []
    for story in stories:
        source = f"{story.sources[0][0]}:{story.sources[0][1]}" if story.sources else ""
        out.append(ReplayStory(story.name, tuple(story.events), source))
    return out
