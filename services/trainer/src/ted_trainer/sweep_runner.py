"""Run a sweep with Ray Tune: every trial trains and archives, the best gets the alias.

Scheduling, retries (``FailureConfig(max_failures)``), concurrency limits, early stopping
(ASHA) and resuming (``Tuner.restore``) are Ray Tune's; this module only wires a
``SweepSpec`` into a ``tune.Tuner`` and reads the results back.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import secrets
import signal
import threading
import time
from pathlib import Path
from typing import Any

from ted_trainer.errors import SweepFailedError, SweepSpecError
from ted_trainer.events import EventSink, StateEvent
from ted_trainer.objective import OBJECTIVE_KEY, SOURCE_TRAINING
from ted_trainer.sweep_spec import SweepSpec, parse_sweep_spec
from ted_trainer.trial import ARCHIVE_VERSION_KEY, TIMING_KEYS, TrialContext, run_trial
from ted_trainer.tune_space import hyperparameters, param_space, scheduler

logger = logging.getLogger(__name__)

SPEC_FILE = "ted_sweep.json"
RUNS_FOLDER = ".sweeps"


@dataclasses.dataclass(frozen=True)
class TrialOutcome:
    """How one trial ended: its hyperparameters, metrics and archive version."""

    trial_id: str
    state: str
    hyperparameters: dict[str, Any]
    metric: float
    metrics: dict[str, float]
    duration_s: float
    version: int
    error: str = ""
    metric_source: str = SOURCE_TRAINING
    # What the trial measured about itself (start time, seconds in reports and training).
    timing: dict[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SweepOutcome:
    """A finished (or cancelled) sweep."""

    sweep_id: str
    model_name: str
    metric: str
    mode: str
    metric_source: str
    alias: str
    trials: tuple[TrialOutcome, ...]
    best: TrialOutcome | None
    experiment_path: str
    cancelled: bool = False
    # Stopped before every trial finished without being cancelled (Ctrl-C, driver killed):
    # ``ted sweep --resume SWEEP_ID`` continues it.
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["best_version"] = self.best.version if self.best else 0
        return data


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """Everything a Tune run needs, resolved from the spec (saved for resuming)."""

    sweep_id: str
    spec: SweepSpec
    context: TrialContext
    experiment_dir: Path
    base_epochs: int

    def save(self) -> None:
        self.experiment_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "sweep_id": self.sweep_id,
            "spec": self.spec.to_dict(),
            "context": dataclasses.asdict(self.context),
            "base_epochs": self.base_epochs,
        }
        (self.experiment_dir / SPEC_FILE).write_text(json.dumps(data, indent=2), "utf-8")

    @classmethod
    def load(cls, experiment_dir: Path) -> SweepPlan:
        data = json.loads((experiment_dir / SPEC_FILE).read_text("utf-8"))
        spec = parse_sweep_spec(data["spec"], base_dir=experiment_dir)
        return cls(
            sweep_id=data["sweep_id"],
            spec=spec,
            context=TrialContext(**data["context"]),
            experiment_dir=experiment_dir,
            base_epochs=int(data["base_epochs"]),
        )


def new_sweep_id() -> str:
    return time.strftime("sweep-%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def load_plan(
    sweep_id: str, *, store_root: str | Path, runs: str | Path | None = None
) -> SweepPlan:
    """The saved plan of an earlier sweep (to resume it)."""
    base = Path(runs) if runs else Path(store_root).resolve() / RUNS_FOLDER
    experiment_dir = base / sweep_id
    if not (experiment_dir / SPEC_FILE).is_file():
        raise SweepSpecError("sweep_id", f"no sweep {sweep_id!r} under {base}")
    return SweepPlan.load(experiment_dir)


def runs_dir(spec: SweepSpec, store_root: Path) -> Path:
    """Where Tune keeps the experiment state (must be shared storage on a cluster)."""
    return spec.runs_dir or (store_root / RUNS_FOLDER)


def plan_sweep(
    spec: SweepSpec,
    *,
    store_root: str | Path,
    sweep_id: str | None = None,
) -> SweepPlan:
    """Resolve project, config, model name, fixed overrides and storage of a sweep."""
    from ted_data_adapter.errors import DataValidationError
    from ted_model import ConfigError
    from ted_pipeline import ProjectNotFoundError, check_project_dir

    if spec.project is None:
        raise SweepSpecError(
            "project", "no project: name one in the sweep file or on the command line"
        )
    try:
        project = check_project_dir(spec.project)
    except ProjectNotFoundError as e:
        raise SweepSpecError("project", str(e)) from e
    if spec.eval_stories is not None and not spec.eval_stories.exists():
        raise SweepSpecError("eval_stories", f"{spec.eval_stories} does not exist")
    store_root = Path(store_root).resolve()
    fixed = spec.fixed_overrides()
    try:
        config = _effective_config(project, spec.config, fixed)
    except DataValidationError as e:
        raise SweepSpecError("config" if spec.config else "project", str(e)) from e
    except ConfigError as e:
        raise SweepSpecError(f"overrides.{e.key}", str(e)) from e
    sweep_id = sweep_id or new_sweep_id()
    context = TrialContext(
        sweep_id=sweep_id,
        project_dir=str(project),
        store_root=str(store_root),
        model_name=spec.name or _default_name(project),
        metric=spec.metric,
        fixed_overrides=fixed,
        cpus=spec.resources_per_trial.cpu,
        augmentation=spec.augmentation,
        eval_stories=str(spec.eval_stories) if spec.eval_stories else None,
        config_file=str(spec.config) if spec.config else None,
    )
    return SweepPlan(
        sweep_id, spec, context, runs_dir(spec, store_root) / sweep_id, int(config.epochs)
    )


def run_sweep(
    plan: SweepPlan,
    *,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
    resume: bool = False,
) -> SweepOutcome:
    """Run (or resume) the planned sweep on the connected Ray instance and set the alias."""
    from ray import tune

    from ted_trainer import tune_callbacks

    sink: EventSink = on_event or (lambda event: None)
    cancel = cancel or threading.Event()
    spec, context = plan.spec, plan.context
    trainable = tune.with_resources(
        tune.with_parameters(run_trial, context=context), spec.resources_per_trial.to_ray()
    )
    if resume:
        if not tune.Tuner.can_restore(str(plan.experiment_dir)):
            raise SweepSpecError("sweep_id", f"nothing to resume at {plan.experiment_dir}")
        tuner = tune.Tuner.restore(
            str(plan.experiment_dir), trainable=trainable, resume_errored=True
        )
    else:
        plan.save()
        tuner = tune.Tuner(
            trainable,
            param_space=param_space(spec),
            tune_config=tune.TuneConfig(
                num_samples=spec.num_samples,
                max_concurrent_trials=spec.max_concurrent_trials,
                scheduler=scheduler(spec, OBJECTIVE_KEY, plan.base_epochs),
                reuse_actors=True,  # a finished trial's worker (TensorFlow loaded) runs the next
            ),
            run_config=tune.RunConfig(
                name=plan.sweep_id,
                storage_path=str(plan.experiment_dir.parent),
                failure_config=tune.FailureConfig(max_failures=spec.max_failures),
                callbacks=[tune_callbacks.SweepEventCallback(plan.sweep_id, context.model_name)],
                stop=tune_callbacks.CancelStopper(plan.sweep_id),
                verbose=0,
            ),
        )
    sink(StateEvent("RUNNING", f"sweep {plan.sweep_id}"))
    tune_callbacks.register(plan.sweep_id, sink, cancel)
    in_main = threading.current_thread() is threading.main_thread()
    previous_sigint = signal.getsignal(signal.SIGINT) if in_main else None
    try:
        grid = tuner.fit()
    finally:
        tune_callbacks.unregister(plan.sweep_id)
        if in_main:  # Tune leaves its own Ctrl-C handler installed; put ours back
            signal.signal(signal.SIGINT, previous_sigint)
    cancelled = cancel.is_set()
    interrupted = not cancelled and _unfinished_trials(plan.experiment_dir) > 0
    outcome = _collect(plan, grid, cancelled=cancelled, interrupted=interrupted)
    if outcome.interrupted:
        logger.warning("sweep %s interrupted; resume it with its id", plan.sweep_id)
    elif outcome.best is not None and not outcome.cancelled:
        from ted_archive import ModelStore

        ModelStore(context.store_root).set_alias(
            context.model_name, spec.alias, outcome.best.version
        )
        logger.info(
            "sweep %s: best trial %s (version %d) is now %r",
            plan.sweep_id,
            outcome.best.trial_id,
            outcome.best.version,
            spec.alias,
        )
    elif not outcome.cancelled:
        errors = "; ".join(t.error for t in outcome.trials if t.error)[:800]
        raise SweepFailedError(
            f"sweep {plan.sweep_id}: no trial wrote an archive" + (f" ({errors})" if errors else "")
        )
    return outcome


def _unfinished_trials(experiment_dir: Path) -> int:
    """Trials the saved experiment state has not finished (after Ctrl-C or a killed driver)."""
    from ray import tune

    analysis = tune.ExperimentAnalysis(str(experiment_dir))
    return sum(1 for t in analysis.trials if t.status not in ("TERMINATED", "ERROR"))


def _collect(plan: SweepPlan, grid: Any, *, cancelled: bool, interrupted: bool) -> SweepOutcome:
    trials = []
    for result in grid:
        metrics = dict(result.metrics or {})
        error = ""
        if result.error is not None:
            error = str(result.error).strip().splitlines()[-1][:500] if str(result.error) else ""
            error = error or type(result.error).__name__
        from ted_trainer.tune_callbacks import model_metrics

        trials.append(
            TrialOutcome(
                trial_id=str(metrics.get("trial_id") or Path(result.path).name),
                state="ERROR" if result.error is not None else "TERMINATED",
                hyperparameters=hyperparameters(result.config or {}),
                metric=_float(metrics.get(OBJECTIVE_KEY)),
                metrics=model_metrics(metrics),
                duration_s=_float(metrics.get("time_total_s")),
                version=int(metrics.get(ARCHIVE_VERSION_KEY) or 0),
                error=error,
                metric_source=str(metrics.get("objective_source") or SOURCE_TRAINING),
                timing={k: _float(metrics[k]) for k in TIMING_KEYS if k in metrics},
            )
        )
    trials.sort(key=lambda t: t.trial_id)
    spec = plan.spec
    finished = [t for t in trials if t.version and math.isfinite(t.metric)]
    best = None
    if finished:
        pick = max if spec.mode == "max" else min
        best = pick(finished, key=lambda t: t.metric)
    sources = {t.metric_source for t in finished}
    return SweepOutcome(
        sweep_id=plan.sweep_id,
        model_name=plan.context.model_name,
        metric=spec.metric,
        mode=spec.mode,
        metric_source=", ".join(sorted(sources)) if sources else SOURCE_TRAINING,
        alias=spec.alias,
        trials=tuple(trials),
        best=best,
        experiment_path=str(plan.experiment_dir),
        cancelled=cancelled,
        interrupted=interrupted,
    )


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _default_name(project: Path) -> str:
    name = "".join(c if c.isalnum() or c in "_.-" else "-" for c in project.name).strip(".-_")
    return name or "model"


def _effective_config(project: Path, config_file: Path | None, fixed: dict[str, Any]) -> Any:
    """The TEDPolicy settings every trial starts from (before its sampled values)."""
    from ted_data_adapter.config import ProjectConfig
    from ted_pipeline import read_config_file, ted_config
    from ted_pipeline.config import TED_POLICY

    if config_file is not None:
        config = read_config_file(config_file)
        if not config.policy_config(TED_POLICY):
            raise SweepSpecError("config", f"{config_file} has no TEDPolicy entry under 'policies'")
    else:
        path = project / "config.yml"
        config = read_config_file(path) if path.is_file() else ProjectConfig()
    return ted_config(config, fixed)
