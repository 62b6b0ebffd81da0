"""Prediction speed of a trained MultiWOZ model: load time, latency, batch throughput.

- load to first prediction, each in a fresh process (median of --load-runs):
  ``ted_pipeline.load_model`` (verify every sha256, unpack, load) and one prediction;
  importing TensorFlow is shown apart;
- single-conversation ``policy.predict`` latency in process, p50/p99 over real MultiWOZ
  conversation prefixes (every prediction point of the stories);
- ``policy.predict_batch`` throughput in conversations per second at several batch sizes.

The model defaults to the one train_multiwoz.py leaves in tools/bench/results/store.

    .venv/bin/python tools/bench/predict_latency.py [--model STORE/NAME[@VERSION]]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

RASA = {"load_s": "12-18", "predict_p50_ms": "6-9"}
DEFAULT_MODEL = str(benchlib.RESULTS / "store" / "multiwoz")


def load_runs(model: str, runs: int) -> list[dict[str, float]]:
    probe = Path(__file__).resolve().parent / "_load_probe.py"
    out = []
    for _ in range(runs):
        result = benchlib.run_with_peak_memory([benchlib.PYTHON, str(probe), model])
        lines = [line for line in result["stdout"].splitlines() if line.startswith("{")]
        if not lines:
            print(result["stdout"], result["stderr"], sep="\n", file=sys.stderr)
            raise SystemExit("load probe failed")
        timing = json.loads(lines[-1])
        timing["exit_code"] = result["returncode"]
        if result["returncode"] != 0:  # measured fine, but the process did not exit cleanly
            print(f"note: load probe exited with {result['returncode']}: {result['stderr'][-200:]}")
        timing["process_wall_s"] = result["wall_s"]
        timing["peak_rss_mb"] = result["peak_rss_mb"]
        out.append(timing)
    return out


def histories(policy: Any, limit: int) -> list[tuple[Any, ...]]:
    from ted_pipeline.evaluation import load_replay_stories, prediction_points

    stories = load_replay_stories(
        benchlib.shared_data() / "multiwoz" / "data" / "stories.yml", policy.vocabulary
    )
    points = [p.history for i, s in enumerate(stories) for p in prediction_points(i, s.events)]
    return points[:limit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="archive or STORE/NAME[@VERSION]")
    parser.add_argument("--load-runs", type=int, default=5)
    parser.add_argument("--single", type=int, default=2000, help="single predictions to time")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--repeats", type=int, default=5, help="passes per batch size")
    args = parser.parse_args()

    from ted_pipeline import load_model

    loads = load_runs(args.model, args.load_runs)

    policy = load_model(args.model)
    points = histories(policy, max(args.single, max(args.batches) * 8))
    print(f"{len(points)} conversation prefixes from MultiWOZ stories")

    for history in points[:50]:  # warm up
        policy.predict(history)
    single_ms = []
    for history in points[: args.single]:
        start = time.perf_counter()
        policy.predict(history)
        single_ms.append((time.perf_counter() - start) * 1000.0)

    throughput: dict[int, float] = {}
    for size in args.batches:
        batches = [points[i : i + size] for i in range(0, len(points) - size + 1, size)][:64]
        policy.predict_batch(batches[0])  # warm up this shape
        per_pass = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            for batch in batches:
                policy.predict_batch(batch)
            per_pass.append(len(batches) * size / (time.perf_counter() - start))
        throughput[size] = benchlib.median(per_pass)

    load_model_s = benchlib.median([t["load_model_s"] for t in loads])
    with_unpack = benchlib.median([t["unpack_load_first_prediction_s"] for t in loads])
    imports = benchlib.median([t["import_s"] for t in loads])
    process = benchlib.median([t["process_wall_s"] for t in loads])
    p50 = benchlib.percentile(single_ms, 50)
    p99 = benchlib.percentile(single_ms, 99)
    rows = [
        ["verify + unpack + load to first prediction (s)", with_unpack, RASA["load_s"]],
        ["  load_model: verify + unpack + load (s)", load_model_s, ""],
        ["  importing TensorFlow + ted_model first (s)", imports, ""],
        ["  whole process, start to exit (s)", process, ""],
        ["predict one conversation p50 (ms)", p50, RASA["predict_p50_ms"]],
        ["predict one conversation p99 (ms)", p99, ""],
    ]
    rows += [[f"predict_batch throughput at {s} (conv/s)", v, ""] for s, v in throughput.items()]
    benchlib.print_table(
        f"prediction speed, model {args.model}", rows, ["measure", "ted", "Rasa 3.6.21"]
    )
    benchlib.write_result(
        "predict_latency",
        {
            "model": args.model,
            "load_runs": loads,
            "median_load_model_s": load_model_s,
            "median_unpack_load_first_prediction_s": with_unpack,
            "median_import_s": imports,
            "single_predictions": len(single_ms),
            "single_p50_ms": p50,
            "single_p99_ms": p99,
            "single_mean_ms": sum(single_ms) / len(single_ms),
            "batch_throughput_conv_per_s": throughput,
            "rasa": RASA,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
