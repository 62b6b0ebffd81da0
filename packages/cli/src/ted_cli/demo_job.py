"""The main job of ``ted demo``: train a bundled project, serve it over gRPC, replay held-out
conversations through the predictor and report accuracy and latency.

Everything is real: TED training with the project's config, a model store, the predictor
on a free loopback port, every prediction a gRPC call.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ted_cli.errors import CliError


def _wait_loaded(server: Any, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.manager.has_serving_version(name):
        if time.monotonic() > deadline:
            statuses = server.manager.statuses(name)
            errors = "; ".join(s.error for s in statuses if s.error) or "still loading"
            raise CliError(f"the predictor did not load {name} within {timeout:.0f} s: {errors}")
        time.sleep(0.05)


def _last_turn(history: tuple[Any, ...]) -> str:
    from ted_data_adapter.events import ActionExecuted, UserUttered

    for event in reversed(history):
        if isinstance(event, UserUttered):
            return f"user: {event.intent}"
        if isinstance(event, ActionExecuted) and event.name != "action_listen":
            return f"bot:  {event.name}"
    return "(start)"


# Rasa's default policies beside the project's own TEDPolicy: a bot's rules are used.
DEMO_POLICIES = ("MemoizationPolicy", "RulePolicy")


def write_demo_config(project: Path, path: Path) -> Path:
    """config.yml for the demo: memoization and rules, then the project's TEDPolicy entry
    (written as JSON, which YAML reads)."""
    import json

    from ted_pipeline import read_config_file

    ted = read_config_file(project / "config.yml").policy_config("TEDPolicy") or {
        "name": "TEDPolicy"
    }
    policies = [{"name": name} for name in DEMO_POLICIES] + [ted]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"policies": policies}, indent=1) + "\n", encoding="utf-8")
    return path


def train_serve_predict(
    project: Path,
    store_root: Path,
    *,
    epochs: int | None,
    say: Callable[[str], None] = print,
) -> int:
    """Train ``project`` into ``store_root``, serve it, replay its test stories via gRPC."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up noise out
    from ted_archive import ModelStore
    from ted_client.client import PredictorClient
    from ted_data_adapter import load_project
    from ted_pipeline import train_project
    from ted_pipeline.evaluation import prediction_points
    from ted_predictor.config import PredictorConfig
    from ted_predictor.server import create_server

    name = project.name
    data = load_project(project)
    held_out = data.test_conversations()
    if not held_out:
        raise CliError(f"{project} has no test stories to hold out")
    say(f"ted demo: train {name}, serve it over gRPC, predict {len(held_out)} held-out stories")
    say(f"  project: {project}")
    say(f"  store:   {store_root}\n")

    from ted_cli.demo_sweep import ALIAS, run_demo_sweep, sweep_available

    policies = write_demo_config(project, store_root.parent / f"{name}-config.yml")
    say(f"   policies: {', '.join(DEMO_POLICIES)} and the project's TEDPolicy ({policies})\n")
    serve_ref: Any = name
    if sweep_available():
        say("1. sweep: Ray Tune trials of TED, each writes an archive; the best gets "
            f"'{ALIAS}'" + (f" ({epochs} epochs)" if epochs else ""))  # fmt: skip
        version = run_demo_sweep(project, store_root, name, epochs=epochs, config=policies, say=say)
        from ted_client.client import ModelRef

        serve_ref = ModelRef(name, alias=ALIAS)
        result_version: Any = version
    else:
        say("1. train (TED, the project's config.yml" + (f", {epochs} epochs)" if epochs else ")"))
        started = time.perf_counter()
        result = train_project(
            project,
            store=ModelStore(store_root),
            name=name,
            config_file=policies,
            config_overrides={"epochs": epochs} if epochs else None,
        )
        metrics = result.metrics
        accuracy = metrics.get("action_accuracy")
        train_line = f"   version {result.version} in {time.perf_counter() - started:.0f} s"
        if isinstance(accuracy, (int, float)):
            train_line += f", training accuracy {accuracy:.3f}"
        say(train_line + "\n")
        result_version = result.version

    say("2. serve: the predictor on a free loopback port")
    config = PredictorConfig(store=store_root, port=0, poll_interval_s=0.5, shutdown_grace_s=5)
    server, port = create_server(config)
    server.start()
    try:
        started = time.perf_counter()
        _wait_loaded(server, name, timeout=300)
        served = f"{name} v{result_version}"
        if serve_ref != name:
            served = f"{name}@{ALIAS} = v{result_version}"
        say(f"   listening on 127.0.0.1:{port}; {served} loaded and warmed "
            f"in {time.perf_counter() - started:.1f} s\n")  # fmt: skip

        say("3. predict every action of the held-out test stories, one gRPC call each")
        rows: list[tuple[str, str, str, str]] = []
        latencies: list[float] = []
        with PredictorClient(f"127.0.0.1:{port}", timeout=30) as client:
            if serve_ref != name:
                from ted_cli.demo_sweep import wait_for_alias

                wait_for_alias(client, serve_ref, timeout=120)
            for index, story in enumerate(held_out):
                for point in prediction_points(index, story.events):
                    t = time.perf_counter()
                    response = client.predict(serve_ref, point.history, top_k=1)
                    latencies.append(time.perf_counter() - t)
                    rows.append(
                        (
                            story.name,
                            _last_turn(point.history),
                            point.target,
                            response.ranking[0][0],
                        )
                    )
        width = max(len(r[1]) for r in rows)
        act = max(len(r[2]) for r in rows)
        current = None
        for story_name, turn, truth, predicted in rows:
            if story_name != current:
                say(f"   story: {story_name}")
                current = story_name
            mark = "ok" if truth == predicted else "WRONG"
            line = f"after {turn:<{width}}  true {truth:<{act}}  predicted {predicted:<{act}}"
            say(f"     {line}  {mark}")
        say("")
    finally:
        server.stop(2.0)
    say("   predictor stopped cleanly")

    correct = sum(r[2] == r[3] for r in rows)
    bot = [r for r in rows if r[2] != "action_listen"]
    bot_correct = sum(r[2] == r[3] for r in bot)
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    say("\nresult")
    bot_share = bot_correct / max(len(bot), 1)
    say(f"   next-action accuracy: {correct}/{len(rows)} = {correct / len(rows):.3f} "
        f"(bot actions only: {bot_correct}/{len(bot)} = {bot_share:.3f})")  # fmt: skip
    say(f"   gRPC Predict latency: p50 {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, "
        f"{len(ms)} calls")  # fmt: skip
    return 0


def run_main_job(data: Path, project_name: str, store: Path | None, epochs: int | None) -> int:
    project = data / project_name
    if store is not None:
        store.mkdir(parents=True, exist_ok=True)
        return train_serve_predict(project, store, epochs=epochs)
    with tempfile.TemporaryDirectory(prefix="ted-demo-") as tmp:
        return train_serve_predict(project, Path(tmp) / "store", epochs=epochs)
