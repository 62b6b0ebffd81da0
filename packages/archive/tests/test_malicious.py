"""Hand-crafted hostile and damaged archives: each must be refused with a specific error
that names the archive and the reason, and nothing may be written outside the target."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ted_archive import (
    ArchiveError,
    ChecksumMismatchError,
    CorruptArchiveError,
    DuplicateMemberError,
    LinkMemberError,
    ManifestError,
    ManifestFields,
    MissingMemberError,
    SpecialMemberError,
    UnexpectedMemberError,
    UnsafePathError,
    UnsupportedFormatError,
    extract_archive,
    verify_archive,
    write_archive,
)

Craft = Callable[..., Path]
Member = tuple[tarfile.TarInfo, bytes | None]


def file_member(name: str, data: bytes) -> Member:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def honest_manifest(files: dict[str, bytes], **overrides: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "format_version": "1.0",
        "name": "crafted",
        "version": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "fingerprint": {},
        "config": {},
        "metrics": {},
        "lineage": {},
        "packages": {},
        "files": [
            {"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
            for p, d in files.items()
        ],
    }
    manifest.update(overrides)
    return manifest


def craft_archive(path: Path, manifest: dict[str, Any] | None, members: list[Member]) -> Path:
    """Write a tar.gz with ``manifest`` (if given) first, then ``members`` exactly as given."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if manifest is not None:
            tar.addfile(*_as_member(file_member("manifest.json", json.dumps(manifest).encode())))
        for info, data in members:
            tar.addfile(*_as_member((info, data)))
    path.write_bytes(gzip.compress(buf.getvalue()))
    return path


def _as_member(member: Member) -> tuple[tarfile.TarInfo, io.BytesIO | None]:
    info, data = member
    return info, (io.BytesIO(data) if data is not None else None)


@pytest.fixture
def crafted(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(10**6))

    def make(manifest: dict[str, Any] | None, members: list[Member]) -> Path:
        return craft_archive(tmp_path / f"crafted-{next(counter)}.tar.gz", manifest, members)

    return make


GOOD = {"model.bin": b"weights" * 100}


def _link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _special(name: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.devmajor, info.devminor = 1, 3
    return info, None


def _assert_refused_everywhere(
    archive: Path, tmp_path: Path, error: type[ArchiveError], message: str
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(error, match=message) as verified:
        verify_archive(archive)
    assert str(archive) in str(verified.value)
    target = tmp_path / "target" / "model"
    with pytest.raises(error, match=message):
        extract_archive(archive, target)
    assert not target.exists()
    # nothing left behind next to the target, nothing written beside the archive
    assert list((tmp_path / "target").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "target"])


def test_crafted_honest_archive_is_accepted(crafted: Craft, tmp_path: Path) -> None:
    archive = crafted(honest_manifest(GOOD), [file_member("model.bin", GOOD["model.bin"])])
    assert verify_archive(archive).files[0].path == "model.bin"
    extract_archive(archive, tmp_path / "ok")
    assert (tmp_path / "ok" / "model.bin").read_bytes() == GOOD["model.bin"]


@pytest.mark.parametrize(
    "name", ["../evil.txt", "sub/../../evil.txt", "/tmp/evil.txt", "./../evil.txt"]
)
def test_path_traversal_and_absolute_paths(crafted: Craft, tmp_path: Path, name: str) -> None:
    archive = crafted(honest_manifest(GOOD), [file_member(name, b"pwned")])
    _assert_refused_everywhere(archive, tmp_path, UnsafePathError, "member")
    assert not (tmp_path / "evil.txt").exists()
    assert not Path("/tmp/evil.txt").exists() or Path("/tmp/evil.txt").read_bytes() != b"pwned"


def test_traversal_listed_in_manifest_is_still_refused(crafted: Craft, tmp_path: Path) -> None:
    files = {"../evil.txt": b"pwned"}
    archive = crafted(honest_manifest(files), [file_member("../evil.txt", b"pwned")])
    _assert_refused_everywhere(archive, tmp_path, UnsafePathError, "path traversal")


def test_symlink_member(crafted: Craft, tmp_path: Path) -> None:
    archive = crafted(honest_manifest({}), [_link("model.bin", "/etc/passwd", tarfile.SYMTYPE)])
    _assert_refused_everywhere(archive, tmp_path, LinkMemberError, "'model.bin' is a symbolic link")


def test_hard_link_member(crafted: Craft, tmp_path: Path) -> None:
    members = [
        file_member("model.bin", GOOD["model.bin"]),
        _link("copy.bin", "model.bin", tarfile.LNKTYPE),
    ]
    archive = crafted(honest_manifest(GOOD), members)
    _assert_refused_everywhere(archive, tmp_path, LinkMemberError, "'copy.bin' is a hard link")


@pytest.mark.parametrize(
    ("kind", "what"),
    [(tarfile.CHRTYPE, "device"), (tarfile.BLKTYPE, "device"), (tarfile.FIFOTYPE, "fifo")],
)
def test_device_and_fifo_members(crafted: Craft, tmp_path: Path, kind: bytes, what: str) -> None:
    archive = crafted(honest_manifest({}), [_special("dev", kind)])
    _assert_refused_everywhere(archive, tmp_path, SpecialMemberError, f"'dev' is a {what}")


def test_tampered_bytes_same_size(crafted: Craft, tmp_path: Path) -> None:
    tampered = b"WEIGHTS" + GOOD["model.bin"][7:]
    archive = crafted(honest_manifest(GOOD), [file_member("model.bin", tampered)])
    _assert_refused_everywhere(archive, tmp_path, ChecksumMismatchError, "'model.bin' sha256")


def test_member_with_wrong_size(crafted: Craft, tmp_path: Path) -> None:
    archive = crafted(honest_manifest(GOOD), [file_member("model.bin", b"short")])
    _assert_refused_everywhere(archive, tmp_path, ChecksumMismatchError, "manifest says 700")


def test_extra_member_not_in_manifest(crafted: Craft, tmp_path: Path) -> None:
    members = [file_member("model.bin", GOOD["model.bin"]), file_member("extra.py", b"x")]
    archive = crafted(honest_manifest(GOOD), members)
    _assert_refused_everywhere(archive, tmp_path, UnexpectedMemberError, "'extra.py' is not in")


def test_directory_entry_is_not_part_of_the_format(crafted: Craft, tmp_path: Path) -> None:
    info = tarfile.TarInfo("weights")
    info.type = tarfile.DIRTYPE
    archive = crafted(honest_manifest({}), [(info, None)])
    _assert_refused_everywhere(archive, tmp_path, UnexpectedMemberError, "directory entry")


def test_missing_member(crafted: Craft, tmp_path: Path) -> None:
    files = {**GOOD, "other.bin": b"1"}
    archive = crafted(honest_manifest(files), [file_member("model.bin", GOOD["model.bin"])])
    _assert_refused_everywhere(archive, tmp_path, MissingMemberError, "other.bin")


def test_duplicate_member(crafted: Craft, tmp_path: Path) -> None:
    member = file_member("model.bin", GOOD["model.bin"])
    archive = crafted(honest_manifest(GOOD), [member, member])
    _assert_refused_everywhere(archive, tmp_path, DuplicateMemberError, "more than once")


def test_second_manifest_member(crafted: Craft, tmp_path: Path) -> None:
    members = [
        file_member("model.bin", GOOD["model.bin"]),
        file_member("manifest.json", json.dumps(honest_manifest({})).encode()),
    ]
    archive = crafted(honest_manifest(GOOD), members)
    _assert_refused_everywhere(archive, tmp_path, DuplicateMemberError, "'manifest.json'")


def test_unknown_format_version(crafted: Craft, tmp_path: Path) -> None:
    manifest = honest_manifest(GOOD, format_version="2.0")
    archive = crafted(manifest, [file_member("model.bin", GOOD["model.bin"])])
    _assert_refused_everywhere(archive, tmp_path, UnsupportedFormatError, "'2.0'")


def test_manifest_not_first(crafted: Craft, tmp_path: Path) -> None:
    members = [
        file_member("model.bin", GOOD["model.bin"]),
        file_member("manifest.json", json.dumps(honest_manifest(GOOD)).encode()),
    ]
    archive = crafted(None, members)
    _assert_refused_everywhere(archive, tmp_path, ManifestError, "expected manifest.json")


def test_not_an_archive_at_all(tmp_path: Path) -> None:
    archive = tmp_path / "junk.tar.gz"
    archive.write_bytes(b"this is not gzip data at all")
    _assert_refused_everywhere(archive, tmp_path, CorruptArchiveError, "unreadable archive")


def test_gzip_of_non_tar(tmp_path: Path) -> None:
    archive = tmp_path / "junk.tar.gz"
    archive.write_bytes(gzip.compress(b"plain text, not a tar" * 50))
    _assert_refused_everywhere(archive, tmp_path, CorruptArchiveError, "unreadable archive")


@pytest.fixture
def real_archive(model_dir: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "real.tar.gz"
    write_archive(model_dir, dest, ManifestFields(name="m", version=1))
    return dest


@pytest.mark.parametrize("keep", [0.01, 0.25, 0.5, 0.9, 0.99])
def test_truncated_archive(real_archive: Path, tmp_path: Path, keep: float) -> None:
    data = real_archive.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: int(len(data) * keep)])
    real_archive.unlink()
    _assert_refused_everywhere(truncated, tmp_path, CorruptArchiveError, "unreadable archive")


def test_truncated_by_only_the_gzip_trailer(real_archive: Path, tmp_path: Path) -> None:
    data = real_archive.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[:-4])
    real_archive.unlink()
    _assert_refused_everywhere(truncated, tmp_path, CorruptArchiveError, "unreadable archive")


@pytest.mark.parametrize("where", [0.2, 0.5, 0.8, 0.95])
def test_flipped_byte_in_compressed_stream(
    real_archive: Path, tmp_path: Path, where: float
) -> None:
    data = bytearray(real_archive.read_bytes())
    data[int(len(data) * where)] ^= 0xFF
    broken = tmp_path / "flipped.tar.gz"
    broken.write_bytes(bytes(data))
    real_archive.unlink()
    # Whatever notices first (zlib, tar, JSON, sha256), the damage is reported as such.
    _assert_refused_everywhere(broken, tmp_path, CorruptArchiveError, "unreadable archive")


def test_repacked_with_changed_file_but_original_manifest(
    real_archive: Path, tmp_path: Path
) -> None:
    out = io.BytesIO()
    with tarfile.open(real_archive) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "config.json":
                data = data.replace(b"3", b"9")
            dst.addfile(member, io.BytesIO(data))
    repacked = tmp_path / "repacked.tar.gz"
    repacked.write_bytes(gzip.compress(out.getvalue()))
    real_archive.unlink()
    _assert_refused_everywhere(repacked, tmp_path, ChecksumMismatchError, "'config.json' sha256")
