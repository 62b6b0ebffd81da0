"""The sweep step of ``ted demo``: a small Ray Tune sweep on the bundled project.

Four trials (learning rate x batch-size schedule), two at a time on a local Ray instance;
every trial writes an archive, the best one gets the ``candidate`` alias that the demo then
serves. Needs ted-trainer (Ray); without it the demo trains once instead.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ted_cli.errors import CliError

ALIAS = "candidate"


def sweep_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("ted_trainer", "ray"))


def demo_spec(
    project: Path, name: str, epochs: int | None, config: Path | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "project": str(project),
        "name": name,
        "num_samples": 1,
        "max_concurrent_trials": 2,
        "resources_per_trial": {"cpu": 1},
        "max_failures": 1,
        "alias": ALIAS,
        "search_space": {
            "learning_rate": {"grid": [0.001, 0.003]},
            "batch_size": {"grid": [[8, 32], 16]},
        },
    }
    if epochs:
        spec["epochs"] = epochs
    if config is not None:
        spec["config"] = str(config)
    return spec


def run_demo_sweep(
    project: Path,
    store_root: Path,
    name: str,
    *,
    epochs: int | None,
    config: Path | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Run the sweep; returns the version that got the ``candidate`` alias."""
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    import ray

    from ted_cli.commands.sweep import Progress, print_table
    from ted_trainer.errors import TrainerError
    from ted_trainer.ray_session import ensure_ray
    from ted_trainer.sweep_runner import plan_sweep, run_sweep
    from ted_trainer.sweep_spec import parse_sweep_spec

    spec = parse_sweep_spec(demo_spec(project, name, epochs, config))
    plan = plan_sweep(spec, store_root=store_root)
    started = time.perf_counter()
    try:
        ensure_ray(None)
        up = time.perf_counter() - started
        say(f"   local Ray instance up in {up:.0f} s; 4 trials, 2 at a time")
        progress = Progress(spec.mode)
        progress.start(plan.sweep_id, name)
        outcome = run_sweep(plan, on_event=progress)
    except TrainerError as e:
        raise CliError(f"the demo sweep failed: {e}") from e
    finally:
        if ray.is_initialized():
            ray.shutdown()
    print_table(outcome)
    if outcome.best is None:
        raise CliError("the demo sweep produced no archive")
    say(f"   sweep done in {time.perf_counter() - started:.0f} s\n")
    return int(outcome.best.version)


def wait_for_alias(client: Any, ref: Any, *, timeout: float) -> None:
    """Until the predictor answers for ``name@candidate`` (it polls the store for aliases)."""
    from ted_client.errors import PredictorClientError

    deadline = time.monotonic() + timeout
    while True:
        try:
            client.predict(ref, [], top_k=1)
            return
        except PredictorClientError as e:
            if time.monotonic() > deadline:
                raise CliError(f"the predictor does not serve {ref} yet: {e}") from e
            time.sleep(0.2)
