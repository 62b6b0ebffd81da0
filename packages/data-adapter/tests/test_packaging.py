"""The package imports without TensorFlow or Keras."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_tensorflow() -> None:
    code = (
        "import sys, ted_data_adapter, ted_data_adapter.featurizer;"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'torch', 'jax') if m in sys.modules);"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
