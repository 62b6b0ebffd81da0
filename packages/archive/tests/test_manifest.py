from __future__ import annotations

import json
import posixpath
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ted_archive import (
    DuplicateMemberError,
    FileEntry,
    Manifest,
    ManifestError,
    UnsafePathError,
    UnsupportedFormatError,
)
from ted_archive.manifest import check_member_path

SHA = "a" * 64


def _data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "format_version": "1.0",
        "name": "moodbot",
        "version": 3,
        "created_at": "2026-01-01T00:00:00Z",
        "fingerprint": {"config": SHA},
        "config": {"epochs": 5},
        "metrics": {"loss": 0.25},
        "lineage": {"parent_version": 2},
        "packages": {"ted-archive": "0.1.0"},
        "files": [{"path": "w/a.bin", "size": 3, "sha256": SHA}],
    }
    data.update(overrides)
    return data


def test_round_trip_keeps_every_field() -> None:
    manifest = Manifest.from_dict(_data())
    again = Manifest.from_json(manifest.to_json())
    assert again == manifest
    assert again.files == (FileEntry("w/a.bin", 3, SHA),)
    assert again.lineage == {"parent_version": 2}
    assert again.total_size == 3


def test_newer_minor_version_is_read_and_unknown_fields_ignored() -> None:
    manifest = Manifest.from_dict(_data(format_version="1.7", future_field=[1, 2]))
    assert manifest.format_version == "1.7"


@pytest.mark.parametrize("fmt", ["2.0", "0.9", "99.1"])
def test_unknown_major_version_is_refused(fmt: str) -> None:
    with pytest.raises(UnsupportedFormatError, match=f"unsupported archive format version '{fmt}'"):
        Manifest.from_dict(_data(format_version=fmt))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"format_version": "1"}, "format_version"),
        ({"version": "3"}, "version must be"),
        ({"version": -1}, "version must be"),
        ({"files": {"a": 1}}, "'files' must be a list"),
        ({"files": [{"path": "a", "size": -1, "sha256": SHA}]}, "invalid size"),
        ({"files": [{"path": "a", "size": 1, "sha256": "xyz"}]}, "invalid sha256"),
        ({"fingerprint": {"config": 1}}, "'fingerprint' must map strings to strings"),
        ({"metrics": [1]}, "'metrics' must be a dict"),
        ({"files": [{"path": "manifest.json", "size": 1, "sha256": SHA}]}, "cannot be a model"),
        (
            {
                "files": [
                    {"path": "a", "size": 1, "sha256": SHA},
                    {"path": "a/b", "size": 1, "sha256": SHA},
                ]
            },
            "which is a file",
        ),
    ],
)
def test_invalid_fields_are_refused_with_the_reason(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ManifestError, match=message):
        Manifest.from_dict(_data(**overrides))


def test_duplicate_paths_in_manifest_are_refused() -> None:
    files = [{"path": "a", "size": 1, "sha256": SHA}, {"path": "a", "size": 1, "sha256": SHA}]
    with pytest.raises(DuplicateMemberError, match="'a' is listed twice"):
        Manifest.from_dict(_data(files=files))


def test_unsafe_path_in_manifest_is_refused() -> None:
    files = [{"path": "../etc/passwd", "size": 1, "sha256": SHA}]
    with pytest.raises(UnsafePathError, match="path traversal"):
        Manifest.from_dict(_data(files=files))


def test_invalid_json_names_the_source() -> None:
    with pytest.raises(ManifestError, match=r"x\.tar\.gz: manifest\.json: not valid JSON"):
        Manifest.from_json(b"{not json", "x.tar.gz: manifest.json")


def test_nan_metrics_cannot_be_written() -> None:
    manifest = Manifest.from_dict(_data())
    bad = Manifest(**{**manifest.__dict__, "metrics": {"loss": float("nan")}})
    with pytest.raises(ManifestError, match="not JSON-serializable"):
        bad.to_json()
    assert json.loads(manifest.to_json())["metrics"] == {"loss": 0.25}


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/etc/passwd",
        "C:evil",
        "a\\b",
        "../x",
        "a/../../x",
        "a//b",
        "./a",
        "a/.",
        "a/",
        "a\x00b",
    ],
)
def test_unsafe_member_paths(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_member_path(path, "archive.tar.gz")


@pytest.mark.parametrize("path", ["a", "weights/layer0.bin", "a..b", ".hidden", "x/y/z.json"])
def test_safe_member_paths(path: str) -> None:
    assert check_member_path(path, "archive.tar.gz") == path


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "/", ".", "\\", ":", "C", "\x00", " "]), max_size=12))
def test_accepted_paths_always_stay_inside_the_target(path: str) -> None:
    """Property: whatever check_member_path accepts resolves to a location below the target."""
    base = PurePosixPath("/target")
    try:
        check_member_path(path, "archive")
    except UnsafePathError:
        return
    resolved = posixpath.normpath(str(base / path))
    assert resolved.startswith("/target/")
    assert resolved == str(base / path)  # already normalized: no '.', '..' or '//' tricks
