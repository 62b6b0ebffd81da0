"""Next-action metrics of a story replay, in plain numpy.

The numbers are the ones ``ted test`` reports. Accuracy excluding ``action_listen`` is the
honest figure (predicting a listen after a bot turn is easy); the one including it is what
Rasa's ``rasa test core`` and the TED paper print. Precision, recall and F1 follow the usual
definitions, with 0 where a denominator is 0 (an action never predicted has precision 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

ACTION_LISTEN = "action_listen"


@dataclass(frozen=True)
class ConversationPredictions:
    """The true and the predicted action at every prediction point of one conversation."""

    name: str
    actual: tuple[str, ...]
    predicted: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.actual) != len(self.predicted):
            raise ValueError(
                f"conversation {self.name!r}: {len(self.actual)} true actions but "
                f"{len(self.predicted)} predictions"
            )

    @property
    def all_correct(self) -> bool:
        return self.actual == self.predicted


@dataclass(frozen=True)
class ActionScore:
    """Per-action scores over every prediction point (action_listen included)."""

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True)
class EvaluationReport:
    """Everything ``ted test`` reports about one replay."""

    action_accuracy: float
    action_accuracy_with_listen: float
    f1_weighted: float
    conversation_accuracy: float
    correct: int
    total: int
    correct_with_listen: int
    total_with_listen: int
    conversations: int
    conversations_correct: int
    per_action: dict[str, ActionScore] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """A JSON-serializable dict (the ``--json`` output of ``ted test``)."""
        return {
            "action_accuracy": self.action_accuracy,
            "action_accuracy_with_listen": self.action_accuracy_with_listen,
            "f1_weighted": self.f1_weighted,
            "conversation_accuracy": self.conversation_accuracy,
            "correct": self.correct,
            "total": self.total,
            "correct_with_listen": self.correct_with_listen,
            "total_with_listen": self.total_with_listen,
            "conversations": self.conversations,
            "conversations_correct": self.conversations_correct,
            "per_action": {
                name: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                    "predicted": s.predicted,
                }
                for name, s in self.per_action.items()
            },
        }


@dataclass(frozen=True)
class ClassScores:
    """Per-class arrays, index-aligned with the label list they were computed for."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    predicted: np.ndarray


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros(numerator.shape, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def class_scores(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> ClassScores:
    """Precision, recall, F1, support and predicted counts per class from integer labels."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError("y_true and y_pred must be 1-d arrays of the same length")
    hits = y_true == y_pred
    tp = np.bincount(y_true[hits], minlength=n_classes).astype(np.float64)
    support = np.bincount(y_true, minlength=n_classes)
    predicted = np.bincount(y_pred, minlength=n_classes)
    precision = _safe_divide(tp, predicted.astype(np.float64))
    recall = _safe_divide(tp, support.astype(np.float64))
    f1 = _safe_divide(2.0 * precision * recall, precision + recall)
    return ClassScores(precision, recall, f1, support, predicted)


def weighted_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """F1 per true class, averaged with the class supports as weights (0.0 when empty)."""
    if len(y_true) == 0:
        return 0.0
    scores = class_scores(y_true, y_pred, n_classes)
    return float(np.sum(scores.f1 * scores.support) / np.sum(scores.support))


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def compute_report(
    conversations: Sequence[ConversationPredictions], *, listen_action: str = ACTION_LISTEN
) -> EvaluationReport:
    """Aggregate the predictions of a replay into an :class:`EvaluationReport`.

    ``correct``/``total`` and ``action_accuracy`` exclude the points whose true action is
    ``listen_action``; ``conversation_accuracy`` counts conversations whose every prediction,
    listens included, is right.
    """
    actual = [a for c in conversations for a in c.actual]
    predicted = [p for c in conversations for p in c.predicted]
    names = sorted(set(actual) | set(predicted))
    index = {name: i for i, name in enumerate(names)}
    y_true = np.fromiter((index[a] for a in actual), dtype=np.int64, count=len(actual))
    y_pred = np.fromiter((index[p] for p in predicted), dtype=np.int64, count=len(predicted))

    hits = y_true == y_pred
    listen_id = index.get(listen_action, -1)
    bot = y_true != listen_id
    correct = int(np.count_nonzero(hits & bot))
    total = int(np.count_nonzero(bot))
    correct_with_listen = int(np.count_nonzero(hits))
    total_with_listen = len(actual)
    conversations_correct = sum(1 for c in conversations if c.all_correct)

    scores = class_scores(y_true, y_pred, len(names))
    per_action = {
        name: ActionScore(
            precision=float(scores.precision[i]),
            recall=float(scores.recall[i]),
            f1=float(scores.f1[i]),
            support=int(scores.support[i]),
            predicted=int(scores.predicted[i]),
        )
        for i, name in enumerate(names)
    }
    return EvaluationReport(
        action_accuracy=_ratio(correct, total),
        action_accuracy_with_listen=_ratio(correct_with_listen, total_with_listen),
        f1_weighted=weighted_f1(y_true[bot], y_pred[bot], len(names)),
        conversation_accuracy=_ratio(conversations_correct, len(conversations)),
        correct=correct,
        total=total,
        correct_with_listen=correct_with_listen,
        total_with_listen=total_with_listen,
        conversations=len(conversations),
        conversations_correct=conversations_correct,
        per_action=per_action,
    )
