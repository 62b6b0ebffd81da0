"""Real processes saving at once, and a writer killed with SIGKILL mid-save."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ted_archive import ArchiveError, ModelStore, verify_archive

WRITER = r"""
import json, sys, time
from pathlib import Path
from ted_archive import ModelStore

store_root, source, writer_id, count, go_file = sys.argv[1:6]
while not Path(go_file).exists():
    time.sleep(0.001)
store = ModelStore(store_root)
versions = []
for i in range(int(count)):
    saved = store.save("racer", source, lineage={"writer": int(writer_id), "i": i})
    versions.append(saved.version)
print(json.dumps(versions))
"""

PROCESSES = 8
SAVES_EACH = 25


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_eight_processes_saving_25_each_get_exactly_200_versions(
    tmp_path: Path, model_dir: Path
) -> None:
    root = tmp_path / "store"
    go = tmp_path / "go"
    procs = [
        _spawn(str(root), str(model_dir), str(w), str(SAVES_EACH), str(go))
        for w in range(PROCESSES)
    ]
    time.sleep(0.3)  # let every interpreter start, then release them together
    go.touch()
    store = ModelStore(root)
    reads = 0
    while any(p.poll() is None for p in procs):
        # A reader running alongside the writers only ever sees complete archives.
        versions = store.versions("racer")
        if versions:
            verify_archive(store.get("racer", versions[-1]).archive_path)
            reads += 1
        time.sleep(0.01)
    per_process: list[list[int]] = []
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
        per_process.append(json.loads(out))
    allocated = [v for versions in per_process for v in versions]
    assert len(allocated) == PROCESSES * SAVES_EACH
    assert sorted(allocated) == list(range(1, 201))
    assert all(vs == sorted(vs) for vs in per_process)  # each writer sees its numbers grow
    assert store.versions("racer") == list(range(1, 201))
    assert os.listdir(root / "racer" / "pending") == []
    origins = set()
    for version in store.list_versions("racer"):
        manifest = verify_archive(version.archive_path)
        assert manifest.version == version.version
        origins.add((manifest.lineage["writer"], manifest.lineage["i"]))
    assert len(origins) == 200  # every save is stored exactly once
    assert reads > 0


CRASHING_WRITER = r"""
import sys
from ted_archive import ModelStore
ModelStore(sys.argv[1]).save("victim", sys.argv[2])
print("finished")
"""


@pytest.mark.slow
def test_writer_killed_mid_save_leaves_nothing_visible(tmp_path: Path, model_dir: Path) -> None:
    root = tmp_path / "store"
    store = ModelStore(root)
    assert store.save("victim", model_dir).version == 1
    big = tmp_path / "big"
    big.mkdir()
    # Incompressible data: gzip takes seconds, plenty of time to kill the writer mid-write.
    (big / "weights.bin").write_bytes(os.urandom(48 * 1024 * 1024))
    pending = root / "victim" / "pending"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(root), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    part = pending / "2.tar.gz.part"
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size > 1024 * 1024):
        assert proc.poll() is None, "writer finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert "finished" not in out
    # Nothing partial is visible: readers see exactly the one complete version.
    assert store.versions("victim") == [1]
    assert store.get("victim").version == 1
    assert [v.version for v in store.list_versions("victim")] == [1]
    verify_archive(store.get("victim").archive_path)
    assert part.exists()  # the leftover is private, not published
    # A later save is not blocked and cleans up the dead writer's leftovers.
    later = store.save("victim", model_dir)
    assert later.version == 3  # 2 was taken by the dead writer; numbers are never reused
    assert store.versions("victim") == [1, 3]
    assert os.listdir(pending) == []
    assert verify_archive(later.archive_path).version == 3


def test_reservation_of_a_live_writer_is_respected(tmp_path: Path, model_dir: Path) -> None:
    store = ModelStore(tmp_path / "store")
    held = store.backend.reserve("m")  # a writer still busy with version 1
    try:
        assert store.save("m", model_dir).version == 2
        assert store.versions("m") == [2]
    finally:
        held.abort()
    assert store.save("m", model_dir).version == 3
    with pytest.raises(ArchiveError):
        held.publish()
