"""Golden dialogue-policy decisions of Rasa for the fixture projects.

Run with the Python of a Rasa 3.6 installation (Rasa is not a dependency of this
repository and this script is not imported by its tests):

    /path/to/rasa-venv/bin/python tools/rasa_golden/make_golden.py [--fixtures DIR]
        [--only NAME ...] [--check]

For every project folder under DIR (one with a domain.yml) the script

1. trains a core model with ``rasa train core`` in a subprocess (a fresh, empty
   training cache, PYTHONHASHSEED=0, telemetry off);
2. replays ``tests/`` with ``rasa.core.test.test`` -- the function ``rasa test core``
   runs -- while wrapping ``rasa.core.test._predict_tracker_actions``,
   ``rasa.core.test._collect_action_executed_predictions`` and the processor's
   ``predict_next_with_tracker_if_should`` to record every prediction point: the
   history Rasa's partial tracker held, the gold action, the predicted action, the
   deciding policy and its confidence, whether a loop rejection was emulated, and
   what each ensemble member predicted on the same tracker;
3. writes ``golden.json`` beside the project (sorted keys, indent 1).

A project whose training fails (contradicting rules and stories) gets a golden.json
with ``train_error``: Rasa's exception name and message, and where in the project's
data the rules and stories that the message names are.

``--check`` computes everything again and compares it with the golden.json files
instead of writing them; it exits with 1 if a decision that does not depend on TED
differs, and reports TED-dependent points that moved.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = REPO / "packages" / "pipeline" / "tests" / "fixtures" / "rasa_rules"
FORMAT_VERSION = 1
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _env(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONHASHSEED": "0",
            "RASA_TELEMETRY_ENABLED": "false",
            "RASA_CACHE_DIRECTORY": str(cache_dir),
            "RASA_MAX_CACHE_SIZE": "0",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "TF_DETERMINISTIC_OPS": "1",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
    )
    return env


def train(project: Path, work: Path) -> tuple[Path | None, str | None, float]:
    """Train the project's core model; return (model, error output, seconds)."""
    out = work / "models"
    cmd = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "core",
        "--domain",
        str(project / "domain.yml"),
        "--config",
        str(project / "config.yml"),
        "--stories",
        str(project / "data"),
        "--out",
        str(out),
        "--fixed-model-name",
        project.name,
    ]
    started = time.monotonic()
    done = subprocess.run(
        cmd,
        cwd=work,
        env=_env(work / "cache"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    model = out / f"{project.name}.tar.gz"
    if done.returncode != 0 or not model.exists():
        return None, done.stdout + "\n" + done.stderr, seconds
    return model, None, seconds


# --------------------------------------------------------------------------- errors


def _block_lines(project: Path) -> dict[tuple[str, str], tuple[str, int, list[str]]]:
    """(kind, name) -> (file, line of the block's first line, its lines)."""
    blocks: dict[tuple[str, str], tuple[str, int, list[str]]] = {}
    for path in sorted((project / "data").glob("*.yml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        current: tuple[str, str] | None = None
        for number, line in enumerate(lines, start=1):
            match = re.match(r"\s*-\s*(story|rule):\s*(.+?)\s*$", line)
            if match:
                current = (match.group(1), match.group(2).strip("'\""))
                rel = path.relative_to(project).as_posix()
                blocks[current] = (rel, number, [])
            if current is not None:
                blocks[current][2].append(line)
    return blocks


def describe_train_error(project: Path, output: str) -> dict[str, Any]:
    """Rasa's exception and message, and where the named blocks are.

    The command line prints the exception in red (``ESC[91m`` ... ``ESC[0m``) as
    ``Name: message``; everything else in the output is logging and warnings.
    """
    red = re.findall(r"\x1b\[91m(.*?)\x1b\[0m", output, flags=re.S)
    text = red[-1] if red else ANSI.sub("", output)
    match = re.match(r"\s*([A-Za-z_][\w.]*):\s*(.*)", text, flags=re.S)
    if not red or not match:
        return {
            "exception": None,
            "message": ANSI.sub("", output).strip()[-2000:],
            "file_line_in_message": False,
            "located": [],
        }
    exception, message = match.group(1), match.group(2).strip()
    message = message.replace(str(project), "<project>")
    located = []
    blocks = _block_lines(project)
    pattern = re.compile(
        r"the prediction of the action '([^']+)' in (story|rule) '([^']+)' is "
        r"contradicting with (rule|story)\(?s?\)? '([^']+)' which predicted action "
        r"'([^']+)'"
    )
    for match in pattern.finditer(message):
        action, kind, name, other_kind, others, other_action = match.groups()
        entry: dict[str, Any] = {"kind": kind, "name": name, "action": action}
        if (kind, name) in blocks:
            file, line, block = blocks[(kind, name)]
            entry["file"] = file
            entry["line"] = line
            step = _step_line(block, line, action)
            entry["action_line"] = step
        entry["contradicts"] = []
        for other in others.split("', '"):
            item: dict[str, Any] = {"kind": other_kind, "name": other}
            if (other_kind, other) in blocks:
                file, line, block = blocks[(other_kind, other)]
                item["file"] = file
                item["line"] = line
                item["predicted_action"] = other_action
            entry["contradicts"].append(item)
        located.append(entry)
    return {
        "exception": exception,
        "message": message,
        "file_line_in_message": bool(re.search(r"\.ya?ml:\d+", message)),
        "located": located,
    }


def _step_line(block: list[str], first: int, action: str) -> int | None:
    for offset, line in enumerate(block):
        if re.match(rf"\s*-\s*action:\s*{re.escape(action)}\s*$", line):
            return first + offset
    return None


# --------------------------------------------------------------------------- events


def simple_event(event: Any) -> dict[str, Any]:
    """One of Rasa's tracker events in the policy-neutral form."""
    from rasa.shared.core import events as ev

    if isinstance(event, ev.UserUttered):
        entities = [
            {
                "entity": e.get("entity"),
                "value": e.get("value"),
                "role": e.get("role"),
                "group": e.get("group"),
            }
            for e in event.entities
        ]
        return {"user": event.intent_name, "entities": entities}
    if isinstance(event, ev.ActionExecuted):  # WronglyPredictedAction included
        return {"action": event.action_name}
    if isinstance(event, ev.SlotSet):
        return {"slot": event.key, "value": event.value}
    if isinstance(event, ev.ActiveLoop):
        return {"active_loop": event.name}
    if isinstance(event, ev.ActionExecutionRejected):
        return {"rejected": event.action_name}
    if isinstance(event, ev.Restarted):
        return {"restarted": True}
    if isinstance(event, ev.SessionStarted):
        return {"session_started": True}
    if isinstance(event, ev.UserUtteranceReverted):
        return {"user_utterance_reverted": True}
    if isinstance(event, ev.ActionReverted):
        return {"action_reverted": True}
    if isinstance(event, ev.LoopInterrupted):
        return {"loop_interrupted": event.is_interrupted}
    raise ValueError(f"no simple form for event {event!r}")


def applied_indices(tracker: Any) -> list[int]:
    """Indices of the tracker's events that survive ``applied_events()``."""
    applied = tracker.applied_events()
    ids = {id(event) for event in applied}
    return [index for index, event in enumerate(tracker.events) if id(event) in ids]


# --------------------------------------------------------------------------- replay


def _count_rejections(tracker: Any) -> int:
    from rasa.shared.core.events import ActionExecutionRejected

    return sum(isinstance(e, ActionExecutionRejected) for e in tracker.events)


class Recorder:
    """Wraps Rasa's evaluation functions and records every prediction point."""

    def __init__(self, agent: Any) -> None:
        import rasa.core.test as core_test
        from rasa.core.policies.policy import Policy

        self.core_test = core_test
        self.agent = agent
        self.processor = agent.processor
        self.points: list[dict[str, Any]] = []
        self.stories: list[dict[str, Any]] = []
        self._story_events: list[Any] = []
        self._story_name = ""
        self._calls: list[dict[str, Any]] | None = None
        schema = self.processor.model_metadata.predict_schema
        self.policy_nodes = [
            name
            for name, node in schema.nodes.items()
            if isinstance(node.uses, type) and issubclass(node.uses, Policy)
        ]
        self._originals: dict[str, Any] = {}

    # each member's own prediction on (a copy of) the tracker
    def members(self, tracker: Any) -> list[dict[str, Any]]:
        from rasa.engine.constants import PLACEHOLDER_TRACKER

        results = self.processor.graph_runner.run(
            inputs={PLACEHOLDER_TRACKER: copy.deepcopy(tracker)},
            targets=self.policy_nodes,
        )
        domain = self.processor.domain
        rows = []
        for node in self.policy_nodes:
            prediction = results[node]
            index = prediction.max_confidence_index
            rows.append(
                {
                    "policy": prediction.policy_name,
                    "priority": prediction.policy_priority,
                    "action": domain.action_names_or_texts[index],
                    "confidence": float(prediction.max_confidence),
                    "is_no_user_prediction": bool(prediction.is_no_user_prediction),
                    "is_end_to_end_prediction": bool(prediction.is_end_to_end_prediction),
                    "events": [type(e).__name__ for e in prediction.events],
                }
            )
        return rows

    def install(self) -> None:
        core_test = self.core_test
        recorder = self

        original_predict_tracker = core_test._predict_tracker_actions
        original_collect = core_test._collect_action_executed_predictions
        original_next = self.processor.predict_next_with_tracker_if_should
        self._originals = {
            "_predict_tracker_actions": original_predict_tracker,
            "_collect_action_executed_predictions": original_collect,
        }

        async def predict_tracker_actions(tracker, agent, *args, **kwargs):
            recorder._story_events = list(tracker.events)
            recorder._story_name = tracker.sender_id
            recorder.stories.append(
                {
                    "story": tracker.sender_id,
                    "events": [simple_event(e) for e in tracker.events],
                }
            )
            result = await original_predict_tracker(tracker, agent, *args, **kwargs)
            recorder.stories[-1]["replayed_events"] = [simple_event(e) for e in result[1].events]
            return result

        async def collect(processor, partial_tracker, event, *args, **kwargs):
            index = next(i for i, e in enumerate(recorder._story_events) if e is event)
            history = [simple_event(e) for e in partial_tracker.events]
            applied = applied_indices(partial_tracker)
            recorder._calls = []
            rejections = _count_rejections(partial_tracker)
            result = await original_collect(processor, partial_tracker, event, *args, **kwargs)
            emulated = _count_rejections(partial_tracker) > rejections
            calls, recorder._calls = recorder._calls, None
            store, prediction, _ = result
            point = {
                "story": recorder._story_name,
                "event_index": index,
                "gold": store.action_targets[0],
                "predicted": store.action_predictions[0],
                "policy": prediction.policy_name,
                "confidence": float(prediction.max_confidence),
                "correct": store.action_targets[0] == store.action_predictions[0],
                "loop_rejection_emulated": emulated,
                "history": history,
                "applied": applied,
                "members": calls[0]["members"] if calls else [],
            }
            if emulated:
                point["first_prediction"] = {
                    k: calls[0][k] for k in ("action", "policy", "confidence")
                }
                point["members_after_rejection"] = calls[1]["members"]
            recorder.points.append(point)
            return result

        def predict_next(tracker):
            members = recorder.members(tracker) if recorder._calls is not None else []
            action, prediction = original_next(tracker)
            if recorder._calls is not None:
                recorder._calls.append(
                    {
                        "action": action.name(),
                        "policy": prediction.policy_name,
                        "confidence": float(prediction.max_confidence),
                        "members": members,
                    }
                )
            return action, prediction

        core_test._predict_tracker_actions = predict_tracker_actions
        core_test._collect_action_executed_predictions = collect
        self.processor.predict_next_with_tracker_if_should = predict_next

    def uninstall(self) -> None:
        for name, function in self._originals.items():
            setattr(self.core_test, name, function)
        self._originals = {}


def ted_decided(point: dict[str, Any]) -> bool:
    """True where TED's output could change the decision.

    The ensemble takes the highest (confidence, priority) among the predictions of
    the winning kind; a TED member (priority 1) changes the outcome only if it wins
    or if the winner's confidence is below 1.0. Loop happy-path predictions
    (``is_no_user_prediction``) overrule TED whatever its confidence.
    """
    members = point.get("members_after_rejection") or point["members"]
    ted = [m for m in members if m["policy"] == "TEDPolicy"]
    if not ted:
        return False
    if point["policy"] == "TEDPolicy":
        return True
    if any(m["is_no_user_prediction"] for m in members):
        return False
    return point["confidence"] < 1.0


def test_story_order(project: Path) -> list[str]:
    names: list[str] = []
    for path in sorted((project / "tests").glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s*-\s*story:\s*(.+?)\s*$", line)
            if match:
                names.append(match.group(1).strip("'\""))
    return names


def schema_node(recorder: Recorder, node: str) -> Any:
    return recorder.processor.model_metadata.predict_schema.nodes[node].uses


def replay(project: Path, model: Path, work: Path) -> dict[str, Any]:
    import rasa.core.test as core_test
    from rasa.core.agent import Agent

    agent = Agent.load(model_path=str(model))
    recorder = Recorder(agent)
    recorder.install()
    try:
        results_dir = work / "results"
        results_dir.mkdir()
        result = asyncio.run(
            core_test.test(
                str(project / "tests"),
                agent,
                out_directory=str(results_dir),
                disable_plotting=True,
                successes=False,
                errors=False,
                warnings=False,
            )
        )
    finally:
        recorder.uninstall()

    actions = result["actions"]
    if len(actions) != len(recorder.points):
        raise RuntimeError("recorded points and rasa test's action list differ")
    for point, row in zip(recorder.points, actions, strict=True):
        same = (
            point["gold"] == row["action"]
            and point["predicted"] == row["predicted"]
            and point["policy"] == row["policy"]
            and point["confidence"] == float(row["confidence"])
        )
        if not same:
            raise RuntimeError(f"point {point['story']}:{point['event_index']} differs")
    for point in recorder.points:
        point["ted_decided"] = ted_decided(point)
    # rasa test's order of the story trackers is not stable between runs; write
    # them in the order of the test files
    order = test_story_order(project)
    rank = {name: index for index, name in enumerate(order)}
    stories = sorted(recorder.stories, key=lambda s: (rank.get(s["story"], len(rank)), s["story"]))
    points = sorted(
        recorder.points,
        key=lambda p: (rank.get(p["story"], len(rank)), p["story"], p["event_index"]),
    )

    report = result["report"]
    conversation = report.get("conversation_accuracy", {})
    bot = [p for p in recorder.points if p["gold"] != "action_listen"]
    summary = {
        "accuracy": float(result["accuracy"]),
        "f1": float(result["f1"]),
        "precision": float(result["precision"]),
        "in_training_data_fraction": float(result["in_training_data_fraction"]),
        "conversation_accuracy": {
            "accuracy": float(conversation.get("accuracy", 0.0)),
            "correct": int(conversation.get("correct", 0)),
            "total": int(conversation.get("total", 0)),
        },
        "points": len(recorder.points),
        "correct": sum(1 for p in recorder.points if p["correct"]),
        "points_excluding_action_listen": len(bot),
        "correct_excluding_action_listen": sum(1 for p in bot if p["correct"]),
    }
    return {
        "policies": [
            {"node": node, "policy": schema_node(recorder, node).__name__}
            for node in recorder.policy_nodes
        ],
        "test_stories": stories,
        "points": points,
        "rasa_test": summary,
    }


# --------------------------------------------------------------------------- main


def golden_for(project: Path) -> tuple[dict[str, Any], dict[str, float]]:
    import rasa

    work = Path(tempfile.mkdtemp(prefix=f"rasa_golden_{project.name}_"))
    try:
        model, error, train_seconds = train(project, work)
        header = {
            "format": FORMAT_VERSION,
            "project": project.name,
            "rasa_version": rasa.__version__,
        }
        if model is None:
            assert error is not None
            return {**header, "train_error": describe_train_error(project, error)}, {
                "train": train_seconds,
                "replay": 0.0,
            }
        started = time.monotonic()
        body = replay(project, model, work)
        return {**header, **body}, {
            "train": train_seconds,
            "replay": time.monotonic() - started,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def compare(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(differences outside TED-dependent points, TED-dependent differences)."""
    hard: list[str] = []
    soft: list[str] = []
    if "train_error" in old or "train_error" in new:
        if old.get("train_error") != new.get("train_error"):
            hard.append("train_error differs")
        return hard, soft
    old_points, new_points = old.get("points", []), new.get("points", [])
    if len(old_points) != len(new_points):
        return [f"{len(old_points)} points before, {len(new_points)} now"], soft
    for a, b in zip(old_points, new_points, strict=True):
        where = f"{a['story']}:{a['event_index']}"
        if a == b:
            continue
        if a["ted_decided"] or b["ted_decided"]:
            soft.append(where)
        else:
            hard.append(where)
    if old.get("test_stories") != new.get("test_stories"):
        hard.append("test_stories differ")
    if not soft and old.get("rasa_test") != new.get("rasa_test"):
        hard.append("rasa_test summary differs")
    return hard, soft


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--only", nargs="*", default=None, help="project names")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the existing golden.json files instead of writing",
    )
    args = parser.parse_args(argv)

    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("rasa", "tensorflow", "absl", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    warnings.filterwarnings("ignore")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)

    projects = sorted(p for p in args.fixtures.iterdir() if (p / "domain.yml").is_file())
    if args.only:
        projects = [p for p in projects if p.name in set(args.only)]
    failed = False
    total = time.monotonic()
    for project in projects:
        data, seconds = golden_for(project)
        target = project / "golden.json"
        timing = f"train {seconds['train']:.1f}s, replay {seconds['replay']:.1f}s"
        if "train_error" in data:
            line = f"training failed ({data['train_error']['exception']})"
        else:
            s = data["rasa_test"]
            line = f"{s['points']} points, {s['correct']} correct, accuracy {s['accuracy']:.3f}"
        if args.check:
            if not target.exists():
                print(f"{project.name}: no golden.json", flush=True)
                failed = True
                continue
            old = json.loads(target.read_text(encoding="utf-8"))
            hard, soft = compare(old, data)
            same = dumps(old) == dumps(data)
            status = "identical" if same else "differs"
            print(f"{project.name}: {status}; {line}; {timing}", flush=True)
            for where in hard:
                print(f"  decision changed: {where}", flush=True)
            for where in soft:
                print(f"  TED-dependent point changed: {where}", flush=True)
            failed = failed or bool(hard)
        else:
            target.write_text(dumps(data), encoding="utf-8")
            print(f"{project.name}: {line}; {timing}", flush=True)
    print(f"total {time.monotonic() - total:.1f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
