"""Reading a Rasa config.yml: the policy entries, with the file and line of each.

This is the one parser of config.yml files (a project's own and any given with ``--config``);
what the entries mean, and which file wins, is decided by the composition above (ted-pipeline).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ted_data_adapter.errors import DataValidationError, Issue
from ted_data_adapter.report import Findings, finish
from ted_data_adapter.yaml_lines import YamlProblem, line_of, load_yaml, own_line


def _plain(value: Any) -> Any:
    """Turn line-tracking YAML containers into plain dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ProjectConfig:
    """Parsed config.yml (empty when the project has none)."""

    raw: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    # 1-based line of each entry of ``policies`` (same order), 0 when unknown
    policy_lines: tuple[int, ...] = ()
    # what Rasa only warns about in the file (its shape checks here are all errors)
    warnings: tuple[Issue, ...] = field(default=(), compare=False)

    @classmethod
    def from_yaml(cls, data: Any, file: str | None) -> ProjectConfig:
        """From parsed YAML; problems with its shape raise DataValidationError (file:line)."""
        if data is None:
            return cls({}, file)
        where = file or "config.yml"
        if not isinstance(data, dict):
            raise DataValidationError(
                [Issue(where, own_line(data, 1), "config.yml must be a mapping at the top level")]
            )
        policies = data.get("policies")
        lines: tuple[int, ...] = ()
        if policies is not None:
            if not isinstance(policies, list):
                line = line_of(data, "policies", own_line(data, 1))
                raise DataValidationError([Issue(where, line, "'policies' must be a list")])
            lines = tuple(line_of(policies, i) for i in range(len(policies)))
            issues = [
                Issue(where, line_of(policies, i), "a policy entry must be a mapping with a 'name'")
                for i, entry in enumerate(policies)
                if not isinstance(entry, dict) or "name" not in entry
            ]
            if issues:
                raise DataValidationError(issues)
        return cls(_plain(data), file, lines)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> ProjectConfig:
        """Parse one config.yml; unreadable or malformed files raise DataValidationError.

        Its warnings are in ``warnings``, not logged (``load`` logs them).
        """
        try:
            data = load_yaml(Path(path), str(path))
        except YamlProblem as e:
            raise DataValidationError([e.issue]) from e
        return cls.from_yaml(data, str(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, strict: bool = False) -> ProjectConfig:
        """Parse one config.yml; unreadable or malformed files raise DataValidationError.

        Its warnings are logged and kept in ``warnings`` (raised as errors with ``strict``).
        """
        config = cls.read(path)
        finish(Findings(warnings=list(config.warnings)), strict)
        return config

    @property
    def policies(self) -> list[dict[str, Any]]:
        policies = self.raw.get("policies") or []
        return [p for p in policies if isinstance(p, dict)]

    def policy_config(self, name: str = "TEDPolicy") -> dict[str, Any]:
        """Raw keys of the first policy entry called ``name`` (or ``{}``).

        A dotted class path (``rasa.core.policies.ted_policy.TEDPolicy``) matches its last part.
        """
        for policy in self.policies:
            if str(policy.get("name", "")).split(".")[-1] == name:
                return dict(policy)
        return {}

    def policy_line(self, name: str = "TEDPolicy") -> int:
        """Line of the first policy entry called ``name`` (0 when there is none)."""
        for index, policy in enumerate(self.raw.get("policies") or []):
            if isinstance(policy, dict) and str(policy.get("name", "")).split(".")[-1] == name:
                return self.policy_lines[index] if index < len(self.policy_lines) else 0
        return 0
