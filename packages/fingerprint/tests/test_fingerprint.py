"""Fingerprint construction, JSON round trip, save/load and corrupt files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ted_fingerprint import (
    FORMAT_VERSION,
    Fingerprint,
    FingerprintError,
    FingerprintFormatError,
    FingerprintNotFoundError,
    InvalidFingerprintError,
    UnsupportedTypeError,
    canonical_digest,
)

A = "a" * 64
B = "b" * 64


def test_from_data_hashes_each_section() -> None:
    fp = Fingerprint.from_data({"config": {"epochs": 1}, "data": [1, 2]})
    assert fp["config"] == canonical_digest({"epochs": 1})
    assert fp["data"] == canonical_digest([1, 2])
    assert list(fp) == ["config", "data"]
    assert dict(fp) == fp.sections
    assert fp == Fingerprint(fp.sections)
    assert hash(fp) == hash(Fingerprint(dict(reversed(list(fp.items())))))


def test_from_data_unsupported_section_value_names_the_problem() -> None:
    with pytest.raises(UnsupportedTypeError, match="object"):
        Fingerprint.from_data({"data": [object()]})


def test_with_data_adds_or_replaces_sections() -> None:
    fp = Fingerprint.from_data({"data": [1]})
    extended = fp.with_data({"labels": ["a"], "data": [2]})
    assert set(extended) == {"data", "labels"}
    assert extended["data"] == canonical_digest([2])
    assert fp["data"] == canonical_digest([1])


def test_overall_digest_depends_on_every_section() -> None:
    one = Fingerprint({"a": A, "b": B})
    assert one.digest == Fingerprint({"b": B, "a": A}).digest
    assert one.digest != Fingerprint({"a": A, "b": A}).digest
    assert one.digest != Fingerprint({"a": A}).digest


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({}, "at least one section"),
        ({"": A}, "invalid section name"),
        ({"bad name": A}, "invalid section name"),
        ({"-x": A}, "invalid section name"),
        ({"x" * 65: A}, "invalid section name"),
        ({1: A}, "invalid section name"),
        ({"data": "A" * 64}, "64 lowercase hex"),
        ({"data": "a" * 63}, "64 lowercase hex"),
        ({"data": None}, "64 lowercase hex"),
        (["data"], "must be a mapping"),
    ],
)
def test_invalid_sections_are_refused(sections: object, message: str) -> None:
    with pytest.raises(InvalidFingerprintError, match=message):
        Fingerprint(sections)  # type: ignore[arg-type]


def test_json_document_is_versioned_and_stable() -> None:
    fp = Fingerprint({"data": A, "config": B})
    document = json.loads(fp.to_json())
    assert document == {
        "format": "ted-fingerprint",
        "format_version": FORMAT_VERSION,
        "algorithm": "sha256",
        "encoding": 1,
        "sections": {"config": B, "data": A},
    }
    assert fp.to_json() == Fingerprint({"config": B, "data": A}).to_json()
    assert fp.to_json().endswith("\n")


section_names = st.from_regex(r"[a-z0-9][a-z0-9_.\-]{0,20}", fullmatch=True)
digests = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(section_names, digests, min_size=1, max_size=8))
def test_json_round_trip(sections: dict[str, str]) -> None:
    fp = Fingerprint(sections)
    assert Fingerprint.from_json(fp.to_json()) == fp
    assert Fingerprint.from_json(fp.to_json().encode("utf-8")) == fp
    assert Fingerprint.from_dict(fp.to_dict()) == fp


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    fp = Fingerprint.from_data({"config": {"epochs": 2}, "data": ["story"]})
    target = fp.save(tmp_path / "fingerprint.json")
    assert Fingerprint.load(target) == fp
    assert Fingerprint.load(str(target)) == fp
    # Overwriting is atomic and leaves no temporary files behind.
    fp2 = fp.with_data({"data": ["other"]})
    fp2.save(target)
    assert Fingerprint.load(target) == fp2
    assert os.listdir(tmp_path) == ["fingerprint.json"]


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FingerprintNotFoundError) as info:
        Fingerprint.load(tmp_path / "absent.json")
    assert isinstance(info.value, FingerprintError)
    assert isinstance(info.value, FileNotFoundError)
    assert "absent.json" in str(info.value)


def _valid_document() -> dict[str, object]:
    return Fingerprint({"data": A}).to_dict()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON"),
        (b'{"format": "ted-fingerprint", "sections": {', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (json.dumps({**_valid_document(), "format_version": 2}).encode(), "format_version 2"),
        (json.dumps({**_valid_document(), "format_version": "1"}).encode(), "format_version"),
        (json.dumps({**_valid_document(), "format_version": True}).encode(), "format_version"),
        (json.dumps({**_valid_document(), "encoding": 9}).encode(), "canonical encoding"),
        (json.dumps({**_valid_document(), "format": "other"}).encode(), "'format'"),
        (json.dumps({**_valid_document(), "algorithm": "md5"}).encode(), "algorithm"),
        (json.dumps({**_valid_document(), "extra": 1}).encode(), "unknown keys"),
        (json.dumps({"format": "ted-fingerprint"}).encode(), "missing keys"),
        (json.dumps({**_valid_document(), "sections": {}}).encode(), "at least one section"),
        (json.dumps({**_valid_document(), "sections": {"data": "xyz"}}).encode(), "64 lowercase"),
        (json.dumps({**_valid_document(), "sections": ["data"]}).encode(), "must be a mapping"),
    ],
)
def test_corrupt_files_raise_a_format_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "fingerprint.json"
    path.write_bytes(content)
    with pytest.raises(FingerprintFormatError, match=message) as info:
        Fingerprint.load(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)


def test_truncated_file_is_an_error_not_a_change(tmp_path: Path) -> None:
    path = Fingerprint.from_data({"data": [1], "config": {}}).save(tmp_path / "fp.json")
    text = path.read_bytes()
    for cut in range(0, len(text) - 2, 7):
        path.write_bytes(text[:cut])
        with pytest.raises(FingerprintFormatError):
            Fingerprint.load(path)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (2 << 20))
    with pytest.raises(FingerprintFormatError, match="larger than"):
        Fingerprint.load(path)


def test_directory_instead_of_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FingerprintFormatError, match="cannot read"):
        Fingerprint.load(tmp_path)
