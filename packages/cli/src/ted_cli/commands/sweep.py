"""``ted sweep``: a Ray Tune hyperparameter / batch-size sweep over a project.

Every trial trains through the same code path as ``ted train`` and writes a versioned
archive into the store; the best trial's version gets the sweep's alias (``candidate``).
Ray, TensorFlow and ted-trainer are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from ted_cli.errors import CliError

STORE_ENV = "TED_STORE"
RAY_ADDRESS_ENV = "TED_RAY_ADDRESS"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="run a Ray Tune sweep; every trial writes an archive, the best gets an alias",
        description=(
            "Runs the trials of a sweep file (search space over TEDPolicy keys, batch sizes, "
            "samples, concurrency, resources, early stopping) on a local Ray instance or the "
            "cluster at --ray-address. Shows live progress and ends with a table of every "
            "trial. Ctrl-C interrupts; --resume SWEEP_ID continues an interrupted sweep."
        ),
    )
    parser.add_argument("project", nargs="?", type=Path, help="project folder (domain.yml, data/)")
    parser.add_argument("--space", type=Path, help="sweep file (YAML)")
    parser.add_argument(
        "--store",
        type=Path,
        default=os.environ.get(STORE_ENV),
        help=f"model store directory (default: ${STORE_ENV})",
    )
    parser.add_argument(
        "--ray-address",
        default=os.environ.get(RAY_ADDRESS_ENV),
        help=f"Ray cluster address, e.g. 10.0.0.5:6379 (default: ${RAY_ADDRESS_ENV} or local)",
    )
    parser.add_argument("--name", default=None, help="model name (overrides the sweep file)")
    parser.add_argument("--resume", metavar="SWEEP_ID", help="continue an interrupted sweep")
    parser.add_argument(
        "--num-cpus", type=int, default=None, help="CPUs of the local Ray instance (default: all)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON only")
    parser.set_defaults(func=run_sweep_command)


def run_sweep_command(args: argparse.Namespace) -> int:
    try:
        from ted_trainer.errors import TrainerError
    except ImportError as e:
        raise CliError(f"ted-trainer is not installed ({e}); install ted-cli[serve]") from e
    if args.store is None:
        raise CliError(f"no model store given: pass --store DIR or set ${STORE_ENV}")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # keep Tune's own tables off the terminal
    try:
        outcome = _run(args)
    except TrainerError as e:
        raise CliError(str(e)) from e
    if args.json:
        print(json.dumps(outcome.to_dict(), indent=2, default=_json_default))
    else:
        print_table(outcome)
    if outcome.interrupted:
        print(
            f"sweep interrupted; continue it with: ted sweep --resume {outcome.sweep_id} "
            f"--store {args.store}",
            file=sys.stderr,
        )
        return 130
    return 0


def _run(args: argparse.Namespace) -> Any:
    import dataclasses

    from ted_trainer.ray_session import ensure_ray
    from ted_trainer.sweep_runner import load_plan, plan_sweep, run_sweep
    from ted_trainer.sweep_spec import load_sweep_spec

    if args.resume:
        plan = load_plan(args.resume, store_root=args.store)
        resume = True
    else:
        if args.space is None:
            raise CliError("give the sweep file with --space FILE (or --resume SWEEP_ID)")
        spec = load_sweep_spec(args.space)
        if args.project is not None:
            if not args.project.is_dir():
                raise CliError(f"{args.project}: no such project folder")
            spec = spec.with_project(args.project)
        if args.name:
            spec = dataclasses.replace(spec, name=args.name)
        plan = plan_sweep(spec, store_root=args.store)
        resume = False
    ensure_ray(args.ray_address, num_cpus=args.num_cpus)
    progress = Progress(plan.spec.mode, quiet=args.json)
    progress.start(plan.sweep_id, plan.context.model_name)
    return run_sweep(plan, on_event=progress, resume=resume)


class Progress:
    """Prints one line per trial state change: running / done / failed and best so far."""

    def __init__(self, mode: str, *, quiet: bool = False) -> None:
        self.mode = mode
        self.quiet = quiet
        self.started = time.monotonic()
        self.running: set[str] = set()
        self.done: set[str] = set()
        self.failed: set[str] = set()
        self.best: tuple[str, float] | None = None

    def start(self, sweep_id: str, model: str) -> None:
        self._print(f"sweep {sweep_id}: training {model}")

    def __call__(self, event: Any) -> None:
        from ted_trainer.events import ArchiveEvent, TrialEvent

        if isinstance(event, TrialEvent):
            self.running.discard(event.trial_id)
            if event.state in ("RUNNING", "RETRYING"):
                self.running.add(event.trial_id)
            elif event.state == "TERMINATED":
                self.done.add(event.trial_id)
            elif event.state == "ERROR":
                self.failed.add(event.trial_id)
            note = f" ({event.error})" if event.error else ""
            self._status(f"trial {event.trial_id} {event.state.lower()}{note}")
        elif isinstance(event, ArchiveEvent):
            value = event.objective
            if math.isfinite(value) and (self.best is None or self._better(value, self.best[1])):
                self.best = (event.trial_id, value)
            self._status(f"trial {event.trial_id} wrote version {event.version}")

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.mode == "max" else a < b

    def _status(self, what: str) -> None:
        best = f"{self.best[1]:.4f} ({self.best[0]})" if self.best else "-"
        self._print(
            f"{what} | running {len(self.running)}, done {len(self.done)}, "
            f"failed {len(self.failed)} | best so far {best}"
        )

    def _print(self, line: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:6.1f}s] {line}", flush=True)


def print_table(outcome: Any) -> None:
    keys = sorted({k for t in outcome.trials for k in t.hyperparameters})
    label = outcome.metric
    if outcome.metric_source == "training data" and label.startswith("eval_"):
        label = label[len("eval_") :] + " (training data)"
    header = ["trial", *keys, label, "seconds", "version", "state"]
    rows = []
    for t in outcome.trials:
        rows.append(
            [
                t.trial_id + (" *" if outcome.best and t.trial_id == outcome.best.trial_id else ""),
                *[_cell(t.hyperparameters.get(k)) for k in keys],
                "-" if math.isnan(t.metric) else f"{t.metric:.4f}",
                "-" if math.isnan(t.duration_s) else f"{t.duration_s:.1f}",
                str(t.version or "-"),
                t.state + (f": {t.error}" if t.error else ""),
            ]
        )
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    print(f"metric {outcome.metric} ({outcome.mode}) computed on: {outcome.metric_source}")
    if outcome.cancelled:
        print("sweep cancelled: no alias set")
    elif outcome.best is not None and not outcome.interrupted:
        print(
            f"best: trial {outcome.best.trial_id} -> {outcome.model_name} version "
            f"{outcome.best.version}, alias '{outcome.alias}'"
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)
