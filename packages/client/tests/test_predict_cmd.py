"""``ted predict`` (this environment's console script) against a real predictor process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from client_testlib import (
    MODEL,
    RunningPredictor,
    SecurePredictor,
    Ted,
    free_port,
    known_action,
    one_line_error,
)

from ted_client import PredictorClient, load_events_file


def test_ted_predict_prints_the_ranking_as_json(
    ted: Ted, predictor: RunningPredictor, tracker_file: Path
) -> None:
    done = ted("predict", "--address", predictor.address, "--model", MODEL,
               "--events", str(tracker_file), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["model"] == MODEL and output["version"] == 1
    ranking = output["ranking"]
    assert ranking and set(ranking[0]) == {"action", "confidence"}
    actions = [r["action"] for r in ranking]
    confidences = [r["confidence"] for r in ranking]
    assert len(set(actions)) == len(actions) and all(known_action(a) for a in actions)
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    with PredictorClient(predictor.address, timeout=30) as client:
        expected = client.predict(MODEL, load_events_file(tracker_file), top_k=10)
    assert actions == [a for a, _ in expected.ranking]
    assert confidences == pytest.approx([c for _, c in expected.ranking], abs=1e-6)


def test_ted_predict_top_k_and_version_ref(
    ted: Ted, predictor: RunningPredictor, tracker_file: Path
) -> None:
    done = ted("predict", "--address", predictor.address, "--model", f"{MODEL}@1",
               "--events", str(tracker_file), "--json", "--top-k", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["version"] == 1 and len(output["ranking"]) == 2
    everything = ted("predict", "--address", predictor.address, "--model", f"{MODEL}@latest",
                     "--events", str(tracker_file), "--json", "--top-k", "0")  # fmt: skip
    assert everything.returncode == 0, everything.stderr
    all_actions = [r["action"] for r in json.loads(everything.stdout)["ranking"]]
    assert [r["action"] for r in output["ranking"]] == all_actions[:2]
    assert len(all_actions) > 2


def test_ted_predict_prints_a_table(
    ted: Ted, predictor: RunningPredictor, tracker_file: Path
) -> None:
    done = ted("predict", "--address", predictor.address, "--model", MODEL,
               "--events", str(tracker_file), "--top-k", "3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    # action_session_start, session_started, action_listen, user: the bot text is skipped
    assert header == f"model {MODEL} version 1 (4 events), decided by TEDPolicy"
    assert len(rows) == 3
    confidences = []
    for row in rows:
        action, confidence = row.split()
        assert known_action(action)
        confidences.append(float(confidence))
    assert confidences == sorted(confidences, reverse=True)


def test_unknown_model_is_one_line(
    ted: Ted, predictor: RunningPredictor, tracker_file: Path
) -> None:
    done = ted("predict", "--address", predictor.address, "--model", "nobot",
               "--events", str(tracker_file))  # fmt: skip
    assert one_line_error(done) == "NOT_FOUND: unknown model 'nobot'"


def test_unknown_intent_names_the_field(
    ted: Ted, predictor: RunningPredictor, tmp_path: Path
) -> None:
    path = tmp_path / "tracker.json"
    path.write_text('[{"event": "user", "parse_data": {"intent": {"name": "no_such_intent"}}}]')
    done = ted("predict", "--address", predictor.address, "--model", MODEL, "--events", str(path))
    message = one_line_error(done)
    assert message.startswith("INVALID_ARGUMENT: ")
    assert "events[0].user.intent" in message and "no_such_intent" in message


# The error cases below need no server: they fail before or instead of a call.


def test_a_file_that_is_not_json_is_one_line(ted: Ted, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"event": "action",\n "name": }]')
    done = ted("predict", "--address", f"127.0.0.1:{free_port()}", "--model", MODEL,
               "--events", str(path))  # fmt: skip
    message = one_line_error(done)
    assert message.startswith(f"{path}:2: not valid JSON: ")


def test_bad_event_fields_are_one_line(ted: Ted, tmp_path: Path) -> None:
    path = tmp_path / "tracker.json"
    path.write_text('[{"event": "user", "parse_data": {}}]')
    done = ted("predict", "--address", f"127.0.0.1:{free_port()}", "--model", MODEL,
               "--events", str(path))  # fmt: skip
    assert one_line_error(done) == f"{path}[0].parse_data.intent.name: must be a non-empty string"


def test_a_missing_events_file_is_one_line(ted: Ted, tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    done = ted("predict", "--model", MODEL, "--events", str(path))
    assert one_line_error(done).startswith(f"{path}: cannot read: ")


def test_a_bad_model_reference_is_one_line(ted: Ted, tracker_file: Path) -> None:
    done = ted("predict", "--model", "bot@", "--events", str(tracker_file))
    assert one_line_error(done) == "model: expected NAME[@VERSION|@ALIAS], got 'bot@'"


def test_a_negative_top_k_is_refused(ted: Ted, tracker_file: Path) -> None:
    done = ted("predict", "--model", MODEL, "--events", str(tracker_file), "--top-k", "-1")
    assert one_line_error(done) == "--top-k must be >= 0"


def test_an_unreachable_server_is_one_line(ted: Ted, tracker_file: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    done = ted("predict", "--address", address, "--model", MODEL, "--events", str(tracker_file),
               "--timeout", "2")  # fmt: skip
    assert one_line_error(done).startswith("UNAVAILABLE: ")


def test_ted_predict_over_tls_with_a_token(
    ted: Ted, secure_predictor: SecurePredictor, tracker_file: Path, tmp_path: Path
) -> None:
    address = secure_predictor.address
    base = ["predict", "--address", address, "--model", MODEL, "--events", str(tracker_file),
            "--tls-ca", str(secure_predictor.cert), "--json", "--timeout", "60"]  # fmt: skip
    done = ted(*base, "--token-file", str(secure_predictor.token_file))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["model"] == MODEL
    assert one_line_error(ted(*base)).startswith("UNAUTHENTICATED: missing 'authorization")
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token-0123456789\n", encoding="utf-8")
    wrong.chmod(0o600)  # a readable token file is warned about (on stderr)
    assert one_line_error(ted(*base, "--token-file", str(wrong))) == (
        "UNAUTHENTICATED: invalid token"
    )
    plaintext = ["predict", "--address", address, "--model", MODEL, "--events",
                 str(tracker_file), "--token-file", str(secure_predictor.token_file)]  # fmt: skip
    assert one_line_error(ted(*plaintext)).startswith("UNAVAILABLE")
