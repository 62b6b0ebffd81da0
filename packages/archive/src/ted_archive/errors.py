"""Errors raised by ted-archive.

Every refusal has its own subclass of :class:`ArchiveError` so callers can react to the
reason (a tampered file is not the same problem as an unknown model name), and every
message names the offending file or model and says what is wrong.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class of every error raised by ted-archive."""


# --- problems with an archive file -------------------------------------------------------


class ArchiveNotFoundError(ArchiveError):
    """The archive file does not exist or cannot be opened."""


class CorruptArchiveError(ArchiveError):
    """The file is not a readable archive: truncated, corrupt compression, bad tar data."""


class ManifestError(ArchiveError):
    """``manifest.json`` is missing, not valid JSON, or has missing or ill-typed fields."""


class UnsupportedFormatError(ManifestError):
    """The manifest's format version has a major version this library does not know."""


class UnsafeMemberError(ArchiveError):
    """A member could escape or damage the extraction directory."""


class UnsafePathError(UnsafeMemberError):
    """A member path is absolute, contains ``..`` or is otherwise not a plain relative path."""


class LinkMemberError(UnsafeMemberError):
    """A member is a symbolic or hard link."""


class SpecialMemberError(UnsafeMemberError):
    """A member is a device, fifo, sparse file or other non-regular file."""


class UnexpectedMemberError(ArchiveError):
    """A member (or directory entry) is not listed in the manifest."""


class DuplicateMemberError(ArchiveError):
    """The same path occurs twice in the archive or in the manifest."""


class MissingMemberError(ArchiveError):
    """A file listed in the manifest is not in the archive."""


class ChecksumMismatchError(ArchiveError):
    """A member's size or sha256 differs from the manifest: the archive was altered."""


class SourceError(ArchiveError):
    """The directory to archive cannot be archived (missing, links, special files, changed)."""


class TargetExistsError(ArchiveError):
    """The destination of a write or an extraction already exists."""


class ExtractionError(ArchiveError):
    """Writing the extracted files failed (disk full, permissions)."""


# --- problems with the model store -------------------------------------------------------


class StoreError(ArchiveError):
    """Base class of model store errors (names, versions, aliases)."""


class InvalidNameError(StoreError):
    """A model or alias name is not allowed (empty, path-like, reserved, ...)."""


class ModelNotFoundError(StoreError):
    """The store has no model of that name."""


class VersionNotFoundError(StoreError):
    """The model has no such version."""


class AliasNotFoundError(StoreError):
    """The model has no such alias."""


class CorruptAliasError(StoreError):
    """An alias file does not hold a version number (setting or removing it repairs it)."""


class AliasedVersionError(StoreError):
    """A version cannot be deleted because an alias points to it."""
