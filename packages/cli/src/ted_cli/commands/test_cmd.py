"""``ted test``: replay test stories against a trained model and report next-action metrics."""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ted_cli.errors import CliError

if TYPE_CHECKING:
    from ted_model.evaluation import EvaluationReport


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
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--batch-size", type=int, default=256, help="conversations per prediction batch"
    )
    parser.set_defaults(func=run)


@dataclass(frozen=True)
class ModelRef:
    """Where a model is: an archive file, or a store, a name and a version or alias."""

    archive: Path | None = None
    store: Path | None = None
    name: str = ""
    version: int | str = "latest"

    def __str__(self) -> str:
        if self.archive is not None:
            return str(self.archive)
        return f"{self.store}/{self.name}@{self.version}"


def parse_model_ref(text: str) -> ModelRef:
    """``path/to/archive`` (an existing file) or ``STORE/NAME[@VERSION|@ALIAS]``."""
    usage = "give an archive file or STORE/NAME[@VERSION|@ALIAS]"
    if not text.strip():
        raise CliError(f"--model is empty: {usage}")
    if Path(text).is_file():
        return ModelRef(archive=Path(text))
    head, at, tail = text.rpartition("@")
    if at and "/" not in tail:
        if not tail:
            raise CliError(f"model reference {text!r}: nothing after '@'")
        location, version = head, (int(tail) if tail.isdigit() else tail)
    else:
        location, version = text, "latest"
    if location.endswith((".tar.gz", ".tgz", ".tar", ".zip")) and not at:
        raise CliError(f"no model archive at {text!r}")
    path = Path(location)
    if "/" not in location.rstrip("/") or not path.name:
        raise CliError(
            f"model reference {text!r} is neither an archive file nor STORE/NAME: {usage}"
        )
    if not path.parent.is_dir():
        raise CliError(f"model reference {text!r}: no model store at {str(path.parent)!r}")
    return ModelRef(store=path.parent, name=path.name, version=version)


@contextlib.contextmanager
def unpacked_model(ref: ModelRef) -> Iterator[Path]:
    """Verify the archive (every sha256) and extract it into a temporary folder."""
    from ted_archive import ArchiveError, ModelStore, extract_archive

    with tempfile.TemporaryDirectory(prefix="ted-test-") as tmp:
        target = Path(tmp) / "model"
        try:
            if ref.archive is not None:
                extract_archive(ref.archive, target)
            else:
                assert ref.store is not None
                ModelStore(ref.store).unpack(ref.name, ref.version, target)
        except ArchiveError as e:
            raise CliError(f"cannot open model {ref}: {e}") from e
        yield target


def _import_evaluation() -> Any:
    try:
        import ted_model.evaluation
    except ImportError as e:
        raise CliError(f"ted test needs ted-model ({e}); install ted-cli[train]") from e
    return ted_model.evaluation


def load_policy(ref: ModelRef) -> Any:
    """Verify and unpack the archive, then load a TEDPolicy from it."""
    with unpacked_model(ref) as folder:
        _import_evaluation()
        from ted_model import TEDPolicy
        from ted_model.errors import TEDModelError

        try:
            return TEDPolicy.load(folder)
        except TEDModelError as e:
            raise CliError(f"cannot load model {ref}: {e}") from e


def run(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    ref = parse_model_ref(args.model)
    if not args.stories.exists():
        raise CliError(f"no stories at {str(args.stories)!r}")
    policy = load_policy(ref)
    evaluation = _import_evaluation()
    from ted_data_adapter.errors import DataError
    from ted_model.errors import TEDModelError

    try:
        stories = evaluation.load_replay_stories(args.stories, policy.vocabulary)
        report = evaluation.evaluate_policy(policy, stories, batch_size=args.batch_size)
    except (TEDModelError, DataError) as e:
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
