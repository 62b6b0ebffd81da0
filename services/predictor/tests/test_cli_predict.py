"""`ted predict` against a running predictor, with a Rasa tracker file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from predictor_testlib import MODEL

from ted_predictor.client import PredictorClient
from ted_predictor.rasa_tracker import load_events_file
from ted_predictor.server import PredictorServer

Served = tuple[PredictorServer, PredictorClient]

TRACKER = {
    "sender_id": "demo",
    "events": [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "bot", "text": "Hey! How are you?"},
    ],
}


def _ted(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ted_cli.main", "predict", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ted_predict_prints_the_ranking_as_json(served: Served, tmp_path: Path) -> None:
    server, client = served
    path = tmp_path / "tracker.json"
    path.write_text(json.dumps(TRACKER))
    done = _ted("--address", f"127.0.0.1:{server.port}", "--model", f"{MODEL}@1",
                "--events", str(path), "--json", "--top-k", "0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    expected = client.predict(MODEL, load_events_file(path))
    assert output["model"] == MODEL and output["version"] == 1
    assert [r["action"] for r in output["ranking"]] == [a for a, _ in expected.ranking]
    confidences = [r["confidence"] for r in output["ranking"]]
    assert confidences == sorted(confidences, reverse=True)


def test_ted_predict_errors_are_one_line(served: Served, tmp_path: Path) -> None:
    server, _ = served
    path = tmp_path / "tracker.json"
    path.write_text(json.dumps(TRACKER))
    address = f"127.0.0.1:{server.port}"
    done = _ted("--address", address, "--model", "nobot", "--events", str(path))
    assert done.returncode == 1
    assert done.stderr.strip() == "ted: error: NOT_FOUND: unknown model 'nobot'"
    path.write_text('[{"event": "user", "parse_data": {}}]')
    done = _ted("--address", address, "--model", MODEL, "--events", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "[0].parse_data.intent.name: must be a non-empty string" in done.stderr
