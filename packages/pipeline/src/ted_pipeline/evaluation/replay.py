"""Replay stories against a policy: predict every action from the history before it.

The replay follows ``rasa test core``: a story's waits for the user are made explicit as
Rasa's stories have them (an ``action_listen`` before every user turn and at the end), and
every action after the story's first event is a prediction point, so listens are predicted
once per user turn. The history always holds the story's own events (a wrong prediction
does not change it), with one exception taken from Rasa: when the active form was
predicted but the story runs another action, the form is taken as having rejected the
user's input (an ``ActionExecutionRejected`` joins the history) and the prediction is made
again. The stories advance together, one point at a time, so every step is one batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ted_data_adapter.applied import tracker_view, with_explicit_listens
from ted_data_adapter.errors import DataError
from ted_data_adapter.events import ActionExecuted, ActionExecutionRejected, Event
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


def prediction_points(story_index: int, events: Sequence[Event]) -> list[PredictionPoint]:
    """Every action of a story but its first event, with the story's history before it
    (waits for the user explicit; no emulated rejections: see ``replay_stories``)."""
    explicit = with_explicit_listens(events)
    return [
        PredictionPoint(story_index, tuple(explicit[:i]), event.name)
        for i, event in enumerate(explicit)
        if i > 0 and isinstance(event, ActionExecuted)
    ]


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


@dataclass
class _Running:
    """One story during the replay: its events, how far it got, its history so far."""

    index: int
    events: list[Event]
    position: int = 1  # the first event is where the conversation starts: never predicted
    history: list[Event] | None = None

    def __post_init__(self) -> None:
        self.history = list(self.events[:1])

    def advance(self) -> str | None:
        """Move the history up to the next action; that action, or None at the end."""
        assert self.history is not None
        while self.position < len(self.events):
            event = self.events[self.position]
            if isinstance(event, ActionExecuted):
                return event.name
            self.history.append(event)
            self.position += 1
        return None

    def record(self) -> None:
        """The story's own action joins the history (whatever was predicted)."""
        assert self.history is not None
        self.history.append(self.events[self.position])
        self.position += 1


def _predict(
    policy: ReplayPolicy, histories: Sequence[Sequence[Event]], stories: Sequence[int], batch: int
) -> list[str]:
    out: list[str] = []
    for start in range(0, len(histories), batch):
        chunk = histories[start : start + batch]
        try:
            results = policy.predict_batch(chunk)
        except (TEDModelError, DataError) as e:  # the policy names the field; we add the story
            raise EvaluationError(f"cannot predict for story #{stories[start] + 1}: {e}") from e
        for offset, result in enumerate(results):
            if not result.ranking:
                story = stories[start + offset]
                raise EvaluationError(f"the model returned no ranking for story #{story + 1}")
            out.append(result.ranking[0][0])
    return out


def _rejected(history: Sequence[Event], predicted: str, target: str, forms: frozenset[str]) -> bool:
    """Rasa's test: the active form was predicted, the story runs another action."""
    loop = tracker_view(history).active_loop
    return predicted != target and predicted == loop and predicted in forms


def replay_stories(
    policy: ReplayPolicy, stories: Sequence[ReplayStory], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[ConversationPredictions]:
    """Predict every action of every story and pair each prediction with the truth."""
    check_known_symbols(stories, policy.vocabulary)
    forms = frozenset(getattr(policy.vocabulary, "forms", ()))
    running = [_Running(i, with_explicit_listens(s.events)) for i, s in enumerate(stories)]
    actual: list[list[str]] = [[] for _ in stories]
    predicted: list[list[str]] = [[] for _ in stories]
    points = 0
    while True:
        step = [(story, target) for story in running if (target := story.advance()) is not None]
        if not step:
            break
        points += len(step)
        guesses = _predict(
            policy, [s.history or [] for s, _ in step], [s.index for s, _ in step], batch_size
        )
        again = [
            number
            for number, ((story, target), guess) in enumerate(zip(step, guesses, strict=True))
            if _rejected(story.history or [], guess, target, forms)
        ]
        for number in again:
            story = step[number][0]
            assert story.history is not None
            story.history.append(ActionExecutionRejected(guesses[number]))
        if again:
            retried = _predict(
                policy,
                [step[n][0].history or [] for n in again],
                [step[n][0].index for n in again],
                batch_size,
            )
            for number, guess in zip(again, retried, strict=True):
                guesses[number] = guess
        for (story, target), guess in zip(step, guesses, strict=True):
            actual[story.index].append(target)
            predicted[story.index].append(guess)
            story.record()
    logger.info("replayed %d stories: %d prediction points", len(stories), points)
    return [
        ConversationPredictions(s.name, tuple(a), tuple(p))
        for s, a, p in zip(stories, actual, predicted, strict=True)
    ]


def evaluate_policy(
    policy: ReplayPolicy, stories: Sequence[ReplayStory], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> EvaluationReport:
    """Replay the stories and compute the ``ted test`` metrics."""
    if not stories:
        raise EvaluationError("there are no stories to test")
    return compute_report(replay_stories(policy, stories, batch_size=batch_size))
