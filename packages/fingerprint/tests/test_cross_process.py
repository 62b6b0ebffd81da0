"""Digests do not depend on the process, PYTHONHASHSEED or set/dict iteration order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from typing import Any

import ted_fingerprint
from ted_fingerprint import Fingerprint, canonical_digest

_SAMPLES: dict[str, Any] = {
    "strings_set": {f"intent_{i}" for i in range(50)},
    "nested": {
        "policies": [{"name": "TEDPolicy", "epochs": 3, "lr": 0.001}],
        "slots": frozenset({"name", "cuisine", ("a", 1.5)}),
        "blob": b"\x00\x01\xfe",
        "nfd": unicodedata.normalize("NFD", "r\u00e9sum\u00e9"),
        "special": [float("nan"), float("-inf"), -0.0, None, True, 10**30],
    },
    "dict_of_sets": {str(i): {str(j) for j in range(i)} for i in range(10)},
}

_CHILD = """
import json, sys, unicodedata
from ted_fingerprint import canonical_digest, Fingerprint
samples = {
    "strings_set": {f"intent_{i}" for i in range(50)},
    "nested": {
        "policies": [{"name": "TEDPolicy", "epochs": 3, "lr": 0.001}],
        "slots": frozenset({"name", "cuisine", ("a", 1.5)}),
        "blob": b"\\x00\\x01\\xfe",
        "nfd": unicodedata.normalize("NFD", "r\\u00e9sum\\u00e9"),
        "special": [float("nan"), float("-inf"), -0.0, None, True, 10**30],
    },
    "dict_of_sets": {str(i): {str(j) for j in range(i)} for i in range(10)},
}
out = {name: canonical_digest(value) for name, value in samples.items()}
out["fingerprint_json"] = Fingerprint.from_data(samples).to_json()
out["set_order"] = list({f"intent_{i}" for i in range(50)})
print(json.dumps(out))
"""


def _run_child(seed: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    package_root = os.path.dirname(os.path.dirname(ted_fingerprint.__file__))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_digests_are_identical_across_processes_and_hash_seeds() -> None:
    here = {name: canonical_digest(value) for name, value in _SAMPLES.items()}
    here["fingerprint_json"] = Fingerprint.from_data(_SAMPLES).to_json()
    children = [_run_child(seed) for seed in ("0", "1", "4242")]
    # The seeds really change iteration order of the sets (else the test would prove nothing).
    assert len({tuple(child.pop("set_order")) for child in children}) > 1
    for child in children:
        assert child == here
