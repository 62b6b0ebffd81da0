"""ModelStore: versioned archives per model name, aliases, retention.

Versions are integers allocated atomically per model name (1, 2, 3, ...). ``latest`` always
means the highest published version; any other non-numeric reference is an alias.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ted_archive.errors import (
    AliasedVersionError,
    AliasNotFoundError,
    ArchiveError,
    CorruptAliasError,
    InvalidNameError,
    ManifestError,
    ModelNotFoundError,
    VersionNotFoundError,
)
from ted_archive.manifest import Manifest
from ted_archive.reader import (
    OpenedArchive,
    extract_archive,
    open_archive,
    read_manifest,
    verify_archive,
)
from ted_archive.storage import LocalFileStorage, StorageBackend
from ted_archive.writer import (
    ManifestFields,
    build_manifest,
    collect_source_files,
    utc_now_iso,
    write_archive_to,
)

logger = logging.getLogger(__name__)

LATEST = "latest"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_ALIAS_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")

Ref = int | str


def check_model_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidNameError(
            f"invalid model name {name!r}: use letters, digits, '_', '.', '-' "
            "(at most 128, not starting with '.', '_' or '-')"
        )
    return name


def check_alias_name(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS_RE.match(alias) or alias == LATEST:
        raise InvalidNameError(
            f"invalid alias {alias!r}: start with a letter or '_', then letters, digits, "
            "'_', '.', '-' (at most 64); 'latest' is reserved"
        )
    return alias


@dataclass(frozen=True)
class ModelVersion:
    """One published archive of a model and its manifest (files not yet verified)."""

    name: str
    version: int
    archive_path: Path
    manifest: Manifest
    aliases: tuple[str, ...] = ()

    @property
    def archive_size(self) -> int:
        return self.archive_path.stat().st_size


class ModelStore:
    """Versioned model archives under ``root``; safe for many concurrent processes."""

    def __init__(self, root: str | os.PathLike[str], backend: StorageBackend | None = None) -> None:
        self.root = Path(root)
        self.backend: StorageBackend = backend or LocalFileStorage(self.root)

    # --- writing ------------------------------------------------------------------------

    def save(
        self,
        name: str,
        source_dir: str | os.PathLike[str],
        *,
        fingerprint: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        lineage: Mapping[str, Any] | None = None,
        packages: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        """Archive ``source_dir`` as the next version of ``name`` and publish it atomically.

        Files are hashed before a version is reserved; the archive is written and fsynced
        into a private slot and becomes visible in one atomic step. If the process dies
        midway nothing becomes visible; a later save removes its leftovers (its version
        number stays unused: numbers are never reused).
        """
        check_model_name(name)
        source_files = collect_source_files(Path(source_dir))
        # Validate everything before a version number is taken.
        draft = build_manifest(
            ManifestFields(
                name=name,
                version=0,
                fingerprint=fingerprint,
                config=config or {},
                metrics=metrics or {},
                lineage=lineage or {},
                packages=packages,
            ),
            [entry for _, entry in source_files],
        )
        reservation = self.backend.reserve(name)
        try:
            manifest = dataclasses.replace(
                draft, version=reservation.version, created_at=utc_now_iso()
            )
            write_archive_to(reservation.open_for_write(), source_files, manifest)
            path = reservation.publish()
        except BaseException:
            reservation.abort()
            raise
        logger.info("saved %s version %d (%d files)", name, manifest.version, len(manifest.files))
        return ModelVersion(
            name=name, version=manifest.version, archive_path=path, manifest=manifest
        )

    # --- reading ------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """Names of models with at least one published version, sorted."""
        return [name for name in self.backend.model_names() if _NAME_RE.match(name)]

    def versions(self, name: str) -> list[int]:
        """Published version numbers of ``name``, ascending (no archive is opened)."""
        return self.backend.versions(check_model_name(name))

    def list_versions(self, name: str) -> list[ModelVersion]:
        """Every published version with its manifest and aliases, ascending."""
        aliases = self.aliases(name, skip_corrupt=True)
        return [self._load(name, v, aliases) for v in self.versions(name)]

    def resolve(self, name: str, ref: Ref = LATEST) -> int:
        """Version number for an int, a numeric string, ``latest`` or an alias."""
        check_model_name(name)
        if isinstance(ref, int) and not isinstance(ref, bool):
            version = ref
        elif isinstance(ref, str) and ref.isdigit():
            version = int(ref)
        elif ref == LATEST:
            versions = self.backend.versions(name)
            if not versions:
                raise ModelNotFoundError(f"model {name!r} not found in {self.root}")
            return versions[-1]
        elif isinstance(ref, str):
            aliases = self.backend.read_aliases(name, skip_corrupt=True)
            if ref not in aliases:
                corrupt = self.backend.corrupt_aliases(name)
                if ref in corrupt:
                    raise CorruptAliasError(f"model {name!r} alias {ref!r}: {corrupt[ref]}")
                if not self.backend.versions(name):
                    raise ModelNotFoundError(f"model {name!r} not found in {self.root}")
                known = ", ".join(sorted(aliases)) or "none"
                raise AliasNotFoundError(f"model {name!r} has no alias {ref!r} (aliases: {known})")
            version = aliases[ref]
        else:
            raise VersionNotFoundError(f"model {name!r}: invalid version reference {ref!r}")
        if version not in self.backend.versions(name):
            if not self.backend.versions(name):
                raise ModelNotFoundError(f"model {name!r} not found in {self.root}")
            raise VersionNotFoundError(f"model {name!r} has no version {version}")
        return version

    def get(self, name: str, ref: Ref = LATEST) -> ModelVersion:
        """The version ``ref`` refers to, with its manifest (files are not verified here)."""
        version = self.resolve(name, ref)
        return self._load(name, version, self.aliases(name, skip_corrupt=True))

    def verify(self, name: str, ref: Ref = LATEST) -> Manifest:
        """Fully verify one stored archive (every file's size and sha256)."""
        return verify_archive(self.get(name, ref).archive_path)

    def unpack(self, name: str, ref: Ref, target_dir: str | os.PathLike[str]) -> Manifest:
        """Verify and extract one version into ``target_dir`` (which must not exist yet)."""
        return extract_archive(self.get(name, ref).archive_path, target_dir)

    @contextmanager
    def open(self, name: str, ref: Ref = LATEST) -> Iterator[OpenedArchive]:
        """Verified, unpacked copy of one version in a temporary directory for the block."""
        with open_archive(self.get(name, ref).archive_path) as opened:
            yield opened

    def _load(self, name: str, version: int, aliases: Mapping[str, int]) -> ModelVersion:
        path = self.backend.archive_path(name, version)
        try:
            manifest = read_manifest(path)
        except ArchiveError as e:
            if version not in self.backend.versions(name):
                raise VersionNotFoundError(f"model {name!r} version {version} was deleted") from e
            raise
        if manifest.name != name or manifest.version != version:
            raise ManifestError(
                f"{path}: archive says {manifest.name!r} version {manifest.version}, "
                f"but is stored as {name!r} version {version}"
            )
        own = tuple(sorted(a for a, v in aliases.items() if v == version))
        return ModelVersion(name, version, path, manifest, own)

    # --- aliases ------------------------------------------------------------------------

    def aliases(self, name: str, *, skip_corrupt: bool = False) -> dict[str, int]:
        """Alias -> version for ``name`` (``latest`` is implicit and not listed).

        A corrupt alias file raises :class:`CorruptAliasError`, unless ``skip_corrupt``
        leaves it out (see :meth:`corrupt_aliases`), so one bad file need not hide the rest.
        """
        return self.backend.read_aliases(check_model_name(name), skip_corrupt=skip_corrupt)

    def corrupt_aliases(self, name: str) -> dict[str, str]:
        """Alias -> what is wrong, for alias files that hold no version number (setting or
        removing the alias replaces the file)."""
        return self.backend.corrupt_aliases(check_model_name(name))

    def foreign_files(self, name: str | None = None) -> list[Path]:
        """Files among the archives of ``name`` (or of every model) that the store did not
        name, e.g. ``7.tar.gz`` copied in by hand: they are no version and are ignored."""
        return self.backend.foreign_files(None if name is None else check_model_name(name))

    def set_alias(self, name: str, alias: str, version: Ref) -> int:
        """Point ``alias`` at ``version`` (creating or moving it atomically); return it."""
        check_alias_name(alias)
        with self.backend.locked(check_model_name(name)):
            resolved = self.resolve(name, version)
            self.backend.write_alias(name, alias, resolved)
        logger.info("alias %s:%s -> %d", name, alias, resolved)
        return resolved

    def remove_alias(self, name: str, alias: str) -> None:
        check_alias_name(alias)
        with self.backend.locked(check_model_name(name)):
            known = self.backend.read_aliases(name, skip_corrupt=True)
            if alias not in known and alias not in self.backend.corrupt_aliases(name):
                raise AliasNotFoundError(f"model {name!r} has no alias {alias!r}")
            self.backend.write_alias(name, alias, None)

    # --- deletion -----------------------------------------------------------------------

    def delete(self, name: str, version: int, *, force: bool = False) -> None:
        """Delete one version. Refused while an alias points to it unless ``force``, which
        also removes those aliases."""
        with self.backend.locked(check_model_name(name)):
            resolved = self.resolve(name, version)
            pointing = sorted(
                a for a, v in self.backend.read_aliases(name).items() if v == resolved
            )
            if pointing and not force:
                raise AliasedVersionError(
                    f"model {name!r} version {resolved} is aliased as {', '.join(pointing)}; "
                    "move or remove the alias first"
                )
            for alias in pointing:
                self.backend.write_alias(name, alias, None)
            if not self.backend.delete_version(name, resolved):
                raise VersionNotFoundError(f"model {name!r} has no version {resolved}")
        logger.info("deleted %s version %d", name, resolved)

    def prune(self, name: str, keep: int, *, dry_run: bool = False) -> list[int]:
        """Delete all but the newest ``keep`` versions, never an aliased one.

        Returns the versions deleted (or that would be, with ``dry_run``), ascending.
        """
        if keep < 0:
            raise ValueError(f"keep must be >= 0, got {keep}")
        with self.backend.locked(check_model_name(name)):
            versions = self.backend.versions(name)
            if not versions:
                raise ModelNotFoundError(f"model {name!r} not found in {self.root}")
            aliased = set(self.backend.read_aliases(name).values())
            newest = set(versions[-keep:]) if keep else set()
            doomed = [v for v in versions if v not in newest and v not in aliased]
            if not dry_run:
                for version in doomed:
                    self.backend.delete_version(name, version)
        if doomed and not dry_run:
            logger.info("pruned %s versions %s", name, doomed)
        return doomed
