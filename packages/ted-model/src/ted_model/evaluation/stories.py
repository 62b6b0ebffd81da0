"""Loading stories to replay, checked against the model's vocabulary with file and line.

A model archive carries its vocabulary, not the project's domain, so the story files are
parsed with the data-adapter's reader and every event is checked against the vocabulary:
an action, intent, entity, slot or form the model never saw is reported with its file and
line before anything is predicted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ted_data_adapter.errors import DataValidationError, Issue
from ted_data_adapter.project import read_story_file
from ted_data_adapter.story import StoryBlock
from ted_data_adapter.story_graph import expand_blocks
from ted_data_adapter.validation import validate_checkpoints
from ted_model.evaluation.errors import EvaluationError
from ted_model.evaluation.replay import ReplayStory
from ted_model.evaluation.symbols import KnownSymbols

STORY_SUFFIXES = (".yml", ".yaml", ".md")
MAX_LISTED = 20


def story_files(path: Path) -> list[Path]:
    """The story file itself, or every story file under a folder (sorted)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in STORY_SUFFIXES)
    if path.is_file():
        return [path]
    raise EvaluationError(f"no stories at {path}")


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
    files = story_files(Path(path))
    if not files:
        raise EvaluationError(f"no story files (.yml, .yaml, .md) under {path}")
    issues: list[Issue] = []
    blocks: list[StoryBlock] = []
    for file in files:
        blocks.extend(read_story_file(file, str(file), issues, test=True))
    issues.extend(validate_checkpoints(blocks))
    if issues:
        raise DataValidationError(issues)
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
