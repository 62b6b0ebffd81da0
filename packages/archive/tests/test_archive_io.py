from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

import pytest

from ted_archive import (
    FORMAT_VERSION,
    ArchiveNotFoundError,
    ManifestFields,
    SourceError,
    TargetExistsError,
    extract_archive,
    open_archive,
    read_manifest,
    verify_archive,
    write_archive,
)


def _fields(**kw: object) -> ManifestFields:
    base: dict[str, object] = {
        "name": "moodbot",
        "version": 4,
        "fingerprint": {"config": "c" * 64, "data": "d" * 64},
        "config": {"epochs": 3, "layers": [64, 64]},
        "metrics": {"action_accuracy": 0.93},
        "lineage": {"sweep": "s1", "trial": "t7", "parent_version": 3},
        "packages": {"ted-model": "0.1.0"},
        "created_at": "2026-02-03T04:05:06Z",
    }
    base.update(kw)
    return ManifestFields(**base)  # type: ignore[arg-type]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_write_verify_extract_round_trip(model_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "m.tar.gz"
    manifest = write_archive(model_dir, dest, _fields())
    assert manifest.format_version == FORMAT_VERSION
    assert [f.path for f in manifest.files] == [
        "config.json",
        "vocabulary.json",
        "weights/layer0.bin",
        "weights/layer1.bin",
    ]
    layer0 = (model_dir / "weights" / "layer0.bin").read_bytes()
    entry = manifest.file("weights/layer0.bin")
    assert entry is not None
    assert (entry.size, entry.sha256) == (len(layer0), hashlib.sha256(layer0).hexdigest())
    assert manifest.packages["ted-archive"]
    assert manifest.packages["ted-model"] == "0.1.0"
    assert verify_archive(dest) == manifest
    assert read_manifest(dest) == manifest
    with tarfile.open(dest) as tar:
        assert tar.getnames()[0] == "manifest.json"
    out = tmp_path / "out"
    assert extract_archive(dest, out) == manifest
    assert _tree(out) == _tree(model_dir)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_same_input_gives_identical_bytes(model_dir: Path, tmp_path: Path) -> None:
    write_archive(model_dir, tmp_path / "a.tar.gz", _fields())
    write_archive(model_dir, tmp_path / "b.tar.gz", _fields())
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()


def test_created_at_defaults_to_utc_now(model_dir: Path, tmp_path: Path) -> None:
    manifest = write_archive(model_dir, tmp_path / "a.tar.gz", {"name": "m", "version": 1})
    assert manifest.created_at.endswith("Z")
    assert manifest.created_at[:4].isdigit()


def test_existing_destination_is_never_replaced(model_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "a.tar.gz"
    dest.write_bytes(b"precious")
    with pytest.raises(TargetExistsError, match="already exists"):
        write_archive(model_dir, dest, _fields())
    assert dest.read_bytes() == b"precious"


def test_source_symlink_is_refused(model_dir: Path, tmp_path: Path) -> None:
    os.symlink("/etc/passwd", model_dir / "link")
    with pytest.raises(SourceError, match="symbolic links cannot be archived"):
        write_archive(model_dir, tmp_path / "a.tar.gz", _fields())
    assert not (tmp_path / "a.tar.gz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_source_fifo_and_missing_dir_are_refused(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a directory"):
        write_archive(tmp_path / "nope", tmp_path / "a.tar.gz", _fields())
    os.mkfifo(model_dir / "pipe")
    with pytest.raises(SourceError, match="pipe: not a regular file"):
        write_archive(model_dir, tmp_path / "a.tar.gz", _fields())


def test_source_file_named_manifest_is_refused(model_dir: Path, tmp_path: Path) -> None:
    (model_dir / "manifest.json").write_text("{}")
    with pytest.raises(SourceError, match="reserved for the manifest"):
        write_archive(model_dir, tmp_path / "a.tar.gz", _fields())


def test_extract_refuses_non_empty_target_and_accepts_empty_one(
    model_dir: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "a.tar.gz"
    write_archive(model_dir, dest, _fields())
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with pytest.raises(TargetExistsError, match="not an empty directory"):
        extract_archive(dest, busy)
    assert _tree(busy) == {"keep.txt": b"mine"}
    empty = tmp_path / "empty"
    empty.mkdir()
    extract_archive(dest, empty)
    assert _tree(empty) == _tree(model_dir)


def test_open_archive_unpacks_temporarily(model_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "a.tar.gz"
    write_archive(model_dir, dest, _fields())
    with open_archive(dest) as opened:
        assert _tree(opened.path) == _tree(model_dir)
        assert opened.manifest.version == 4
        kept = opened.path
    assert not kept.exists()


def test_missing_archive_is_a_specific_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveNotFoundError, match="no such archive"):
        verify_archive(tmp_path / "nope.tar.gz")
