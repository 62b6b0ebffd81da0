"""The typed RulePolicy and MemoizationPolicy settings: Rasa 3.6's keys, defaults, meanings.

The defaults are those of each policy's ``get_default_config`` in Rasa 3.6 and the
priorities its constants (TEDPolicy 1 < UnexpecTEDIntentPolicy 2 < memoization 3 <
RulePolicy 4), so a config.yml means the same here as under ``rasa train``. Values are
checked as ted-model checks TEDPolicy's (a ``ConfigError`` naming the key); keys are
reported, not raised, so that every typo of a file shows up in one run.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from ted_model.config import did_you_mean
from ted_model.errors import ConfigError

logger = logging.getLogger(__name__)

TED_PRIORITY = 1
MEMOIZATION_PRIORITY = 3
RULE_PRIORITY = 4
DEFAULT_CORE_FALLBACK_THRESHOLD = 0.3
DEFAULT_FALLBACK_ACTION = "action_default_fallback"

_Settings = TypeVar("_Settings", "RulePolicyConfig", "MemoizationConfig")


def _check_bool(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(key, f"expected true or false, got {value!r}")


def check_priority(value: Any) -> None:
    """A priority is an integer (Rasa compares them; any sign is allowed)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError("priority", f"expected an integer, got {value!r}")


def _check_max_history(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError("max_history", f"expected an integer or null, got {value!r}")
    if value < 1:
        raise ConfigError("max_history", f"must be at least 1, got {value}")


@dataclasses.dataclass(frozen=True)
class RulePolicyConfig:
    """RulePolicy: the rules, the core fallback when no policy is confident, and forms."""

    priority: int = RULE_PRIORITY
    core_fallback_threshold: float = DEFAULT_CORE_FALLBACK_THRESHOLD
    core_fallback_action_name: str = DEFAULT_FALLBACK_ACTION
    enable_fallback_prediction: bool = True
    restrict_rules: bool = True
    check_for_contradictions: bool = True
    use_nlu_confidence_as_score: bool = False

    POLICY: ClassVar[str] = "RulePolicy"
    # Rasa keys accepted without effect, with the reason given in the warning.
    NO_EFFECT: ClassVar[Mapping[str, str]] = {
        "max_history": "Rasa sets RulePolicy's max_history to None so rules of any length match",
    }

    def __post_init__(self) -> None:
        check_priority(self.priority)
        threshold = self.core_fallback_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ConfigError("core_fallback_threshold", f"expected a number, got {threshold!r}")
        if not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
            raise ConfigError(
                "core_fallback_threshold", f"must be between 0 and 1, got {threshold}"
            )
        name = self.core_fallback_action_name
        if not isinstance(name, str) or not name.strip():
            raise ConfigError("core_fallback_action_name", f"expected an action name, got {name!r}")
        for key in (
            "enable_fallback_prediction",
            "restrict_rules",
            "check_for_contradictions",
            "use_nlu_confidence_as_score",
        ):
            _check_bool(key, getattr(self, key))

    @property
    def max_history(self) -> None:
        """Always None: Rasa's RulePolicy looks at the whole conversation."""
        return None

    @property
    def policy_name(self) -> str:
        return self.POLICY

    @classmethod
    def rasa_keys(cls) -> frozenset[str]:
        return frozenset({*_field_names(cls), *cls.NO_EFFECT})

    @classmethod
    def from_rasa(
        cls,
        raw: Mapping[str, Any] | None,
        *,
        unknown_keys: list[str] | None = None,
        ignored_keys: list[str] | None = None,
    ) -> RulePolicyConfig:
        """From a config.yml RulePolicy entry; key reporting as ``TEDConfig.from_rasa``."""
        kwargs = _read_keys(cls, raw, cls.POLICY, unknown_keys, ignored_keys)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RulePolicyConfig:
        """Read ``to_dict`` output back (strict: every key must be a field)."""
        return cls(**_strict_fields(cls, data))


@dataclasses.dataclass(frozen=True)
class MemoizationConfig:
    """MemoizationPolicy (or AugmentedMemoizationPolicy): replay the training stories.

    ``augmented`` is not a key: it says the entry was an AugmentedMemoizationPolicy, which
    also recalls a story when earlier turns are forgotten, as Rasa's does.
    """

    max_history: int | None = None
    priority: int = MEMOIZATION_PRIORITY
    use_nlu_confidence_as_score: bool = False
    augmented: bool = False

    POLICY: ClassVar[str] = "MemoizationPolicy"
    AUGMENTED_POLICY: ClassVar[str] = "AugmentedMemoizationPolicy"
    NO_EFFECT: ClassVar[Mapping[str, str]] = {
        "enable_feature_string_compression": "it only changes how Rasa stores its lookup keys",
    }

    def __post_init__(self) -> None:
        _check_max_history(self.max_history)
        check_priority(self.priority)
        _check_bool("use_nlu_confidence_as_score", self.use_nlu_confidence_as_score)
        _check_bool("augmented", self.augmented)

    @property
    def policy_name(self) -> str:
        return self.AUGMENTED_POLICY if self.augmented else self.POLICY

    @classmethod
    def rasa_keys(cls) -> frozenset[str]:
        return frozenset({*_field_names(cls), *cls.NO_EFFECT} - {"augmented"})

    @classmethod
    def from_rasa(
        cls,
        raw: Mapping[str, Any] | None,
        *,
        augmented: bool = False,
        unknown_keys: list[str] | None = None,
        ignored_keys: list[str] | None = None,
    ) -> MemoizationConfig:
        """From a config.yml (Augmented)MemoizationPolicy entry; keys as ``from_rasa`` above."""
        name = cls.AUGMENTED_POLICY if augmented else cls.POLICY
        kwargs = _read_keys(cls, raw, name, unknown_keys, ignored_keys, exclude={"augmented"})
        return cls(**kwargs, augmented=augmented)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemoizationConfig:
        """Read ``to_dict`` output back (strict: every key must be a field)."""
        return cls(**_strict_fields(cls, data))


def _field_names(cls: type[_Settings]) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def _read_keys(
    cls: type[_Settings],
    raw: Mapping[str, Any] | None,
    policy: str,
    unknown_keys: list[str] | None,
    ignored_keys: list[str] | None,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Any]:
    """The entry's settings; unknown and no-effect keys go to the lists, else to the log."""
    fields = _field_names(cls) - set(exclude)
    kwargs: dict[str, Any] = {}
    for key, value in dict(raw or {}).items():
        if key == "name":
            continue
        if key in cls.NO_EFFECT:
            if ignored_keys is not None:
                ignored_keys.append(key)
            else:
                logger.warning("%s key '%s' has no effect: %s", policy, key, cls.NO_EFFECT[key])
        elif key not in fields:
            if unknown_keys is not None:
                unknown_keys.append(key)
            else:
                suggestion = did_you_mean(key, cls.rasa_keys())
                logger.warning("unknown %s key '%s' ignored%s", policy, key, suggestion)
        else:
            kwargs[key] = value
    return kwargs


def _strict_fields(cls: type[_Settings], data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigError(cls.POLICY, f"expected a mapping of settings, got {data!r}")
    fields = _field_names(cls)
    for key in data:
        if key not in fields:
            raise ConfigError(key, f"unknown {cls.POLICY} setting")
    return dict(data)
