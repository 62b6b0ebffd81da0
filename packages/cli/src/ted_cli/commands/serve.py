"""``ted serve predictor``: run the gRPC predictor over a model store.

``ted serve trainer`` is added to ``_SERVERS`` below by the trainer service.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ted_cli.errors import CliError
from ted_cli.security_options import add_security_options, server_security


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run a gRPC server (predictor or trainer)",
        description="Run one of the ted gRPC services until SIGTERM or Ctrl-C.",
    )
    servers = parser.add_subparsers(dest="server", metavar="SERVER")
    servers.required = True
    for add in _SERVERS:
        add(servers)


def _add_predictor(servers: Any) -> None:
    p = servers.add_parser(
        "predictor",
        help="serve next-action predictions for the models of a store",
        description=(
            "Serves every model of the store (or --models), the latest and every aliased "
            "version by default; new versions and moved aliases are picked up without a "
            "restart. Health, reflection and Prometheus metrics included."
        ),
    )
    p.add_argument("--store", required=True, type=Path, help="model store directory")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=50051, help="gRPC port (0 picks a free one)")
    p.add_argument(
        "--metrics-port", type=int, default=None, help="serve Prometheus /metrics on this port"
    )
    p.add_argument(
        "--models", default=None, help="comma-separated model names (default: every model)"
    )
    p.add_argument("--poll-interval", type=float, default=2.0, help="seconds between store polls")
    p.add_argument(
        "--version-policy",
        default="latest",
        help="latest, latest:N, all or specific:V1,V2 (aliased versions are served too)",
    )
    p.add_argument("--no-alias-versions", action="store_true", help="do not serve aliased versions")
    p.add_argument("--no-batching", action="store_true", help="run every request alone")
    p.add_argument("--max-batch-size", type=int, default=64)
    p.add_argument(
        "--batch-timeout-ms",
        type=float,
        default=0.0,
        help="longest wait for more requests after the first of a batch (default 0)",
    )
    p.add_argument("--batch-workers", type=int, default=1, help="model threads per served version")
    p.add_argument("--max-events", type=int, default=1000, help="events per conversation")
    p.add_argument("--max-message-bytes", type=int, default=4 * 1024 * 1024)
    p.add_argument(
        "--workers",
        type=int,
        default=4,
        help="threads for model calls that are not batched (PredictBatch, --no-batching)",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes sharing the port (SO_REUSEPORT), each with its own models; "
        "one Python process uses about one core; 0: one per available core",
    )
    p.add_argument(
        "--switch-interval-ms",
        type=float,
        default=1.0,
        help="longest hold of the interpreter lock while another thread waits (Python: 5)",
    )
    p.add_argument("--grace", type=float, default=10.0, help="seconds to drain on shutdown")
    p.add_argument("--log-format", choices=("json", "text"), default="json")
    add_security_options(p)
    p.set_defaults(func=run_predictor)


def _add_trainer(servers: Any) -> None:
    p = servers.add_parser(
        "trainer",
        help="run training jobs and Ray Tune sweeps that write into a store",
        description=(
            "Serves ted.v1.TrainerService (Train, Sweep, WatchJob, GetJob, ListJobs, "
            "CancelJob) plus health and reflection. Jobs run on Ray: a local instance, or "
            "the cluster at --ray-address. SIGTERM cancels running jobs and stops."
        ),
    )
    p.add_argument("--store", required=True, type=Path, help="model store directory")
    p.add_argument("--ray-address", default=None, help="Ray cluster address (default: local)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=50052, help="gRPC port (0 picks a free one)")
    add_security_options(p)
    p.set_defaults(func=run_trainer)


def run_trainer(args: argparse.Namespace) -> int:
    try:
        from ted_trainer.errors import TrainerError
        from ted_trainer.server import serve as serve_trainer
    except ImportError as e:
        raise CliError(f"the trainer is not installed ({e}); install ted-cli[serve]") from e
    logging.getLogger().setLevel(logging.INFO if args.verbose <= 1 else logging.DEBUG)
    security = server_security(args)
    args.store.mkdir(parents=True, exist_ok=True)

    def ready(server: Any) -> None:
        print(f"trainer listening on {args.host}:{server.port}", flush=True)

    try:
        serve_trainer(
            args.store,
            ray_address=args.ray_address,
            host=args.host,
            port=args.port,
            ready=ready,
            security=security,
        )
    except TrainerError as e:
        raise CliError(str(e)) from e
    except OSError as e:
        raise CliError(f"cannot start the trainer: {e}") from e
    print("trainer stopped", file=sys.stderr, flush=True)
    return 0


# Each entry adds one ``ted serve <server>`` subcommand.
_SERVERS: list[Callable[[Any], None]] = [_add_predictor, _add_trainer]


def _predictor_config(args: argparse.Namespace) -> Any:
    from ted_predictor.config import BatchingConfig, Limits, PredictorConfig, VersionPolicy

    models = None
    if args.models:
        models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    return PredictorConfig(
        store=args.store,
        host=args.host,
        port=args.port,
        metrics_port=args.metrics_port,
        models=models,
        poll_interval_s=args.poll_interval,
        version_policy=VersionPolicy.parse(
            args.version_policy, include_aliases=not args.no_alias_versions
        ),
        batching=BatchingConfig(
            enabled=not args.no_batching,
            max_batch_size=args.max_batch_size,
            timeout_s=args.batch_timeout_ms / 1000.0,
            workers=args.batch_workers,
        ),
        limits=Limits(max_message_bytes=args.max_message_bytes, max_events=args.max_events),
        max_workers=args.workers,
        shutdown_grace_s=args.grace,
        processes=args.processes or len(os.sched_getaffinity(0)),
        switch_interval_s=args.switch_interval_ms / 1000.0,
        security=server_security(args),
    )


def run_predictor(args: argparse.Namespace) -> int:
    # Requests are small matrices: OpenBLAS threads only contend with the gRPC loop (and
    # with the other workers). Set before numpy is imported; the workers inherit it.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from ted_predictor.errors import PredictorError
        from ted_predictor.logs import configure_json_logging
        from ted_predictor.processes import LogSetup
        from ted_predictor.server import serve
    except ImportError as e:
        raise CliError(f"the predictor is not installed ({e}); install ted-cli[serve]") from e
    if not args.store.is_dir():
        raise CliError(f"--store {args.store}: no such directory")
    level = logging.INFO if args.verbose <= 1 else logging.DEBUG
    if args.log_format == "json":
        configure_json_logging(level)
    else:
        logging.getLogger().setLevel(level)
    try:
        config = _predictor_config(args)
    except PredictorError as e:
        raise CliError(str(e)) from e

    def ready(server: Any) -> None:
        metrics = f", metrics on port {server.metrics_port}" if server.metrics_port else ""
        processes = f", {config.processes} processes" if config.processes > 1 else ""
        print(f"predictor listening on {config.host}:{server.port}{metrics}{processes}", flush=True)

    try:
        serve(config, ready=ready, logs=LogSetup(level=level, json=args.log_format == "json"))
    except PredictorError as e:
        raise CliError(f"cannot start the predictor: {e}") from e
    except OSError as e:
        raise CliError(f"cannot start the predictor: {e}") from e
    print("predictor stopped", file=sys.stderr, flush=True)
    return 0
