"""``ted data validate``: check a dialogue project and list every problem as ``file:line``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ted_cli.data_issues import print_issues, warnings_to
from ted_cli.errors import CliError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "data",
        help="check dialogue projects",
        description="Commands that read a project's domain, stories, rules and test stories.",
    )
    commands = parser.add_subparsers(dest="data_command", metavar="DATA_COMMAND")
    commands.required = True
    validate = commands.add_parser(
        "validate",
        help="report every problem in a project as file:line: message",
        description=(
            "Reads the domain, stories, rules, test stories and config of PROJECT_DIR "
            "(Rasa YAML 2.0-3.1 or the 1.x Markdown format) and prints every problem as "
            "file:line: message, and what Rasa only warns about as file:line: warning: "
            "message. Exits with status 1 on problems (with --strict on warnings too)."
        ),
    )
    validate.add_argument("project_dir", type=Path, metavar="PROJECT_DIR")
    validate.add_argument(
        "--conflicts",
        action="store_true",
        help="also report stories that run different actions after the same turns",
    )
    validate.add_argument(
        "--max-history",
        type=int,
        default=None,
        metavar="N",
        help="turns compared by --conflicts (default: TEDPolicy max_history in config.yml, or 5)",
    )
    validate.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 on warnings too (what Rasa only warns about)",
    )
    validate.set_defaults(func=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    try:
        from ted_data_adapter import (
            DataValidationError,
            Vocabulary,
            find_story_conflicts,
            load_project,
        )
    except ImportError as e:
        raise CliError(
            "ted data needs the ted-data-adapter package (pip install 'ted-cli[train]')"
        ) from e
    try:
        with warnings_to(None):  # printed here, once, in file order
            project = load_project(args.project_dir)
    except DataValidationError as e:
        print_issues(e.issues, e.warnings)
        also = f" and {len(e.warnings)} warning(s)" if e.warnings else ""
        print(f"{len(e.issues)} problem(s){also} found in {args.project_dir}", file=sys.stderr)
        return 1
    print_issues((), project.warnings)
    try:  # config.yml's policies: warnings, or problems that would stop training
        from ted_pipeline.policy_config import check_config
    except ImportError as e:
        raise CliError(
            "checking config.yml needs ted-pipeline (pip install 'ted-cli[train]')"
        ) from e
    try:
        config_warnings = check_config(project.config)
    except DataValidationError as e:
        for issue in e.issues:
            print(issue, file=sys.stderr)
        print(f"{len(e.issues)} problem(s) found in {args.project_dir}", file=sys.stderr)
        return 1
    for issue in config_warnings:
        print(f"{issue.file}:{issue.line}: warning: {issue.message}", file=sys.stderr)
    warnings = len(project.warnings) + len(config_warnings)
    if args.strict and warnings:
        print(f"{warnings} warning(s) found in {args.project_dir} (--strict)", file=sys.stderr)
        return 1
    stories = project.training_stories(augmentation_factor=0)
    if args.conflicts:
        history = args.max_history or project.config.policy_config().get("max_history") or 5
        conflicts = find_story_conflicts(stories, Vocabulary.from_domain(project.domain), history)
        for issue in conflicts:
            print(issue, file=sys.stderr)
        if conflicts:
            print(
                f"{len(conflicts)} story conflict(s) with max_history {history} "
                f"in {args.project_dir}",
                file=sys.stderr,
            )
            return 1
    print(
        f"{args.project_dir}: OK - {len(project.stories)} stories ({len(stories)} after "
        f"checkpoints and 'or'), {len(project.rules)} rules, {len(project.test_stories)} test "
        f"stories; {len(project.domain.intents)} intents, {len(project.domain.all_actions)} "
        f"actions, {len(project.domain.slots)} slots, {len(project.domain.forms)} forms; "
        f"{warnings} warning(s)"
    )
    return 0
