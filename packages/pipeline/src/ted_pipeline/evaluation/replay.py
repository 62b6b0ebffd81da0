"""Replay stories against a policy: predict every action from the history before it.

A story lists user turns and bot actions; the waits for the user are implicit. The replay
makes them explicit the way a live conversation records them: an ``action_listen`` before
every user turn that follows a bot action, and one after the story's last bot action.
Every action except a leading listen is a prediction point (so listens are predicted once
per user turn, as ``rasa test core`` counts them). All prediction points of all stories go
to the policy in large batches, which is far faster than one call per point.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ted_data_adapter.errors import DataError
from ted_data_adapter.events import ACTION_LISTEN, ActionExecuted, Event, UserUttered
from ted_model.errors import TEDModelError
from ted_pipeline.evaluation.errors import EvaluationError
from ted_pipeline.evaluation.metrics import (
    ConversationPredictions,
    EvaluationReport,
    compute_report,
)
from ted_pipeline.evaluation.symbols import KnownSymbols

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 256


class _Ranked(Protocol):
    @property
    def ranking(self) -> Sequence[tuple[str, float]]: ...


class ReplayPolicy(Protocol):
    """What the replay needs of a policy (``TEDPolicy`` has it)."""

    @property
    def vocabulary(self) -> Any: ...

    def predict_batch(self, conversations: Sequence[Sequence[Event]]) -> Sequence[_Ranked]: ...


@dataclass(frozen=True)
class ReplayStory:
    """A named conversation to replay; ``source`` (file:line) is only used in messages."""

    name: str
    events: tuple[Event, ...]
    source: str = ""


@dataclass(frozen=True)
class PredictionPoint:
    """One action to predict: the story it belongs to, the history before it, the truth."""

    story: int
    history: tuple[Event, ...]
    target: str


def with_explicit_listens(events: Iterable[Event]) -> list[Event]:
    """The events with the implicit ``action_listen`` of a story made explicit (idempotent)."""
    out: list[Event] = []
    last_action: str | None = None
    for event in events:
        if isinstance(event, UserUttered) and last_action not in (None, ACTION_LISTEN):
            out.append(ActionExecuted(ACTION_LISTEN))
        if isinstance(event, ActionExecuted):
            last_action = event.name
        elif isinstance(event, UserUttered):
            last_action = None
        out.append(event)
    if last_action not in (None, ACTION_LISTEN):
        out.append(ActionExecuted(ACTION_LISTEN))
    return out


def prediction_points(story_index: int, events: Sequence[Event]) -> list[PredictionPoint]:
    """Every action of a story (after making listens explicit) with the history before it."""
    explicit = with_explicit_listens(events)
    points = []
    started = False  # a listen before anything happened is where a conversation starts
    for i, event in enumerate(explicit):
        if isinstance(event, ActionExecuted) and (started or event.name != ACTION_LISTEN):
            points.append(PredictionPoint(story_index, tuple(explicit[:i]), event.name))
        if isinstance(event, (ActionExecuted, UserUttered)):
            started = True
    return points


def check_known_symbols(stories: Sequence[ReplayStory], vocabulary: Any) -> None:
    """Refuse stories that name anything (action, intent, entity, slot, form) the model lacks."""
    known = KnownSymbols.from_vocabulary(vocabulary)
    problems: list[str] = []
    for story in stories:
        where = story.source or f"story {story.name!r}"
        for event in story.events:
            problems += [f"{where}: {problem}" for problem in known.problems(event)]
    if problems:
        unique = list(dict.fromkeys(problems))
        shown = "\n".join(unique[:20])
        more = f"\n... and {len(unique) - 20} more" if len(unique) > 20 else ""
        raise EvaluationError(f"{len(unique)} problem(s) in the test stories:\n{shown}{more}")


def _predict_all(
    policy: ReplayPolicy, points: Sequence[PredictionPoint], batch_size: int
) -> list[str]:
    predicted: list[str] = []
    for start in range(0, len(points), batch_size):
        chunk = points[start : start + batch_size]
        try:
            results = policy.predict_batch([p.history for p in chunk])
        except (TEDModelError, DataError) as e:  # the policy names the field; we add the story
            story = chunk[0].story
            raise EvaluationError(f"cannot predict for story #{story + 1}: {e}") from e
        for point, result in zip(chunk, results, strict=True):
            if not result.ranking:
                raise EvaluationError(f"the model returned no ranking for story #{point.story + 1}")
            predicted.append(result.ranking[0][0])
    return predicted


def replay_stories(
    policy: ReplayPolicy, stories: Sequence[ReplayStory], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[ConversationPredictions]:
    """Predict every action of every story and pair each prediction with the truth."""
    check_known_symbols(stories, policy.vocabulary)
    points = [p for i, s in enumerate(stories) for p in prediction_points(i, s.events)]
    logger.info("replaying %d stories: %d prediction points", len(stories), len(points))
    predicted = _predict_all(policy, points, batch_size)
    actual_by_story: list[list[str]] = [[] for _ in stories]
    predicted_by_story: list[list[str]] = [[] for _ in stories]
    for point, guess in zip(points, predicted, strict=True):
        actual_by_story[point.story].append(point.target)
        predicted_by_story[point.story].append(guess)
    return [
        ConversationPredictions(s.name, tuple(a), tuple(p))
        for s, a, p in zip(stories, actual_by_story, predicted_by_story, strict=True)
    ]


def evaluate_policy(
    policy: ReplayPolicy, stories: Sequence[ReplayStory], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> EvaluationReport:
    """Replay the stories and compute the ``ted test`` metrics."""
    if not stories:
        raise EvaluationError("there are no stories to test")
    return compute_report(replay_stories(policy, stories, batch_size=batch_size))
