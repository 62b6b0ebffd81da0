"""Compare a new fingerprint with an archived one and decide: skip, fine-tune or retrain."""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ted_fingerprint.errors import InvalidFingerprintError
from ted_fingerprint.fingerprint import Fingerprint, validate_section_name


class Decision(str, enum.Enum):
    """What to do with the archived model given the new fingerprint."""

    UNCHANGED = "unchanged"  # every section equal: no training needed
    FINETUNE = "finetune"  # only the fine-tunable section(s) changed: continue training
    RETRAIN = "retrain"  # anything else: train a new model from scratch


class SectionStatus(str, enum.Enum):
    """How one section differs between the new and the old fingerprint."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"  # present in both with different digests
    ADDED = "added"  # only in the new fingerprint (unknown to the old one)
    MISSING = "missing"  # only in the old fingerprint


@dataclass(frozen=True)
class SectionChange:
    """One section's status with both digests (``None`` where the section is absent)."""

    name: str
    status: SectionStatus
    new_digest: str | None
    old_digest: str | None

    @property
    def changed(self) -> bool:
        """Added and missing sections count as changed."""
        return self.status is not SectionStatus.UNCHANGED


@dataclass(frozen=True)
class FingerprintComparison:
    """Per-section differences and the resulting decision, with reasons a person can read."""

    sections: tuple[SectionChange, ...]
    decision: Decision
    reasons: tuple[str, ...]

    @property
    def changed(self) -> tuple[str, ...]:
        """Names of sections that changed, were added or are missing (sorted)."""
        return tuple(change.name for change in self.sections if change.changed)

    @property
    def unchanged(self) -> tuple[str, ...]:
        return self._names(SectionStatus.UNCHANGED)

    @property
    def added(self) -> tuple[str, ...]:
        return self._names(SectionStatus.ADDED)

    @property
    def missing(self) -> tuple[str, ...]:
        return self._names(SectionStatus.MISSING)

    @property
    def training_needed(self) -> bool:
        return self.decision is not Decision.UNCHANGED

    @property
    def can_finetune(self) -> bool:
        return self.decision is Decision.FINETUNE

    def status(self, name: str) -> SectionStatus:
        """Status of one section; KeyError if neither fingerprint has it."""
        for change in self.sections:
            if change.name == name:
                return change.status
        raise KeyError(name)

    def summary(self) -> str:
        """One line for logs and the CLI, e.g. ``retrain: section 'config' changed``."""
        return f"{self.decision.value}: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (for ``--json`` output and training metadata)."""
        return {
            "decision": self.decision.value,
            "reasons": list(self.reasons),
            "sections": {
                change.name: {
                    "status": change.status.value,
                    "new": change.new_digest,
                    "old": change.old_digest,
                }
                for change in self.sections
            },
        }

    def _names(self, status: SectionStatus) -> tuple[str, ...]:
        return tuple(change.name for change in self.sections if change.status is status)


def _section_changes(new: Fingerprint, old: Fingerprint | None) -> tuple[SectionChange, ...]:
    old_sections = old.sections if old is not None else {}
    changes = []
    for name in sorted(set(new) | set(old_sections)):
        new_digest, old_digest = new.get(name), old_sections.get(name)
        if old_digest is None:
            status = SectionStatus.ADDED
        elif new_digest is None:
            status = SectionStatus.MISSING
        elif new_digest == old_digest:
            status = SectionStatus.UNCHANGED
        else:
            status = SectionStatus.CHANGED
        changes.append(SectionChange(name, status, new_digest, old_digest))
    return tuple(changes)


def _describe(change: SectionChange) -> str:
    if change.status is SectionStatus.ADDED:
        return f"section {change.name!r} is new (the old fingerprint does not have it)"
    if change.status is SectionStatus.MISSING:
        return f"section {change.name!r} is missing from the new fingerprint"
    return f"section {change.name!r} changed"


def compare(
    new: Fingerprint,
    old: Fingerprint | None,
    *,
    finetune_sections: Collection[str] = ("data",),
    must_match: Collection[str] = (),
) -> FingerprintComparison:
    """Compare ``new`` with the archived ``old`` fingerprint (``None``: no model yet).

    UNCHANGED when every section is equal. FINETUNE when every differing section is one of
    ``finetune_sections`` (default: ``data``), present in both with a different digest, and
    every ``must_match`` section (e.g. ``labels``, ``feature_dims``) is present in both and
    equal. RETRAIN otherwise; sections present on one side only always count as changed.
    """
    for argument, names in (("new", new), ("old", old)):
        if names is not None and not isinstance(names, Fingerprint):
            raise InvalidFingerprintError(
                f"compare(): {argument} must be a Fingerprint, got {type(names).__name__}"
            )
    if isinstance(finetune_sections, str) or isinstance(must_match, str):
        raise InvalidFingerprintError(
            "compare(): finetune_sections and must_match take a collection of names, not a str"
        )
    finetunable = {validate_section_name(name) for name in finetune_sections}
    required = sorted({validate_section_name(name) for name in must_match})

    if old is None:
        changes = _section_changes(new, None)
        return FingerprintComparison(
            changes, Decision.RETRAIN, ("there is no previous fingerprint to compare with",)
        )
    changes = _section_changes(new, old)
    differing = [change for change in changes if change.changed]
    if not differing:
        return FingerprintComparison(
            changes, Decision.UNCHANGED, (f"all {len(changes)} sections are unchanged",)
        )

    reasons = [_describe(change) for change in differing]
    by_name = {change.name: change for change in changes}
    for name in required:
        if name not in by_name:
            reasons.append(f"must-match section {name!r} is in neither fingerprint")
        elif by_name[name].changed:
            reasons.append(f"must-match section {name!r} differs")
    blocked = any(
        change.name not in finetunable
        or change.name in required
        or change.status is not SectionStatus.CHANGED
        for change in differing
    ) or any(name not in by_name for name in required)
    if blocked:
        allowed = " or ".join(map(repr, sorted(finetunable))) or "no section"
        condition = " and every must-match section is present and equal" if required else ""
        reasons.append(
            f"the model must be retrained: fine-tuning needs that only {allowed} changed{condition}"
        )
        return FingerprintComparison(changes, Decision.RETRAIN, tuple(reasons))
    if required:
        reasons.append(f"must-match sections {', '.join(map(repr, required))} are unchanged")
    reasons.append("the old model can be fine-tuned")
    return FingerprintComparison(changes, Decision.FINETUNE, tuple(reasons))
