"""project_fingerprint(): the standard TED project sections."""

from __future__ import annotations

import pytest

from ted_fingerprint import (
    PROJECT_SECTIONS,
    Decision,
    Fingerprint,
    InvalidFingerprintError,
    __version__,
    canonical_digest,
    compare,
    default_code_section,
    project_fingerprint,
)

CONFIG = {"policies": [{"name": "TEDPolicy", "epochs": 5, "max_history": 5}]}
DOMAIN = {"intents": ["greet", "goodbye"], "actions": ["utter_greet"]}
DATA = {"stories": [["greet", "utter_greet"]], "rules": []}


def test_standard_sections_and_default_code() -> None:
    fp = project_fingerprint(config=CONFIG, domain=DOMAIN, data=DATA)
    assert tuple(sorted(fp)) == tuple(sorted(PROJECT_SECTIONS))
    assert fp["code"] == canonical_digest(default_code_section())
    assert default_code_section()["ted-fingerprint"] == __version__
    assert fp["config"] == canonical_digest(CONFIG)


def test_extra_sections_and_must_match() -> None:
    def build(data: object, labels: list[str]) -> Fingerprint:
        return project_fingerprint(
            config=CONFIG,
            domain=DOMAIN,
            data=data,
            code={"ted-model": "0.1.0"},
            extra={"labels": labels, "feature_dims": {"intent": 2}},
        )

    old = build(DATA, ["action_listen", "utter_greet"])
    new = build({**DATA, "rules": [["greet"]]}, ["action_listen", "utter_greet"])
    result = compare(new, old, must_match=("labels", "feature_dims"))
    assert result.decision is Decision.FINETUNE
    relabelled = build(DATA, ["action_listen"])
    result = compare(relabelled, old, must_match=("labels",))
    assert result.decision is Decision.RETRAIN


def test_extra_section_may_not_shadow_a_standard_one() -> None:
    with pytest.raises(InvalidFingerprintError, match="clashes"):
        project_fingerprint(config={}, domain={}, data=[], extra={"data": [1]})


def test_key_order_of_yaml_like_config_does_not_matter() -> None:
    reordered = {"policies": [{"max_history": 5, "epochs": 5, "name": "TEDPolicy"}]}
    assert project_fingerprint(config=CONFIG, domain=DOMAIN, data=DATA) == project_fingerprint(
        config=reordered, domain=DOMAIN, data=DATA
    )
