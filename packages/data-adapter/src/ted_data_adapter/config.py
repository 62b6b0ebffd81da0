"""The project's config.yml: only the policy entries matter here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    @classmethod
    def from_yaml(cls, data: Any, file: str | None) -> ProjectConfig:
        return cls(_plain(data) if isinstance(data, dict) else {}, file)

    @property
    def policies(self) -> list[dict[str, Any]]:
        policies = self.raw.get("policies") or []
        return [p for p in policies if isinstance(p, dict)]

    def policy_config(self, name: str = "TEDPolicy") -> dict[str, Any]:
        """Raw keys of the first policy entry called ``name`` (or ``{}``)."""
        for policy in self.policies:
            if str(policy.get("name", "")).split(".")[-1] == name:
                return dict(policy)
        return {}
