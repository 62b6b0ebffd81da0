"""Writing archives: a gzip-compressed tar with ``manifest.json`` first, then the model files.

Archives are deterministic for the same files and manifest (sorted members, fixed owner,
mode and mtime), so the same model written twice gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import io
import logging
import os
import stat
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ted_archive.errors import ArchiveError, SourceError, TargetExistsError
from ted_archive.manifest import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    check_file_set,
    check_member_path,
)
from ted_archive.version import __version__

logger = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ManifestFields:
    """What the caller says about a model; files and format version are filled in on write."""

    name: str
    version: int
    fingerprint: Mapping[str, str] | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)
    packages: Mapping[str, str] | None = None
    created_at: str | None = None

    @classmethod
    def coerce(cls, value: ManifestFields | Mapping[str, Any]) -> ManifestFields:
        if isinstance(value, ManifestFields):
            return value
        try:
            return cls(**dict(value))
        except TypeError as e:
            raise ArchiveError(f"invalid manifest fields: {e}") from e


def utc_now_iso() -> str:
    """Current UTC time as ISO 8601 with a ``Z`` suffix, microsecond precision."""
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def collect_source_files(source_dir: Path) -> list[tuple[Path, FileEntry]]:
    """Every regular file under ``source_dir`` with its size and sha256, sorted by path.

    Symbolic links, devices and other special files are refused rather than followed or
    skipped, so an archive never silently differs from the directory it came from.
    """
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise SourceError(f"{source_dir}: not a directory")
    found: list[tuple[Path, FileEntry]] = []
    for dirpath, dirnames, filenames in os.walk(source_dir):
        dirnames.sort()
        for name in [*dirnames, *filenames]:
            full = Path(dirpath) / name
            mode = full.lstat().st_mode
            rel = full.relative_to(source_dir).as_posix()
            if stat.S_ISLNK(mode):
                raise SourceError(f"{full}: symbolic links cannot be archived")
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise SourceError(f"{full}: not a regular file")
            check_member_path(rel, str(source_dir))
            size, digest = _hash_file(full)
            found.append((full, FileEntry(path=rel, size=size, sha256=digest)))
    found.sort(key=lambda item: item[1].path)
    if any(entry.path == MANIFEST_NAME for _, entry in found):
        raise SourceError(f"{source_dir / MANIFEST_NAME}: the name is reserved for the manifest")
    return found


def build_manifest(fields: ManifestFields, files: list[FileEntry]) -> Manifest:
    packages = dict(fields.packages or {})
    packages.setdefault("ted-archive", __version__)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        name=fields.name,
        version=fields.version,
        created_at=fields.created_at or utc_now_iso(),
        fingerprint=dict(fields.fingerprint or {}),
        config=dict(fields.config),
        metrics=dict(fields.metrics),
        lineage=dict(fields.lineage),
        packages=packages,
        files=tuple(files),
    )
    check_file_set(manifest.files, MANIFEST_NAME)
    manifest.to_json()  # fail early on values JSON cannot hold
    return manifest


def write_archive_to(
    fileobj: IO[bytes],
    source_files: list[tuple[Path, FileEntry]],
    manifest: Manifest,
    container: str = "tar.gz",
) -> None:
    """Stream a complete archive into ``fileobj`` (which the caller flushes and closes).

    ``container`` is ``"tar.gz"`` (the store's format) or ``"zip"``.
    """
    if container == "zip":
        _write_zip(fileobj, source_files, manifest)
        return
    if container != "tar.gz":
        raise ArchiveError(f"unknown archive container {container!r} (use 'tar.gz' or 'zip')")
    mtime = _mtime_of(manifest.created_at)
    manifest_bytes = manifest.to_json().encode("utf-8")
    with (
        gzip.GzipFile(fileobj=fileobj, mode="wb", compresslevel=6, mtime=mtime) as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.addfile(_tarinfo(MANIFEST_NAME, len(manifest_bytes), mtime), io.BytesIO(manifest_bytes))
        for full, entry in source_files:
            with open(full, "rb") as raw:
                checked = _CheckedReader(raw, full, entry)
                tar.addfile(_tarinfo(entry.path, entry.size, mtime), checked)
                checked.finish()


def _write_zip(
    fileobj: IO[bytes], source_files: list[tuple[Path, FileEntry]], manifest: Manifest
) -> None:
    stamp = time.gmtime(max(_mtime_of(manifest.created_at), 315532800))  # zip starts in 1980
    date_time = (
        stamp.tm_year,
        stamp.tm_mon,
        stamp.tm_mday,
        stamp.tm_hour,
        stamp.tm_min,
        stamp.tm_sec,
    )

    def info(name: str) -> zipfile.ZipInfo:
        zinfo = zipfile.ZipInfo(name, date_time=date_time)
        zinfo.compress_type = zipfile.ZIP_DEFLATED
        zinfo.create_system = 3  # unix: external_attr holds the mode
        zinfo.external_attr = (stat.S_IFREG | 0o644) << 16
        return zinfo

    with zipfile.ZipFile(fileobj, mode="w") as zf:
        zf.writestr(info(MANIFEST_NAME), manifest.to_json().encode("utf-8"))
        for full, entry in source_files:
            with open(full, "rb") as raw, zf.open(info(entry.path), "w") as out:
                checked = _CheckedReader(raw, full, entry)
                while chunk := checked.read(_CHUNK):
                    out.write(chunk)
                checked.finish()


def write_archive(
    source_dir: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    manifest_fields: ManifestFields | Mapping[str, Any],
) -> Manifest:
    """Archive every file of ``source_dir`` into the new file ``dest``; return its manifest.

    ``dest`` ending in ``.zip`` gives a zip archive, anything else a gzip-compressed tar.

    The archive is written to a temporary file next to ``dest``, fsynced and then linked
    into place, so ``dest`` either does not exist or is complete. An existing ``dest`` is
    never replaced (TargetExistsError).
    """
    fields = ManifestFields.coerce(manifest_fields)
    dest_path = Path(dest)
    if dest_path.exists():
        raise TargetExistsError(f"{dest_path}: already exists")
    source_files = collect_source_files(Path(source_dir))
    manifest = build_manifest(fields, [entry for _, entry in source_files])
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest_path.name}.", suffix=".tmp", dir=dest_path.parent
    )
    try:
        with os.fdopen(fd, "wb") as out:
            container = "zip" if dest_path.name.endswith(".zip") else "tar.gz"
            write_archive_to(out, source_files, manifest, container)
            out.flush()
            os.fsync(out.fileno())
        publish_file(Path(tmp_name), dest_path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    logger.info("wrote %s (%d files)", dest_path, len(manifest.files))
    return manifest


def publish_file(tmp: Path, dest: Path) -> None:
    """Make the complete file ``tmp`` visible as ``dest`` atomically, never replacing ``dest``.

    ``os.link`` fails if ``dest`` exists; on filesystems without hard links ``os.rename`` is
    used (callers then guarantee ``dest`` is theirs alone). The directory is fsynced so the
    new name survives a power loss.
    """
    try:
        os.link(tmp, dest)
    except FileExistsError as e:
        raise TargetExistsError(f"{dest}: already exists") from e
    except OSError:
        if dest.exists():
            raise TargetExistsError(f"{dest}: already exists") from None
        os.rename(tmp, dest)
    fsync_dir(dest.parent)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _mtime_of(created_at: str) -> int:
    try:
        parsed = _dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return max(0, int(parsed.timestamp()))


class _CheckedReader:
    """Reads a source file for tar while re-hashing it, to catch files changed mid-write."""

    def __init__(self, raw: IO[bytes], path: Path, entry: FileEntry) -> None:
        self._raw = raw
        self._path = path
        self._entry = entry
        self._digest = hashlib.sha256()
        self._size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._digest.update(data)
        self._size += len(data)
        if len(data) < n and self._size < self._entry.size:
            raise SourceError(f"{self._path}: file shrank while it was being archived")
        return data

    def finish(self) -> None:
        extra = self._raw.read(1)
        if extra or self._size != self._entry.size:
            raise SourceError(f"{self._path}: file size changed while it was being archived")
        if self._digest.hexdigest() != self._entry.sha256:
            raise SourceError(f"{self._path}: file content changed while it was being archived")
