"""load_model: archive files, store references and the trained policy all predict the same."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ted_archive import ModelStore
from ted_data_adapter.events import ActionExecuted, UserUttered
from ted_pipeline import ModelLoadError, ModelRef, ModelRefError, load_model, train_project

CONVERSATIONS = [
    [ActionExecuted("action_listen"), UserUttered("greet")],
    [
        ActionExecuted("action_listen"),
        UserUttered("greet"),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered("mood_unhappy"),
    ],
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Any]:
    store = tmp_path_factory.mktemp("store")
    result = train_project(
        data_dir / "moodbot",
        store=store,
        name="mood",
        config_overrides={"epochs": 3, "transformer_size": 16, "number_of_attention_heads": 2},
        augmentation=0,
    )
    return store, result


def _confidences(policy: Any) -> list[np.ndarray]:
    return [p.confidences for p in policy.predict_batch(CONVERSATIONS)]


@pytest.mark.slow
def test_every_reference_loads_the_same_model(trained: tuple[Path, Any]) -> None:
    store, result = trained
    ModelStore(store).set_alias("mood", "good", 1)
    expected = _confidences(result.policy)  # the policy in memory, never saved and reloaded
    refs: list[Any] = [
        result.archive,
        str(result.archive),
        f"{store}/mood",
        f"{store}/mood@1",
        f"{store}/mood@good",
        ModelRef(store=store, name="mood", version="latest"),
    ]
    for ref in refs:
        policy = load_model(ref)
        assert (policy.model_name, policy.version) == ("mood", 1)
        assert policy.manifest.fingerprint == result.saved.manifest.fingerprint
        for want, got in zip(expected, _confidences(policy), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    in_store = load_model(ModelRef.in_store("mood", 1), store=ModelStore(store))
    assert in_store.version == 1


@pytest.mark.slow
def test_the_unpacked_files_are_gone_after_loading(
    trained: tuple[Path, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = trained
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    policy = load_model(f"{store}/mood")
    assert policy.predict(CONVERSATIONS[0]).ranking
    assert list(scratch.iterdir()) == []


@pytest.fixture
def tampered(trained: tuple[Path, Any], tmp_path: Path) -> Iterator[Path]:
    """A copy of the store whose archive has one byte changed inside a model file."""
    import gzip
    import io
    import shutil
    import tarfile

    store, _ = trained
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    archive = ModelStore(copy).get("mood", 1).archive_path
    out = io.BytesIO()
    with tarfile.open(archive) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for info in src.getmembers():
            stream = src.extractfile(info)
            data = stream.read() if stream else b""
            if info.name.endswith("ted_config.json"):
                data = data.replace(b'"epochs": 3', b'"epochs": 4')
            dst.addfile(info, io.BytesIO(data))
    archive.write_bytes(gzip.compress(out.getvalue()))
    yield copy


@pytest.mark.slow
def test_a_tampered_archive_is_refused(tampered: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"cannot load model .*mood@latest.*ted_config\.json"):
        load_model(f"{tampered}/mood")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("suffix", "message"),
    [("mood@7", "has no version 7"), ("mood@best", "no alias 'best'"), ("nobody", "not found")],
)
def test_a_missing_model_names_what_is_missing(
    trained: tuple[Path, Any], suffix: str, message: str
) -> None:
    store, _ = trained
    with pytest.raises(ModelLoadError, match=message):
        load_model(f"{store}/{suffix}")


def test_an_existing_file_is_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "mood@2.tar.gz"
    archive.write_bytes(b"not checked here")
    assert ModelRef.parse(str(archive)) == ModelRef(archive=archive)


@pytest.mark.parametrize(
    ("suffix", "version"), [("", "latest"), ("@3", 3), ("@best", "best"), ("@latest", "latest")]
)
def test_store_name_and_version_or_alias(tmp_path: Path, suffix: str, version: object) -> None:
    ref = ModelRef.parse(f"{tmp_path}/mood{suffix}")
    assert (ref.store, ref.name, ref.version, ref.archive) == (tmp_path, "mood", version, None)
    assert str(ref) == f"{tmp_path}/mood@{version}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("mood", "neither an archive file nor STORE/NAME"),
        ("{tmp}/mood@", "nothing after '@'"),
        ("{tmp}/missing.tar.gz", "no model archive at"),
        ("{tmp}/no-store/mood@1", "no model store at"),
    ],
)
def test_bad_references_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ModelRefError, match=message):
        ModelRef.parse(text.format(tmp=tmp_path))


def test_a_corrupt_archive_file_is_a_load_error(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"this is not a gzip file")
    with pytest.raises(ModelLoadError, match=r"cannot load model .*model\.tar\.gz"):
        load_model(archive)
