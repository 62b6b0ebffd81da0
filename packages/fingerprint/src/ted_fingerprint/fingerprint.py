"""A fingerprint: named sections, each the canonical sha256 of that part of a project.

Persisted as a small JSON document with a format version; anything else found in such a file
is an error, never silently treated as "changed".
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ted_fingerprint.canonical import ENCODING_VERSION, canonical_digest
from ted_fingerprint.errors import (
    FingerprintFormatError,
    FingerprintNotFoundError,
    InvalidFingerprintError,
)

logger = logging.getLogger(__name__)

#: Version of the JSON document written by :meth:`Fingerprint.to_json`.
FORMAT_VERSION = 1
FORMAT_NAME = "ted-fingerprint"

#: Fingerprint files are tiny; anything bigger than this is not one.
MAX_FILE_BYTES = 1 << 20

_SECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_DOCUMENT_KEYS = frozenset({"format", "format_version", "algorithm", "encoding", "sections"})


def validate_section_name(name: object) -> str:
    """Return ``name`` if it is a valid section name, else raise InvalidFingerprintError."""
    if not isinstance(name, str) or not _SECTION_NAME.fullmatch(name):
        raise InvalidFingerprintError(
            f"invalid section name {name!r}: use 1-64 characters of letters, digits, "
            "'_', '.', '-', starting with a letter or digit"
        )
    return name


def _validate_digest(name: str, digest: object) -> str:
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise InvalidFingerprintError(
            f"section {name!r}: digest must be 64 lowercase hex characters (sha256), got {digest!r}"
        )
    return digest


class Fingerprint(Mapping[str, str]):
    """Immutable mapping of section name -> sha256 hex digest (at least one section).

    Build it from digests (``Fingerprint({"data": "ab12..."})``) or from raw section data
    (``Fingerprint.from_data({"data": [...]})``). Iteration is in sorted section order.
    """

    __slots__ = ("_sections",)

    def __init__(self, sections: Mapping[str, str]) -> None:
        if not isinstance(sections, Mapping):
            raise InvalidFingerprintError(
                f"sections must be a mapping of name -> digest, got {type(sections).__name__}"
            )
        if not sections:
            raise InvalidFingerprintError("a fingerprint needs at least one section")
        checked = {
            validate_section_name(name): _validate_digest(name, digest)
            for name, digest in sections.items()
        }
        self._sections: dict[str, str] = dict(sorted(checked.items()))

    @classmethod
    def from_data(cls, sections: Mapping[str, Any]) -> Fingerprint:
        """Hash each section's raw data with :func:`canonical_digest`."""
        if not isinstance(sections, Mapping):
            raise InvalidFingerprintError(
                f"sections must be a mapping of name -> data, got {type(sections).__name__}"
            )
        return cls(
            {validate_section_name(name): canonical_digest(data) for name, data in sections.items()}
        )

    def with_data(self, sections: Mapping[str, Any]) -> Fingerprint:
        """Return a copy with the given sections hashed from raw data (added or replaced)."""
        return Fingerprint({**self._sections, **Fingerprint.from_data(sections)._sections})

    # Mapping protocol
    def __getitem__(self, name: str) -> str:
        return self._sections[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sections)

    def __len__(self) -> int:
        return len(self._sections)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Fingerprint):
            return self._sections == other._sections
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._sections.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={digest[:12]}" for name, digest in self._sections.items())
        return f"Fingerprint({inner})"

    @property
    def sections(self) -> dict[str, str]:
        """A fresh ``{name: digest}`` dict (sorted by name), e.g. for an archive manifest."""
        return dict(self._sections)

    @property
    def digest(self) -> str:
        """One digest over all sections, for use as a cache key or short identifier."""
        return canonical_digest(self._sections)

    # Persistence
    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document as a dict."""
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "algorithm": "sha256",
            "encoding": ENCODING_VERSION,
            "sections": dict(self._sections),
        }

    def to_json(self) -> str:
        """Serialize to the versioned JSON document (stable: sorted keys, trailing newline)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, document: Any, *, source: str = "<string>") -> Fingerprint:
        """Parse a document produced by :meth:`to_dict`; raise FingerprintFormatError if bad."""
        if not isinstance(document, dict):
            raise FingerprintFormatError(
                f"expected a JSON object, got {type(document).__name__}", source=source
            )
        unknown = sorted(set(document) - _DOCUMENT_KEYS)
        if unknown:
            raise FingerprintFormatError(f"unknown keys {unknown}", source=source)
        missing = sorted(_DOCUMENT_KEYS - set(document))
        if missing:
            raise FingerprintFormatError(f"missing keys {missing}", source=source)
        if document["format"] != FORMAT_NAME:
            raise FingerprintFormatError(
                f"'format' is {document['format']!r}, expected {FORMAT_NAME!r}", source=source
            )
        version = document["format_version"]
        if type(version) is not int or version != FORMAT_VERSION:
            raise FingerprintFormatError(
                f"unsupported format_version {version!r} (this version reads {FORMAT_VERSION})",
                source=source,
            )
        if document["algorithm"] != "sha256":
            raise FingerprintFormatError(
                f"unsupported algorithm {document['algorithm']!r}", source=source
            )
        encoding = document["encoding"]
        if type(encoding) is not int or encoding != ENCODING_VERSION:
            raise FingerprintFormatError(
                f"unsupported canonical encoding {encoding!r} (this version uses "
                f"{ENCODING_VERSION})",
                source=source,
            )
        try:
            return cls(document["sections"])
        except InvalidFingerprintError as e:
            raise FingerprintFormatError(f"invalid sections: {e}", source=source) from e

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "<string>") -> Fingerprint:
        """Parse :meth:`to_json` output; raise FingerprintFormatError on anything else."""
        try:
            document = json.loads(text)
        except (ValueError, TypeError, RecursionError) as e:  # JSONDecodeError too
            raise FingerprintFormatError(f"not valid JSON: {e}", source=source) from e
        return cls.from_dict(document, source=source)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (temp file + rename): readers see the old file or the new one."""
        target = Path(path)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        logger.debug("wrote fingerprint %s to %s", self, target)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Fingerprint:
        """Read a file written by :meth:`save`.

        Raises FingerprintNotFoundError if it does not exist and FingerprintFormatError if it
        is unreadable, too large, not JSON or not a valid fingerprint document.
        """
        source = os.fspath(path)
        try:
            with open(source, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError as e:
            raise FingerprintNotFoundError(source) from e
        except OSError as e:
            raise FingerprintFormatError(f"cannot read: {e.strerror or e}", source=source) from e
        if len(data) > MAX_FILE_BYTES:
            raise FingerprintFormatError(
                f"larger than {MAX_FILE_BYTES} bytes, not a fingerprint file", source=source
            )
        return cls.from_json(data, source=source)
