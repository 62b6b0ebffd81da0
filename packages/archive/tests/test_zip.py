"""Zip archives: written by write_archive(..., "x.zip") and refused for the same reasons as
tar.gz archives."""

from __future__ import annotations

import hashlib
import json
import stat
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ted_archive import (
    ArchiveError,
    ChecksumMismatchError,
    CorruptArchiveError,
    DuplicateMemberError,
    LinkMemberError,
    ManifestFields,
    SpecialMemberError,
    UnexpectedMemberError,
    UnsafePathError,
    UnsupportedFormatError,
    extract_archive,
    verify_archive,
    write_archive,
)

PAYLOAD = b"weights" * 100


def _manifest(files: dict[str, bytes], **overrides: Any) -> bytes:
    data: dict[str, Any] = {
        "format_version": "1.0",
        "name": "zipped",
        "version": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "files": [
            {"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
            for p, d in files.items()
        ],
    }
    data.update(overrides)
    return json.dumps(data).encode()


def _zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are what some tests want
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return path


def _refused(archive: Path, tmp_path: Path, error: type[ArchiveError], message: str) -> None:
    with pytest.raises(error, match=message):
        verify_archive(archive)
    with pytest.raises(error, match=message):
        extract_archive(archive, tmp_path / "target" / "model")
    assert list((tmp_path / "target").iterdir()) == []


def test_zip_round_trip(model_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "model.zip"
    manifest = write_archive(model_dir, dest, ManifestFields(name="m", version=2))
    with zipfile.ZipFile(dest) as zf:
        assert zf.namelist()[0] == "manifest.json"
        assert stat.S_IMODE(zf.getinfo("config.json").external_attr >> 16) == 0o644
    assert verify_archive(dest) == manifest
    extract_archive(dest, tmp_path / "out")
    for entry in manifest.files:
        assert (tmp_path / "out" / entry.path).read_bytes() == (model_dir / entry.path).read_bytes()


def test_zip_traversal(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "a.zip",
        [("manifest.json", _manifest({"m.bin": PAYLOAD})), ("../evil.txt", b"x")],
    )
    _refused(archive, tmp_path, UnsafePathError, "path traversal")
    assert not (tmp_path / "evil.txt").exists()


def test_zip_symlink(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("m.bin")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "a.zip", [("manifest.json", _manifest({})), (link, b"/etc/passwd")])
    _refused(archive, tmp_path, LinkMemberError, "'m.bin' is a symbolic link")


def test_zip_fifo(tmp_path: Path) -> None:
    fifo = zipfile.ZipInfo("pipe")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    archive = _zip(tmp_path / "a.zip", [("manifest.json", _manifest({})), (fifo, b"")])
    _refused(archive, tmp_path, SpecialMemberError, "'pipe' is a fifo")


def test_zip_tampered_and_extra_and_duplicate(tmp_path: Path) -> None:
    manifest = _manifest({"m.bin": PAYLOAD})
    changed = b"WEIGHTS" + PAYLOAD[7:]
    tampered = _zip(tmp_path / "t.zip", [("manifest.json", manifest), ("m.bin", changed)])
    _refused(tampered, tmp_path, ChecksumMismatchError, "'m.bin' sha256 mismatch")
    extra = _zip(
        tmp_path / "e.zip",
        [("manifest.json", manifest), ("m.bin", PAYLOAD), ("run.py", b"import os")],
    )
    _refused(extra, tmp_path, UnexpectedMemberError, "'run.py' is not in the manifest")
    dup = _zip(
        tmp_path / "d.zip",
        [("manifest.json", manifest), ("m.bin", PAYLOAD), ("m.bin", PAYLOAD)],
    )
    _refused(dup, tmp_path, DuplicateMemberError, "more than once")
    directory = _zip(tmp_path / "dir.zip", [("manifest.json", _manifest({})), ("weights/", b"")])
    _refused(directory, tmp_path, UnexpectedMemberError, "directory entry")


def test_zip_unknown_format(tmp_path: Path) -> None:
    manifest = _manifest({"m.bin": PAYLOAD}, format_version="3.0")
    archive = _zip(tmp_path / "a.zip", [("manifest.json", manifest), ("m.bin", PAYLOAD)])
    _refused(archive, tmp_path, UnsupportedFormatError, "'3.0'")


def test_zip_truncated_and_corrupt(model_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    write_archive(model_dir, good, ManifestFields(name="m", version=1))
    data = good.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    _refused(truncated, tmp_path, CorruptArchiveError, "unreadable archive")
    # flip a byte inside the deflated data of the largest member: the zip CRC catches it
    with zipfile.ZipFile(good) as zf:
        info = max(zf.infolist(), key=lambda i: i.compress_size)
    flipped = bytearray(data)
    flipped[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0xFF
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(flipped))
    _refused(corrupt, tmp_path, CorruptArchiveError, "unreadable archive")
