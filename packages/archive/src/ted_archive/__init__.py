"""Versioned, verified TED model archives and a model store safe for many concurrent writers.

An archive is one ``.tar.gz`` file: ``manifest.json`` (format version, name, version,
creation time, fingerprint, config, metrics, lineage, package versions, and size + sha256 of
every file) followed by the model files. Reading always verifies; see README.md.
"""

from ted_archive.errors import (
    AliasedVersionError,
    AliasNotFoundError,
    ArchiveError,
    ArchiveNotFoundError,
    ChecksumMismatchError,
    CorruptAliasError,
    CorruptArchiveError,
    DuplicateMemberError,
    ExtractionError,
    InvalidNameError,
    LinkMemberError,
    ManifestError,
    MissingMemberError,
    ModelNotFoundError,
    SourceError,
    SpecialMemberError,
    StoreError,
    TargetExistsError,
    UnexpectedMemberError,
    UnsafeMemberError,
    UnsafePathError,
    UnsupportedFormatError,
    VersionNotFoundError,
)
from ted_archive.manifest import FORMAT_VERSION, FileEntry, Manifest
from ted_archive.reader import (
    OpenedArchive,
    extract_archive,
    open_archive,
    read_manifest,
    verify_archive,
)
from ted_archive.storage import LocalFileStorage, Reservation, StorageBackend
from ted_archive.store import LATEST, ModelStore, ModelVersion
from ted_archive.version import __version__
from ted_archive.writer import ManifestFields, write_archive

__all__ = [
    "FORMAT_VERSION",
    "LATEST",
    "AliasNotFoundError",
    "AliasedVersionError",
    "ArchiveError",
    "ArchiveNotFoundError",
    "ChecksumMismatchError",
    "CorruptAliasError",
    "CorruptArchiveError",
    "DuplicateMemberError",
    "ExtractionError",
    "FileEntry",
    "InvalidNameError",
    "LinkMemberError",
    "LocalFileStorage",
    "Manifest",
    "ManifestError",
    "ManifestFields",
    "MissingMemberError",
    "ModelNotFoundError",
    "ModelStore",
    "ModelVersion",
    "OpenedArchive",
    "Reservation",
    "SourceError",
    "SpecialMemberError",
    "StorageBackend",
    "StoreError",
    "TargetExistsError",
    "UnexpectedMemberError",
    "UnsafeMemberError",
    "UnsafePathError",
    "UnsupportedFormatError",
    "VersionNotFoundError",
    "__version__",
    "extract_archive",
    "open_archive",
    "read_manifest",
    "verify_archive",
    "write_archive",
]
