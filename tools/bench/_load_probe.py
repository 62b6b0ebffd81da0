"""Fresh-process probe for predict_latency.py: time imports (TensorFlow apart), then
``ted_pipeline.load_model`` (verify every sha256, unpack, load) and the first prediction.

Prints one JSON line.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

import keras  # noqa: E402, F401  (imported here so "load" below is the model alone)
import tensorflow  # noqa: E402, F401

from ted_data_adapter.events import UserUttered  # noqa: E402
from ted_pipeline import ModelRef, load_model  # noqa: E402

IMPORTED = time.perf_counter()


def main() -> None:
    ref = ModelRef.parse(sys.argv[1])
    load_start = time.perf_counter()
    policy = load_model(ref)
    loaded = time.perf_counter()
    intent = policy.vocabulary.intents[0]
    policy.predict([UserUttered(intent)])
    first = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": IMPORTED - START,
                "load_model_s": loaded - load_start,
                "first_prediction_s": first - loaded,
                "unpack_load_first_prediction_s": first - load_start,
            }
        )
    )


if __name__ == "__main__":
    main()
