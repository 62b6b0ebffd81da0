"""``ted demo`` on the real moodbot project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ted_archive import ModelStore, verify_archive
from ted_cli.main import main


def _shared_data() -> Path:
    env = os.environ.get("TED_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.fixture
def data_dir() -> Path:
    data = _shared_data()
    if not (data / "moodbot" / "domain.yml").is_file():
        pytest.skip(f"shared data not found at {data}")
    return data


def test_demo_walks_through_a_store(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_dir = tmp_path / "store"
    code = main(["demo", "--walk", "--store", str(store_dir), "--data", str(data_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "trials -> versions [2, 3, 4, 5]" in out
    assert "refused tampered" in out and "ChecksumMismatchError" in out
    assert "refused truncated" in out and "CorruptArchiveError" in out
    assert "refused path traversal" in out and "UnsafePathError" in out
    assert "NOT REFUSED" not in out
    # The store it leaves behind is real: pruned, aliased, every archive verifies.
    store = ModelStore(store_dir)
    assert store.versions("moodbot") == [1, 4, 5]
    assert store.aliases("moodbot") == {"baseline": 1, "production": 4}
    for version in store.list_versions("moodbot"):
        manifest = verify_archive(version.archive_path)
        assert {f.path for f in manifest.files} >= {"domain.yml", "data/stories.yml"}
        assert set(manifest.fingerprint) >= {"config", "domain", "data"}
    assert (data_dir / "moodbot" / "domain.yml").read_bytes() == store_file(store, "domain.yml")


def store_file(store: ModelStore, path: str) -> bytes:
    with store.open("moodbot", "production") as opened:
        return (opened.path / path).read_bytes()


def test_demo_uses_a_temporary_store_by_default(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--walk", "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    store_line = next(line for line in out.splitlines() if line.strip().startswith("store:"))
    assert not Path(store_line.split(":", 1)[1].strip()).exists()


def test_demo_without_data_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--walk", "--data", str(tmp_path)]) == 1
    assert "cannot find the moodbot project" in capsys.readouterr().err
