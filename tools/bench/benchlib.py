"""Small helpers shared by the benchmark scripts: paths, statistics, tables, JSON results."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "tools" / "bench" / "results"
PYTHON = sys.executable
STARTED_AT_COMMIT: str = ""  # filled on import: the code a benchmark run actually imported


def shared_data() -> Path:
    """The shared data folder (``../shared/data`` from the repo, or ``$TED_SHARED_DATA``)."""
    env = os.environ.get("TED_SHARED_DATA")
    if env:
        return Path(env).resolve()
    return (REPO / ".." / "shared" / "data").resolve()


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation, like numpy's default."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def print_table(title: str, rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def cpu_calibration_ms(repeats: int = 5) -> float:
    """Median milliseconds of a fixed pure-Python loop (one core).

    The shared machine's speed changes from day to day (the same commit's predictor answered at
    1.0 ms p50 one evening and 4.3 ms another); this figure, written with every result, says
    which kind of day a number was taken on.
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        times.append((time.perf_counter() - start) * 1000)
    return round(median(times), 1)


def machine() -> dict[str, Any]:
    return {
        "cpu_calibration_ms": cpu_calibration_ms(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": list(os.getloadavg()),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit_at_start": STARTED_AT_COMMIT,
        "commit_at_end": _git_commit(),
        "tree_dirty_at_start": _DIRTY_AT_START,
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return ""


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), **data}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")
    return path


def run_with_peak_memory(
    cmd: Sequence[str], *, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a command; wall seconds, the peak resident memory of that process (MB), output."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=full_env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return {
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,  # Linux reports kilobytes
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "returncode": proc.returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


def _dirty() -> bool:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "packages"],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        return bool(out.stdout.strip())
    except OSError:
        return False


STARTED_AT_COMMIT = _git_commit()
_DIRTY_AT_START = _dirty()
