"""``load_model``: the one way to get a policy out of an archive or a model store.

A reference is an archive file, or ``STORE/NAME`` with an optional ``@VERSION`` or
``@ALIAS`` (``latest`` when none). The archive is verified (every file's size and sha256)
and unpacked by ted-archive into a private temporary folder, the policy is loaded from it
into memory, and the folder is removed again before ``load_model`` returns.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ted_archive import LATEST, ArchiveError, ModelStore, OpenedArchive, open_archive
from ted_pipeline.errors import ModelLoadError, ModelRefError

if TYPE_CHECKING:
    from ted_pipeline.policies.ensemble import PolicyEnsemble

_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
_USAGE = "give an archive file or STORE/NAME[@VERSION|@ALIAS]"


@dataclass(frozen=True)
class ModelRef:
    """Where a model is: an archive file, or a store folder, a name and a version or alias."""

    archive: Path | None = None
    store: Path | None = None
    name: str = ""
    version: int | str = LATEST

    @classmethod
    def in_store(cls, name: str, version: int | str = LATEST) -> ModelRef:
        """A version of ``name`` in the store given to ``load_model``."""
        return cls(name=name, version=version)

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """``path/to/archive`` (an existing file) or ``STORE/NAME[@VERSION|@ALIAS]``."""
        if not text.strip():
            raise ModelRefError(f"the model reference is empty: {_USAGE}")
        if Path(text).is_file():
            return cls(archive=Path(text))
        head, at, tail = text.rpartition("@")
        version: int | str = LATEST
        location = text
        if at and "/" not in tail:
            if not tail:
                raise ModelRefError(f"model reference {text!r}: nothing after '@'")
            location, version = head, (int(tail) if tail.isdigit() else tail)
        if location.endswith(_ARCHIVE_SUFFIXES) and not at:
            raise ModelRefError(f"no model archive at {text!r}")
        path = Path(location)
        if "/" not in location.rstrip("/") or not path.name:
            raise ModelRefError(
                f"model reference {text!r} is neither an archive file nor STORE/NAME: {_USAGE}"
            )
        if not path.parent.is_dir():
            raise ModelRefError(f"model reference {text!r}: no model store at {str(path.parent)!r}")
        return cls(store=path.parent, name=path.name, version=version)

    def __str__(self) -> str:
        if self.archive is not None:
            return str(self.archive)
        where = f"{self.store}/" if self.store is not None else ""
        return f"{where}{self.name}@{self.version}"


@contextlib.contextmanager
def _opened(ref: ModelRef, store: ModelStore | None) -> Iterator[OpenedArchive]:
    if ref.archive is not None:
        with open_archive(ref.archive) as opened:
            yield opened
        return
    if store is None:
        if ref.store is None:
            raise ModelRefError(f"model reference {ref}: no store given")
        store = ModelStore(ref.store)
    with store.open(ref.name, ref.version) as opened:
        yield opened


def load_model(
    ref: ModelRef | str | os.PathLike[str], *, store: ModelStore | None = None
) -> PolicyEnsemble:
    """Verify, unpack and load the policy ``ref`` names (``store`` for in-store refs).

    Raises ModelRefError for a malformed reference and ModelLoadError, naming the model,
    when the archive is refused or the model in it cannot be loaded.
    """
    from ted_model import TEDModelError
    from ted_pipeline.policies.persistence import load_ensemble

    if not isinstance(ref, ModelRef):
        ref = ModelRef.parse(os.fspath(ref))
    try:
        with _opened(ref, store) as opened:
            manifest = opened.manifest
            return load_ensemble(
                opened.path,
                model_name=manifest.name,
                version=manifest.version,
                manifest=manifest,
            )
    except (ArchiveError, TEDModelError) as e:
        raise ModelLoadError(f"cannot load model {ref}: {e}") from e
