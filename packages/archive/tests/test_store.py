from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ted_archive import (
    AliasedVersionError,
    AliasNotFoundError,
    ChecksumMismatchError,
    InvalidNameError,
    ModelNotFoundError,
    ModelStore,
    VersionNotFoundError,
    verify_archive,
)


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "store")


def _save(store: ModelStore, model_dir: Path, name: str = "moodbot", **kw: object) -> int:
    return store.save(name, model_dir, **kw).version  # type: ignore[arg-type]


def test_save_allocates_increasing_versions_with_full_manifest(
    store: ModelStore, model_dir: Path
) -> None:
    first = store.save(
        "moodbot",
        model_dir,
        fingerprint={"config": "c" * 64},
        config={"epochs": 1},
        metrics={"loss": 0.5},
        lineage={"trial": "t1"},
        packages={"ted-model": "0.1.0"},
    )
    second = store.save("moodbot", model_dir, lineage={"parent_version": 1})
    assert (first.version, second.version) == (1, 2)
    assert first.manifest.fingerprint == {"config": "c" * 64}
    assert first.manifest.metrics == {"loss": 0.5}
    assert first.archive_path.is_file()
    assert verify_archive(first.archive_path) == first.manifest
    assert store.get("moodbot", 1).manifest == first.manifest
    assert store.get("moodbot", 2).manifest.lineage == {"parent_version": 1}
    assert store.list_models() == ["moodbot"]
    # models are independent
    assert _save(store, model_dir, "formbot") == 1
    assert store.list_models() == ["formbot", "moodbot"]


def test_latest_is_the_highest_version(store: ModelStore, model_dir: Path) -> None:
    for _ in range(3):
        _save(store, model_dir)
    assert store.get("moodbot").version == 3
    assert store.get("moodbot", "latest").version == 3
    assert store.get("moodbot", "2").version == 2
    store.delete("moodbot", 3)
    assert store.get("moodbot", "latest").version == 2
    # the number of a deleted version is never given to a different model
    assert _save(store, model_dir) == 4
    assert store.versions("moodbot") == [1, 2, 4]


def test_get_errors_are_specific(store: ModelStore, model_dir: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="'ghost' not found"):
        store.get("ghost")
    _save(store, model_dir)
    with pytest.raises(VersionNotFoundError, match="no version 9"):
        store.get("moodbot", 9)
    with pytest.raises(AliasNotFoundError, match="no alias 'prod'"):
        store.get("moodbot", "prod")
    with pytest.raises(InvalidNameError):
        store.get("../escape")
    with pytest.raises(InvalidNameError):
        store.save(".hidden", model_dir)


def test_aliases_set_move_remove(store: ModelStore, model_dir: Path) -> None:
    for _ in range(3):
        _save(store, model_dir)
    assert store.set_alias("moodbot", "production", 1) == 1
    assert store.set_alias("moodbot", "staging", "latest") == 3
    assert store.aliases("moodbot") == {"production": 1, "staging": 3}
    assert store.get("moodbot", "production").version == 1
    assert store.get("moodbot", 1).aliases == ("production",)
    store.set_alias("moodbot", "production", 2)  # move
    assert store.get("moodbot", "production").version == 2
    store.remove_alias("moodbot", "staging")
    assert store.aliases("moodbot") == {"production": 2}
    with pytest.raises(AliasNotFoundError):
        store.remove_alias("moodbot", "staging")
    with pytest.raises(VersionNotFoundError):
        store.set_alias("moodbot", "broken", 42)
    assert "broken" not in store.aliases("moodbot")
    for bad in ("latest", "1", "a/b", "", ".x"):
        with pytest.raises(InvalidNameError):
            store.set_alias("moodbot", bad, 1)
    # no temporary files are left in the alias directory
    assert sorted(os.listdir(store.root / "moodbot" / "aliases")) == ["production"]


def test_delete_refuses_aliased_version_unless_forced(store: ModelStore, model_dir: Path) -> None:
    _save(store, model_dir)
    _save(store, model_dir)
    store.set_alias("moodbot", "production", 1)
    with pytest.raises(AliasedVersionError, match="aliased as production"):
        store.delete("moodbot", 1)
    assert store.versions("moodbot") == [1, 2]
    store.delete("moodbot", 1, force=True)
    assert store.versions("moodbot") == [2]
    assert store.aliases("moodbot") == {}
    with pytest.raises(VersionNotFoundError):
        store.delete("moodbot", 1)


def test_prune_keeps_newest_and_aliased(store: ModelStore, model_dir: Path) -> None:
    for _ in range(6):
        _save(store, model_dir)
    store.set_alias("moodbot", "production", 2)
    assert store.prune("moodbot", keep=2, dry_run=True) == [1, 3, 4]
    assert store.versions("moodbot") == [1, 2, 3, 4, 5, 6]
    assert store.prune("moodbot", keep=2) == [1, 3, 4]
    assert store.versions("moodbot") == [2, 5, 6]
    assert store.get("moodbot", "production").version == 2
    assert store.prune("moodbot", keep=0) == [5, 6]
    assert store.versions("moodbot") == [2]
    with pytest.raises(ValueError):
        store.prune("moodbot", keep=-1)


def test_list_versions_carries_manifests_and_aliases(store: ModelStore, model_dir: Path) -> None:
    for i in range(3):
        store.save("moodbot", model_dir, metrics={"step": i})
    store.set_alias("moodbot", "best", 2)
    listed = store.list_versions("moodbot")
    assert [(v.version, v.manifest.metrics["step"], v.aliases) for v in listed] == [
        (1, 0, ()),
        (2, 1, ("best",)),
        (3, 2, ()),
    ]
    assert all(v.archive_size > 0 for v in listed)


def test_unpack_and_open_verify(store: ModelStore, model_dir: Path, tmp_path: Path) -> None:
    _save(store, model_dir)
    manifest = store.unpack("moodbot", "latest", tmp_path / "unpacked")
    assert (tmp_path / "unpacked" / "weights" / "layer0.bin").read_bytes() == (
        model_dir / "weights" / "layer0.bin"
    ).read_bytes()
    assert manifest.version == 1
    with store.open("moodbot") as opened:
        assert (opened.path / "config.json").read_text() == '{"epochs": 3}\n'


def test_tampered_stored_archive_is_refused(
    store: ModelStore, model_dir: Path, tmp_path: Path
) -> None:
    saved = store.save("moodbot", model_dir)
    # Rewrite the stored archive with one file changed but the original manifest.
    import gzip
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(saved.archive_path) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "weights/layer1.bin":
                data = b"\xff" + data[1:]
            dst.addfile(member, io.BytesIO(data))
    saved.archive_path.write_bytes(gzip.compress(out.getvalue()))
    with pytest.raises(ChecksumMismatchError, match=r"'weights/layer1\.bin' sha256 mismatch"):
        store.verify("moodbot")
    with pytest.raises(ChecksumMismatchError):
        store.unpack("moodbot", 1, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_threads_saving_at_once_get_distinct_versions(store: ModelStore, model_dir: Path) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = list(pool.map(lambda _: _save(store, model_dir), range(30)))
    assert sorted(versions) == list(range(1, 31))
    assert store.versions("moodbot") == list(range(1, 31))
    assert os.listdir(store.root / "moodbot" / "pending") == []


def test_failed_save_leaves_nothing(store: ModelStore, model_dir: Path) -> None:
    _save(store, model_dir)
    with pytest.raises(Exception, match="not JSON-serializable"):
        store.save("moodbot", model_dir, metrics={"loss": float("nan")})
    assert store.versions("moodbot") == [1]
    assert os.listdir(store.root / "moodbot" / "pending") == []
    assert _save(store, model_dir) == 2
