"""``ted predict``: ask a running predictor for the next action of a conversation."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ted_cli.errors import CliError
from ted_cli.security_options import add_client_security_options, client_security


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="rank the next actions of a conversation with a running predictor",
        description=(
            "Sends the events of a Rasa tracker dump (a JSON list of events, or a tracker "
            "object with an 'events' list) to a predictor. Event types user, action, slot "
            "and active_loop are used; others are skipped."
        ),
    )
    parser.add_argument("--address", default="127.0.0.1:50051", help="predictor HOST:PORT")
    parser.add_argument(
        "--model", required=True, help="NAME, NAME@VERSION or NAME@ALIAS (default: latest)"
    )
    parser.add_argument("--events", required=True, type=Path, help="tracker events JSON file")
    parser.add_argument("--top-k", type=int, default=10, help="actions to show (0 = all)")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline in seconds")
    parser.add_argument(
        "--json", action="store_true", help="print {model, version, ranking} as JSON"
    )
    add_client_security_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # ted-client is a separate, light distribution (grpc, no TensorFlow): import it only here.
    try:
        from ted_client import ClientError, ModelRef, PredictorClient, load_events_file
    except ImportError as e:
        raise CliError(
            f"the predictor client is not installed ({e}); pip install ted-client"
        ) from e
    if args.top_k < 0:
        raise CliError("--top-k must be >= 0")
    try:
        ref = ModelRef.parse(args.model)
        events = load_events_file(args.events)
        security = client_security(args)
        with PredictorClient(args.address, timeout=args.timeout, security=security) as client:
            result = client.predict(ref, events, top_k=args.top_k)
    except ClientError as e:
        raise CliError(str(e)) from e
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    decided = f", decided by {result.policy_name}" if result.policy_name else ""
    print(f"model {result.model} version {result.version} ({len(events)} events){decided}")
    width = max((len(a) for a, _ in result.ranking), default=6)
    for action, confidence in result.ranking:
        print(f"  {action:<{width}}  {confidence:.4f}")
    return 0
