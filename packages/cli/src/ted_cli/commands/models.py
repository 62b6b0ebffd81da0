"""``ted models``: list, inspect, verify, alias and prune the archives in a model store."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ted_cli.errors import CliError

if TYPE_CHECKING:
    from ted_archive import Manifest, ModelStore, ModelVersion

STORE_ENV = "TED_STORE"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, inspect, verify, alias and prune stored model archives",
        description="Manage the versioned model archives in a store directory.",
    )
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION")
    sub.required = True

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store",
        type=Path,
        default=os.environ.get(STORE_ENV),
        help=f"model store directory (default: ${STORE_ENV})",
    )
    common.add_argument("--json", action="store_true", help="machine-readable JSON output")

    ls = sub.add_parser("ls", parents=[common], help="list models, or the versions of one model")
    ls.add_argument("name", nargs="?", help="model name (omit to list all models)")
    ls.set_defaults(func=run_ls)

    show = sub.add_parser("show", parents=[common], help="show the manifest of one version")
    show.add_argument("name")
    show.add_argument("ref", nargs="?", default="latest", help="version, alias or 'latest'")
    show.set_defaults(func=run_show)

    verify = sub.add_parser(
        "verify",
        parents=[common],
        help="verify an archive file, or a stored version, against its manifest",
        description=(
            "TARGET is an archive file, or (with --store) a model name followed by an "
            "optional version/alias. Exits 1 and says why if the archive is tampered, "
            "truncated, corrupt or unsafe."
        ),
    )
    verify.add_argument("target", help="ARCHIVE file, or model NAME with --store")
    verify.add_argument("ref", nargs="?", default=None, help="version or alias (default latest)")
    verify.set_defaults(func=run_verify)

    alias = sub.add_parser("alias", parents=[common], help="set, move or remove an alias")
    alias.add_argument("name")
    alias.add_argument("alias")
    alias.add_argument("version", nargs="?", help="version or reference the alias points to")
    alias.add_argument("--remove", action="store_true", help="remove the alias")
    alias.set_defaults(func=run_alias)

    rm = sub.add_parser("rm", parents=[common], help="delete one version")
    rm.add_argument("name")
    rm.add_argument("version", type=int)
    rm.add_argument("--force", action="store_true", help="also remove aliases pointing to it")
    rm.set_defaults(func=run_rm)

    prune = sub.add_parser(
        "prune", parents=[common], help="delete all but the newest N versions (aliased kept)"
    )
    prune.add_argument("name")
    prune.add_argument("--keep", type=int, required=True, help="newest versions to keep")
    prune.add_argument("--dry-run", action="store_true", help="only show what would go")
    prune.set_defaults(func=run_prune)


# --- helpers -------------------------------------------------------------------------------


def open_store(args: argparse.Namespace) -> ModelStore:
    from ted_archive import ModelStore

    if args.store is None:
        raise CliError(f"no model store given: pass --store DIR or set ${STORE_ENV}")
    if not Path(args.store).is_dir():
        raise CliError(f"model store {args.store} does not exist")
    return ModelStore(args.store)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a header rule."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )
    return "\n".join(lines)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def format_metrics(metrics: dict[str, Any], limit: int = 48) -> str:
    parts = []
    for key, value in sorted(metrics.items()):
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={shown}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_time(created_at: str) -> str:
    """``2026-01-02T03:04:05.123456Z`` -> ``2026-01-02 03:04:05Z``."""
    return created_at.replace("T", " ").split(".")[0].rstrip("Z") + "Z"


def _emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def _archive_error() -> type[Exception]:
    from ted_archive import ArchiveError

    return ArchiveError


def version_json(v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "created_at": v.manifest.created_at,
        "aliases": list(v.aliases),
        "files": len(v.manifest.files),
        "size": v.manifest.total_size,
        "archive": str(v.archive_path),
        "archive_size": v.archive_size,
        "metrics": v.manifest.metrics,
        "lineage": v.manifest.lineage,
    }


def versions_table(versions: Sequence[ModelVersion]) -> str:
    rows = [
        [
            str(v.version),
            short_time(v.manifest.created_at),
            str(len(v.manifest.files)),
            human_size(v.archive_size),
            ",".join(v.aliases),
            format_metrics(v.manifest.metrics),
        ]
        for v in versions
    ]
    return format_table(["VERSION", "CREATED", "FILES", "ARCHIVE", "ALIASES", "METRICS"], rows)


# --- subcommands ---------------------------------------------------------------------------


def run_ls(args: argparse.Namespace) -> int:
    store = open_store(args)
    error = _archive_error()
    try:
        if args.name:
            return _ls_versions(store, args.name, args.json)
        models: list[tuple[str, list[int], dict[str, int]]] = [
            (name, store.versions(name), store.aliases(name)) for name in store.list_models()
        ]
    except error as e:
        raise CliError(str(e)) from e
    if args.json:
        listed = [{"name": n, "versions": vs, "aliases": al} for n, vs, al in models]
        _emit_json({"store": str(store.root), "models": listed})
        return 0
    if not models:
        print(f"no models in {store.root}")
        return 0
    rows = [
        [
            name,
            str(len(versions)),
            str(versions[-1]),
            ", ".join(f"{a}->{v}" for a, v in sorted(aliases.items())),
        ]
        for name, versions, aliases in models
    ]
    print(format_table(["MODEL", "VERSIONS", "LATEST", "ALIASES"], rows))
    return 0


def _ls_versions(store: ModelStore, name: str, as_json: bool) -> int:
    error = _archive_error()
    aliases = store.aliases(name)
    numbers = store.versions(name)
    if not numbers:
        raise CliError(f"model {name!r} not found in {store.root}")
    loaded: list[ModelVersion] = []
    broken: list[tuple[int, str]] = []
    for number in numbers:
        try:
            loaded.append(store.get(name, number))
        except error as e:  # one damaged archive must not hide the others
            broken.append((number, str(e)))
    if as_json:
        _emit_json(
            {
                "name": name,
                "aliases": aliases,
                "versions": [version_json(v) for v in loaded],
                "unreadable": [{"version": n, "error": msg} for n, msg in broken],
            }
        )
    else:
        print(versions_table(loaded))
        for number, message in broken:
            print(f"ted: version {number} unreadable: {message}", file=sys.stderr)
    return 1 if broken else 0


def run_show(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        version = store.get(args.name, args.ref)
    except _archive_error() as e:
        raise CliError(str(e)) from e
    manifest = version.manifest
    if args.json:
        _emit_json(
            {
                "archive": str(version.archive_path),
                "aliases": list(version.aliases),
                "manifest": manifest.to_dict(),
            }
        )
        return 0
    print(describe_manifest(manifest, str(version.archive_path), version.aliases))
    return 0


def describe_manifest(manifest: Manifest, archive: str, aliases: Sequence[str] = ()) -> str:
    def block(title: str, data: dict[str, Any]) -> list[str]:
        if not data:
            return [f"{title}: -"]
        return [f"{title}:"] + [f"  {k}: {json.dumps(v)}" for k, v in sorted(data.items())]

    lines = [
        f"model:      {manifest.name}",
        f"version:    {manifest.version}"
        + (f"  (aliases: {', '.join(aliases)})" if aliases else ""),
        f"created:    {manifest.created_at}",
        f"format:     {manifest.format_version}",
        f"archive:    {archive}",
    ]
    lines += block("fingerprint", dict(manifest.fingerprint))
    lines += block("config", manifest.config)
    lines += block("metrics", manifest.metrics)
    lines += block("lineage", manifest.lineage)
    lines += block("packages", dict(manifest.packages))
    rows = [[f.path, str(f.size), f.sha256[:16]] for f in manifest.files]
    lines.append(f"files ({len(manifest.files)}, {human_size(manifest.total_size)}):")
    lines += ["  " + line for line in format_table(["PATH", "SIZE", "SHA256"], rows).splitlines()]
    return "\n".join(lines)


def run_verify(args: argparse.Namespace) -> int:
    from ted_archive import ArchiveError, verify_archive

    target = Path(args.target)
    is_file = args.ref is None and (
        target.is_file() or args.target.endswith((".tar.gz", ".tgz", ".zip"))
    )
    if not is_file and args.store is None:
        raise CliError(f"{args.target}: no such archive file (or pass --store to verify a model)")
    try:
        if is_file:
            label = str(target)
            manifest = verify_archive(target)
        else:
            store = open_store(args)
            version = store.get(args.target, args.ref or "latest")
            label = str(version.archive_path)
            manifest = verify_archive(version.archive_path)
    except ArchiveError as e:
        if args.json:
            _emit_json(
                {"ok": False, "target": args.target, "error": type(e).__name__, "message": str(e)}
            )
            return 1
        raise CliError(f"verification failed: {e}") from e
    if args.json:
        _emit_json(
            {
                "ok": True,
                "target": args.target,
                "name": manifest.name,
                "version": manifest.version,
                "files": len(manifest.files),
                "size": manifest.total_size,
            }
        )
    else:
        print(
            f"OK {label}: {manifest.name} version {manifest.version}, "
            f"{len(manifest.files)} files ({human_size(manifest.total_size)}), "
            "every size and sha256 matches the manifest"
        )
    return 0


def run_alias(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        # a corrupt alias file is replaced (or removed): that is how it gets repaired
        old = store.aliases(args.name, skip_corrupt=True).get(args.alias)
        corrupt = store.corrupt_aliases(args.name).get(args.alias)
        was = "a corrupt alias file" if corrupt is not None else f"version {old}"
        if args.remove:
            if args.version is not None:
                raise CliError("give no VERSION with --remove")
            store.remove_alias(args.name, args.alias)
            result: dict[str, Any] = {"name": args.name, "alias": args.alias, "removed": old}
            message = f"removed alias {args.name}:{args.alias} (was {was})"
        else:
            if args.version is None:
                raise CliError("give the VERSION the alias should point to (or --remove)")
            version = store.set_alias(args.name, args.alias, args.version)
            result = {"name": args.name, "alias": args.alias, "version": version, "previous": old}
            moved = f" (moved from version {old})" if old is not None and old != version else ""
            if corrupt is not None:
                moved = " (replaced a corrupt alias file)"
            message = f"{args.name}:{args.alias} -> version {version}{moved}"
        if corrupt is not None:
            result["repaired"] = corrupt
    except _archive_error() as e:
        raise CliError(str(e)) from e
    if args.json:
        _emit_json(result)
    else:
        print(message)
    return 0


def run_rm(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        store.delete(args.name, args.version, force=args.force)
    except _archive_error() as e:
        raise CliError(str(e)) from e
    if args.json:
        _emit_json({"name": args.name, "deleted": [args.version]})
    else:
        print(f"deleted {args.name} version {args.version}")
    return 0


def run_prune(args: argparse.Namespace) -> int:
    if args.keep < 0:
        raise CliError("--keep must be >= 0")
    store = open_store(args)
    try:
        doomed = store.prune(args.name, args.keep, dry_run=args.dry_run)
        remaining = store.versions(args.name)
    except _archive_error() as e:
        raise CliError(str(e)) from e
    if args.json:
        _emit_json(
            {"name": args.name, "dry_run": args.dry_run, "deleted": doomed, "remaining": remaining}
        )
        return 0
    verb = "would delete" if args.dry_run else "deleted"
    listed = ", ".join(map(str, doomed)) if doomed else "nothing"
    print(f"{args.name}: {verb} {listed}; remaining versions: {', '.join(map(str, remaining))}")
    return 0
