"""Ray Tune hooks of a sweep: trial events for watchers and a stopper for cancelling.

Tune pickles its run config (to resume an experiment later), so the hooks hold only the
sweep id; the live event sink and cancel flag are looked up in a process-wide registry that
the sweep runner fills for the duration of ``Tuner.fit``. Imports Ray at module level; only
the sweep runner imports this module.
"""

from __future__ import annotations

import threading
from typing import Any

from ray import tune

from ted_trainer.events import (
    ArchiveEvent,
    EpochEvent,
    Event,
    EventSink,
    TrialEvent,
    numeric_metrics,
)
from ted_trainer.objective import OBJECTIVE_KEY
from ted_trainer.trial import ARCHIVE_VERSION_KEY, TIMING_KEYS
from ted_trainer.tune_space import EPOCH_KEY, hyperparameters

_SINKS: dict[str, EventSink] = {}
_CANCELS: dict[str, threading.Event] = {}


def register(sweep_id: str, sink: EventSink, cancel: threading.Event) -> None:
    """Route the hooks of ``sweep_id`` to this sink and cancel flag."""
    _SINKS[sweep_id] = sink
    _CANCELS[sweep_id] = cancel


def unregister(sweep_id: str) -> None:
    _SINKS.pop(sweep_id, None)
    _CANCELS.pop(sweep_id, None)


def _emit(sweep_id: str, event: Event) -> None:
    sink = _SINKS.get(sweep_id)
    if sink is not None:
        sink(event)


# Tune's bookkeeping keys that are not metrics of the model.
_TUNE_KEYS = frozenset(
    {
        "timestamp",
        "time_this_iter_s",
        "time_total_s",
        "time_since_restore",
        "iterations_since_restore",
        "training_iteration",
        "pid",
        "date",
        "hostname",
        "node_ip",
        "done",
        "trial_id",
        "experiment_tag",
        "checkpoint_dir_name",
        ARCHIVE_VERSION_KEY,
        "archive_path",
        EPOCH_KEY,
        "objective_source",
        *TIMING_KEYS,
    }
)


def model_metrics(result: dict[str, Any]) -> dict[str, float]:
    """The metrics a trial reported, without Tune's own bookkeeping."""
    return {k: v for k, v in numeric_metrics(result).items() if k not in _TUNE_KEYS}


class SweepEventCallback(tune.Callback):
    """Turns Tune's trial lifecycle into job events (runs in the Tune driver)."""

    def __init__(self, sweep_id: str, model_name: str) -> None:
        self.sweep_id = sweep_id
        self.model_name = model_name

    def sink(self, event: Event) -> None:
        _emit(self.sweep_id, event)

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.sink(TrialEvent(trial.trial_id, "RUNNING", hyperparameters(trial.config)))

    def on_trial_result(
        self, iteration: int, trials: list, trial: Any, result: dict, **info: Any
    ) -> None:
        version = int(result.get(ARCHIVE_VERSION_KEY) or 0)
        if version:
            self.sink(
                ArchiveEvent(
                    self.model_name,
                    version,
                    str(result.get("archive_path", "")),
                    trial.trial_id,
                    float(result.get(OBJECTIVE_KEY, float("nan"))),
                )
            )
            return
        self.sink(EpochEvent(int(result.get(EPOCH_KEY, 0)), model_metrics(result), trial.trial_id))

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.sink(TrialEvent(trial.trial_id, "TERMINATED", hyperparameters(trial.config)))

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.sink(
            TrialEvent(
                trial.trial_id, "RETRYING", hyperparameters(trial.config), _error_text(trial)
            )
        )

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.sink(
            TrialEvent(trial.trial_id, "ERROR", hyperparameters(trial.config), _error_text(trial))
        )


class CancelStopper(tune.Stopper):
    """Stops the whole experiment once the sweep's cancel flag is set (CancelJob, Ctrl-C)."""

    def __init__(self, sweep_id: str) -> None:
        self.sweep_id = sweep_id

    def _cancelled(self) -> bool:
        event = _CANCELS.get(self.sweep_id)
        return event is not None and event.is_set()

    def __call__(self, trial_id: str, result: dict) -> bool:
        return self._cancelled()

    def stop_all(self) -> bool:
        return self._cancelled()


def _error_text(trial: Any) -> str:
    path = getattr(trial, "error_file", None)
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                lines = [line for line in f.read().strip().splitlines() if line.strip()]
            return lines[-1][:500] if lines else ""
        except OSError:
            pass
    return "trial failed"
