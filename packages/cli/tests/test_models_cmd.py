"""``ted models ...`` against a real store on disk."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ted_archive import ModelStore
from ted_cli.main import main


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    source = tmp_path / "model"
    (source / "weights").mkdir(parents=True)
    (source / "config.json").write_text('{"epochs": 2}')
    (source / "weights" / "w.bin").write_bytes(bytes(range(256)) * 20)
    store = ModelStore(tmp_path / "store")
    for i in range(3):
        store.save("moodbot", source, metrics={"loss": 1.0 / (i + 1)}, lineage={"trial": i})
    store.save("formbot", source)
    return store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ls_models_table_and_json(store: ModelStore, capsys: pytest.CaptureFixture[str]) -> None:
    store.set_alias("moodbot", "production", 2)
    code, out, _ = run(capsys, "models", "ls", "--store", str(store.root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["MODEL", "VERSIONS", "LATEST", "ALIASES"]
    assert lines[2].split() == ["formbot", "1", "1"]
    assert lines[3].split() == ["moodbot", "3", "3", "production->2"]
    code, out, _ = run(capsys, "models", "ls", "--store", str(store.root), "--json")
    data = json.loads(out)
    assert data["models"][1] == {
        "name": "moodbot",
        "versions": [1, 2, 3],
        "aliases": {"production": 2},
    }


def test_ls_versions_of_one_model(store: ModelStore, capsys: pytest.CaptureFixture[str]) -> None:
    store.set_alias("moodbot", "best", 3)
    code, out, _ = run(capsys, "models", "ls", "--store", str(store.root), "moodbot")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["VERSION", "CREATED", "FILES"]
    assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3"]
    assert "best" in lines[4] and "loss=0.3333" in lines[4]
    code, out, _ = run(capsys, "models", "ls", "--store", str(store.root), "moodbot", "--json")
    versions = json.loads(out)["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[2]["aliases"] == ["best"]
    assert versions[0]["lineage"] == {"trial": 0}


def test_ls_reports_a_damaged_archive_but_lists_the_rest(
    store: ModelStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store.get("moodbot", 2).archive_path.write_bytes(b"garbage")
    code, out, err = run(capsys, "models", "ls", "--store", str(store.root), "moodbot")
    assert code == 1
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["1", "3"]
    assert "version 2 unreadable" in err and "unreadable archive" in err


def test_show_prints_the_manifest(store: ModelStore, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "show", "--store", str(store.root), "moodbot", "2")
    assert code == 0
    assert "version:    2" in out
    assert "weights/w.bin" in out and "5120" in out
    code, out, _ = run(capsys, "models", "show", "--store", str(store.root), "moodbot", "--json")
    data = json.loads(out)
    assert data["manifest"]["version"] == 3
    assert data["manifest"]["files"][1]["path"] == "weights/w.bin"


def test_verify_archive_file_and_stored_version(
    store: ModelStore, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = store.get("moodbot", 1).archive_path
    code, out, _ = run(capsys, "models", "verify", str(archive))
    assert code == 0 and out.startswith("OK ") and "2 files" in out
    code, out, _ = run(capsys, "models", "verify", "--store", str(store.root), "moodbot", "2")
    assert code == 0 and "000002.tar.gz: moodbot version 2" in out
    code, out, _ = run(capsys, "models", "verify", "--json", str(archive))
    assert json.loads(out)["ok"] is True


def _repack_tampered(src: Path, dest: Path) -> Path:
    out = io.BytesIO()
    with tarfile.open(src) as tin, tarfile.open(fileobj=out, mode="w") as tout:
        for member in tin.getmembers():
            data = tin.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "config.json":
                data = data.replace(b"2", b"7")
            tout.addfile(member, io.BytesIO(data))
    dest.write_bytes(gzip.compress(out.getvalue()))
    return dest


def test_verify_refuses_tampered_truncated_and_traversal(
    store: ModelStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = store.get("moodbot", 1).archive_path
    tampered = _repack_tampered(archive, tmp_path / "tampered.tar.gz")
    code, _, err = run(capsys, "models", "verify", str(tampered))
    assert code == 1
    assert "verification failed" in err and "'config.json' sha256 mismatch" in err
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:-100])
    code, _, err = run(capsys, "models", "verify", str(truncated))
    assert code == 1 and "unreadable archive" in err
    code, out, _ = run(capsys, "models", "verify", "--json", str(truncated))
    assert code == 1
    assert json.loads(out)["error"] == "CorruptArchiveError"


def test_verify_failure_is_one_line_without_traceback(store: ModelStore, tmp_path: Path) -> None:
    evil = io.BytesIO()
    manifest = json.dumps(
        {"format_version": "1.0", "name": "x", "version": 1, "created_at": "t", "files": []}
    ).encode()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        for name, data in (("manifest.json", manifest), ("../../etc/cron.d/x", b"boom")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path = tmp_path / "evil.tar.gz"
    path.write_bytes(gzip.compress(evil.getvalue()))
    result = subprocess.run(
        [sys.executable, "-m", "ted_cli.main", "models", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ted: error: verification failed")
    assert "'../../etc/cron.d/x'" in lines[0] and "path traversal" in lines[0]


def test_alias_set_move_remove(store: ModelStore, capsys: pytest.CaptureFixture[str]) -> None:
    s = str(store.root)
    code, out, _ = run(capsys, "models", "alias", "--store", s, "moodbot", "production", "1")
    assert code == 0 and out.strip() == "moodbot:production -> version 1"
    code, out, _ = run(capsys, "models", "alias", "--store", s, "moodbot", "production", "latest")
    assert out.strip() == "moodbot:production -> version 3 (moved from version 1)"
    assert store.aliases("moodbot") == {"production": 3}
    code, out, _ = run(capsys, "models", "alias", "--store", s, "moodbot", "production", "--remove")
    assert code == 0 and "removed alias moodbot:production (was version 3)" in out
    assert store.aliases("moodbot") == {}
    code, _, err = run(capsys, "models", "alias", "--store", s, "moodbot", "latest", "1")
    assert code == 1 and "'latest' is reserved" in err
    code, _, err = run(capsys, "models", "alias", "--store", s, "moodbot", "prod", "9")
    assert code == 1 and "no version 9" in err


def test_rm_and_prune(store: ModelStore, capsys: pytest.CaptureFixture[str]) -> None:
    s = str(store.root)
    store.set_alias("moodbot", "production", 1)
    code, _, err = run(capsys, "models", "rm", "--store", s, "moodbot", "1")
    assert code == 1 and "aliased as production" in err
    code, out, _ = run(capsys, "models", "prune", "--store", s, "moodbot", "--keep", "1", "--json")
    assert json.loads(out) == {
        "name": "moodbot",
        "dry_run": False,
        "deleted": [2],
        "remaining": [1, 3],
    }
    code, out, _ = run(capsys, "models", "rm", "--store", s, "moodbot", "1", "--force")
    assert code == 0 and out.strip() == "deleted moodbot version 1"
    assert store.versions("moodbot") == [3]
    assert store.aliases("moodbot") == {}


def test_missing_store_and_model_are_clear_errors(
    tmp_path: Path,
    store: ModelStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TED_STORE", raising=False)
    code, _, err = run(capsys, "models", "ls", "--store", str(tmp_path / "nope"))
    assert code == 1 and "does not exist" in err
    code, _, err = run(capsys, "models", "show", "--store", str(store.root), "ghost")
    assert code == 1 and "'ghost' not found" in err
    code, _, err = run(capsys, "models", "verify", str(tmp_path / "missing.tar.gz"))
    assert code == 1 and "no such archive" in err
