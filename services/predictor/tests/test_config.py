"""Version policy selection and config validation."""

from __future__ import annotations

import pytest

from ted_predictor.config import BatchingConfig, PredictorConfig, VersionPolicy
from ted_predictor.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("latest", {5}),
        ("latest:2", {4, 5}),
        ("all", {1, 2, 4, 5}),
        ("specific:1,4,9", {1, 4}),
    ],
)
def test_policy_selects_versions_without_aliases(text: str, expected: set[int]) -> None:
    policy = VersionPolicy.parse(text, include_aliases=False)
    assert policy.select([1, 2, 4, 5], {"best": 2}) == expected


def test_aliased_versions_are_served_by_default() -> None:
    assert VersionPolicy.parse("latest").select([1, 2, 3], {"best": 1, "gone": 9}) == {1, 3}


@pytest.mark.parametrize("text", ["newest", "latest:x", "latest:0", "specific:", "all:3"])
def test_bad_policies_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        VersionPolicy.parse(text)


def test_config_refuses_nonsense(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="poll interval"):
        PredictorConfig(store=tmp_path, poll_interval_s=0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_batch_size"):
        BatchingConfig(max_batch_size=0)
    with pytest.raises(ConfigError, match="switch interval"):
        PredictorConfig(store=tmp_path, switch_interval_s=1.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="processes"):
        PredictorConfig(store=tmp_path, processes=65)  # type: ignore[arg-type]
