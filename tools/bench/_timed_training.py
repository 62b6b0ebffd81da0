"""Train MultiWOZ through ``train_project`` (what ``ted train`` runs), stamping every epoch.

Run by train_multiwoz.py in a fresh process; prints one JSON line with the phase times.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def make_clock() -> Any:
    """A Keras callback (so it sees on_train_begin too) that stamps the start and each epoch."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ends: list[float] = []
            self.fit_start: float | None = None

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self.fit_start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.ends.append(time.perf_counter())

    return EpochClock()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", type=Path)
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()

    from ted_archive import ModelStore
    from ted_pipeline import train_project

    clock = make_clock()
    overrides = {"epochs": args.epochs} if args.epochs else None
    with tempfile.TemporaryDirectory(prefix="ted-bench-") as tmp:
        train_project(
            args.project,
            store=ModelStore(Path(tmp)),
            name="timed",
            config_overrides=overrides,
            force=True,
            augmentation=0,
            callbacks=(clock,),
        )
        done = time.perf_counter()
    fit_start = clock.fit_start if clock.fit_start is not None else START
    starts = [fit_start, *clock.ends[:-1]]
    durations = [end - begin for begin, end in zip(starts, clock.ends, strict=True)]
    later = sorted(durations[1:]) or durations
    print(
        json.dumps(
            {
                "total_s": done - START,
                "before_fit_s": fit_start - START,
                "first_epoch_s": durations[0] if durations else None,
                "median_epoch_s": later[len(later) // 2] if later else None,
                "epochs_s": sum(durations),
                "after_fit_s": done - clock.ends[-1] if clock.ends else None,
                "epoch_times": durations,
            }
        )
    )


if __name__ == "__main__":
    main()
