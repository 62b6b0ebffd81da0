"""One sweep trial: ``train_project`` (the ``ted train`` code path) inside a Ray Tune trial.

Runs in a Ray worker process. Reports every epoch's metrics to Tune (``ray.tune.report``) and
a last report carrying the archive version the trial wrote; the archive's lineage names the
sweep, the trial and the trial's hyperparameters. The selection value is computed on the
policy the trial just trained (in memory), not on a copy read back from the archive.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from typing import Any

from ted_trainer.events import numeric_metrics
from ted_trainer.objective import (
    OBJECTIVE_KEY,
    SOURCE_TRAINING,
    STORIES_METRIC,
    TRAINING_STORIES_METRIC,
    ObjectiveTracker,
)
from ted_trainer.tune_space import EPOCH_KEY, hyperparameters

logger = logging.getLogger(__name__)

ARCHIVE_VERSION_KEY = "archive_version"
# Timing a trial reports about itself (for the overhead benchmark), not model metrics.
STARTED_AT_KEY = "trial_started_at"
REPORT_SECONDS_KEY = "report_seconds"
TRAIN_SECONDS_KEY = "train_project_seconds"
TIMING_KEYS = (STARTED_AT_KEY, REPORT_SECONDS_KEY, TRAIN_SECONDS_KEY)
# Sweeps evaluate held-out examples every epoch so early stopping sees fresh values.
_SWEEP_DEFAULTS = {"evaluate_every_number_of_epochs": 1}


@dataclasses.dataclass(frozen=True)
class TrialContext:
    """Everything a trial needs besides its sampled hyperparameters (picklable)."""

    sweep_id: str
    project_dir: str
    store_root: str
    model_name: str
    metric: str
    fixed_overrides: dict[str, Any]
    cpus: float = 1.0
    augmentation: int | None = None
    eval_stories: str | None = None
    # A config.yml that replaces the project's (the sweep file's ``config:``).
    config_file: str | None = None


class TuneEpochReporter:
    """``on_epoch_end`` callback that forwards each epoch to ``ray.tune.report``."""

    def __init__(self, tracker: ObjectiveTracker) -> None:
        self.tracker = tracker
        self.last_epoch = 0
        self.last_metrics: dict[str, float] = {}
        self.report_seconds = 0.0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        from ray import tune

        metrics = numeric_metrics(logs)
        self.last_epoch = epoch + 1
        self.last_metrics = metrics
        objective = self.tracker.update(metrics)
        started = time.perf_counter()
        tune.report({**metrics, EPOCH_KEY: self.last_epoch, OBJECTIVE_KEY: objective})
        self.report_seconds += time.perf_counter() - started


def run_trial(config: dict[str, Any], context: TrialContext) -> None:
    """The Tune function trainable (bound to ``context`` with ``tune.with_parameters``)."""
    started_at = time.time()
    import ray
    from ray import tune

    from ted_trainer.devices import configure_tensorflow

    trial_id = tune.get_context().get_trial_id() or "local"
    devices = configure_tensorflow(ray.get_gpu_ids(), context.cpus)
    _forget_previous_trial()

    from ted_archive import ModelStore
    from ted_pipeline import train_project

    hp = hyperparameters(config)
    overrides = {**_SWEEP_DEFAULTS, **context.fixed_overrides, **hp}
    tracker = ObjectiveTracker(context.metric)
    reporter = TuneEpochReporter(tracker)
    lineage = {
        "sweep_id": context.sweep_id,
        "trial_id": trial_id,
        "hyperparameters": hp,
        "sweep_metric": context.metric,
        "devices": {
            "cuda_visible_devices": devices.cuda_visible_devices,
            "gpus": list(devices.gpus),
        },
    }
    train_started = time.perf_counter()
    result = train_project(
        context.project_dir,
        store=ModelStore(context.store_root),
        name=context.model_name,
        config_file=context.config_file,
        config_overrides=overrides,
        force=True,
        augmentation=context.augmentation,
        callbacks=[reporter],
        lineage=lineage,
    )
    train_seconds = time.perf_counter() - train_started
    final = {**reporter.last_metrics, **numeric_metrics(dict(result.metrics or {}))}
    if not reporter.last_metrics:
        tracker.update(final)
    if context.eval_stories:
        accuracy = stories_accuracy(result.policy, context.eval_stories)
        final[STORIES_METRIC] = accuracy
        tracker.set_from_stories(accuracy)
    elif tracker.source == SOURCE_TRAINING:
        replayed = training_stories_accuracy(result)
        if replayed is not None:
            final[TRAINING_STORIES_METRIC] = replayed
            tracker.set_from_training_replay(replayed)
    tune.report(
        {
            **final,
            EPOCH_KEY: reporter.last_epoch,
            OBJECTIVE_KEY: tracker.value,
            "objective_source": tracker.source,
            ARCHIVE_VERSION_KEY: int(result.version or 0),
            "archive_path": str(getattr(result, "archive", "") or ""),
            STARTED_AT_KEY: started_at,
            REPORT_SECONDS_KEY: reporter.report_seconds,
            TRAIN_SECONDS_KEY: train_seconds,
        }
    )


def _forget_previous_trial() -> None:
    """A reused worker may hold the previous trial's Keras graph state; drop it."""
    if "keras" in sys.modules:
        import keras

        keras.backend.clear_session()


def training_stories_accuracy(result: Any) -> float | None:
    """The replay of the stories the trial trained on, by the model it trained (dropout off).

    Without held-out data the epoch logs only carry the running training accuracy (dropout
    on, averaged while the weights still move); ``train_project`` replays the training
    stories with the finished model and records the accuracy in its metrics.
    """
    value = (result.metrics or {}).get(TRAINING_STORIES_METRIC)
    return float(value) if value is not None else None


def stories_accuracy(policy: Any, stories_path: str) -> float:
    """Replay stories from a file or folder with ``policy``: accuracy over bot actions."""
    from ted_pipeline.evaluation import evaluate_policy, load_replay_stories

    stories = load_replay_stories(stories_path, policy.vocabulary)
    return float(evaluate_policy(policy, stories).action_accuracy)
