"""Translation of a ``SweepSpec`` into Ray Tune's param space, scheduler and configs.

Ray is imported inside the functions: parsing a sweep file must not need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ted_trainer.sweep_spec import Dimension, SweepSpec

if TYPE_CHECKING:
    from ray.tune.schedulers import TrialScheduler

# Prefix of the param-space keys that hold TEDPolicy values; anything else is bookkeeping.
HP_PREFIX = "hp/"
# The per-epoch counter trials report; ASHA uses it as its time attribute.
EPOCH_KEY = "epoch"


def tune_domain(dim: Dimension) -> Any:
    """One dimension as a Tune search domain (randint's upper bound is inclusive here)."""
    from ray import tune

    if dim.kind == "grid":
        return tune.grid_search(list(dim.values))
    if dim.kind == "choice":
        return tune.choice(list(dim.values))
    if dim.kind == "uniform":
        return tune.uniform(dim.low, dim.high)
    if dim.kind == "loguniform":
        return tune.loguniform(dim.low, dim.high)
    if dim.kind == "randint":
        return tune.randint(int(dim.low), int(dim.high) + 1)
    raise ValueError(f"unknown dimension kind {dim.kind!r}")


def param_space(spec: SweepSpec) -> dict[str, Any]:
    """Tune's param space: one ``hp/<key>`` entry per searched TEDPolicy key."""
    return {HP_PREFIX + dim.key: tune_domain(dim) for dim in spec.search_space}


def hyperparameters(trial_config: dict[str, Any]) -> dict[str, Any]:
    """The TEDPolicy keys of one trial's sampled config."""
    return {
        key[len(HP_PREFIX) :]: _plain(value)
        for key, value in trial_config.items()
        if key.startswith(HP_PREFIX)
    }


def max_epochs(spec: SweepSpec, base_epochs: int) -> int:
    """Most epochs any trial runs (ASHA's max_t)."""
    for dim in spec.search_space:
        if dim.key == "epochs":
            return int(max(dim.values) if dim.values else dim.high)
    return spec.epochs or base_epochs


def scheduler(spec: SweepSpec, metric: str, base_epochs: int) -> TrialScheduler | None:
    """ASHA on the per-epoch metric when the spec asks for early stopping."""
    if spec.early_stopping is None:
        return None
    from ray.tune.schedulers import ASHAScheduler

    return ASHAScheduler(
        time_attr=EPOCH_KEY,
        metric=metric,
        mode=spec.mode,
        max_t=max(max_epochs(spec, base_epochs), 1),
        grace_period=spec.early_stopping.grace_period,
        reduction_factor=spec.early_stopping.reduction_factor,
    )


def _plain(value: Any) -> Any:
    """numpy scalars (what Tune samples) to Python numbers, tuples to lists."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return value
