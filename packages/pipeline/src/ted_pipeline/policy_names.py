"""What a policy name in config.yml stands for here: one of ours, a Rasa 1.x/2.x name, or none.

Rasa 3.6 loads a policy by its registered class name or a dotted class path whose last part
is that name. The policies Rasa 2.x deprecated and 3.0 removed are read as their successor,
as Rasa's migration guides describe (their keys renamed where the successor has them), so an
older config.yml still means what it meant; anything else is left out with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class PolicyKind(str, Enum):
    """The policies an ensemble here can hold (AugmentedMemoizationPolicy is MEMOIZATION)."""

    TED = "TEDPolicy"
    RULE = "RulePolicy"
    MEMOIZATION = "MemoizationPolicy"


@dataclass(frozen=True)
class PolicyName:
    """A name as written, and how it is read."""

    written: str
    kind: PolicyKind | None  # None: a policy not available here
    augmented: bool = False
    # Why an old name is read as its successor (None for a current name).
    legacy_note: str | None = None
    renamed_keys: Mapping[str, str] = field(default_factory=dict)
    # Settings of the NLU side of Rasa 2's fallbacks: no counterpart in a dialogue policy.
    nlu_keys: frozenset[str] = frozenset()
    # Rasa 2's priority of the old policy does not carry over to RulePolicy.
    drops_priority: bool = False

    @property
    def last_part(self) -> str:
        return self.written.split(".")[-1]

    @property
    def policy(self) -> str:
        """The Rasa 3 name it is read as."""
        if self.kind is PolicyKind.MEMOIZATION and self.augmented:
            return "AugmentedMemoizationPolicy"
        return self.kind.value if self.kind is not None else self.last_part

    @property
    def legacy_keys(self) -> frozenset[str]:
        """Keys the old policy had that are read (renamed) or reported (NLU, priority)."""
        return frozenset({*self.renamed_keys, *self.nlu_keys})


_CURRENT: dict[str, tuple[PolicyKind, bool]] = {
    "TEDPolicy": (PolicyKind.TED, False),
    "RulePolicy": (PolicyKind.RULE, False),
    "MemoizationPolicy": (PolicyKind.MEMOIZATION, False),
    "AugmentedMemoizationPolicy": (PolicyKind.MEMOIZATION, True),
}

_REMOVED_IN_3 = "was deprecated in Rasa 2 and removed in Rasa 3.0"
_FALLBACK_NLU = frozenset({"nlu_threshold", "ambiguity_threshold"})

# Old name -> (successor, note, renamed keys, NLU keys, drops its priority).
_LEGACY: dict[str, tuple[PolicyKind, str, dict[str, str], frozenset[str], bool]] = {
    "EmbeddingPolicy": (
        PolicyKind.TED,
        "EmbeddingPolicy is TEDPolicy's Rasa 1.x name",
        {},
        frozenset(),
        False,
    ),
    "KerasPolicy": (
        PolicyKind.TED,
        "KerasPolicy was removed in Rasa 2.0; Rasa's migration guide replaces it with TEDPolicy",
        {},
        frozenset(),
        False,
    ),
    "SklearnPolicy": (
        PolicyKind.TED,
        f"SklearnPolicy {_REMOVED_IN_3}; Rasa recommends TEDPolicy instead",
        {},
        frozenset(),
        False,
    ),
    "FormPolicy": (
        PolicyKind.RULE,
        f"FormPolicy {_REMOVED_IN_3}; RulePolicy runs forms",
        {},
        frozenset(),
        True,
    ),
    "MappingPolicy": (
        PolicyKind.RULE,
        f"MappingPolicy {_REMOVED_IN_3}; RulePolicy replaces it (write the domain's intent "
        "triggers as rules)",
        {},
        frozenset(),
        True,
    ),
    "FallbackPolicy": (
        PolicyKind.RULE,
        f"FallbackPolicy {_REMOVED_IN_3}; RulePolicy's core fallback replaces it",
        {
            "core_threshold": "core_fallback_threshold",
            "fallback_action_name": "core_fallback_action_name",
        },
        _FALLBACK_NLU,
        True,
    ),
    "TwoStageFallbackPolicy": (
        PolicyKind.RULE,
        f"TwoStageFallbackPolicy {_REMOVED_IN_3}; RulePolicy's core fallback replaces its core "
        "part (its NLU part is a rule for nlu_fallback running action_two_stage_fallback)",
        {
            "core_threshold": "core_fallback_threshold",
            "fallback_core_action_name": "core_fallback_action_name",
        },
        _FALLBACK_NLU | {"fallback_nlu_action_name", "deny_suggestion_intent_name"},
        True,
    ),
}

# Rasa 3.6 policies without a counterpart here, and what they do (for the warning).
_NOT_HERE: dict[str, str] = {
    "UnexpecTEDIntentPolicy": "it predicts action_unlikely_intent from intent probabilities",
}

# Rasa 3.6's engine/recipes/config_files/default_config.yml, used when config.yml has no
# policies (Rasa's auto-configuration).
RASA_DEFAULT_POLICIES: tuple[Mapping[str, Any], ...] = (
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
    {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
)

AVAILABLE = ", ".join(_CURRENT)


def resolve(written: str) -> PolicyName:
    """How the name of a policy entry is read (a dotted class path by its last part)."""
    last = written.split(".")[-1]
    if last in _CURRENT:
        kind, augmented = _CURRENT[last]
        return PolicyName(written, kind, augmented)
    if last in _LEGACY:
        kind, note, renamed, nlu, drops = _LEGACY[last]
        return PolicyName(written, kind, False, note, renamed, nlu, drops)
    return PolicyName(written, None)


def not_available_message(name: PolicyName) -> str:
    """The warning for a policy that is left out."""
    what = _NOT_HERE.get(name.last_part)
    reason = f" ({what})" if what else ""
    return (
        f"policy '{name.written}'{reason} is not available here and is left out; the other "
        f"policies train (available: {AVAILABLE})"
    )
