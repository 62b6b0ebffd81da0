"""Structured logs: every record is one JSON object with its extra fields."""

from __future__ import annotations

import json
import logging

from ted_predictor.logs import JsonFormatter


def test_records_become_json_lines_with_extras() -> None:
    record = logging.makeLogRecord(
        {"name": "ted_predictor.manager", "levelname": "INFO", "msg": "loaded %s", "args": ("x",)}
    )
    record.model = "moodbot"
    record.version = 3
    record.path = object()  # not JSON-serializable: written as text
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "loaded x" and data["level"] == "info"
    assert data["model"] == "moodbot" and data["version"] == 3
    assert isinstance(data["path"], str) and data["time"].endswith("Z")
