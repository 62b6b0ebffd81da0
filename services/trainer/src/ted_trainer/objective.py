"""The sweep's selection value (``objective``) for one trial, epoch by epoch.

A sweep names a metric such as ``eval_action_accuracy``. Which data it is computed on depends
on the trial: held-out examples (``evaluate_on_number_of_examples``) when the logs carry the
``eval_`` value, the eval stories (replayed once after training) when the sweep names them,
and otherwise the training data -- the result table says which.
"""

from __future__ import annotations

import math

OBJECTIVE_KEY = "objective"
SOURCE_EXAMPLES = "evaluation examples"
SOURCE_STORIES = "eval stories"
SOURCE_TRAINING = "training data"
# The story-replay accuracy (bot actions, action_listen excluded) a trial reports last.
STORIES_METRIC = "stories_action_accuracy"
# The same, replayed on the training stories when there is no evaluation data.
TRAINING_STORIES_METRIC = "training_stories_action_accuracy"


def base_metric(metric: str) -> str:
    """``eval_action_accuracy`` -> ``action_accuracy``."""
    return metric[len("eval_") :] if metric.startswith("eval_") else metric


class ObjectiveTracker:
    """Picks the selection value out of each epoch's logs, carrying eval values forward.

    Evaluation may run only every few epochs; between runs the last evaluated value stands so
    every report has an objective (ASHA and Tune need the key in every result).
    """

    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.eval_key = "eval_" + base_metric(metric)
        self.train_key = base_metric(metric)
        self.value = math.nan
        self.source = SOURCE_TRAINING
        self._seen_eval = False

    def update(self, logs: dict[str, float]) -> float:
        if self.eval_key in logs and math.isfinite(logs[self.eval_key]):
            self._seen_eval = True
            self.source = SOURCE_EXAMPLES
            self.value = logs[self.eval_key]
        elif not self._seen_eval and self.train_key in logs:
            self.value = logs[self.train_key]
        return self.value

    def set_from_training_replay(self, accuracy: float) -> float:
        """The final value from replaying the training stories (still training data)."""
        self.value = accuracy
        return self.value

    def set_from_stories(self, accuracy: float) -> float:
        self.source = SOURCE_STORIES
        self.value = accuracy
        return self.value
