"""The sweep file: YAML parsed into a typed, validated ``SweepSpec``.

Every error names the offending key as a dotted path (``search_space.learning_rate.loguniform``)
so a user can fix the file without reading code. Pure Python: no Ray, no TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ted_trainer.errors import SweepSpecError

DIMENSION_KINDS: tuple[str, ...] = ("grid", "choice", "uniform", "loguniform", "randint")
DEFAULT_METRIC = "eval_action_accuracy"
DEFAULT_ALIAS = "candidate"
SCHEDULERS: tuple[str, ...] = ("asha",)

# Keys a trial sets itself; sweeping them would break the sweep's bookkeeping.
_RESERVED_CONFIG_KEYS = frozenset({"tensorboard_log_directory", "checkpoint_model"})


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One searched TEDPolicy key: a discrete set (grid/choice) or a range."""

    key: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        if self.kind in ("grid", "choice"):
            return {self.kind: [_plain(v) for v in self.values]}
        low: Any = int(self.low) if self.kind == "randint" else self.low
        high: Any = int(self.high) if self.kind == "randint" else self.high
        return {self.kind: [low, high]}


@dataclasses.dataclass(frozen=True)
class Resources:
    """What one trial asks Ray for; a fractional GPU lets trials share a device."""

    cpu: float = 1.0
    gpu: float = 0.0

    def to_ray(self) -> dict[str, float]:
        return {"cpu": self.cpu, "gpu": self.gpu}


@dataclasses.dataclass(frozen=True)
class EarlyStopping:
    """ASHA on the per-epoch selection metric (trials stopped early write no archive)."""

    scheduler: str = "asha"
    grace_period: int = 1
    reduction_factor: float = 2.0


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file. Paths are absolute (resolved against the file's folder)."""

    project: Path | None = None
    config: Path | None = None
    name: str | None = None
    metric: str = DEFAULT_METRIC
    mode: str = "max"
    num_samples: int = 1
    max_concurrent_trials: int | None = None
    resources_per_trial: Resources = dataclasses.field(default_factory=Resources)
    max_failures: int = 1
    search_space: tuple[Dimension, ...] = ()
    overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    epochs: int | None = None
    augmentation: int | None = None
    early_stopping: EarlyStopping | None = None
    eval_stories: Path | None = None
    alias: str = DEFAULT_ALIAS
    runs_dir: Path | None = None

    def with_project(self, project: Path) -> SweepSpec:
        """The same spec for a project given on the command line (it wins over the file)."""
        return dataclasses.replace(self, project=project.resolve())

    def fixed_overrides(self) -> dict[str, Any]:
        """TEDPolicy keys every trial gets (the spec's ``overrides`` plus ``epochs``)."""
        fixed = {k: _plain(v) for k, v in self.overrides.items()}
        if self.epochs is not None:
            fixed["epochs"] = self.epochs
        return fixed

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form that ``parse_sweep_spec`` reads back."""
        data: dict[str, Any] = {
            "metric": self.metric,
            "mode": self.mode,
            "num_samples": self.num_samples,
            "resources_per_trial": {
                "cpu": self.resources_per_trial.cpu,
                "gpu": self.resources_per_trial.gpu,
            },
            "max_failures": self.max_failures,
            "search_space": {d.key: d.to_dict() for d in self.search_space},
            "overrides": {k: _plain(v) for k, v in self.overrides.items()},
            "alias": self.alias,
        }
        for key in ("project", "config", "eval_stories", "runs_dir"):
            value = getattr(self, key)
            if value is not None:
                data[key] = str(value)
        for key in ("name", "max_concurrent_trials", "epochs", "augmentation"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.early_stopping is not None:
            data["early_stopping"] = dataclasses.asdict(self.early_stopping)
        return data


# check(changes) raises ValueError when the TEDPolicy keys/values in ``changes`` are invalid.
ConfigValidator = Callable[[Mapping[str, Any]], None]


class UnknownConfigKey(ValueError):
    """Raised by a ``ConfigValidator`` for a key TEDPolicy does not have."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"unknown TEDPolicy key {key!r}")


_TOP_KEYS = {f.name for f in dataclasses.fields(SweepSpec)}


def load_sweep_spec(
    path: str | Path, *, validate_config: ConfigValidator | None = None
) -> SweepSpec:
    """Read and validate a sweep file; relative paths in it are relative to its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SweepSpecError("(file)", f"cannot read {path}: {e.strerror or e}") from e
    return parse_sweep_text(
        text, base_dir=path.resolve().parent, source=str(path), validate_config=validate_config
    )


def parse_sweep_text(
    text: str,
    *,
    base_dir: Path | None = None,
    source: str | None = None,
    validate_config: ConfigValidator | None = None,
) -> SweepSpec:
    """Parse YAML text of a sweep file."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise SweepSpecError("(file)", f"not valid YAML{where}: {e}", source) from e
    if data is None:
        data = {}
    return parse_sweep_spec(data, base_dir=base_dir, source=source, validate_config=validate_config)


def parse_sweep_spec(
    data: Any,
    *,
    base_dir: Path | None = None,
    source: str | None = None,
    validate_config: ConfigValidator | None = None,
) -> SweepSpec:
    """Validate an already-parsed sweep mapping into a ``SweepSpec``."""
    try:
        return _parse(data, base_dir or Path.cwd(), validate_config or default_config_validator())
    except SweepSpecError as e:
        if source and e.source is None:
            raise SweepSpecError(e.key, str(e).split(": ", 1)[1], source) from e
        raise


def default_config_validator() -> ConfigValidator:
    """Check a TEDPolicy key/value with ted-model's typed config (ted_model.config is light)."""
    from ted_model.config import TEDConfig

    base = TEDConfig()
    fields = set(base.to_dict())

    def validate(changes: Mapping[str, Any]) -> None:
        for key in changes:
            if key not in fields:
                raise UnknownConfigKey(key)
        try:
            base.replace(**dict(changes))
        except Exception as e:  # ted_model's ConfigError; its text names the problem
            raise ValueError(str(e)) from e

    return validate


def _parse(data: Any, base_dir: Path, validate_config: ConfigValidator) -> SweepSpec:
    if not isinstance(data, Mapping):
        raise SweepSpecError("(top level)", f"expected a mapping of keys, got {_type(data)}")
    for key in data:
        if key not in _TOP_KEYS:
            known = ", ".join(sorted(_TOP_KEYS))
            raise SweepSpecError(str(key), f"unknown sweep key (known: {known})")
    kwargs: dict[str, Any] = {}
    for key in ("project", "config", "eval_stories", "runs_dir"):
        if data.get(key) is not None:
            kwargs[key] = _path(key, data[key], base_dir)
    if data.get("name") is not None:
        kwargs["name"] = _name("name", data["name"])
    if "metric" in data:
        kwargs["metric"] = _string("metric", data["metric"])
    if "mode" in data:
        mode = data["mode"]
        if mode not in ("max", "min"):
            raise SweepSpecError("mode", f"expected 'max' or 'min', got {mode!r}")
        kwargs["mode"] = mode
    if "num_samples" in data:
        kwargs["num_samples"] = _int("num_samples", data["num_samples"], 1)
    if data.get("max_concurrent_trials") is not None:
        kwargs["max_concurrent_trials"] = _int(
            "max_concurrent_trials", data["max_concurrent_trials"], 1
        )
    if "resources_per_trial" in data:
        kwargs["resources_per_trial"] = _resources(data["resources_per_trial"])
    if "max_failures" in data:
        kwargs["max_failures"] = _int("max_failures", data["max_failures"], -1)
    if data.get("epochs") is not None:
        kwargs["epochs"] = _int("epochs", data["epochs"], 1)
    if data.get("augmentation") is not None:
        kwargs["augmentation"] = _int("augmentation", data["augmentation"], 0)
    if data.get("early_stopping") is not None:
        kwargs["early_stopping"] = _early_stopping(data["early_stopping"])
    if "alias" in data:
        kwargs["alias"] = _name("alias", data["alias"])
        if kwargs["alias"] == "latest":
            raise SweepSpecError("alias", "'latest' is reserved by the model store")
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        raise SweepSpecError(
            "overrides", f"expected a mapping of TEDPolicy keys, got {_type(overrides)}"
        )
    for key in overrides:
        _check_config(f"overrides.{key}", str(key), {}, validate_config)
    _check_config("overrides", "", dict(overrides), validate_config)
    kwargs["overrides"] = dict(overrides)
    kwargs["search_space"] = _search_space(
        data.get("search_space"), dict(overrides), validate_config
    )
    searched = {d.key for d in kwargs["search_space"]}
    if "epochs" in searched and kwargs.get("epochs") is not None:
        raise SweepSpecError("epochs", "epochs is also searched in search_space; keep one")
    for key in searched & set(kwargs["overrides"]):
        raise SweepSpecError(f"overrides.{key}", "also searched in search_space; keep one")
    return SweepSpec(**kwargs)


def _search_space(
    raw: Any, overrides: dict[str, Any], validate_config: ConfigValidator
) -> tuple[Dimension, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise SweepSpecError(
            "search_space", f"expected a mapping of TEDPolicy keys, got {_type(raw)}"
        )
    dims = []
    for key, body in raw.items():
        path = f"search_space.{key}"
        if key in _RESERVED_CONFIG_KEYS:
            raise SweepSpecError(path, "set by every trial itself; cannot be searched")
        if not isinstance(body, Mapping) or len(body) != 1:
            raise SweepSpecError(
                path, f"expected one of {{{', '.join(DIMENSION_KINDS)}: ...}}, got {body!r}"
            )
        ((kind, spec),) = body.items()
        if kind not in DIMENSION_KINDS:
            raise SweepSpecError(
                path, f"unknown kind {kind!r} (expected one of {', '.join(DIMENSION_KINDS)})"
            )
        dims.append(_dimension(str(key), str(kind), spec, overrides, validate_config))
    return tuple(dims)


def _dimension(
    key: str, kind: str, spec: Any, overrides: dict[str, Any], validate_config: ConfigValidator
) -> Dimension:
    path = f"search_space.{key}.{kind}"
    if kind in ("grid", "choice"):
        if not isinstance(spec, list) or not spec:
            raise SweepSpecError(path, f"expected a non-empty list of values, got {spec!r}")
        values = tuple(_number_or_value(v) for v in spec)
        for i, value in enumerate(values):
            _check_config(f"{path}[{i}]", key, {**overrides, key: value}, validate_config)
        return Dimension(key, kind, values=values)
    if not isinstance(spec, list) or len(spec) != 2:
        raise SweepSpecError(path, f"expected [low, high], got {spec!r}")
    low, high = (_number(f"{path}[{i}]", v) for i, v in enumerate(spec))
    if kind == "randint":
        if not (float(low).is_integer() and float(high).is_integer()):
            raise SweepSpecError(path, f"randint bounds must be integers, got {spec!r}")
        low, high = int(low), int(high)
    if low > high:
        raise SweepSpecError(path, f"low {low} is greater than high {high}")
    if kind == "loguniform" and low <= 0:
        raise SweepSpecError(path, f"loguniform needs low > 0, got {low}")
    for i, bound in enumerate((low, high)):
        _check_config(f"{path}[{i}]", key, {**overrides, key: bound}, validate_config)
    return Dimension(key, kind, low=low, high=high)


def _check_config(
    where: str, key: str, changes: Mapping[str, Any], validate: ConfigValidator
) -> None:
    if key in _RESERVED_CONFIG_KEYS:
        raise SweepSpecError(where, "set by every trial itself; cannot be overridden")
    try:
        validate(changes)
    except UnknownConfigKey as e:
        raise SweepSpecError(where.split(".")[0] + f".{e.key}", str(e)) from e
    except ValueError as e:
        raise SweepSpecError(where, str(e)) from e


def _resources(raw: Any) -> Resources:
    if not isinstance(raw, Mapping):
        raise SweepSpecError("resources_per_trial", f"expected {{cpu: N, gpu: N}}, got {raw!r}")
    for key in raw:
        if key not in ("cpu", "gpu"):
            raise SweepSpecError(f"resources_per_trial.{key}", "unknown resource (cpu, gpu)")
    cpu = _number("resources_per_trial.cpu", raw.get("cpu", 1))
    gpu = _number("resources_per_trial.gpu", raw.get("gpu", 0))
    if cpu <= 0:
        raise SweepSpecError("resources_per_trial.cpu", f"must be > 0, got {cpu}")
    if gpu < 0:
        raise SweepSpecError("resources_per_trial.gpu", f"must be >= 0, got {gpu}")
    if gpu > 1 and not float(gpu).is_integer():
        raise SweepSpecError(
            "resources_per_trial.gpu", f"a fraction must be below 1 (Ray's rule), got {gpu}"
        )
    return Resources(cpu=float(cpu), gpu=float(gpu))


def _early_stopping(raw: Any) -> EarlyStopping:
    if not isinstance(raw, Mapping):
        raise SweepSpecError("early_stopping", f"expected a mapping, got {raw!r}")
    for key in raw:
        if key not in ("scheduler", "grace_period", "reduction_factor"):
            raise SweepSpecError(
                f"early_stopping.{key}", "unknown key (scheduler, grace_period, reduction_factor)"
            )
    scheduler = raw.get("scheduler", "asha")
    if scheduler not in SCHEDULERS:
        raise SweepSpecError(
            "early_stopping.scheduler", f"only 'asha' is supported, got {scheduler!r}"
        )
    grace = _int("early_stopping.grace_period", raw.get("grace_period", 1), 1)
    factor = _number("early_stopping.reduction_factor", raw.get("reduction_factor", 2))
    if factor <= 1:
        raise SweepSpecError("early_stopping.reduction_factor", f"must be > 1, got {factor}")
    return EarlyStopping(scheduler=scheduler, grace_period=grace, reduction_factor=float(factor))


def _path(key: str, raw: Any, base_dir: Path) -> Path:
    if not isinstance(raw, str) or not raw.strip():
        raise SweepSpecError(key, f"expected a path, got {raw!r}")
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (base_dir / path).resolve()


def _name(key: str, raw: Any) -> str:
    value = _string(key, raw)
    if "/" in value or "\\" in value or value.startswith("."):
        raise SweepSpecError(key, f"{value!r} is not a valid name (no slashes, no leading dot)")
    return value


def _string(key: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise SweepSpecError(key, f"expected a non-empty string, got {raw!r}")
    return raw.strip()


def _int(key: str, raw: Any, minimum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise SweepSpecError(key, f"expected an integer, got {raw!r}")
    if raw < minimum:
        raise SweepSpecError(key, f"must be at least {minimum}, got {raw}")
    return raw


def _number(key: str, raw: Any) -> float:
    value = _number_or_value(raw)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SweepSpecError(key, f"expected a number, got {raw!r}")
    return value


def _number_or_value(raw: Any) -> Any:
    """YAML 1.1 reads ``1e-4`` as a string; treat such strings as the number they spell."""
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _type(value: Any) -> str:
    return type(value).__name__
