"""``ted predict`` without ted-client installed: one line saying what to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# ted-client is installed in some test envs: a None entry in sys.modules makes every
# import of it fail as it does when the distribution is missing.
_WITHOUT_CLIENT = """
import sys
sys.modules["ted_client"] = None
from ted_cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_predict_without_the_client_says_what_to_install(tmp_path: Path) -> None:
    events = tmp_path / "tracker.json"
    events.write_text("[]")
    argv = ["predict", "--model", "bot", "--events", str(events)]
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_CLIENT, *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    stderr = done.stderr.strip()
    assert "\n" not in stderr and "Traceback" not in stderr, stderr
    assert stderr.startswith("ted: error: the predictor client is not installed")
    assert stderr.endswith("; pip install ted-client")
