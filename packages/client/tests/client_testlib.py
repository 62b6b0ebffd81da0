"""Helpers of the client tests: the shared data folder, the tracker dump, ``ted`` results."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

MODEL = "moodbot"

# A Rasa tracker dump: 3 of its 5 events are used (bot and session_started are skipped).
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

Ted = Callable[..., subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class RunningPredictor:
    address: str  # HOST:PORT
    log: Path  # the server's stderr


@dataclass(frozen=True)
class SecurePredictor(RunningPredictor):
    cert: Path  # its self-signed certificate, the CA a client trusts
    token_file: Path  # the one token it accepts


def shared_data() -> Path:
    override = os.environ.get("TED_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def known_action(name: str) -> bool:
    """An action of the moodbot domain (its responses) or a default ``action_*`` one."""
    domain = yaml.safe_load((shared_data() / MODEL / "domain.yml").read_text(encoding="utf-8"))
    names = set(domain.get("actions") or []) | set(domain.get("responses") or {})
    return name in names or name.startswith("action_")


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The message of a failed ``ted`` run: exit 1 and one ``ted: error:`` line, no traceback."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    stderr = done.stderr.strip()
    assert "Traceback" not in stderr and "\n" not in stderr, stderr
    assert stderr.startswith("ted: error: "), stderr
    return stderr.removeprefix("ted: error: ")


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
