"""``ted demo``: the project's main job on bundled data.

The main job (:mod:`ted_cli.demo_job`): train the bundled moodbot project, start the gRPC
predictor on a free loopback port, send the held-out test stories through it and print
predicted versus true next actions, the accuracy and the gRPC latency.

``--walk`` (and an install without the model and predictor packages) runs the model store
walk-through instead: save real archives, list, alias, verify, unpack, and watch damaged
or hostile copies being refused (:func:`store_walkthrough`).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ted_cli.errors import CliError

DATA_ENV = "TED_SHARED_DATA"
PROJECT = "moodbot"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the main job on bundled data: train, serve over gRPC, predict held-out stories",
        description=(
            "Trains the bundled moodbot project, serves it with the gRPC predictor on a free "
            "loopback port, predicts every action of its held-out test stories through gRPC "
            "and prints predicted vs true actions, the accuracy and the latency. With --walk: "
            "a walk through the model store (save, alias, verify, refuse damaged archives)."
        ),
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="store directory to use and keep (default: a temporary one, removed afterwards)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"shared data directory holding moodbot/ (default: ${DATA_ENV} or ../shared/data)",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="override the project's training epochs"
    )
    parser.add_argument(
        "--walk", action="store_true", help="only the model store walk-through (no training)"
    )
    parser.set_defaults(func=run)


def _main_job_installed() -> bool:
    import importlib.util

    return all(
        importlib.util.find_spec(name) is not None
        for name in ("ted_model", "ted_predictor", "ted_data_adapter")
    )


def find_shared_data(explicit: Path | None) -> Path:
    """The shared data directory: --data, $TED_SHARED_DATA, or ../shared/data of the repo."""
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(explicit)
    elif os.environ.get(DATA_ENV):
        candidates.append(Path(os.environ[DATA_ENV]))
    else:
        repo = Path(__file__).resolve().parents[5]
        candidates += [repo / ".." / "shared" / "data", Path.cwd() / ".." / "shared" / "data"]
    for candidate in candidates:
        if (candidate / PROJECT / "domain.yml").is_file():
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise CliError(f"cannot find the {PROJECT} project (looked in {tried}); pass --data DIR")


def run(args: argparse.Namespace) -> int:
    data = find_shared_data(args.data)
    if not args.walk and _main_job_installed():
        from ted_cli.demo_job import run_main_job

        return run_main_job(data, PROJECT, args.store, args.epochs)
    if not args.walk:
        print("ted demo: the model and predictor packages are not installed; "
              "running the model store walk-through\n")  # fmt: skip
    if args.store is not None:
        args.store.mkdir(parents=True, exist_ok=True)
        return store_walkthrough(args.store, data / PROJECT)
    with tempfile.TemporaryDirectory(prefix="ted-demo-") as tmp:
        return store_walkthrough(Path(tmp) / "store", data / PROJECT)


def _project_summary(project: Path) -> dict[str, int]:
    """Training-data counts from the project's YAML files (a line scan; no YAML parser)."""

    def count(path: Path, marker: str) -> int:
        if not path.is_file():
            return 0
        return sum(1 for line in path.read_text().splitlines() if line.strip().startswith(marker))

    return {
        "stories": count(project / "data" / "stories.yml", "- story:"),
        "rules": count(project / "data" / "rules.yml", "- rule:"),
        "nlu_intents": count(project / "data" / "nlu.yml", "- intent:"),
    }


def _project_fingerprint(project: Path, config: dict[str, Any]) -> dict[str, str]:
    from ted_fingerprint import project_fingerprint

    files = sorted(p for p in (project / "data").rglob("*.yml"))
    fingerprint = project_fingerprint(
        config=config,
        domain=(project / "domain.yml").read_text(),
        data={p.relative_to(project).as_posix(): p.read_text() for p in files},
    )
    return dict(fingerprint)


def _model_files(project: Path, dest: Path) -> Path:
    """The 'model': the project's config, domain and training data, copied as files."""
    dest.mkdir(parents=True)
    for rel in ["config.yml", "domain.yml", "data/stories.yml", "data/rules.yml", "data/nlu.yml"]:
        if (project / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(project / rel, dest / rel)
    return dest


def _tampered_copy(archive: Path, dest: Path, member: str) -> Path:
    """Repack ``archive`` with one byte of ``member`` changed and the original manifest."""
    out = io.BytesIO()
    with tarfile.open(archive) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for info in src.getmembers():
            stream = src.extractfile(info)
            data = stream.read() if stream else b""
            if info.name == member:
                data = bytes([data[0] ^ 0x20]) + data[1:]
            dst.addfile(info, io.BytesIO(data))
    dest.write_bytes(gzip.compress(out.getvalue()))
    return dest


def _traversal_archive(dest: Path) -> Path:
    """A hostile archive whose manifest is honest but which writes to ../evil.txt."""
    payload = b"this must never land outside the target\n"
    manifest = {
        "format_version": "1.0",
        "name": "evil",
        "version": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "files": [
            {
                "path": "evil.txt",
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        ],
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            ("../evil.txt", payload),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    dest.write_bytes(gzip.compress(out.getvalue()))
    return dest


def store_walkthrough(store_root: Path, project: Path, say: Callable[[str], None] = print) -> int:
    """Save, list, alias, verify, unpack, refuse damaged copies, prune. Returns an exit code."""
    from ted_archive import ArchiveError, ModelStore, extract_archive, verify_archive
    from ted_cli.commands.models import describe_manifest, format_table, versions_table

    store = ModelStore(store_root)
    summary = _project_summary(project)
    say(f"ted demo: a walk through the model store with the {PROJECT} project")
    say(f"  project: {project}")
    say(f"  store:   {store_root}\n")

    with tempfile.TemporaryDirectory(prefix="ted-demo-work-") as tmp:
        work = Path(tmp)
        source = _model_files(project, work / "model")

        def save(epochs: int, lineage: dict[str, Any]) -> int:
            config = {"policy": "TEDPolicy", "max_history": 5, "epochs": epochs}
            return store.save(
                PROJECT,
                source,
                fingerprint=_project_fingerprint(project, config),
                config=config,
                metrics=summary,
                lineage=lineage,
            ).version

        say("1. save: one archive, then four 'sweep trials' saving at the same time")
        first = save(50, {"run": "baseline"})
        with ThreadPoolExecutor(max_workers=4) as pool:
            trials = list(
                pool.map(lambda t: save(25 * t, {"sweep": "demo", "trial": t}), range(1, 5))
            )
        say(f"   baseline -> version {first}; trials -> versions {sorted(trials)} (all distinct)\n")

        say("2. list")
        say(_indent(versions_table(store.list_versions(PROJECT))) + "\n")

        say("3. aliases: production -> 2, then moved to 4; 'latest' is always the highest")
        store.set_alias(PROJECT, "production", 2)
        store.set_alias(PROJECT, "production", 4)
        store.set_alias(PROJECT, "baseline", first)
        rows = [[a, str(v)] for a, v in sorted(store.aliases(PROJECT).items())]
        rows.append(["latest", str(store.get(PROJECT).version)])
        say(_indent(format_table(["ALIAS", "VERSION"], rows)) + "\n")

        say("4. show and verify 'production' (every file's size and sha256 against the manifest)")
        production = store.get(PROJECT, "production")
        say(_indent(describe_manifest(production.manifest, str(production.archive_path))))
        manifest = store.verify(PROJECT, "production")
        unpacked = work / "unpacked"
        store.unpack(PROJECT, "production", unpacked)
        extracted = sorted(p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*.yml"))
        say(f"   verified {len(manifest.files)} files; unpacked: {', '.join(extracted)}\n")

        say("5. damaged and hostile copies are refused")
        latest = store.get(PROJECT).archive_path
        data = latest.read_bytes()
        truncated = work / "truncated.tar.gz"
        truncated.write_bytes(data[: len(data) // 2])
        cases = [
            (
                "tampered (domain.yml changed)",
                _tampered_copy(latest, work / "t.tar.gz", "domain.yml"),
            ),
            ("truncated to half", truncated),
            ("path traversal (../evil.txt)", _traversal_archive(work / "evil.tar.gz")),
        ]
        accepted = []
        for label, path in cases:
            try:
                verify_archive(path)
                extract_archive(path, work / "target" / label.split()[0])
            except ArchiveError as e:
                say(f"   refused {label}: {type(e).__name__}: {e}")
            else:
                accepted.append(label)
                say(f"   NOT REFUSED: {label}")
        escaped = (work / "evil.txt").exists() or (work / "target" / "evil.txt").exists()
        say("")

        say("6. prune: keep the newest 2 versions, aliased versions always stay")
        deleted = store.prune(PROJECT, keep=2)
        say(f"   deleted versions {deleted}; remaining {store.versions(PROJECT)}")
        say(_indent(versions_table(store.list_versions(PROJECT))) + "\n")

    if accepted or escaped:
        say(f"demo FAILED: accepted {accepted}, file escaped: {escaped}")
        return 1
    say(f"demo finished: {len(store.versions(PROJECT))} versions in {store_root}")
    say(f"  explore it with: ted models ls --store {store_root} {PROJECT}")
    return 0


def _indent(text: str, prefix: str = "   ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
