"""Next-action accuracy on a dev split of the MultiWOZ train stories.

Every fifth story (the 5th, 10th, ...) is held out; the model trains on the other four fifths
with the project's config (100 epochs, sequence batches, seed 2019, no augmentation) at
max_history 2 and 10, and is then tested on the held-out stories with the same replay as
``ted test``. The MultiWOZ test split itself is not in this repository.

    .venv/bin/python tools/bench/accuracy_dev_split.py [--max-history 2 10] [--epochs 100]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

# Rasa 3.6.21 / the TED paper on the MultiWOZ *test* split (not this dev split).
REFERENCE = {
    10: {"rasa_test_split_excl_listen": 0.564, "rasa_test_split_with_listen": 0.638},
    2: {"rasa_test_split_excl_listen": 0.491, "rasa_test_split_with_listen": 0.645},
}


def write_split(source: Path, target: Path) -> tuple[int, int]:
    """A project with 4/5 of the stories for training and every fifth in tests/dev.yml."""
    import yaml

    data = yaml.safe_load((source / "data" / "stories.yml").read_text(encoding="utf-8"))
    stories = data["stories"]
    held = [s for i, s in enumerate(stories) if i % 5 == 4]
    kept = [s for i, s in enumerate(stories) if i % 5 != 4]
    (target / "data").mkdir(parents=True)
    (target / "tests").mkdir()
    shutil.copy(source / "domain.yml", target / "domain.yml")
    shutil.copy(source / "config.yml", target / "config.yml")
    version = data.get("version", "3.1")
    for path, part in (
        (target / "data" / "stories.yml", kept),
        (target / "tests" / "dev.yml", held),
    ):
        path.write_text(
            yaml.safe_dump({"version": version, "stories": part}, sort_keys=False),
            encoding="utf-8",
        )
    return len(kept), len(held)


def evaluate(
    project: Path, max_history: int, epochs: int | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    from ted_archive import ModelStore
    from ted_pipeline import train_project
    from ted_pipeline.evaluation import evaluate_policy, load_replay_stories

    overrides: dict[str, Any] = {**(extra or {}), "max_history": max_history}
    if epochs is not None:
        overrides["epochs"] = epochs
    with tempfile.TemporaryDirectory(prefix="ted-bench-dev-") as tmp:
        store = ModelStore(Path(tmp) / "store")
        start = time.perf_counter()
        result = train_project(
            project,
            store=store,
            name=f"dev-mh{max_history}",
            config_overrides=overrides,
            force=True,
            augmentation=0,
        )
        train_s = time.perf_counter() - start
        policy = result.policy
        dev = evaluate_policy(
            policy, load_replay_stories(project / "tests" / "dev.yml", policy.vocabulary)
        )
        train = evaluate_policy(
            policy, load_replay_stories(project / "data" / "stories.yml", policy.vocabulary)
        )
    return {
        "max_history": max_history,
        "train_s": train_s,
        "dev": {k: v for k, v in dev.to_dict().items() if k != "per_action"},
        "train": {k: v for k, v in train.to_dict().items() if k != "per_action"},
        "reference": REFERENCE.get(max_history, {}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-history", type=int, nargs="+", default=[2, 10])
    parser.add_argument("--epochs", type=int, default=None, help="override the config's 100")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a TEDPolicy config key (VALUE parsed as YAML), e.g. --set batch_size=32",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        help="random_seed values to train with (default: the config's 2019); training is "
        "deterministic per seed, so the spread over seeds is the noise of one figure",
    )
    parser.add_argument(
        "--result-name",
        default="accuracy_dev_split",
        help="results/<NAME>.json to write (keeps the default figures when trying settings)",
    )
    args = parser.parse_args()
    import yaml

    extra = {}
    for item in args.set:
        key, _, value = item.partition("=")
        extra[key] = yaml.safe_load(value)
    source = benchlib.shared_data() / "multiwoz"

    results = []
    with tempfile.TemporaryDirectory(prefix="ted-bench-split-") as tmp:
        project = Path(tmp) / "multiwoz-dev"
        n_train, n_dev = write_split(source, project)
        print(f"split: {n_train} training stories, {n_dev} held out (every fifth)")
        for mh in args.max_history:
            for seed in args.seeds or [None]:
                settings = extra if seed is None else {**extra, "random_seed": seed}
                results.append(evaluate(project, mh, args.epochs, settings))
                r = results[-1]
                r["random_seed"] = seed if seed is not None else 2019
                print(
                    f"max_history {mh} seed {r['random_seed']}: dev "
                    f"{r['dev']['action_accuracy']:.4f} excl. listen, "
                    f"{r['dev']['action_accuracy_with_listen']:.4f} incl.; "
                    f"trained in {r['train_s']:.0f} s"
                )

    rows = []
    for r in results:
        ref = r["reference"]
        rows.append(
            [
                r["max_history"],
                r["random_seed"],
                r["dev"]["action_accuracy"],
                r["dev"]["action_accuracy_with_listen"],
                r["dev"]["f1_weighted"],
                r["dev"]["conversation_accuracy"],
                f"{r['dev']['correct']}/{r['dev']['total']}",
                r["train"]["action_accuracy"],
                ref.get("rasa_test_split_excl_listen", ""),
                ref.get("rasa_test_split_with_listen", ""),
            ]
        )
    benchlib.print_table(
        f"MultiWOZ dev split (every fifth train story held out), epochs={args.epochs or 'config'}",
        rows,
        [
            "max_history",
            "seed",
            "dev acc excl listen",
            "dev acc incl listen",
            "dev F1 w.",
            "dev conv acc",
            "dev correct",
            "train acc excl",
            "Rasa test-split excl",
            "Rasa test-split incl",
        ],
    )
    means = {}
    for mh in args.max_history:
        values = [r["dev"]["action_accuracy"] for r in results if r["max_history"] == mh]
        means[str(mh)] = {
            "dev_action_accuracy_mean": sum(values) / len(values),
            "dev_action_accuracy_min": min(values),
            "dev_action_accuracy_max": max(values),
            "seeds": len(values),
        }
        if len(values) > 1:
            print(
                f"max_history {mh}: mean dev accuracy excl. listen {sum(values) / len(values):.4f}"
                f" over {len(values)} seeds (min {min(values):.4f}, max {max(values):.4f})"
            )
    benchlib.write_result(
        args.result_name,
        {
            "epochs": args.epochs or 100,
            "overrides": extra,
            "train_stories": n_train,
            "dev_stories": n_dev,
            "results": results,
            "over_seeds": means,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
