"""The manifest: what an archive claims to contain, and the rules for member paths.

``manifest.json`` is the first member of every archive. Its ``format_version`` is
``"MAJOR.MINOR"``: readers accept any minor version of a major they know (unknown fields
are ignored) and refuse an unknown major version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ted_archive.errors import (
    DuplicateMemberError,
    ManifestError,
    UnsafePathError,
    UnsupportedFormatError,
)

FORMAT_VERSION = "1.0"
SUPPORTED_MAJOR_VERSIONS = frozenset({1})
MANIFEST_NAME = "manifest.json"
# A manifest larger than this is refused before it is parsed.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_FORMAT_RE = re.compile(r"^(\d+)\.(\d+)$")


def check_member_path(path: str, where: str) -> str:
    """Return ``path`` if it is a plain relative POSIX path, else raise UnsafePathError.

    Refused: empty, absolute (``/x``, ``C:x``, ``\\\\x``), ``..`` or ``.`` components,
    backslashes, NUL, empty components (``a//b``) and trailing slashes. ``where`` names the
    archive or manifest the path came from, for the message.
    """
    if not path:
        raise UnsafePathError(f"{where}: empty member path")
    if "\x00" in path:
        raise UnsafePathError(f"{where}: member path {path!r} contains a NUL byte")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise UnsafePathError(f"{where}: member {path!r} has an absolute path")
    if "\\" in path:
        raise UnsafePathError(f"{where}: member {path!r} contains a backslash")
    parts = path.split("/")
    if ".." in parts:
        raise UnsafePathError(f"{where}: member {path!r} contains '..' (path traversal)")
    if any(part in ("", ".") for part in parts):
        raise UnsafePathError(f"{where}: member {path!r} is not a normalized relative path")
    return path


@dataclass(frozen=True)
class FileEntry:
    """One model file: its path inside the archive, size in bytes and sha256 hex digest."""

    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    """Everything an archive records about the model it holds."""

    format_version: str
    name: str
    version: int
    created_at: str
    fingerprint: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    files: tuple[FileEntry, ...] = ()

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.files)

    def file(self, path: str) -> FileEntry | None:
        """The entry for ``path``, or None."""
        for entry in self.files:
            if entry.path == path:
                return entry
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "name": self.name,
            "version": self.version,
            "created_at": self.created_at,
            "fingerprint": dict(self.fingerprint),
            "config": self.config,
            "metrics": self.metrics,
            "lineage": self.lineage,
            "packages": dict(self.packages),
            "files": [entry.to_dict() for entry in self.files],
        }

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys); refuses NaN/Infinity and non-JSON values."""
        try:
            return json.dumps(self.to_dict(), sort_keys=True, indent=2, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ManifestError(f"manifest of {self.name!r} is not JSON-serializable: {e}") from e

    @classmethod
    def from_json(cls, text: str | bytes, source: str = MANIFEST_NAME) -> Manifest:
        try:
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ManifestError(f"{source}: not valid JSON: {e}") from e
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: Any, source: str = MANIFEST_NAME) -> Manifest:
        """Validate and build; ``source`` names the file for error messages."""
        if not isinstance(data, dict):
            raise ManifestError(f"{source}: expected a JSON object, got {type(data).__name__}")
        fmt = data.get("format_version")
        if not isinstance(fmt, str) or not (match := _FORMAT_RE.match(fmt)):
            raise ManifestError(f"{source}: format_version must be 'MAJOR.MINOR', got {fmt!r}")
        if int(match.group(1)) not in SUPPORTED_MAJOR_VERSIONS:
            raise UnsupportedFormatError(
                f"{source}: unsupported archive format version {fmt!r} "
                f"(this ted-archive reads {FORMAT_VERSION.split('.')[0]}.x)"
            )
        name = _typed(data, "name", str, source)
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise ManifestError(f"{source}: version must be a non-negative integer")
        created_at = _typed(data, "created_at", str, source)
        fingerprint = _str_mapping(data.get("fingerprint", {}), "fingerprint", source)
        packages = _str_mapping(data.get("packages", {}), "packages", source)
        config = _typed(data, "config", dict, source, default={})
        metrics = _typed(data, "metrics", dict, source, default={})
        lineage = _typed(data, "lineage", dict, source, default={})
        raw_files = data.get("files")
        if not isinstance(raw_files, list):
            raise ManifestError(f"{source}: 'files' must be a list")
        files = tuple(_file_entry(item, source) for item in raw_files)
        check_file_set(files, source)
        return cls(
            format_version=fmt,
            name=name,
            version=version,
            created_at=created_at,
            fingerprint=fingerprint,
            config=config,
            metrics=metrics,
            lineage=lineage,
            packages=packages,
            files=files,
        )


def check_file_set(files: tuple[FileEntry, ...], source: str) -> None:
    """Refuse duplicate paths, the reserved manifest name and file/directory clashes."""
    seen: set[str] = set()
    for entry in files:
        if entry.path in seen:
            raise DuplicateMemberError(f"{source}: {entry.path!r} is listed twice")
        if entry.path == MANIFEST_NAME:
            raise ManifestError(f"{source}: {MANIFEST_NAME!r} cannot be a model file")
        seen.add(entry.path)
    for entry in files:
        for parent in PurePosixPath(entry.path).parents:
            if str(parent) in seen:
                raise ManifestError(
                    f"{source}: {entry.path!r} lies under {str(parent)!r}, which is a file"
                )


def _typed(data: dict[str, Any], key: str, kind: type, source: str, default: Any = None) -> Any:
    value = data.get(key, default)
    if not isinstance(value, kind):
        raise ManifestError(f"{source}: {key!r} must be a {kind.__name__}")
    return value


def _str_mapping(value: Any, key: str, source: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ManifestError(f"{source}: {key!r} must map strings to strings")
    return dict(value)


def _file_entry(item: Any, source: str) -> FileEntry:
    if not isinstance(item, dict):
        raise ManifestError(f"{source}: every entry of 'files' must be an object")
    path = item.get("path")
    size = item.get("size")
    digest = item.get("sha256")
    if not isinstance(path, str):
        raise ManifestError(f"{source}: a file entry has no 'path' string")
    check_member_path(path, source)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{source}: {path!r} has an invalid size {size!r}")
    if not isinstance(digest, str) or not _SHA256_RE.match(digest):
        raise ManifestError(f"{source}: {path!r} has an invalid sha256 {digest!r}")
    return FileEntry(path=path, size=size, sha256=digest)
