"""Where archives live: a small storage interface and its local-filesystem implementation.

The interface is deliberately small (list, reserve-then-publish, delete, aliases, a per-model
lock) so that an object-store backend can implement it later, e.g. with conditional puts
(``If-None-Match: *``) for reservations and publishing.

Local layout under the store root::

    <name>/.lock                 flock: serializes version allocation and alias/prune/delete
    <name>/high-water            highest version ever allocated (numbers are never reused)
    <name>/versions/000007.tar.gz  published archives (complete, never modified); any other
                                 name there (``7.tar.gz``, ``0007.tar.gz``) is foreign:
                                 not a version, reported by ``foreign_files``
    <name>/aliases/<alias>       one small file per alias holding a version number
    <name>/pending/7.lock        reservation of version 7, flock-held by its live writer
    <name>/pending/7.tar.gz.part archive being written (never visible through the API)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

from ted_archive.errors import CorruptAliasError, StoreError
from ted_archive.writer import fsync_dir, publish_file

logger = logging.getLogger(__name__)

_VERSION_FILE_RE = re.compile(r"^(\d+)\.tar\.gz$")
_RESERVATION_RE = re.compile(r"^(\d+)\.lock$")


def _archive_name(version: int) -> str:
    return f"{version:06d}.tar.gz"


def _archive_version(file_name: str) -> int | None:
    """The version of a published archive's file name; None for a name the store never
    writes (``7.tar.gz`` when it writes ``000007.tar.gz``), which is then no version."""
    match = _VERSION_FILE_RE.match(file_name)
    if match is None:
        return None
    version = int(match.group(1))
    return version if version >= 1 and file_name == _archive_name(version) else None


class Reservation(Protocol):
    """A version number held by one writer until it publishes or aborts."""

    version: int

    def open_for_write(self) -> IO[bytes]:
        """A binary file to write the archive into; closed and synced by ``publish``."""

    def publish(self) -> Path:
        """Make the written archive visible as ``version`` atomically; return its path."""

    def abort(self) -> None:
        """Give the version up and remove whatever was written."""


class StorageBackend(Protocol):
    """What ModelStore needs from a storage system."""

    def model_names(self) -> list[str]: ...

    def versions(self, name: str) -> list[int]: ...

    def foreign_files(self, name: str | None = None) -> list[Path]:
        """Files where archives live that the store did not write (of one or every model)."""

    def archive_path(self, name: str, version: int) -> Path:
        """A local path to read the published archive from (a download cache for remote)."""

    def reserve(self, name: str) -> Reservation: ...

    def delete_version(self, name: str, version: int) -> bool: ...

    def read_aliases(self, name: str, *, skip_corrupt: bool = False) -> dict[str, int]: ...

    def corrupt_aliases(self, name: str) -> dict[str, str]:
        """Alias -> what is wrong with it, for aliases that hold no version number."""

    def write_alias(self, name: str, alias: str, version: int | None) -> None: ...

    def locked(self, name: str) -> contextlib.AbstractContextManager[None]: ...


class _LocalReservation:
    def __init__(self, pending: Path, versions: Path, version: int, lock_fd: int) -> None:
        self.version = version
        self._lock_path = pending / f"{version}.lock"
        self._part_path = pending / f"{version}.tar.gz.part"
        self._final_path = versions / _archive_name(version)
        self._lock_fd: int | None = lock_fd
        self._out: IO[bytes] | None = None

    def open_for_write(self) -> IO[bytes]:
        self._out = open(self._part_path, "xb")  # noqa: SIM115 - closed by publish/abort
        return self._out

    def publish(self) -> Path:
        if self._out is None or self._lock_fd is None:
            raise StoreError(f"version {self.version}: nothing written or already finished")
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        # Link first, drop the reservation after: an allocator that no longer sees the
        # reservation is then guaranteed to see the published version.
        publish_file(self._part_path, self._final_path)
        self._release()
        return self._final_path

    def abort(self) -> None:
        if self._out is not None and not self._out.closed:
            self._out.close()
        self._release()

    def _release(self) -> None:
        self._part_path.unlink(missing_ok=True)
        self._lock_path.unlink(missing_ok=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


class LocalFileStorage:
    """StorageBackend on a local (or NFS-with-flock) directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._reported: set[Path] = set()  # foreign files already logged, to log each once

    # --- paths --------------------------------------------------------------------------

    def _model_dir(self, name: str) -> Path:
        return self.root / name

    def _ensure_dirs(self, name: str) -> Path:
        model_dir = self._model_dir(name)
        for sub in ("versions", "aliases", "pending"):
            (model_dir / sub).mkdir(parents=True, exist_ok=True)
        return model_dir

    # --- listing ------------------------------------------------------------------------

    def model_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if not entry.name.startswith(".") and entry.is_dir() and self.versions(entry.name)
        )

    def versions(self, name: str) -> list[int]:
        directory = self._model_dir(name) / "versions"
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            return []
        found = sorted(_archive_version(n) or 0 for n in names)
        versions = [v for v in found if v]
        if len(versions) < len(names):
            self._report_foreign(directory, names)
        return versions

    def foreign_files(self, name: str | None = None) -> list[Path]:
        """Files in ``<name>/versions/`` (of every model without ``name``) not named like the
        archives this store writes; hidden files (e.g. NFS ``.nfs*``) are left out."""
        if name is not None:
            model_dirs = [self._model_dir(name)]
        elif self.root.is_dir():
            model_dirs = sorted(e for e in self.root.iterdir() if not e.name.startswith("."))
        else:
            model_dirs = []
        foreign: list[Path] = []
        for model_dir in model_dirs:
            try:
                names = sorted(os.listdir(model_dir / "versions"))
            except (FileNotFoundError, NotADirectoryError):
                continue
            foreign += [
                model_dir / "versions" / n
                for n in names
                if not n.startswith(".") and _archive_version(n) is None
            ]
        return foreign

    def _report_foreign(self, directory: Path, names: list[str]) -> None:
        for entry in names:
            path = directory / entry
            if entry.startswith(".") or _archive_version(entry) or path in self._reported:
                continue
            self._reported.add(path)
            logger.warning(
                "ignoring %s: not an archive name of this store (expected e.g. %s)",
                path,
                _archive_name(7),
            )

    def archive_path(self, name: str, version: int) -> Path:
        return self._model_dir(name) / "versions" / _archive_name(version)

    # --- locking and allocation ---------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, name: str) -> Iterator[None]:
        """Exclusive per-model lock; the kernel releases it if the holder dies."""
        model_dir = self._ensure_dirs(name)
        fd = os.open(model_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def reserve(self, name: str) -> Reservation:
        """Allocate the next version: one higher than every published or live reservation.

        Runs under the model lock for microseconds; the archive itself is written outside
        it, so many writers of one model work in parallel. Reservations whose writer died
        (its flock is gone) are removed here together with their partial file.
        """
        model_dir = self._ensure_dirs(name)
        pending = model_dir / "pending"
        with self.locked(name):
            live = self._live_reservations(pending)
            # Read published versions after the reservations (see _LocalReservation.publish).
            taken = [*live, *self.versions(name), self._read_high_water(model_dir)]
            version = max(taken) + 1
            lock_path = pending / f"{version}.lock"
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError as e:
                raise StoreError(f"{lock_path}: reservation exists unexpectedly") from e
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            try:
                self._write_high_water(model_dir, version)
            except BaseException:
                lock_path.unlink(missing_ok=True)
                os.close(fd)
                raise
        logger.debug("reserved %s version %d", name, version)
        return _LocalReservation(pending, model_dir / "versions", version, fd)

    def _read_high_water(self, model_dir: Path) -> int:
        """Highest version ever allocated, so numbers of deleted versions are never reused."""
        path = model_dir / "high-water"
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return 0
        if not text.isdigit():
            raise StoreError(f"{path}: does not hold a version number")
        return int(text)

    def _write_high_water(self, model_dir: Path, version: int) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".high-water.", dir=model_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(f"{version}\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, model_dir / "high-water")
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _live_reservations(self, pending: Path) -> list[int]:
        live: list[int] = []
        for entry in os.listdir(pending):
            match = _RESERVATION_RE.match(entry)
            if not match:
                continue
            version = int(match.group(1))
            try:
                fd = os.open(pending / entry, os.O_RDWR)
            except FileNotFoundError:
                continue  # its writer just finished
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    live.append(version)
                    continue
                logger.warning(
                    "removing abandoned reservation of version %d in %s", version, pending
                )
                (pending / f"{version}.tar.gz.part").unlink(missing_ok=True)
                (pending / entry).unlink(missing_ok=True)
            finally:
                os.close(fd)
        return live

    # --- deletion and aliases -----------------------------------------------------------

    def delete_version(self, name: str, version: int) -> bool:
        path = self.archive_path(name, version)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True

    def read_aliases(self, name: str, *, skip_corrupt: bool = False) -> dict[str, int]:
        """Alias -> version; a corrupt alias file raises, or is left out with ``skip_corrupt``."""
        aliases, corrupt = self._alias_files(name)
        if corrupt and not skip_corrupt:
            alias, problem = next(iter(corrupt.items()))
            raise CorruptAliasError(f"{self._model_dir(name) / 'aliases' / alias}: {problem}")
        return aliases

    def corrupt_aliases(self, name: str) -> dict[str, str]:
        return self._alias_files(name)[1]

    def _alias_files(self, name: str) -> tuple[dict[str, int], dict[str, str]]:
        directory = self._model_dir(name) / "aliases"
        try:
            entries = sorted(os.listdir(directory))
        except FileNotFoundError:
            return {}, {}
        aliases: dict[str, int] = {}
        corrupt: dict[str, str] = {}
        for entry in entries:
            if entry.startswith("."):
                continue
            try:
                raw = (directory / entry).read_bytes()
            except FileNotFoundError:
                continue  # removed meanwhile
            text = raw.decode("utf-8", errors="replace").strip()
            if text.isascii() and text.isdigit():
                aliases[entry] = int(text)
            else:
                corrupt[entry] = f"alias file does not hold a version number ({raw[:20]!r})"
        return aliases, corrupt

    def write_alias(self, name: str, alias: str, version: int | None) -> None:
        """Set (atomic replace by rename) or remove (``version=None``) one alias."""
        directory = self._ensure_dirs(name) / "aliases"
        target = directory / alias
        if version is None:
            target.unlink(missing_ok=True)
        else:
            fd, tmp = tempfile.mkstemp(prefix=f".{alias}.", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(f"{version}\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            finally:
                Path(tmp).unlink(missing_ok=True)
        fsync_dir(directory)
