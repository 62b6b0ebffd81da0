"""One sweep trial: ``train_project`` (the ``ted train`` code path) inside a Ray Tune trial.

Runs in a Ray worker process. Reports every epoch's metrics to Tune (``ray.tune.report``) and
a last report carrying the archive version the trial wrote; the archive's lineage names the
sweep, the trial and the trial's hyperparameters.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from pathlib import Path
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
    # Test hook, never set from a sweep file: a directory; the first trial attempt to start
    # drops a marker there and kills its own worker process; Tune retries it (max_failures).
    crash_once_dir: str | None = None


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
    _maybe_crash_once(context, trial_id)
    devices = configure_tensorflow(ray.get_gpu_ids(), context.cpus)
    _forget_previous_trial()

    from ted_archive import ModelStore
    from ted_model import train_project

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
        accuracy = stories_accuracy(context, int(result.version or 0), context.eval_stories)
        final[STORIES_METRIC] = accuracy
        tracker.set_from_stories(accuracy)
    elif tracker.source == SOURCE_TRAINING:
        replayed = training_stories_accuracy(context, int(result.version or 0))
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


def training_stories_accuracy(context: TrialContext, version: int) -> float | None:
    """Replay the project's training stories with the archived model, when they are readable.

    Without held-out data the epoch logs only carry the running training accuracy (dropout
    on, averaged while the weights still move); a replay of the stories the trial trained on
    scores the model that was actually archived.
    """
    from ted_data_adapter import DataError
    from ted_model import TEDModelError

    data_dir = Path(context.project_dir) / "data"
    if not data_dir.is_dir():
        return None
    try:
        return stories_accuracy(context, version, str(data_dir))
    except (DataError, TEDModelError) as e:
        logger.warning("training stories of %s not replayed: %s", context.project_dir, e)
        return None


def stories_accuracy(context: TrialContext, version: int, stories_path: str) -> float:
    """Replay stories with the archived model: accuracy over bot actions."""
    import tempfile

    from ted_archive import ModelStore
    from ted_model import TEDPolicy
    from ted_model.evaluation.replay import evaluate_policy
    from ted_model.evaluation.stories import load_replay_stories

    with tempfile.TemporaryDirectory(prefix="ted-eval-") as tmp:
        ModelStore(context.store_root).unpack(context.model_name, version, tmp)
        policy = TEDPolicy.load(tmp)
        stories = load_replay_stories(stories_path, policy.vocabulary)
        report = evaluate_policy(policy, stories)
    return float(report.action_accuracy)


def _maybe_crash_once(context: TrialContext, trial_id: str) -> None:
    """Test hook: the first trial attempt to get here kills its worker (exactly once)."""
    if not context.crash_once_dir:
        return
    marker = Path(context.crash_once_dir) / "crashed"
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, trial_id.encode())
    os.close(fd)
    logger.warning("test hook: trial %s kills its worker on purpose", trial_id)
    os._exit(17)
