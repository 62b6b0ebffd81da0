"""compare(): per-section status and the UNCHANGED / FINETUNE / RETRAIN decision."""

from __future__ import annotations

import json

import pytest

from ted_fingerprint import (
    Decision,
    Fingerprint,
    InvalidFingerprintError,
    SectionStatus,
    compare,
)

BASE = {"config": {"epochs": 3}, "domain": {"intents": ["greet"]}, "data": ["s1"], "code": "1"}


def fp(**changes: object) -> Fingerprint:
    sections = {**BASE, **changes}
    return Fingerprint.from_data({k: v for k, v in sections.items() if v is not None})


def test_identical_fingerprints_are_unchanged() -> None:
    result = compare(fp(), fp())
    assert result.decision is Decision.UNCHANGED
    assert not result.training_needed
    assert not result.can_finetune
    assert result.changed == ()
    assert result.unchanged == ("code", "config", "data", "domain")
    assert result.reasons == ("all 4 sections are unchanged",)


def test_only_data_changed_can_finetune() -> None:
    result = compare(fp(data=["s1", "s2"]), fp())
    assert result.decision is Decision.FINETUNE
    assert result.training_needed and result.can_finetune
    assert result.changed == ("data",)
    assert result.status("data") is SectionStatus.CHANGED
    assert result.status("config") is SectionStatus.UNCHANGED
    assert "section 'data' changed" in result.reasons


@pytest.mark.parametrize("section", ["config", "domain", "code"])
def test_any_other_section_changed_means_retrain(section: str) -> None:
    result = compare(fp(**{section: "different"}), fp())
    assert result.decision is Decision.RETRAIN
    assert result.training_needed and not result.can_finetune
    assert result.changed == (section,)
    assert f"section {section!r} changed" in result.reasons


def test_data_and_config_changed_means_retrain() -> None:
    result = compare(fp(data=["s2"], config={"epochs": 4}), fp())
    assert result.decision is Decision.RETRAIN
    assert result.changed == ("config", "data")


def test_added_section_counts_as_changed() -> None:
    new = fp().with_data({"labels": ["a"]})
    result = compare(new, fp())
    assert result.decision is Decision.RETRAIN
    assert result.added == ("labels",)
    assert result.changed == ("labels",)
    assert any("'labels' is new" in reason for reason in result.reasons)


def test_missing_section_counts_as_changed() -> None:
    result = compare(fp(code=None), fp())
    assert result.decision is Decision.RETRAIN
    assert result.missing == ("code",)
    change = result.sections[0]
    assert change.name == "code" and change.new_digest is None and change.old_digest
    assert any("'code' is missing" in reason for reason in result.reasons)


@pytest.mark.parametrize(("new_data", "old_data"), [(["s1"], None), (None, ["s1"])])
def test_data_present_on_one_side_only_is_retrain_not_finetune(
    new_data: object, old_data: object
) -> None:
    result = compare(fp(data=new_data), fp(data=old_data))
    assert result.decision is Decision.RETRAIN
    assert result.changed == ("data",)


def test_no_previous_fingerprint_means_retrain() -> None:
    result = compare(fp(), None)
    assert result.decision is Decision.RETRAIN
    assert result.added == ("code", "config", "data", "domain")
    assert "no previous fingerprint" in result.reasons[0]


def _with_labels(data: object, labels: object, dims: object) -> Fingerprint:
    return fp(data=data).with_data({"labels": labels, "feature_dims": dims})


MUST = ("labels", "feature_dims")


def test_must_match_equal_allows_finetune() -> None:
    result = compare(
        _with_labels(["s2"], ["a", "b"], {"intent": 3}),
        _with_labels(["s1"], ["a", "b"], {"intent": 3}),
        must_match=MUST,
    )
    assert result.decision is Decision.FINETUNE
    assert "must-match sections 'feature_dims', 'labels' are unchanged" in result.reasons


@pytest.mark.parametrize(
    ("labels", "dims", "differs"),
    [(["a", "c"], {"intent": 3}, "labels"), (["a", "b"], {"intent": 4}, "feature_dims")],
)
def test_must_match_changed_means_retrain(labels: object, dims: object, differs: str) -> None:
    result = compare(
        _with_labels(["s2"], labels, dims),
        _with_labels(["s1"], ["a", "b"], {"intent": 3}),
        must_match=MUST,
    )
    assert result.decision is Decision.RETRAIN
    assert f"must-match section {differs!r} differs" in result.reasons


def test_must_match_absent_from_both_means_retrain() -> None:
    result = compare(fp(data=["s2"]), fp(), must_match=["labels"])
    assert result.decision is Decision.RETRAIN
    assert "must-match section 'labels' is in neither fingerprint" in result.reasons
    # Without the requirement the same change fine-tunes.
    assert compare(fp(data=["s2"]), fp()).decision is Decision.FINETUNE


def test_must_match_does_not_affect_unchanged() -> None:
    assert compare(fp(), fp(), must_match=["labels"]).decision is Decision.UNCHANGED


def test_finetune_section_listed_as_must_match_cannot_finetune() -> None:
    result = compare(fp(data=["s2"]), fp(), must_match=["data"])
    assert result.decision is Decision.RETRAIN


def test_custom_finetune_sections() -> None:
    new = fp(data=["s2"]).with_data({"rules": ["r2"]})
    old = fp().with_data({"rules": ["r1"]})
    assert compare(new, old).decision is Decision.RETRAIN
    result = compare(new, old, finetune_sections=("data", "rules"))
    assert result.decision is Decision.FINETUNE
    assert compare(fp(data=["s2"]), fp(), finetune_sections=()).decision is Decision.RETRAIN


def test_comparison_serialises_and_summarises() -> None:
    new, old = fp(data=["s2"]), fp()
    result = compare(new, old)
    document = json.loads(json.dumps(result.to_dict()))
    assert document["decision"] == "finetune"
    assert document["sections"]["data"] == {
        "status": "changed",
        "new": new["data"],
        "old": old["data"],
    }
    assert document["sections"]["config"]["status"] == "unchanged"
    assert result.summary().startswith("finetune: section 'data' changed")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"new": {"data": "x"}}, "must be a Fingerprint"),
        ({"old": "abc"}, "must be a Fingerprint"),
        ({"must_match": "labels"}, "not a str"),
        ({"finetune_sections": "data"}, "not a str"),
        ({"must_match": ["bad name"]}, "invalid section name"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"new": fp(), "old": fp(), **kwargs}
    with pytest.raises(InvalidFingerprintError, match=message):
        compare(**arguments)  # type: ignore[arg-type]


def test_status_of_unknown_section_raises_key_error() -> None:
    with pytest.raises(KeyError):
        compare(fp(), fp()).status("nope")
