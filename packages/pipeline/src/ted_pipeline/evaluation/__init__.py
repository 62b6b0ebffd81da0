"""Story-replay evaluation of a TED policy: the numbers ``ted test`` reports.

Importing this package does not import TensorFlow; only the policy being replayed needs it.
"""

from ted_pipeline.evaluation.errors import EvaluationError
from ted_pipeline.evaluation.metrics import (
    ACTION_LISTEN,
    ActionScore,
    ConversationPredictions,
    EvaluationReport,
    compute_report,
)
from ted_pipeline.evaluation.replay import (
    PredictionPoint,
    ReplayStory,
    evaluate_policy,
    prediction_points,
    replay_stories,
)
from ted_pipeline.evaluation.stories import load_replay_stories, replay_stories_of

__all__ = [
    "ACTION_LISTEN",
    "ActionScore",
    "ConversationPredictions",
    "EvaluationError",
    "EvaluationReport",
    "PredictionPoint",
    "ReplayStory",
    "compute_report",
    "evaluate_policy",
    "load_replay_stories",
    "prediction_points",
    "replay_stories",
    "replay_stories_of",
]
