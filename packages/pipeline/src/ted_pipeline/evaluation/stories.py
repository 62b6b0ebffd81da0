"""Stories to replay: test stories checked against a model's vocabulary, or a project's own.

A model archive carries its vocabulary, not the project's domain, so story files are parsed
with ted-data-adapter's reader and every event is checked against the vocabulary: an
action, intent, entity, slot or form the model never saw is reported with its file and line
before anything is predicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ted_data_adapter import load_story_blocks
from ted_data_adapter.errors import Issue
from ted_data_adapter.story import StoryBlock
from ted_data_adapter.story_graph import ExpandedStory, expand_blocks
from ted_pipeline.evaluation.errors import EvaluationError
from ted_pipeline.evaluation.replay import ReplayStory
from ted_pipeline.evaluation.symbols import KnownSymbols

MAX_LISTED = 20


def _unknown_symbol_issues(blocks: list[StoryBlock], known: KnownSymbols) -> list[Issue]:
    issues = []
    for block in blocks:
        for located in block.located_events():
            issues += [Issue(block.file, located.line, p) for p in known.problems(located.event)]
    return issues


def load_replay_stories(path: str | Path, vocabulary: Any) -> list[ReplayStory]:
    """Stories (test stories with ``user:`` text too) from a file or folder, ready to replay.

    Raises DataValidationError for unreadable or malformed files and EvaluationError when a
    story names something the model does not know; both list file and line.
    """
    if not Path(path).exists():
        raise EvaluationError(f"no stories at {path}")
    blocks = load_story_blocks(path, test=True)
    if not blocks:
        raise EvaluationError(f"no stories in {path} (story files: .yml, .yaml, .md)")
    unknown = sorted(set(_unknown_symbol_issues(blocks, KnownSymbols.from_vocabulary(vocabulary))))
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
