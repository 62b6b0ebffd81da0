"""Predictor servers side by side: this tree against another checkout, or env variants.

Each variant runs ``ted serve predictor`` in its own process (batching on, 0 ms timeout) and
takes the same asyncio load at concurrency 1, 8 and 64; variants alternate round by round,
so a noisy machine slows them alike, and the table gives medians over the rounds.

    .venv/bin/python tools/bench/predictor_compare.py --baseline ../ted-cluster-9d07cbb
    .venv/bin/python tools/bench/predictor_compare.py --env OPENBLAS_NUM_THREADS=1

``--baseline DIR`` is a checkout of another revision (``git worktree add DIR REV``): its
package sources go first on PYTHONPATH, so its server code runs with this venv's libraries.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from _load_clients import run_load_async
from predictor_load import DEFAULT_STORE, NAME, Server, conversations, ensure_model

SOURCES = (
    "services/predictor/src",
    "packages/ted-model/src",
    "packages/data-adapter/src",
    "packages/archive/src",
    "packages/protos/src",
    "packages/cli/src",
    "packages/fingerprint/src",
)


def _variants(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    variants: dict[str, dict[str, str]] = {"this tree": {}}
    if args.baseline:
        base = Path(args.baseline).resolve()
        path = os.pathsep.join(str(base / s) for s in SOURCES)
        variants[f"baseline {base.name}"] = {"PYTHONPATH": path}
    for item in args.env:
        key, _, value = item.partition("=")
        variants[f"this tree + {key}={value}"] = {key: value}
    return variants


def _start(store: Path, env: dict[str, str]) -> Server:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return Server(store, "0ms")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", help="checkout of another revision to compare with")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--concurrency", default="1,8,64")
    args = parser.parse_args()
    variants = _variants(args)
    if len(variants) < 2:
        parser.error("give --baseline and/or --env to have something to compare")
    levels = [int(c) for c in args.concurrency.split(",")]
    ensure_model(args.store, NAME, 3)
    requests = conversations(NAME, 2000)
    payloads = [r.SerializeToString() for r in requests]
    load_before = os.getloadavg()

    runs: dict[str, dict[int, list[dict[str, Any]]]] = {
        v: {c: [] for c in levels} for v in variants
    }
    for round_number in range(args.rounds):
        for name, env in variants.items():
            server = _start(args.store, env)
            try:
                server.wait_serving(requests[0])
                for c in levels:
                    run_load_async(server.address, payloads, c, 1.0, 0)  # warm
                    result = run_load_async(server.address, payloads, c, args.duration, 0)
                    runs[name][c].append(result)
                    print(
                        f"round {round_number} {name}: c={c} {result['per_s']:.0f}/s "
                        f"p50 {result['p50_ms']:.2f} ms p99 {result['p99_ms']:.1f} ms",
                        flush=True,
                    )
            finally:
                server.stop()

    rows = []
    summary: dict[str, Any] = {}
    for name in variants:
        for c in levels:
            cell = {
                key: benchlib.median([r[key] for r in runs[name][c]])
                for key in ("p50_ms", "p99_ms", "per_s")
            }
            summary[f"{name}/c{c}"] = {**cell, "runs": runs[name][c]}
            rows.append([name, c, cell["p50_ms"], cell["p99_ms"], cell["per_s"]])
    benchlib.print_table(
        f"Predict, medians of {args.rounds} alternating rounds of {args.duration:g} s",
        rows,
        ["server", "concurrency", "p50 ms", "p99 ms", "predictions/s"],
    )
    benchlib.write_result(
        "predictor_compare",
        {"variants": variants, "load_before": list(load_before), "results": summary},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
