"""``ted train``: train a project's TED model and save it as the next version in a store."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ted_cli.data_issues import warnings_to
from ted_cli.errors import CliError

STORE_ENV = "TED_STORE"
DEFAULT_STORE = "models"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a project's TED policy and save it as a new model version",
        description=(
            "Load and validate PROJECT_DIR (domain.yml, data/, config.yml; tests/ is not "
            "read), train the TED policy and save the next version of the model in the "
            "store. What Rasa only warns about is printed as file:line: warning: message "
            "before training (--strict stops on it). When nothing changed since the latest "
            "version (same fingerprint) nothing is trained."
        ),
    )
    parser.add_argument("project_dir", type=Path, help="the project folder")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="config.yml to use instead of the project's (as rasa train --config)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=Path(os.environ.get(STORE_ENV) or DEFAULT_STORE),
        help=f"model store directory (default: ${STORE_ENV}, else ./{DEFAULT_STORE})",
    )
    parser.add_argument("--name", default=None, help="model name (default: the project folder)")
    parser.add_argument(
        "--augmentation", type=int, default=None, help="story augmentation factor (default 50)"
    )
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    parser.add_argument("--force", action="store_true", help="train even if nothing changed")
    parser.add_argument(
        "--finetune",
        action="store_true",
        help="continue the latest version (only allowed when just the training data changed)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="stop on warnings in the data too (what Rasa only warns about)",
    )
    parser.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from ted_pipeline import PipelineError, train_project
    except ImportError as e:
        raise CliError(f"ted train needs ted-pipeline ({e}); install 'ted-cli[train]'") from e
    from ted_archive import ArchiveError
    from ted_data_adapter.errors import DataError
    from ted_model import TEDModelError

    if args.augmentation is not None and args.augmentation < 0:
        raise CliError("--augmentation must be 0 or more")
    if args.epochs is not None and args.epochs < 1:
        raise CliError("--epochs must be at least 1")
    overrides = {"epochs": args.epochs} if args.epochs is not None else None
    try:
        with warnings_to(sys.stderr):  # file:line: warning: ..., as the data loads
            result = train_project(
                args.project_dir,
                store=args.store,
                name=args.name,
                config_file=args.config,
                config_overrides=overrides,
                force=args.force,
                augmentation=args.augmentation,
                finetune=args.finetune,
                verbose=sys.stdout.isatty(),
                strict=args.strict,
            )
    except (DataError, TEDModelError, PipelineError) as e:
        raise CliError(str(e)) from e
    except ArchiveError as e:
        raise CliError(f"model store {args.store}: {e}") from e
    if result.skipped:
        print(f"{result.name}: nothing changed since version {result.version}; not trained")
        return 0
    how = "fine-tuned" if result.finetuned else "trained"
    policies = ", ".join(result.policy.policy_names) if result.policy is not None else ""
    print(f"{result.name}: {how} version {result.version} ({result.archive}); {policies}")
    replayed = result.metrics.get("training_stories_action_accuracy")
    if isinstance(replayed, float):
        print(
            f"  training stories replayed with the saved model: action accuracy {replayed:.3f} "
            "(excluding action_listen)"
        )
    for note in result.notes:
        print(f"ted: warning: {note}", file=sys.stderr)
    return 0
