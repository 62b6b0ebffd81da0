"""Benchmark: load + featurize MultiWOZ (740 stories) and request-time featurization latency.

Each measured run is a fresh Python process (cold caches, its own peak resident memory;
"process CPU s" is the child's whole CPU time including interpreter start and imports). Variants in
the same run: the Rasa 3 YAML project and the legacy 1.x Markdown one, augmentation off (0)
and Rasa's default (50), windows and dialogues layouts. Prints a table and writes
tools/bench/results/featurize.json.

    .venv/bin/python tools/bench/featurize.py [--runs 5] [--max-history 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import median, print_table, run_with_peak_memory, shared_data, write_result


def probe(project_dir: str, max_history: int, augmentation: int, layout: str) -> None:
    """One measured run (in a child process): prints a JSON line."""
    started = time.perf_counter()
    from ted_data_adapter import StateFeaturizer, Vocabulary, load_project

    imported = time.perf_counter()
    t0 = time.perf_counter()
    project = load_project(project_dir)
    t1 = time.perf_counter()
    conversations = project.training_conversations(augmentation_factor=augmentation, seed=42)
    featurizer = StateFeaturizer(Vocabulary.from_domain(project.domain))
    data = featurizer.featurize(conversations, max_history, layout=layout)
    t2 = time.perf_counter()
    nbytes = sum(array.nbytes for array in data.features.values())
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "load_s": t1 - t0,
                "featurize_s": t2 - t1,
                "load_featurize_s": t2 - t0,
                "conversations": len(conversations),
                "rows": len(data),
                "targets": int(data.target_label_ids().shape[0]),
                "examples_before_dedup": data.meta["examples_before_dedup"],
                "feature_mb": nbytes / 2**20,
                "cpu_s": time.process_time(),
            }
        )
    )


def request_latency(project_dir: Path, max_history: int, repeats: int) -> dict[str, Any]:
    """Median microseconds to featurize one live 20-turn conversation (and a batch of 32)."""
    from ted_data_adapter import (
        ActionExecuted,
        StateFeaturizer,
        UserUttered,
        Vocabulary,
        load_project,
    )

    project = load_project(project_dir)
    featurizer = StateFeaturizer(Vocabulary.from_domain(project.domain))
    longest = max(project.training_conversations(augmentation_factor=0), key=len)
    events: list[Any] = []
    turns = 0
    for event in longest * 3:  # repeat the longest story until it has 20 user turns
        if isinstance(event, ActionExecuted) and event.name == "action_listen":
            continue
        events.append(event)
        if isinstance(event, UserUttered):
            turns += 1
            if turns == 20:
                break
    single: list[float] = []
    batch: list[float] = []
    loops = 200
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            featurizer.featurize_events(events, max_history)
        single.append((time.perf_counter() - t0) / loops * 1e6)
        t0 = time.perf_counter()
        for _ in range(loops // 10):
            featurizer.featurize_events_batch([events] * 32, max_history)
        batch.append((time.perf_counter() - t0) / (loops // 10) * 1e6)
    return {
        "events": len(events),
        "user_turns": turns,
        "single_us_median": median(single),
        "batch32_us_median": median(batch),
        "batch32_per_conversation_us": median(batch) / 32,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-history", type=int, default=10)
    parser.add_argument("--probe", nargs=3, metavar=("DIR", "AUGMENTATION", "LAYOUT"))
    args = parser.parse_args()
    if args.probe:
        probe(args.probe[0], args.max_history, int(args.probe[1]), args.probe[2])
        return
    data = shared_data()
    variants = [
        ("yaml", data / "multiwoz", 0, "windows"),
        ("legacy md", data / "multiwoz" / "legacy", 0, "windows"),
        ("yaml", data / "multiwoz", 0, "dialogues"),
        ("yaml", data / "multiwoz", 50, "windows"),
    ]
    rows = []
    results = []
    for label, folder, augmentation, layout in variants:
        runs = []
        for _ in range(args.runs):
            cmd = [sys.executable, __file__, "--max-history", str(args.max_history)]
            cmd += ["--probe", str(folder), str(augmentation), layout]
            outcome = run_with_peak_memory(cmd)
            if outcome["returncode"] != 0:
                raise SystemExit(outcome["stderr"])
            runs.append({**json.loads(outcome["stdout"]), "peak_rss_mb": outcome["peak_rss_mb"]})
        summary = {
            key: median([r[key] for r in runs])
            for key in (
                "load_s",
                "featurize_s",
                "load_featurize_s",
                "peak_rss_mb",
                "cpu_s",
            )
        }
        first = runs[0]
        result = {
            "format": label,
            "augmentation_factor": augmentation,
            "layout": layout,
            "max_history": args.max_history,
            "conversations": first["conversations"],
            "examples_before_dedup": first["examples_before_dedup"],
            "rows": first["rows"],
            "targets": first["targets"],
            "feature_mb": first["feature_mb"],
            "runs": runs,
            **summary,
        }
        results.append(result)
        rows.append(
            [
                label,
                augmentation,
                layout,
                first["conversations"],
                first["examples_before_dedup"],
                first["targets"],
                summary["load_s"],
                summary["featurize_s"],
                summary["load_featurize_s"],
                summary["peak_rss_mb"],
                summary["cpu_s"],
            ]
        )
    print_table(
        f"MultiWOZ load + featurize, max_history {args.max_history}, median of {args.runs} "
        "fresh-process runs",
        rows,
        [
            "format",
            "augment",
            "layout",
            "dialogues",
            "examples",
            "after dedup",
            "load s",
            "featurize s",
            "load+feat s",
            "peak RSS MB",
            "process CPU s",
        ],
    )
    latency = request_latency(data / "multiwoz", args.max_history, repeats=max(args.runs, 3))
    print_table(
        "Request-time featurization (one live conversation)",
        [
            [
                latency["user_turns"],
                latency["events"],
                latency["single_us_median"],
                latency["batch32_us_median"],
                latency["batch32_per_conversation_us"],
            ]
        ],
        ["user turns", "events", "1 conv us", "32 convs us", "per conv in batch us"],
    )
    write_result("featurize", {"variants": results, "request_latency": latency})


if __name__ == "__main__":
    main()
