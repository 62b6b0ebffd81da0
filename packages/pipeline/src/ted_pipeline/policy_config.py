"""The whole ``policies:`` of a config.yml, typed: what the bot's next action comes from.

Rasa combines every policy of the list by confidence and priority, so a model here is the
ensemble, not TED alone. ``read_ensemble`` reads the list the way Rasa 3.6 does: its default
policies when the list is missing, Rasa 1.x/2.x names as their successor, dotted class paths
by their last part. What Rasa would accept but changes nothing here, or cannot be used here,
is a warning with the file and line of its entry (``EnsembleConfig.warnings``); every unknown
key of every entry is reported in one run, with a "did you mean" when a known key is close. A
wrong value raises ``ConfigError`` naming the key and the entry; a malformed list raises
``PolicyConfigError``. ``check_config`` is the same reading for ``ted data validate``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from ted_data_adapter.config import ProjectConfig
from ted_data_adapter.errors import DataValidationError, Issue
from ted_model.config import IGNORED_RASA_KEYS, RASA_KEY_ALIASES, TEDConfig, did_you_mean
from ted_model.errors import ConfigError
from ted_pipeline.errors import PolicyConfigError
from ted_pipeline.policy_names import (
    RASA_DEFAULT_POLICIES,
    PolicyKind,
    PolicyName,
    not_available_message,
    resolve,
)
from ted_pipeline.policy_settings import (
    TED_PRIORITY,
    MemoizationConfig,
    RulePolicyConfig,
    check_priority,
)

logger = logging.getLogger(__name__)
# Config warnings as ``file:line: warning: message`` lines (the CLI prints this logger's
# records as they are, as it does the data adapter's).
WARNINGS = logging.getLogger("ted_pipeline.warnings")

PolicySettings: TypeAlias = TEDConfig | RulePolicyConfig | MemoizationConfig

_KNOWN_KEYS: dict[PolicyKind, frozenset[str]] = {
    PolicyKind.TED: TEDConfig.rasa_keys() | {"priority", "featurizer"},
    PolicyKind.RULE: RulePolicyConfig.rasa_keys() | {"featurizer"},
    PolicyKind.MEMOIZATION: MemoizationConfig.rasa_keys() | {"featurizer"},
}
_POLICY_NAMES = {
    "TEDPolicy": PolicyKind.TED,
    "RulePolicy": PolicyKind.RULE,
    "MemoizationPolicy": PolicyKind.MEMOIZATION,
    "AugmentedMemoizationPolicy": PolicyKind.MEMOIZATION,
}


@dataclass(frozen=True)
class PolicyMember:
    """One policy of the ensemble: its kind, typed settings, priority and config entry."""

    kind: PolicyKind
    config: PolicySettings
    priority: int
    # The name as config.yml wrote it, and where its entry is (line 0: Rasa's defaults).
    source_name: str = field(default="", compare=False)
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        expected = TEDConfig if self.kind is PolicyKind.TED else _SETTINGS[self.kind]
        if not isinstance(self.config, expected):
            raise PolicyConfigError(f"{self.kind.value} needs {expected.__name__} settings")
        own = getattr(self.config, "priority", self.priority)
        if own != self.priority:
            raise PolicyConfigError(
                f"{self.policy_name}: priority {self.priority} differs from its settings' {own}"
            )

    @property
    def policy_name(self) -> str:
        """The Rasa 3 class name: TEDPolicy, RulePolicy, (Augmented)MemoizationPolicy."""
        if isinstance(self.config, RulePolicyConfig | MemoizationConfig):
            return self.config.policy_name
        return PolicyKind.TED.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy_name,
            "priority": self.priority,
            "config": self.config.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> PolicyMember:
        """Read ``to_dict`` output back; anything else is a PolicyConfigError."""
        if not isinstance(data, Mapping) or set(data) != {"policy", "priority", "config"}:
            raise PolicyConfigError(
                f"a policy record has keys policy, priority, config; got {data!r}"
            )
        name = data["policy"]
        kind = _POLICY_NAMES.get(name) if isinstance(name, str) else None
        if kind is None:
            raise PolicyConfigError(f"unknown policy {name!r} in an ensemble record")
        try:
            check_priority(data["priority"])
            settings: PolicySettings
            if kind is PolicyKind.TED:
                settings = TEDConfig.from_dict(data["config"])
            else:
                settings = _SETTINGS[kind].from_dict(data["config"])
        except ConfigError as e:
            raise PolicyConfigError(f"{name} in an ensemble record: {e}") from e
        member = cls(kind, settings, data["priority"], source_name=name)
        if member.policy_name != name:
            raise PolicyConfigError(
                f"{name} in an ensemble record holds {member.policy_name} settings"
            )
        return member


_SETTINGS: dict[PolicyKind, type[RulePolicyConfig] | type[MemoizationConfig]] = {
    PolicyKind.RULE: RulePolicyConfig,
    PolicyKind.MEMOIZATION: MemoizationConfig,
}


@dataclass(frozen=True)
class EnsembleConfig:
    """Every policy of a config.yml that trains here, in config order, and the warnings."""

    members: tuple[PolicyMember, ...]
    warnings: list[Issue] = field(default_factory=list, compare=False)
    # True when config.yml listed no policies and Rasa's defaults apply.
    defaults_used: bool = field(default=False, compare=False)

    def member(self, kind: PolicyKind) -> PolicyMember | None:
        return next((m for m in self.members if m.kind is kind), None)

    @property
    def ted(self) -> TEDConfig | None:
        member = self.member(PolicyKind.TED)
        return (
            member.config if member is not None and isinstance(member.config, TEDConfig) else None
        )

    @property
    def rules(self) -> RulePolicyConfig | None:
        member = self.member(PolicyKind.RULE)
        config = member.config if member is not None else None
        return config if isinstance(config, RulePolicyConfig) else None

    @property
    def memoization(self) -> MemoizationConfig | None:
        member = self.member(PolicyKind.MEMOIZATION)
        config = member.config if member is not None else None
        return config if isinstance(config, MemoizationConfig) else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable record of every member (for the manifest and the fingerprint).

        Where the entries were (file, line) is left out: moving config.yml changes no model.
        """
        return {"policies": [member.to_dict() for member in self.members]}

    @classmethod
    def from_dict(cls, data: Any) -> EnsembleConfig:
        """Read ``to_dict`` output back (strict: PolicyConfigError on anything else)."""
        if not isinstance(data, Mapping) or set(data) != {"policies"}:
            raise PolicyConfigError(f"an ensemble record is {{'policies': [...]}}, got {data!r}")
        if not isinstance(data["policies"], list):
            raise PolicyConfigError("an ensemble record's 'policies' must be a list")
        members = tuple(PolicyMember.from_dict(item) for item in data["policies"])
        kinds = [member.kind for member in members]
        for kind in set(kinds):
            if kinds.count(kind) > 1:
                raise PolicyConfigError(f"an ensemble record holds {kind.value} twice")
        return cls(members)


def read_ensemble(
    config: ProjectConfig,
    overrides: Mapping[str, Any] | None = None,
    *,
    log_warnings: bool = True,
) -> EnsembleConfig:
    """The typed ensemble of ``config``; ``overrides`` are TEDPolicy keys put on its TED member.

    Raises ConfigError (a wrong value: the key, and the entry's file:line) or
    PolicyConfigError (a malformed policy list, with file:line). The warnings are logged
    unless ``log_warnings`` is False (a caller that prints them itself).
    """
    ensemble = _Reader(config, collect_errors=False).read(overrides)
    if log_warnings:
        for issue in ensemble.warnings:
            WARNINGS.warning("%s", issue.warning_text())
    return ensemble


def check_config(config: ProjectConfig) -> list[Issue]:
    """The warnings about a config.yml's policies (``ted data validate``).

    A problem that stops training is raised as DataValidationError listing every one of
    them as file:line, like the data's problems.
    """
    reader = _Reader(config, collect_errors=True)
    ensemble = reader.read(None)
    if reader.errors:
        raise DataValidationError(reader.errors)
    return ensemble.warnings


def ted_from_overrides(overrides: Mapping[str, Any] | None) -> TEDConfig:
    """TEDPolicy defaults with ``overrides`` on top (strict: an unknown key is an error)."""
    return _ted_with_overrides({}, overrides)


def _ted_with_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> TEDConfig:
    """A TED entry's (already reported) keys with overrides on top; overrides are strict."""
    extra = {k: v for k, v in (overrides or {}).items() if k != "priority"}
    for key in extra:
        if key not in TEDConfig.rasa_keys():
            raise ConfigError(key, "unknown TEDPolicy key")
        if key in IGNORED_RASA_KEYS:
            logger.warning("TEDPolicy override '%s' has no effect here; ignored", key)
    merged = {**_canonical(raw), **_canonical(extra)}
    return TEDConfig.from_rasa(merged, warn_ignored=False, unknown_keys=[], ignored_keys=[])


def _canonical(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {RASA_KEY_ALIASES.get(key, key): value for key, value in raw.items()}


@dataclass
class _Entry:
    """One policy entry being read."""

    index: int
    line: int
    name: PolicyName
    raw: dict[str, Any]  # without 'name'


@dataclass
class _Reader:
    """Reads one config's policy list, gathering warnings (and errors, for validation)."""

    config: ProjectConfig
    collect_errors: bool
    warnings: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.config.file or "config.yml"

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Issue(self.file, line, message))

    def fail(self, line: int, error: ConfigError | PolicyConfigError, what: str) -> None:
        """Raise the problem located at its entry, or record it when validating."""
        if isinstance(error, ConfigError):
            message = f"{what}: config key '{error.key}': {error.reason}"
            located: Exception = ConfigError(
                error.key, error.reason, where=f"{self.file}:{line}: {what}"
            )
        else:
            message = error.reason
            located = PolicyConfigError(error.reason, file=self.file, line=line)
        if not self.collect_errors:
            raise located from error
        self.errors.append(Issue(self.file, line, message))

    # --- the list -----------------------------------------------------------------
    def read(self, overrides: Mapping[str, Any] | None) -> EnsembleConfig:
        entries, defaults_used = self._entries()
        ted: tuple[_Entry, TEDConfig, dict[str, Any]] | None = None
        memo: tuple[_Entry, MemoizationConfig] | None = None
        rule_sources: list[_Entry] = []
        for entry in entries:
            if entry.name.kind is None:
                if not defaults_used:  # Rasa's defaults name UnexpecTEDIntentPolicy: said once
                    self.warn(entry.line, not_available_message(entry.name))
                continue
            if entry.name.legacy_note:
                self.warn(
                    entry.line,
                    f"'{entry.name.written}' is read as {entry.name.policy}: "
                    f"{entry.name.legacy_note}",
                )
            if entry.name.kind is PolicyKind.RULE:
                rule_sources.append(entry)
                continue
            first = ted if entry.name.kind is PolicyKind.TED else memo
            if first is not None:
                self._duplicate(entry, first[0])
                continue
            try:
                if entry.name.kind is PolicyKind.TED:
                    ted = (entry, *self._ted(entry))
                else:
                    memo = (entry, self._memoization(entry))
            except (ConfigError, PolicyConfigError) as e:
                self.fail(entry.line, e, entry.name.written)
        members: list[tuple[int, PolicyMember]] = []
        if ted is not None:
            entry, settings, ted_raw = ted
            priority = entry.raw.get("priority", TED_PRIORITY)
            if overrides:
                settings = _ted_with_overrides(ted_raw, overrides)
                priority = overrides.get("priority", priority)
                check_priority(priority)
            members.append((entry.index, self._member(entry, PolicyKind.TED, settings, priority)))
        elif overrides:
            ted_from_overrides(overrides)  # checked even when there is no TED member
        if memo is not None:
            entry, memoization = memo
            member = self._member(entry, PolicyKind.MEMOIZATION, memoization, memoization.priority)
            members.append((entry.index, member))
        rules = self._rules(rule_sources)
        if rules is not None:
            entry, rule_settings = rules
            member = self._member(entry, PolicyKind.RULE, rule_settings, rule_settings.priority)
            members.append((entry.index, member))
        ordered = tuple(member for _, member in sorted(members, key=lambda pair: pair[0]))
        self._check_priorities(ordered)
        if not ordered and entries and not self.errors:
            self.warn(self._policies_line(), "no policy of config.yml can train here")
        # in file order; the notes about one entry keep the order they were made in
        warnings = sorted(self.warnings, key=lambda issue: issue.line)
        return EnsembleConfig(ordered, warnings, defaults_used)

    def _entries(self) -> tuple[list[_Entry], bool]:
        """The entries to read and whether they are Rasa's defaults."""
        policies = self.config.raw.get("policies")
        if policies is None:  # missing or null: Rasa auto-configures its default policies
            logger.info(
                "%s lists no policies: using Rasa's default policies (%s)", self.file, _defaults()
            )
            return self._default_entries(), True
        if not isinstance(policies, list):
            self.fail(self._policies_line(), PolicyConfigError("'policies' must be a list"), "")
            return [], False
        if not policies:
            self.warn(
                self._policies_line(),
                f"'policies' is empty: using Rasa's default policies ({_defaults()}); "
                "Rasa itself would train no dialogue policy from an empty list",
            )
            return self._default_entries(), True
        entries: list[_Entry] = []
        lines = self.config.policy_lines
        for index, item in enumerate(policies):
            line = lines[index] if index < len(lines) else 0
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name.strip():
                problem = (
                    "a policy entry must be a mapping with a 'name'"
                    if not isinstance(item, dict) or "name" not in item
                    else f"a policy 'name' must be a class name, got {name!r}"
                )
                self.fail(line, PolicyConfigError(problem), "")
                continue
            raw = {k: v for k, v in item.items() if k != "name"}
            entries.append(_Entry(index, line, resolve(name.strip()), raw))
        return entries, False

    def _default_entries(self) -> list[_Entry]:
        return [
            _Entry(
                index, 0, resolve(str(item["name"])), {k: v for k, v in item.items() if k != "name"}
            )
            for index, item in enumerate(RASA_DEFAULT_POLICIES)
        ]

    def _policies_line(self) -> int:
        """Line of the top-level ``policies:`` key (1 when it cannot be found)."""
        try:
            text = Path(self.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return 1
        for number, line in enumerate(text.splitlines(), start=1):
            if re.match(r"policies\s*:", line):
                return number
        return 1

    def _duplicate(self, entry: _Entry, first: _Entry) -> None:
        kind = entry.name.kind.value if entry.name.kind is not None else entry.name.written
        self.warn(
            entry.line,
            f"{entry.name.written}: a second {kind} entry (the first is {first.name.written} "
            f"at {self.file}:{first.line}); only the first is used here, where Rasa would "
            "train both",
        )

    def _member(
        self, entry: _Entry, kind: PolicyKind, settings: PolicySettings, priority: int
    ) -> PolicyMember:
        return PolicyMember(kind, settings, priority, entry.name.written, self.file, entry.line)

    # --- keys ---------------------------------------------------------------------
    def _report_keys(
        self, entry: _Entry, kind: PolicyKind, unknown: list[str], ignored: list[str]
    ) -> None:
        written = entry.name.written
        for key in ignored:
            self.warn(
                entry.line,
                f"{written}: key '{key}' has no effect here; ignored{_reason(kind, key)}",
            )
        known = _KNOWN_KEYS[kind] | entry.name.legacy_keys
        for key in unknown:
            hint = did_you_mean(key, known) or _other_policy(key, kind)
            self.warn(entry.line, f"{written}: unknown key '{key}' ignored{hint}")

    def _featurizer(self, entry: _Entry, raw: dict[str, Any], uses_history: bool) -> None:
        """Rasa's ``featurizer`` key: only a max_history in it means anything here."""
        if "featurizer" not in raw:
            return
        featurizer = raw.pop("featurizer")
        first = featurizer[0] if isinstance(featurizer, list) and featurizer else None
        if uses_history and isinstance(first, Mapping) and "max_history" in first:
            # Rasa's featurizer keeps its own max_history over the policy's
            raw["max_history"] = first["max_history"]
            self.warn(
                entry.line,
                f"{entry.name.written}: of key 'featurizer' only its max_history "
                f"({first['max_history']!r}) is used; the state featurization is fixed here",
            )
        else:
            self.warn(
                entry.line,
                f"{entry.name.written}: key 'featurizer' has no effect here (the state "
                "featurization is fixed); ignored",
            )

    def _ted(self, entry: _Entry) -> tuple[TEDConfig, dict[str, Any]]:
        """The settings, and the entry's keys that overrides go on top of."""
        check_priority(entry.raw.get("priority", TED_PRIORITY))
        raw = {k: v for k, v in entry.raw.items() if k != "priority"}
        self._featurizer(entry, raw, uses_history=True)
        unknown: list[str] = []
        ignored: list[str] = []
        settings = TEDConfig.from_rasa(
            raw, warn_ignored=False, unknown_keys=unknown, ignored_keys=ignored
        )
        self._report_keys(entry, PolicyKind.TED, unknown, ignored)
        return settings, raw

    def _memoization(self, entry: _Entry) -> MemoizationConfig:
        raw = dict(entry.raw)
        self._featurizer(entry, raw, uses_history=True)
        unknown: list[str] = []
        ignored: list[str] = []
        settings = MemoizationConfig.from_rasa(
            raw, augmented=entry.name.augmented, unknown_keys=unknown, ignored_keys=ignored
        )
        self._report_keys(entry, PolicyKind.MEMOIZATION, unknown, ignored)
        return settings

    # --- RulePolicy and what Rasa 2 had instead -------------------------------------
    def _rule_keys(self, entry: _Entry) -> dict[str, Any] | None:
        """The RulePolicy keys an entry sets (old keys renamed), checked; None on error."""
        raw = dict(entry.raw)
        name = entry.name
        self._featurizer(entry, raw, uses_history=False)
        if name.drops_priority and "priority" in raw:
            raw.pop("priority")
            self.warn(
                entry.line,
                f"{name.written}: key 'priority' is not carried over; RulePolicy's priority "
                "applies",
            )
        for key in [k for k in raw if k in name.nlu_keys]:
            raw.pop(key)
            self.warn(
                entry.line,
                f"{name.written}: key '{key}' is an NLU fallback setting (Rasa 3 has it in the "
                "NLU pipeline's FallbackClassifier); ignored",
            )
        for old, new in name.renamed_keys.items():
            if old in raw:
                if new in raw:
                    self.warn(
                        entry.line,
                        f"{name.written}: both '{old}' and '{new}' given; '{new}' is used",
                    )
                    raw.pop(old)
                else:
                    raw[new] = raw.pop(old)
        unknown: list[str] = []
        ignored: list[str] = []
        try:
            RulePolicyConfig.from_rasa(raw, unknown_keys=unknown, ignored_keys=ignored)
        except ConfigError as e:
            self.fail(entry.line, e, name.written)
            return None
        self._report_keys(entry, PolicyKind.RULE, unknown, ignored)
        return {k: v for k, v in raw.items() if k not in unknown and k not in ignored}

    def _rules(self, sources: list[_Entry]) -> tuple[_Entry, RulePolicyConfig] | None:
        """One RulePolicy from its entry and the old policies it replaces (merged)."""
        explicit = [s for s in sources if s.name.legacy_note is None]
        legacy = [s for s in sources if s.name.legacy_note is not None]
        for later in explicit[1:]:
            self._duplicate(later, explicit[0])
        if not explicit and not legacy:
            return None
        primary = explicit[0] if explicit else legacy[0]
        # the RulePolicy entry's own keys win, then the old policies' in config order
        ordered = [primary, *(s for s in legacy if s is not primary)]
        settings: dict[str, Any] = {}
        set_by: dict[str, _Entry] = {}
        failed = False
        for source in ordered:
            keys = self._rule_keys(source)
            if keys is None:
                failed = True
                continue
            if source is not primary:
                self.warn(
                    source.line,
                    f"{source.name.written} is merged into the {primary.name.policy} of "
                    f"{self.file}:{primary.line}",
                )
            for key, value in keys.items():
                if key not in settings:
                    settings[key], set_by[key] = value, source
                elif settings[key] != value:
                    self.warn(
                        source.line,
                        f"{source.name.written}: {key} {value!r} differs from "
                        f"{set_by[key].name.written}'s {settings[key]!r} "
                        f"({self.file}:{set_by[key].line}), which is used",
                    )
        if failed:
            return None
        return primary, RulePolicyConfig.from_rasa(settings)

    def _check_priorities(self, members: tuple[PolicyMember, ...]) -> None:
        """Rasa warns when two policies share a priority: ties between them are arbitrary."""
        seen: dict[int, PolicyMember] = {}
        for member in members:
            if member.priority in seen:
                other = seen[member.priority]
                self.warn(
                    member.line,
                    f"{member.policy_name} has the same priority {member.priority} as "
                    f"{other.policy_name} ({self.file}:{other.line}); give every policy its "
                    "own priority, as Rasa asks",
                )
            else:
                seen[member.priority] = member


def _defaults() -> str:
    parts = []
    for item in RASA_DEFAULT_POLICIES:
        settings = ", ".join(f"{k} {v}" for k, v in item.items() if k != "name")
        parts.append(f"{item['name']} ({settings})" if settings else str(item["name"]))
    return "; ".join(parts) + "; UnexpecTEDIntentPolicy is not available here and is left out"


def _reason(kind: PolicyKind, key: str) -> str:
    if kind is PolicyKind.RULE and key in RulePolicyConfig.NO_EFFECT:
        return f" ({RulePolicyConfig.NO_EFFECT[key]})"
    if kind is PolicyKind.MEMOIZATION and key in MemoizationConfig.NO_EFFECT:
        return f" ({MemoizationConfig.NO_EFFECT[key]})"
    return ""


def _other_policy(key: str, kind: PolicyKind) -> str:
    """A hint when the key belongs to another policy of the list."""
    for other, keys in _KNOWN_KEYS.items():
        if other is not kind and key in keys:
            return f" (it is a {other.value} key)"
    return ""
