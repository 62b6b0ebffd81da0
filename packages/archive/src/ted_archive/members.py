"""A uniform view of the members of a ``.tar.gz`` or ``.zip`` archive.

The reader's safety checks work on :class:`Member` (name, kind, size) whatever the container,
so tar and zip archives are refused for exactly the same reasons.
"""

from __future__ import annotations

import enum
import gzip
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO

_CHUNK = 1024 * 1024
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


class MemberKind(enum.Enum):
    FILE = "regular file"
    SYMLINK = "symbolic link"
    HARDLINK = "hard link"
    DIRECTORY = "directory entry"
    DEVICE = "device file"
    FIFO = "fifo"
    OTHER = "special file"


@dataclass(frozen=True)
class Member:
    name: str
    kind: MemberKind
    size: int
    linkname: str
    open: Callable[[], IO[bytes]]


class MemberReader:
    """Context manager yielding members in archive order; ``finish`` reads to the end so
    trailing checksums (the gzip CRC and length) are verified."""

    def __enter__(self) -> MemberReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def members(self) -> Iterator[Member]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> None:
        """Read whatever is left; raise the container's error if it is damaged."""

    def close(self) -> None:
        """Release the container (the raw file is closed by the caller)."""


class TarGzMembers(MemberReader):
    """Streams a gzip-compressed tar: each member can be read only while it is current."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._gz = gzip.GzipFile(fileobj=raw, mode="rb")
        self._tar = tarfile.open(fileobj=self._gz, mode="r|")  # noqa: SIM115 - see close()

    def members(self) -> Iterator[Member]:
        for info in self._tar:
            yield Member(info.name, _tar_kind(info), info.size, info.linkname, self._opener(info))

    def _opener(self, info: tarfile.TarInfo) -> Callable[[], IO[bytes]]:
        def open_member() -> IO[bytes]:
            stream = self._tar.extractfile(info)
            if stream is None:  # pragma: no cover - only regular files are opened
                raise tarfile.ReadError(f"member {info.name!r} has no data")
            return stream

        return open_member

    def finish(self) -> None:
        while self._gz.read(_CHUNK):
            pass

    def close(self) -> None:
        self._tar.close()
        self._gz.close()


class ZipMembers(MemberReader):
    """A zip archive: members in central-directory order; each member's CRC is checked by
    ``zipfile`` when it is read to the end."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(raw)

    def members(self) -> Iterator[Member]:
        for info in self._zip.infolist():
            kind = _zip_kind(info)
            name = info.filename
            if kind is MemberKind.DIRECTORY and name.endswith("/"):
                name = name[:-1]  # as tarfile reports directory names
            yield Member(name, kind, info.file_size, "", self._opener(info))

    def _opener(self, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
        return lambda: self._zip.open(info)

    def close(self) -> None:
        self._zip.close()


def open_members(raw: IO[bytes]) -> MemberReader:
    """Pick the container by its magic bytes (zip), defaulting to gzip-compressed tar."""
    head = raw.read(4)
    raw.seek(0)
    if head in ZIP_MAGICS:
        return ZipMembers(raw)
    return TarGzMembers(raw)


def _tar_kind(info: tarfile.TarInfo) -> MemberKind:
    if info.issym():
        return MemberKind.SYMLINK
    if info.islnk():
        return MemberKind.HARDLINK
    if info.isdir():
        return MemberKind.DIRECTORY
    if info.ischr() or info.isblk():
        return MemberKind.DEVICE
    if info.isfifo():
        return MemberKind.FIFO
    if info.isreg() and not info.issparse():
        return MemberKind.FILE
    return MemberKind.OTHER


def _zip_kind(info: zipfile.ZipInfo) -> MemberKind:
    mode = info.external_attr >> 16
    if info.is_dir() or stat.S_ISDIR(mode):
        return MemberKind.DIRECTORY
    if stat.S_ISLNK(mode):
        return MemberKind.SYMLINK
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return MemberKind.DEVICE
    if stat.S_ISFIFO(mode):
        return MemberKind.FIFO
    if stat.S_ISSOCK(mode) or info.flag_bits & 0x1:  # sockets, encrypted members
        return MemberKind.OTHER
    return MemberKind.FILE
