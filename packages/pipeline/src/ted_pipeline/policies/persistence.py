"""The files of a trained ensemble, and loading it back.

A model directory holds ``ensemble.json`` (format, the members in config order with their
settings and priorities), ``vocabulary.json`` (the names every member knows), ``ted/``
(the TED model files, when TED is a member), ``rules.json`` and ``memoization.json``.
A directory without ``ensemble.json`` is a TED model on its own (the archives written
before ensembles existed) and loads as an ensemble of TED alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ted_data_adapter.vocabulary import Vocabulary
from ted_pipeline.errors import ModelLoadError
from ted_pipeline.policies.ensemble import Member, PolicyEnsemble, TEDMember
from ted_pipeline.policies.memoization import MemoizationPolicy, Memory
from ted_pipeline.policies.rules import RuleLookup, RulePolicy

ENSEMBLE_FILE = "ensemble.json"
VOCABULARY_FILE = "vocabulary.json"
TED_DIR = "ted"
RULES_FILE = "rules.json"
MEMORY_FILE = "memoization.json"
ENSEMBLE_FORMAT = 1


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot read {path.name}: {e}") from e


def save_ensemble(
    target: Path, members: Sequence[tuple[Member, Any]], vocabulary: Vocabulary
) -> None:
    """Write the members into the (existing, empty) directory ``target``.

    ``members``: (policy, what writes it) in config order: for TED the trained policy
    (``ted_model.TrainedPolicy``, saved into ``ted/``), for the others their settings.
    """
    described = []
    for member, extra in members:
        entry: dict[str, Any] = {"policy": member.name, "priority": member.priority}
        if isinstance(member, TEDMember):
            (target / TED_DIR).mkdir()
            extra.save(target / TED_DIR)
            entry["dir"] = TED_DIR
        elif isinstance(member, RulePolicy):
            _write(target / RULES_FILE, member.lookup.to_dict())
            entry.update(file=RULES_FILE, settings=extra.to_dict())
        elif isinstance(member, MemoizationPolicy):
            _write(target / MEMORY_FILE, member.memory.to_dict())
            entry.update(file=MEMORY_FILE, settings=extra.to_dict())
        described.append(entry)
    vocabulary.save(target / VOCABULARY_FILE)
    _write(target / ENSEMBLE_FILE, {"format": ENSEMBLE_FORMAT, "members": described})


def load_ensemble(
    model_dir: Path,
    *,
    model_name: str | None = None,
    version: int | None = None,
    manifest: Any = None,
) -> PolicyEnsemble:
    """The ensemble in a model directory (a plain TED model directory too)."""
    from ted_model import TEDPolicy
    from ted_pipeline.policy_settings import MemoizationConfig, RulePolicyConfig

    names = {"model_name": model_name, "version": version, "manifest": manifest}
    if not (model_dir / ENSEMBLE_FILE).is_file():
        ted = TEDPolicy.load(model_dir, **names)
        return PolicyEnsemble([TEDMember(ted)], ted.vocabulary, **names)
    description = _read(model_dir / ENSEMBLE_FILE)
    if not isinstance(description, dict) or description.get("format") != ENSEMBLE_FORMAT:
        raise ModelLoadError(f"{ENSEMBLE_FILE}: unknown ensemble format")
    try:
        vocabulary = Vocabulary.from_dict(_read(model_dir / VOCABULARY_FILE))
        rule_only: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        entries = list(description["members"])
        rules_entry = next((e for e in entries if e["policy"] == "RulePolicy"), None)
        if rules_entry is not None:
            lookup = RuleLookup.from_dict(_read(model_dir / rules_entry["file"]))
            rule_only = (frozenset(lookup.rule_only_slots), frozenset(lookup.rule_only_loops))
        members: list[Member] = []
        for entry in entries:
            policy, priority = entry["policy"], int(entry["priority"])
            if policy == "TEDPolicy":
                ted = TEDPolicy.load(model_dir / entry["dir"], **names)
                members.append(
                    TEDMember(
                        ted,
                        priority=priority,
                        rule_only_slots=rule_only[0],
                        rule_only_loops=rule_only[1],
                    )
                )
            elif policy == "RulePolicy":
                settings = RulePolicyConfig.from_dict(entry["settings"])
                members.append(RulePolicy(settings, vocabulary, lookup, priority=priority))
            elif policy in ("MemoizationPolicy", "AugmentedMemoizationPolicy"):
                memo = MemoizationConfig.from_dict(entry["settings"])
                memory = Memory.from_dict(_read(model_dir / entry["file"]))
                members.append(
                    MemoizationPolicy(
                        vocabulary,
                        memory,
                        max_history=memo.max_history,
                        priority=priority,
                        augmented=memo.augmented,
                    )
                )
            else:
                raise ModelLoadError(f"{ENSEMBLE_FILE}: unknown policy {policy!r}")
    except ModelLoadError:
        raise
    except Exception as e:  # a malformed description, lookup or config of another package
        raise ModelLoadError(f"cannot read the ensemble in {model_dir}: {e}") from e
    return PolicyEnsemble(members, vocabulary, **names)
