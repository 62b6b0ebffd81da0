"""Fresh-process probe for predict_latency.py: time imports (TensorFlow apart), unpack, load,
first prediction.

Prints one JSON line.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

import keras  # noqa: E402, F401  (imported here so "load" below is the model alone)
import tensorflow  # noqa: E402, F401

from ted_cli.commands.test_cmd import parse_model_ref, unpacked_model  # noqa: E402
from ted_data_adapter.events import UserUttered  # noqa: E402
from ted_model import TEDPolicy  # noqa: E402

IMPORTED = time.perf_counter()


def main() -> None:
    ref = parse_model_ref(sys.argv[1])
    unpack_start = time.perf_counter()
    with unpacked_model(ref) as folder:
        load_start = time.perf_counter()
        policy = TEDPolicy.load(folder)
        loaded = time.perf_counter()
        intent = policy.vocabulary.intents[0]
        policy.predict([UserUttered(intent)])
        first = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": IMPORTED - START,
                "unpack_s": load_start - unpack_start,
                "load_s": loaded - load_start,
                "first_prediction_s": first - loaded,
                "load_to_first_prediction_s": first - load_start,
                "unpack_load_first_prediction_s": first - unpack_start,
            }
        )
    )


if __name__ == "__main__":
    main()
