"""End-to-end ``ted train`` on MultiWOZ: wall time, peak memory and seconds per epoch.

Each run is a fresh process: ``ted train ../shared/data/multiwoz --augmentation 0 --force``
with the project's config.yml (max_history 10, 100 epochs, sequence batches, seed 2019).
Wall time and peak resident memory come from the process itself (os.wait4). A separate
fresh process calls the same training function ``ted train`` calls, with a callback that
stamps every epoch, to split the time into load+featurize, epochs and save.

    .venv/bin/python tools/bench/train_multiwoz.py [--runs 3] [--epochs 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

RASA = {"train_s": 766.0, "s_per_epoch": 7.2, "peak_rss_mb": 1400.0}
STORE = benchlib.RESULTS / "store"
NAME = "multiwoz"


def _ted_train(project: Path, store: Path, epochs: int | None) -> list[str]:
    cmd = [benchlib.PYTHON, "-m", "ted_cli.main", "train", str(project)]
    cmd += ["--store", str(store), "--name", NAME, "--augmentation", "0", "--force"]
    if epochs is not None:
        cmd += ["--epochs", str(epochs)]
    return cmd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh `ted train` processes")
    parser.add_argument("--epochs", type=int, default=None, help="override the config's 100")
    parser.add_argument("--no-epoch-split", action="store_true", help="skip the timed-epoch run")
    args = parser.parse_args()
    project = benchlib.shared_data() / "multiwoz"

    runs = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="ted-bench-store-") as tmp:
            result = benchlib.run_with_peak_memory(_ted_train(project, Path(tmp), args.epochs))
            if result["returncode"] != 0:
                print(result["stdout"], result["stderr"], sep="\n", file=sys.stderr)
                raise SystemExit(f"ted train failed (exit {result['returncode']})")
            if i == args.runs - 1:  # keep one model for the latency benchmark
                shutil.rmtree(STORE, ignore_errors=True)
                shutil.copytree(tmp, STORE)
        runs.append(
            {k: result[k] for k in ("wall_s", "cpu_s", "peak_rss_mb")}
            | {"load_average_1min": os.getloadavg()[0]}
        )
        print(
            f"run {i + 1}: {result['wall_s']:.1f} s wall, {result['cpu_s']:.0f} s CPU, "
            f"peak {result['peak_rss_mb']:.0f} MB"
        )

    split = None
    if not args.no_epoch_split:
        driver = Path(__file__).resolve().parent / "_timed_training.py"
        cmd = [benchlib.PYTHON, str(driver), str(project)]
        if args.epochs is not None:
            cmd += ["--epochs", str(args.epochs)]
        result = benchlib.run_with_peak_memory(cmd)
        if result["returncode"] != 0:
            print(result["stdout"], result["stderr"], sep="\n", file=sys.stderr)
            raise SystemExit("timed training failed")
        split = json.loads(result["stdout"].strip().splitlines()[-1])

    wall = benchlib.median([r["wall_s"] for r in runs])
    peak = benchlib.median([r["peak_rss_mb"] for r in runs])
    cpu = benchlib.median([r["cpu_s"] for r in runs])
    rows = [
        ["ted train wall time (s), median", wall, RASA["train_s"], RASA["train_s"] / wall],
        ["CPU time of the process (s), median", cpu, "", ""],
        ["peak memory (MB), median", peak, RASA["peak_rss_mb"], RASA["peak_rss_mb"] / peak],
    ]
    if split is not None:
        spe = split["median_epoch_s"]
        rows.append(
            ["seconds per epoch, median", spe, RASA["s_per_epoch"], RASA["s_per_epoch"] / spe]
        )
        rows.append(["first epoch incl. compile (s)", split["first_epoch_s"], "", ""])
        rows.append(["import + load + featurize (s)", split["before_fit_s"], "", ""])
        rows.append(["after last epoch: save (s)", split["after_fit_s"], "", ""])
    benchlib.print_table(
        f"ted train on MultiWOZ ({args.runs} runs, epochs={args.epochs or 'config'})",
        rows,
        ["measure", "ted", "Rasa 3.6.21", "Rasa / ted"],
    )
    benchlib.write_result(
        "train_multiwoz",
        {
            "epochs": args.epochs or 100,
            "runs": runs,
            "median_wall_s": wall,
            "median_peak_rss_mb": peak,
            "median_cpu_s": cpu,
            "epoch_split": split,
            "rasa": RASA,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
