#!/usr/bin/env python
"""Ray Tune sweep (2 concurrent trials) vs the same configurations trained one after another.

    .venv/bin/python tools/bench/sweep_parallel.py [--epochs 2] [--repeats 1] [--project DIR]

Eight configurations (batch size x learning rate x dialogue dropout) of the MultiWOZ
project, each trained by ``train_project`` (the ``ted train`` code path):

* sequential: one fresh process trains the 8 configurations one after another
  (TensorFlow imported once, 2 threads);
* sweep: ``ted_trainer`` runs them as Ray Tune trials, 2 at a time with 1 CPU each, on a
  local Ray instance with 2 CPUs (Ray start-up timed apart).

Per trial it reports Ray's overhead: start-up (the driver launching the trial until the
trial function runs), worker set-up (trial function start until ``train_project`` starts:
imports, device set-up) and reporting (seconds inside ``ray.tune.report``). Prints a table
and writes tools/bench/results/sweep_parallel.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import PYTHON, median, print_table, shared_data, write_result

GRID = {
    "batch_size": [[32, 64], 64],
    "learning_rate": [0.001, 0.003],
    "drop_rate_dialogue": [0.1, 0.2],
}


def configurations() -> list[dict[str, Any]]:
    keys = list(GRID)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*GRID.values())]


def sequential_worker(project: str, epochs: int, store: str) -> None:
    """Child process: train every configuration in turn, print JSON timings."""
    started = time.perf_counter()
    from ted_trainer.devices import configure_tensorflow

    configure_tensorflow([], 2)
    from ted_pipeline import train_project

    imported = time.perf_counter()
    trials = []
    for n, hp in enumerate(configurations()):
        t0 = time.perf_counter()
        result = train_project(
            project,
            store=store,
            name="multiwoz",
            config_overrides={**hp, "epochs": epochs},
            force=True,
            lineage={"bench": "sequential", "index": n},
        )
        trials.append({"seconds": time.perf_counter() - t0, "version": result.version})
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "total_s": time.perf_counter() - started,
                "trials": trials,
            }
        )
    )


def run_sequential(project: Path, epochs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-seq-") as store:
        cmd = [PYTHON, __file__, "--sequential-worker", str(project), str(epochs), store]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"sequential run failed:\n{out.stderr[-3000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["wall_s"] = wall
    return data


def run_sweep_once(project: Path, epochs: int) -> dict[str, Any]:
    from ted_trainer.events import Event, TrialEvent
    from ted_trainer.sweep_runner import plan_sweep, run_sweep
    from ted_trainer.sweep_spec import parse_sweep_spec

    spec = parse_sweep_spec(
        {
            "project": str(project),
            "name": "multiwoz",
            "num_samples": 1,
            "max_concurrent_trials": 2,
            "resources_per_trial": {"cpu": 1},
            "max_failures": 0,
            "epochs": epochs,
            "search_space": {key: {"grid": values} for key, values in GRID.items()},
        }
    )
    launched: dict[str, float] = {}

    def on_event(event: Event) -> None:
        if isinstance(event, TrialEvent) and event.state == "RUNNING":
            launched.setdefault(event.trial_id, time.time())

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as store:
        plan = plan_sweep(spec, store_root=store)
        start = time.perf_counter()
        outcome = run_sweep(plan, on_event=on_event)
        wall = time.perf_counter() - start
    trials = []
    for t in outcome.trials:
        timing = t.timing
        entry = timing.get("trial_started_at", float("nan"))
        train = timing.get("train_project_seconds", float("nan"))
        trials.append(
            {
                "trial_id": t.trial_id,
                "hyperparameters": t.hyperparameters,
                "duration_s": t.duration_s,
                "started_after_launch_s": entry - launched.get(t.trial_id, float("nan")),
                "setup_s": t.duration_s - train - timing.get("report_seconds", 0.0),
                "report_s": timing.get("report_seconds", float("nan")),
                "train_s": train,
                "version": t.version,
            }
        )
    return {"wall_s": wall, "trials": trials}


def report(runs: list[dict[str, Any]], project: str, epochs: int) -> dict[str, float]:
    """Print the tables for ``runs`` (also usable on a saved result: --report FILE)."""

    def med(values: list[float]) -> float:
        return median([v for v in values if v == v])

    seq_wall = med([r["sequential"]["wall_s"] for r in runs])
    sweep_wall = med([r["sweep"]["wall_s"] for r in runs])
    ray_start = med([r["ray_start_s"] for r in runs])
    all_trials = [t for r in runs for t in r["sweep"]["trials"]]
    seq_trials = [t["seconds"] for r in runs for t in r["sequential"]["trials"]]
    # Slot time no trial function was running (actor start-up, scheduling, result handling),
    # spread over the trials: 2 slots x wall - the trials' own durations.
    idle = med(
        [
            (2 * r["sweep"]["wall_s"] - sum(t["duration_s"] for t in r["sweep"]["trials"]))
            / len(r["sweep"]["trials"])
            for r in runs
        ]
    )
    rows = [
        [
            "sequential, 1 process (8 trials)",
            seq_wall,
            med([r["sequential"]["import_s"] for r in runs]),
        ],
        ["Ray Tune sweep, 2 concurrent (8 trials)", sweep_wall, ray_start],
        ["wall-time ratio sequential / sweep", seq_wall / sweep_wall, ""],
        ["... counting Ray start-up", seq_wall / (sweep_wall + ray_start), ""],
    ]
    print_table(
        f"8 configurations of {project}, {epochs} epochs, median of {len(runs)}",
        rows,
        ["run", "wall s", "one-time start s (TF import / Ray init)"],
    )
    print_table(
        "per trial (median)",
        [
            ["train_project s, sequential", med(seq_trials)],
            ["train_project s, in a sweep trial", med([t["train_s"] for t in all_trials])],
            ["Ray start-up + scheduling (idle slot s per trial)", idle],
            [
                "worker set-up in the trial: imports, devices",
                med([t["setup_s"] for t in all_trials]),
            ],
            [
                "reporting: inside ray.tune.report (all epochs)",
                med([t["report_s"] for t in all_trials]),
            ],
        ],
        ["what", "seconds"],
    )
    return {"sequential_wall_s": seq_wall, "sweep_wall_s": sweep_wall, "ray_start_s": ray_start}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=shared_data() / "multiwoz")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--sequential-worker", nargs=3, metavar=("PROJECT", "EPOCHS", "STORE"))
    parser.add_argument("--report", type=Path, help="only print the tables of a saved result")
    args = parser.parse_args(argv)
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        report(saved["runs"], Path(saved["project"]).name, saved["epochs"])
        return 0
    if args.sequential_worker:
        project, epochs, store = args.sequential_worker
        sequential_worker(project, int(epochs), store)
        return 0

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    import ray

    runs = []
    for repeat in range(args.repeats):
        print(f"repeat {repeat + 1}/{args.repeats}: sequential ...", flush=True)
        seq = run_sequential(args.project, args.epochs)
        print(f"  sequential wall {seq['wall_s']:.1f}s; sweep ...", flush=True)
        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        ray_start = time.perf_counter() - t0
        try:
            sweep = run_sweep_once(args.project, args.epochs)
        finally:
            ray.shutdown()
        print(f"  sweep wall {sweep['wall_s']:.1f}s (+ Ray start {ray_start:.1f}s)", flush=True)
        runs.append({"sequential": seq, "sweep": sweep, "ray_start_s": ray_start})

    summary = report(runs, args.project.name, args.epochs)
    write_result(
        "sweep_parallel",
        {
            "project": str(args.project),
            "epochs": args.epochs,
            "repeats": args.repeats,
            **summary,
            "ratio": summary["sequential_wall_s"] / summary["sweep_wall_s"],
            "runs": runs,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
