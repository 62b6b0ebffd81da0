"""``ted test``: replay test stories against a trained model and report next-action metrics."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ted_cli.errors import CliError

if TYPE_CHECKING:
    from ted_pipeline.evaluation import EvaluationReport


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test",
        help="replay test stories and report next-action accuracy",
        description=(
            "Replays each story, predicting every bot action (and every wait for the user) "
            "from the history before it, and reports action accuracy excluding and including "
            "action_listen, weighted F1, conversation accuracy and per-action scores."
        ),
    )
    parser.add_argument(
        "--model",
        required=True,
        metavar="REF",
        help="an archive file, or STORE/NAME with an optional @VERSION or @ALIAS",
    )
    parser.add_argument(
        "--stories", required=True, type=Path, help="a story file or a folder of them"
    )
    parser.add_argument(
        "--policy",
        default=None,
        metavar="POLICY",
        help="score one policy of the model alone: ted, rules or memoization "
        "(default: the whole ensemble, as the predictor serves it)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--batch-size", type=int, default=256, help="conversations per prediction batch"
    )
    parser.set_defaults(func=run)


def _pipeline() -> Any:
    try:
        import ted_pipeline.evaluation
    except ImportError as e:
        raise CliError(f"ted test needs ted-pipeline ({e}); install 'ted-cli[train]'") from e
    return ted_pipeline


POLICY_NAMES = {
    "ted": "TEDPolicy",
    "tedpolicy": "TEDPolicy",
    "rules": "RulePolicy",
    "rule": "RulePolicy",
    "rulepolicy": "RulePolicy",
    "memoization": "MemoizationPolicy",
    "memo": "MemoizationPolicy",
    "memoizationpolicy": "MemoizationPolicy",
    "augmentedmemoizationpolicy": "AugmentedMemoizationPolicy",
}


def _only(ensemble: Any, wanted: str) -> Any:
    """The ensemble's one member ``wanted`` (ted, rules, memoization), or a clear error."""
    name = POLICY_NAMES.get(wanted.lower(), wanted)
    if name == "MemoizationPolicy" and "AugmentedMemoizationPolicy" in ensemble.policy_names:
        name = "AugmentedMemoizationPolicy"
    try:
        return ensemble.only(name)
    except KeyError:
        members = ", ".join(ensemble.policy_names)
        raise CliError(
            f"--policy {wanted}: the model has no such policy (it has {members})"
        ) from None


def run(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    pipeline = _pipeline()
    from ted_data_adapter.errors import DataError
    from ted_model import TEDModelError
    from ted_pipeline.evaluation import evaluate_policy, load_replay_stories

    try:
        ref = pipeline.ModelRef.parse(args.model)
    except pipeline.ModelRefError as e:
        raise CliError(f"--model: {e}") from e
    if not args.stories.exists():
        raise CliError(f"no stories at {str(args.stories)!r}")
    try:
        policy = pipeline.load_model(ref)
    except pipeline.PipelineError as e:
        raise CliError(str(e)) from e
    if args.policy is not None:
        policy = _only(policy, args.policy)
    try:
        stories = load_replay_stories(args.stories, policy.vocabulary)
        report = evaluate_policy(policy, stories, batch_size=args.batch_size)
    except (TEDModelError, DataError, pipeline.PipelineError) as e:
        raise CliError(f"cannot test on {args.stories}: {e}") from e
    if args.json:
        print(json.dumps(report.to_dict(), sort_keys=True))
    else:
        print(format_report(report, model=args.model, stories=str(args.stories)))
    return 0


def format_report(report: EvaluationReport, *, model: str, stories: str) -> str:
    """A readable summary and per-action table."""
    lines = [
        f"model:   {model}",
        f"stories: {stories} ({report.conversations} conversations)",
        "",
        f"action accuracy (excluding action_listen)  {report.action_accuracy:.4f}"
        f"  ({report.correct}/{report.total})",
        f"action accuracy (including action_listen)  {report.action_accuracy_with_listen:.4f}"
        f"  ({report.correct_with_listen}/{report.total_with_listen})",
        f"weighted F1 (excluding action_listen)      {report.f1_weighted:.4f}",
        f"conversation accuracy                      {report.conversation_accuracy:.4f}"
        f"  ({report.conversations_correct}/{report.conversations})",
        "",
    ]
    width = max([len("action"), *(len(name) for name in report.per_action)])
    lines.append(f"{'action':<{width}}  precision  recall  f1      support  predicted")
    lines.append("-" * (width + 43))
    for name, s in sorted(report.per_action.items(), key=lambda kv: (-kv[1].support, kv[0])):
        lines.append(
            f"{name:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:6.3f}"
            f"  {s.support:7d}  {s.predicted:9d}"
        )
    return "\n".join(lines)
