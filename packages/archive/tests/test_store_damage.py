"""A store with files it did not write: foreign version files and corrupt alias files."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from ted_archive import (
    AliasNotFoundError,
    CorruptAliasError,
    ModelStore,
    StoreError,
    VersionNotFoundError,
)


@pytest.fixture
def store(tmp_path: Path, model_dir: Path) -> ModelStore:
    store = ModelStore(tmp_path / "store")
    for _ in range(2):
        store.save("moodbot", model_dir)
    return store


def _versions_dir(store: ModelStore, name: str = "moodbot") -> Path:
    return store.root / name / "versions"


def test_foreign_version_files_are_no_versions_and_are_reported(
    store: ModelStore, caplog: pytest.LogCaptureFixture
) -> None:
    versions = _versions_dir(store)
    for foreign in ("7.tar.gz", "0000009.tar.gz", "000000.tar.gz", "notes.txt"):
        shutil.copy(versions / "000001.tar.gz", versions / foreign)
    (versions / ".nfs0001").write_bytes(b"")  # hidden: not reported
    with caplog.at_level(logging.WARNING, logger="ted_archive.storage"):
        assert store.versions("moodbot") == [1, 2]
        assert store.versions("moodbot") == [1, 2]
    assert store.get("moodbot").version == 2
    assert [v.version for v in store.list_versions("moodbot")] == [1, 2]
    with pytest.raises(VersionNotFoundError):
        store.get("moodbot", 7)
    expected = [versions / n for n in ("0000009.tar.gz", "000000.tar.gz", "7.tar.gz", "notes.txt")]
    assert store.foreign_files("moodbot") == sorted(expected)
    warned = [r.getMessage() for r in caplog.records if "not an archive name" in r.getMessage()]
    assert len(warned) == 4  # each file once, not on every listing
    assert any(str(versions / "7.tar.gz") in message for message in warned)


def test_a_model_with_only_foreign_files_is_no_model(store: ModelStore) -> None:
    stray = _versions_dir(store, "formbot")
    stray.mkdir(parents=True)
    shutil.copy(_versions_dir(store) / "000001.tar.gz", stray / "1.tar.gz")
    assert store.list_models() == ["moodbot"]
    assert store.foreign_files() == [stray / "1.tar.gz"]
    assert store.foreign_files("moodbot") == []
    # the next save of that model writes its own name beside the foreign file
    assert store.versions("formbot") == []


def test_a_corrupt_alias_is_reported_and_hides_nothing_else(store: ModelStore) -> None:
    store.set_alias("moodbot", "production", 1)
    store.set_alias("moodbot", "staging", 2)
    (store.root / "moodbot" / "aliases" / "staging").write_bytes(b"\x00\xffgarbage")
    with pytest.raises(CorruptAliasError, match="staging"):
        store.aliases("moodbot")
    assert isinstance(CorruptAliasError("x"), StoreError)
    assert store.aliases("moodbot", skip_corrupt=True) == {"production": 1}
    assert list(store.corrupt_aliases("moodbot")) == ["staging"]
    assert "does not hold a version number" in store.corrupt_aliases("moodbot")["staging"]
    # versions and the other aliases stay readable
    assert store.get("moodbot", 1).aliases == ("production",)
    assert store.get("moodbot", "production").version == 1
    assert len(store.list_versions("moodbot")) == 2
    with pytest.raises(CorruptAliasError, match="'staging'"):
        store.get("moodbot", "staging")
    with pytest.raises(AliasNotFoundError):
        store.get("moodbot", "nightly")


def test_setting_or_removing_a_corrupt_alias_repairs_it(store: ModelStore) -> None:
    aliases = store.root / "moodbot" / "aliases"
    store.set_alias("moodbot", "staging", 1)
    (aliases / "staging").write_text("two\n")
    assert store.set_alias("moodbot", "staging", 2) == 2
    assert store.aliases("moodbot") == {"staging": 2}
    (aliases / "staging").write_text("")
    store.remove_alias("moodbot", "staging")
    assert store.aliases("moodbot") == {}
    assert store.corrupt_aliases("moodbot") == {}
