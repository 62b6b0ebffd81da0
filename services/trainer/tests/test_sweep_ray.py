"""Sweeps on a real local Ray instance: archives, lineage, alias, retry, cancel."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from ted_archive import ModelStore
from ted_trainer.events import ArchiveEvent, EpochEvent, Event, TrialEvent
from ted_trainer.sweep_runner import plan_sweep, run_sweep
from ted_trainer.sweep_spec import parse_sweep_spec

pytestmark = pytest.mark.slow


def trial_worker_pids() -> list[int]:
    """Processes running a Tune function trainable (Ray titles them ``ray::ImplicitFunc``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if title.startswith(b"ray::ImplicitFunc"):
            pids.append(int(entry.name))
    return sorted(pids)


def _spec(moodbot: Path, tiny: dict, **extra: object) -> dict:
    return {
        "project": str(moodbot),
        "name": "mood",
        "max_concurrent_trials": 2,
        "resources_per_trial": {"cpu": 1, "gpu": 0},
        "augmentation": 0,
        "overrides": tiny,
        **extra,
    }


def test_four_trials_write_four_archives_and_a_crashed_trial_is_retried(
    ray_local: None, moodbot: Path, tiny: dict, tmp_path: Path
) -> None:
    spec = parse_sweep_spec(
        _spec(
            moodbot,
            tiny,
            num_samples=2,
            epochs=2,
            max_failures=1,
            search_space={
                "batch_size": {"grid": [[8, 16], 32]},
                "learning_rate": {"loguniform": [0.001, 0.01]},
            },
        )
    )
    plan = plan_sweep(spec, store_root=tmp_path / "store")
    events: list[Event] = []
    killed: list[int] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if isinstance(event, EpochEvent) and not killed:
            # a worker dies mid-trial, as when its process is killed or its node goes away
            pids = trial_worker_pids()
            assert pids, "no Tune trial worker process found"
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    outcome = run_sweep(plan, on_event=on_event)

    # exactly one worker was killed, and Tune retried the one trial it was running
    retried = [e for e in events if isinstance(e, TrialEvent) and e.state == "RETRYING"]
    assert len(killed) == 1 and len(retried) == 1

    assert len(outcome.trials) == 4
    assert all(t.state == "TERMINATED" and t.version > 0 for t in outcome.trials)
    store = ModelStore(tmp_path / "store")
    versions = store.versions("mood")
    assert sorted(versions) == sorted(t.version for t in outcome.trials) == [1, 2, 3, 4]
    for trial in outcome.trials:
        manifest = store.verify("mood", trial.version)
        assert manifest.lineage["sweep_id"] == plan.sweep_id
        assert manifest.lineage["trial_id"] == trial.trial_id
        assert manifest.lineage["hyperparameters"] == trial.hyperparameters
        assert manifest.config["batch_size"] == trial.hyperparameters["batch_size"]
        assert manifest.config["learning_rate"] == pytest.approx(
            trial.hyperparameters["learning_rate"]
        )
        assert manifest.config["epochs"] == 2
    grids = sorted(str(t.hyperparameters["batch_size"]) for t in outcome.trials)
    assert grids == ["32", "32", "[8, 16]", "[8, 16]"]
    # no held-out examples and no eval stories: the metric is on training data, and says so
    assert outcome.metric_source == "training data"
    assert outcome.best is not None
    assert outcome.best.metric == max(t.metric for t in outcome.trials)
    assert store.aliases("mood") == {"candidate": outcome.best.version}
    # every trial reported its epochs in order, and its archive
    # (a retried trial starts again at epoch 1; its killed attempt may have reported epochs)
    for trial in outcome.trials:
        own = [e for e in events if getattr(e, "trial_id", None) == trial.trial_id]
        retry_at = max(
            (i for i, e in enumerate(own) if isinstance(e, TrialEvent) and e.state == "RETRYING"),
            default=-1,
        )
        epochs = [e.epoch for e in own[retry_at + 1 :] if isinstance(e, EpochEvent)]
        assert epochs == [1, 2]
        before_retry = [e.epoch for e in own[: retry_at + 1] if isinstance(e, EpochEvent)]
        assert before_retry == sorted(before_retry) and len(before_retry) <= 2
        archives = [
            e for e in events if isinstance(e, ArchiveEvent) and e.trial_id == trial.trial_id
        ]
        assert [a.version for a in archives] == [trial.version]


def test_cancel_stops_trials_and_leaves_only_complete_archives(
    ray_local: None, moodbot: Path, tiny: dict, tmp_path: Path
) -> None:
    spec = parse_sweep_spec(
        _spec(moodbot, tiny, num_samples=4, epochs=200, max_failures=0, search_space={})
    )
    plan = plan_sweep(spec, store_root=tmp_path / "store")
    cancel = threading.Event()
    events: list[Event] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if isinstance(event, EpochEvent) and event.epoch >= 2:
            cancel.set()

    outcome = run_sweep(plan, on_event=on_event, cancel=cancel)
    assert outcome.cancelled
    assert any(isinstance(e, EpochEvent) for e in events)
    max_epoch = max(e.epoch for e in events if isinstance(e, EpochEvent))
    assert max_epoch < 200  # trials were stopped long before their last epoch
    store = ModelStore(tmp_path / "store")
    written = [e.version for e in events if isinstance(e, ArchiveEvent)]
    if "mood" not in store.list_models():
        assert written == []
        return
    assert "candidate" not in store.aliases("mood")
    # every visible version is a complete archive that verifies; a save cut short stays
    # in the store's private pending slot and never shows up as a version
    assert sorted(store.versions("mood")) == sorted(written)
    for version in store.versions("mood"):
        store.verify("mood", version)
    published = sorted(p.name for p in (tmp_path / "store" / "mood" / "versions").iterdir())
    assert published == [f"{v:06d}.tar.gz" for v in sorted(written)]
