"""Entry point of the ``ted`` command.

Each subcommand lives in its own module under ``ted_cli.commands`` and exposes
``register(subparsers)``. Only argparse wiring happens at start-up; the heavy
libraries (TensorFlow, Ray, grpc) are imported inside the command functions so
that ``ted models ls`` starts in milliseconds.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ted_cli.errors import CliError
from ted_cli.version import __version__

# Module names under ted_cli.commands, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "models",
    "train",
    "demo",
    "sweep",
    "serve",
    "predict",
    "data",
    "test_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ted",
        description="Train, sweep, test and serve TED dialogue policies.",
    )
    parser.add_argument("--version", action="version", version=f"ted {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"ted_cli.commands.{name}")
        module.register(subparsers)
    return parser


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        result = args.func(args)
    except CliError as e:
        print(f"ted: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("ted: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
