"""An interrupted sweep (Ctrl-C in the driver) resumes with Tuner.restore and finishes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ted_archive import ModelStore
from ted_trainer.sweep_runner import load_plan, run_sweep

pytestmark = pytest.mark.slow

DRIVER = """
import json, sys
from ted_trainer.events import EpochEvent
from ted_trainer.ray_session import ensure_ray
from ted_trainer.sweep_runner import plan_sweep, run_sweep
from ted_trainer.sweep_spec import parse_sweep_spec

ensure_ray(sys.argv[1])
plan = plan_sweep(parse_sweep_spec(json.loads(sys.argv[2])), store_root=sys.argv[3])
print("SWEEP", plan.sweep_id, flush=True)

def on_event(event):
    if isinstance(event, EpochEvent):
        print("EPOCH", event.trial_id, event.epoch, flush=True)

outcome = run_sweep(plan, on_event=on_event)
print("INTERRUPTED" if outcome.interrupted else "FINISHED", flush=True)
"""


def test_interrupted_sweep_resumes_and_finishes(
    ray_local: None, moodbot: Path, tiny: dict, tmp_path: Path
) -> None:
    import ray

    spec = {
        "project": str(moodbot),
        "name": "mood",
        "num_samples": 1,
        "max_concurrent_trials": 2,
        "resources_per_trial": {"cpu": 1},
        "augmentation": 0,
        "epochs": 40,
        "overrides": tiny,
        "search_space": {"learning_rate": {"grid": [0.003, 0.01]}},
    }
    store = tmp_path / "store"
    address = ray.get_runtime_context().gcs_address
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, address, json.dumps(spec), str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "RAY_AIR_NEW_OUTPUT": "0"},
    )
    assert proc.stdout is not None
    sweep_id = ""
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        if line.startswith("SWEEP"):
            sweep_id = line.split()[1]
        if line.startswith("EPOCH"):
            proc.send_signal(signal.SIGINT)  # Ctrl-C in the middle of training
            break
        assert time.monotonic() < deadline, "no epoch reported"
    rest = proc.communicate(timeout=180)[0]
    assert "INTERRUPTED" in rest
    assert sweep_id
    # nothing finished, so nothing got the alias
    if "mood" in ModelStore(store).list_models():
        assert "candidate" not in ModelStore(store).aliases("mood")

    plan = load_plan(sweep_id, store_root=store)
    outcome = run_sweep(plan, resume=True)
    assert not outcome.interrupted and not outcome.cancelled
    assert len(outcome.trials) == 2
    assert all(t.state == "TERMINATED" and t.version > 0 for t in outcome.trials)
    model_store = ModelStore(store)
    for trial in outcome.trials:
        manifest = model_store.verify("mood", trial.version)
        assert manifest.lineage["sweep_id"] == sweep_id
        assert manifest.lineage["trial_id"] == trial.trial_id
        assert manifest.config["epochs"] == 40
    assert outcome.best is not None
    assert model_store.aliases("mood") == {"candidate": outcome.best.version}
