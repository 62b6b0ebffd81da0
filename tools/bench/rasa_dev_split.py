"""Rasa 3.6's TEDPolicy on the same MultiWOZ dev split as accuracy_dev_split.py.

Not part of the test suite: Rasa needs its own Python 3.10 environment, for example

    python3.10 -m venv rasa-venv && rasa-venv/bin/pip install rasa==3.6.21
    .venv/bin/python tools/bench/rasa_dev_split.py --rasa rasa-venv/bin/rasa [--max-history 2 10]

The split (every fifth story held out) and the config (the project's config.yml, max_history
overridden) are the ones accuracy_dev_split.py uses. ``rasa train core`` runs with
``--augmentation 0``, ``rasa test core`` replays the held-out stories; the accuracy
excluding action_listen is computed from its per-action report (each action's recall times
its support is the number of its occurrences predicted right), the figure including it
from the same report.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from accuracy_dev_split import write_split

LISTEN = "action_listen"


def accuracies(report: dict[str, Any]) -> dict[str, float | int]:
    """Accuracy excluding and including action_listen from Rasa's per-action report."""
    correct = total = correct_all = total_all = 0.0
    for action, row in report.items():
        if not isinstance(row, dict) or "support" not in row or action.endswith(" avg"):
            continue
        support = float(row["support"])
        right = float(row["recall"]) * support
        correct_all += right
        total_all += support
        if action != LISTEN:
            correct += right
            total += support
    return {
        "action_accuracy": correct / total,
        "action_accuracy_with_listen": correct_all / total_all,
        "correct": round(correct),
        "total": int(total),
        "total_with_listen": int(total_all),
    }


def run(
    rasa: str, project: Path, max_history: int, work: Path, batch_strategy: str | None = None
) -> dict[str, Any]:
    import yaml

    from ted_pipeline import read_config_file

    config = read_config_file(project / "config.yml").raw
    for policy in config["policies"]:
        if policy.get("name") == "TEDPolicy":
            policy["max_history"] = max_history
            if batch_strategy is not None:
                policy["batch_strategy"] = batch_strategy
    config_file = work / f"config-mh{max_history}.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    models = work / f"models-mh{max_history}"
    results = work / f"results-mh{max_history}"
    started = time.perf_counter()
    subprocess.run(
        [
            rasa,
            "train",
            "core",
            "--config",
            str(config_file),
            "--domain",
            str(project / "domain.yml"),
            "--stories",
            str(project / "data"),
            "--out",
            str(models),
            "--augmentation",
            "0",
        ],
        check=True,
        cwd=work,
    )
    train_s = time.perf_counter() - started
    model = sorted(models.glob("*.tar.gz"))[-1]
    subprocess.run(
        [
            rasa,
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(project / "tests" / "dev.yml"),
            "--out",
            str(results),
        ],
        check=True,
        cwd=work,
    )
    report = json.loads((results / "story_report.json").read_text(encoding="utf-8"))
    strategy = batch_strategy or "config"
    return {
        "max_history": max_history,
        "batch_strategy": strategy,
        "train_s": train_s,
        **accuracies(report),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rasa", required=True, help="the rasa executable of a Rasa 3.6 venv")
    parser.add_argument("--max-history", type=int, nargs="+", default=[2, 10])
    parser.add_argument(
        "--batch-strategy",
        choices=["sequence", "balanced"],
        default=None,
        help="override the config's (sequence); Rasa's own default is balanced",
    )
    parser.add_argument("--result-name", default="rasa_dev_split")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="rasa-dev-split-") as tmp:
        project = Path(tmp) / "multiwoz-dev"
        n_train, n_dev = write_split(benchlib.shared_data() / "multiwoz", project)
        print(f"split: {n_train} training stories, {n_dev} held out (every fifth)", flush=True)
        for mh in args.max_history:
            results.append(run(args.rasa, project, mh, Path(tmp), args.batch_strategy))
            r = results[-1]
            print(
                f"Rasa max_history {mh} ({r['batch_strategy']} batches): "
                f"dev {r['action_accuracy']:.4f} excl. listen, "
                f"{r['action_accuracy_with_listen']:.4f} incl.; trained in {r['train_s']:.0f} s",
                flush=True,
            )
    rasa_version = subprocess.run(
        [args.rasa, "--version"], capture_output=True, text=True, check=False
    ).stdout
    benchlib.print_table(
        "Rasa TEDPolicy on the MultiWOZ dev split (every fifth train story held out)",
        [
            [
                r["max_history"],
                r["action_accuracy"],
                r["action_accuracy_with_listen"],
                f"{r['correct']}/{r['total']}",
                r["train_s"],
            ]
            for r in results
        ],
        ["max_history", "dev acc excl listen", "dev acc incl listen", "correct", "train s"],
    )
    benchlib.write_result(
        args.result_name,
        {
            "rasa_version": rasa_version,
            "train_stories": n_train,
            "dev_stories": n_dev,
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
