"""Story-replay evaluation of a TED policy: the numbers ``ted test`` reports.

Importing this package does not import TensorFlow; only replaying a policy needs it.
"""

from ted_model.evaluation.metrics import (
    ACTION_LISTEN,
    ActionScore,
    ConversationPredictions,
    EvaluationReport,
    compute_report,
)

__all__ = [
    "ACTION_LISTEN",
    "ActionScore",
    "ConversationPredictions",
    "EvaluationReport",
    "compute_report",
]
