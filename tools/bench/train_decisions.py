"""How fast ``ted train`` decides without training: a data error, and "nothing changed".

Each measurement is a fresh ``ted train`` process (start to exit, median of --runs):

- a copy of a project with one unknown action in its stories: the error must come before
  TensorFlow is imported (target: under 3 s here); ``ted data validate`` on the same copy
  for comparison;
- the unchanged project after one training: the fingerprint says "unchanged" before
  anything is augmented, featurized or imported from TensorFlow.

    .venv/bin/python tools/bench/train_decisions.py [--project moodbot] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib


def _ted(*args: str) -> list[str]:
    return [benchlib.PYTHON, "-m", "ted_cli.main", *args]


def _timed(cmd: list[str], runs: int, expect: int) -> list[float]:
    walls = []
    for _ in range(runs):
        result = benchlib.run_with_peak_memory(cmd)
        if result["returncode"] != expect:
            print(result["stdout"], result["stderr"], sep="\n", file=sys.stderr)
            raise SystemExit(f"{' '.join(cmd[2:])}: exit {result['returncode']}, not {expect}")
        walls.append(result["wall_s"])
    return walls


def _break_one_action(project: Path) -> None:
    """Rename the first bot action of the first story file to one the domain lacks."""
    stories = sorted((project / "data").rglob("*.yml"))
    for path in stories:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for number, line in enumerate(lines):
            if line.strip().startswith("- action: utter_"):
                lines[number] = line.replace("- action: utter_", "- action: utter_unknown_", 1)
                path.write_text("".join(lines), encoding="utf-8")
                return
    raise SystemExit(f"no '- action: utter_...' step found under {project / 'data'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", default="moodbot", help="folder under the shared data")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    source = benchlib.shared_data() / args.project

    with tempfile.TemporaryDirectory(prefix="ted-bench-decide-") as tmp:
        broken = Path(tmp) / "broken" / args.project
        shutil.copytree(source, broken)
        _break_one_action(broken)
        store = Path(tmp) / "store"
        error = _timed(_ted("train", str(broken), "--store", str(store)), args.runs, 1)
        validate = _timed(_ted("data", "validate", str(broken)), args.runs, 1)
        train = _ted("train", str(source), "--store", str(store), "--augmentation", "0")
        first = _timed([*train, "--epochs", "2"], 1, 0)
        unchanged = _timed([*train, "--epochs", "2"], args.runs, 0)

    rows = [
        ["ted train, project with an unknown action (s)", benchlib.median(error), "< 3"],
        ["ted data validate, same project (s)", benchlib.median(validate), ""],
        ["ted train, unchanged project (s)", benchlib.median(unchanged), ""],
        ["ted train, first training, 2 epochs (s)", first[0], ""],
    ]
    benchlib.print_table(
        f"ted train decisions on {args.project} (median of {args.runs} fresh processes)",
        rows,
        ["measure", "ted", "target"],
    )
    benchlib.write_result(
        "train_decisions",
        {
            "project": args.project,
            "runs": args.runs,
            "unknown_action_error_s": error,
            "validate_s": validate,
            "unchanged_s": unchanged,
            "first_training_s": first,
            "median_unknown_action_error_s": benchlib.median(error),
            "median_validate_s": benchlib.median(validate),
            "median_unchanged_s": benchlib.median(unchanged),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
