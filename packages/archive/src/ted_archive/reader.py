"""Reading archives safely: verify every member against the manifest, extract only inside
the target directory.

The archive (``.tar.gz``, or ``.zip`` recognised by its magic bytes) is read in one pass.
``manifest.json`` must be the first member; each following member must be a regular file at a
plain relative path listed in the manifest, with the listed size and sha256. After the last
member the rest of a gzip stream is read so that a truncated file or a bad gzip checksum is
always noticed; zip members carry their own CRC, checked as each is read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ted_archive.errors import (
    ArchiveError,
    ArchiveNotFoundError,
    ChecksumMismatchError,
    CorruptArchiveError,
    DuplicateMemberError,
    ExtractionError,
    LinkMemberError,
    ManifestError,
    MissingMemberError,
    SpecialMemberError,
    TargetExistsError,
    UnexpectedMemberError,
)
from ted_archive.manifest import (
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    FileEntry,
    Manifest,
    check_member_path,
)
from ted_archive.members import Member, MemberKind, open_members

logger = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, OSError)

# Called for each verified-so-far member; returns where to write its bytes (or None).
_Sink = Callable[[FileEntry], IO[bytes] | None]


@contextmanager
def _reading(where: str) -> Iterator[None]:
    """Turn low-level read failures into CorruptArchiveError naming the archive."""
    try:
        yield
    except _READ_ERRORS as e:
        reason = str(e) or type(e).__name__
        raise CorruptArchiveError(f"{where}: unreadable archive ({reason})") from e


def _open_raw(path: Path) -> IO[bytes]:
    try:
        return open(path, "rb")
    except FileNotFoundError as e:
        raise ArchiveNotFoundError(f"{path}: no such archive") from e
    except OSError as e:
        raise ArchiveNotFoundError(f"{path}: cannot open archive ({e.strerror})") from e


def _check_member_kind(member: Member, where: str) -> None:
    name = member.name
    check_member_path(name, where)
    kind = member.kind
    if kind in (MemberKind.SYMLINK, MemberKind.HARDLINK):
        raise LinkMemberError(f"{where}: member {name!r} is a {kind.value} to {member.linkname!r}")
    if kind is MemberKind.DIRECTORY:
        raise UnexpectedMemberError(f"{where}: member {name!r} is a directory entry")
    if kind in (MemberKind.DEVICE, MemberKind.FIFO):
        raise SpecialMemberError(f"{where}: member {name!r} is a {kind.value}")
    if kind is not MemberKind.FILE:
        raise SpecialMemberError(f"{where}: member {name!r} is not a regular file")


def _read_manifest_member(member: Member, where: str) -> Manifest:
    if member.name != MANIFEST_NAME:
        raise ManifestError(f"{where}: first member is {member.name!r}, expected {MANIFEST_NAME}")
    if member.size > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{where}: {MANIFEST_NAME} is too large ({member.size} bytes)")
    with _reading(where), member.open() as stream:
        data = stream.read(MAX_MANIFEST_BYTES + 1)
    return Manifest.from_json(data, f"{where}: {MANIFEST_NAME}")


def _scan(path: Path, sink: _Sink | None = None, manifest_only: bool = False) -> Manifest:
    where = str(path)
    with _open_raw(path) as raw, _reading(where), open_members(raw) as archive:
        try:
            manifest = _scan_members(archive.members(), where, sink, manifest_only)
        except ArchiveError as e:
            if not isinstance(e, CorruptArchiveError):
                # A damaged compressed stream can decode to garbage before its checksum is
                # reached; report the damage rather than the symptom (bad JSON, wrong sha256).
                archive.finish()
            raise
        if not manifest_only:
            archive.finish()
    return manifest


def _scan_members(
    members: Iterator[Member], where: str, sink: _Sink | None, manifest_only: bool
) -> Manifest:
    first = next(members, None)
    if first is None:
        raise ManifestError(f"{where}: empty archive, no {MANIFEST_NAME}")
    _check_member_kind(first, where)
    manifest = _read_manifest_member(first, where)
    if manifest_only:
        return manifest
    expected = {entry.path: entry for entry in manifest.files}
    seen: set[str] = set()
    for member in members:
        _check_member_kind(member, where)
        name = member.name
        if name in seen or name == MANIFEST_NAME:
            raise DuplicateMemberError(f"{where}: member {name!r} occurs more than once")
        seen.add(name)
        entry = expected.get(name)
        if entry is None:
            raise UnexpectedMemberError(f"{where}: member {name!r} is not in the manifest")
        if member.size != entry.size:
            raise ChecksumMismatchError(
                f"{where}: {name!r} has {member.size} bytes, manifest says {entry.size}"
            )
        _copy_and_check(member, entry, where, sink(entry) if sink else None)
    missing = sorted(set(expected) - seen)
    if missing:
        raise MissingMemberError(
            f"{where}: manifest lists {', '.join(missing)} but the archive does not contain it"
        )
    return manifest


def _copy_and_check(member: Member, entry: FileEntry, where: str, out: IO[bytes] | None) -> None:
    with _reading(where):
        stream = member.open()
    digest = hashlib.sha256()
    try:
        while True:
            with _reading(where):
                chunk = stream.read(_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            if out is not None:
                try:
                    out.write(chunk)
                except OSError as e:
                    raise ExtractionError(f"{where}: cannot write {member.name!r}: {e}") from e
    finally:
        stream.close()
        if out is not None:
            out.close()
    if digest.hexdigest() != entry.sha256:
        raise ChecksumMismatchError(
            f"{where}: {member.name!r} sha256 mismatch (archive content was altered)"
        )


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """The manifest alone (first member only); files are NOT verified. Cheap, for listings."""
    return _scan(Path(path), manifest_only=True)


def verify_archive(path: str | os.PathLike[str]) -> Manifest:
    """Check the whole archive (safety, completeness, sizes, sha256); return its manifest."""
    manifest = _scan(Path(path))
    logger.debug("verified %s (%d files)", path, len(manifest.files))
    return manifest


def extract_archive(path: str | os.PathLike[str], target_dir: str | os.PathLike[str]) -> Manifest:
    """Verify and extract into ``target_dir``, which must not exist (or be an empty directory).

    Files are written into a fresh temporary directory next to ``target_dir`` and that
    directory is renamed into place only after every member verified, so ``target_dir``
    never holds a partial or unverified model. Nothing is written outside it.
    """
    target = Path(target_dir).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TargetExistsError(f"{target}: already exists and is not an empty directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.unpack-", dir=target.parent))

    def sink(entry: FileEntry) -> IO[bytes]:
        dest = tmp.joinpath(*entry.path.split("/"))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            return os.fdopen(os.open(dest, flags, 0o644), "wb")
        except OSError as e:
            raise ExtractionError(f"{path}: cannot create {entry.path!r}: {e}") from e

    try:
        manifest = _scan(Path(path), sink=sink)
        if target.exists():
            target.rmdir()  # empty, checked above
        try:
            os.rename(tmp, target)
        except OSError as e:
            raise TargetExistsError(f"{target}: could not move the extracted model in: {e}") from e
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    logger.info("extracted %s into %s", path, target)
    return manifest


@dataclass(frozen=True)
class OpenedArchive:
    """A verified archive unpacked into a private temporary directory."""

    path: Path
    manifest: Manifest


@contextmanager
def open_archive(path: str | os.PathLike[str]) -> Iterator[OpenedArchive]:
    """Verify and unpack into a temporary directory that is removed when the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="ted-archive-"))
    try:
        target = workdir / "model"
        manifest = extract_archive(path, target)
        yield OpenedArchive(path=target, manifest=manifest)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
