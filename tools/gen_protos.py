#!/usr/bin/env python
"""Generate the Python code of the ted.v1 protos into packages/protos.

    tools/gen_protos.py           regenerate packages/protos/src/ted_protos/ted/
    tools/gen_protos.py --check   regenerate into a temporary directory and fail (exit 1)
                                  if anything differs from the committed files

Generates ``*_pb2.py`` (messages), ``*_pb2_grpc.py`` (services) with grpcio-tools' protoc and
``*.pyi`` / ``*_grpc.pyi`` type stubs with mypy-protobuf. protoc writes imports such as
``from ted.v1 import events_pb2``; they are rewritten to the installed package path
``ted_protos.ted.v1`` so the generated modules import each other correctly.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.resources
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "protos"
PACKAGE_SRC = ROOT / "packages" / "protos" / "src" / "ted_protos"
GENERATED_TOP = "ted"  # the proto package ted.v1 -> ted_protos/ted/v1
IMPORT_PREFIX = "ted_protos"

_IMPORT_RE = re.compile(r"^(\s*)(from|import) ted(\.v\d+)", re.MULTILINE)
_MODULE_RE = re.compile(r"(BuildTopDescriptorsAndMessages\(DESCRIPTOR, ')ted(\.v\d+)")
_INIT_TEXT = '"""Generated from protos/ by tools/gen_protos.py; do not edit."""\n'


def _protoc_include() -> str:
    """Directory holding google/protobuf/*.proto as shipped with grpcio-tools."""
    return str(importlib.resources.files("grpc_tools") / "_proto")


def _mypy_plugin() -> str:
    name = "protoc-gen-mypy"
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install the dev dependencies (tools/dev.sh setup)")
    return found


def _mypy_grpc_plugin() -> str:
    name = "protoc-gen-mypy_grpc"
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install the dev dependencies (tools/dev.sh setup)")
    return found


def proto_files() -> list[str]:
    return sorted(p.relative_to(PROTO_ROOT).as_posix() for p in PROTO_ROOT.rglob("*.proto"))


def generate(out_dir: Path) -> None:
    """Write the generated tree ``ted/...`` into ``out_dir``."""
    from grpc_tools import protoc  # dev dependency only

    out_dir.mkdir(parents=True, exist_ok=True)
    files = proto_files()
    if not files:
        raise SystemExit(f"no .proto files under {PROTO_ROOT}")
    args = [
        "grpc_tools.protoc",
        f"--proto_path={PROTO_ROOT}",
        f"--proto_path={_protoc_include()}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--plugin=protoc-gen-mypy={_mypy_plugin()}",
        f"--plugin=protoc-gen-mypy_grpc={_mypy_grpc_plugin()}",
        f"--mypy_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        *files,
    ]
    code = protoc.main(args)
    if code != 0:
        raise SystemExit(f"protoc failed with exit code {code}")
    for path in sorted(out_dir.rglob("*")):
        if path.suffix in (".py", ".pyi"):
            text = path.read_text(encoding="utf-8")
            text = _IMPORT_RE.sub(rf"\1\2 {IMPORT_PREFIX}.ted\3", text)
            text = _MODULE_RE.sub(rf"\1{IMPORT_PREFIX}.ted\2", text)
            path.write_text(text, encoding="utf-8")
    for directory in [out_dir / GENERATED_TOP, *sorted((out_dir / GENERATED_TOP).rglob("*"))]:
        if directory.is_dir():
            (directory / "__init__.py").write_text(_INIT_TEXT, encoding="utf-8")


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh_root = Path(tmp)
        generate(fresh_root)
        fresh = _tree(fresh_root / GENERATED_TOP)
    committed = _tree(PACKAGE_SRC / GENERATED_TOP) if (PACKAGE_SRC / GENERATED_TOP).exists() else {}
    problems: list[str] = []
    for name in sorted(fresh.keys() - committed.keys()):
        problems.append(f"missing from the package: {name}")
    for name in sorted(committed.keys() - fresh.keys()):
        problems.append(f"not generated from protos/ (stale?): {name}")
    for name in sorted(fresh.keys() & committed.keys()):
        if fresh[name] != committed[name]:
            diff = difflib.unified_diff(
                committed[name].splitlines(),
                fresh[name].splitlines(),
                f"committed/{name}",
                f"generated/{name}",
                lineterm="",
                n=1,
            )
            problems.append("\n".join(list(diff)[:40]))
    if problems:
        print("generated protobuf code is out of date; run tools/gen_protos.py", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    print(f"generated protobuf code is up to date ({len(fresh)} files)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed code differs from protos/"
    )
    args = parser.parse_args(argv)
    if args.check:
        return check()
    target = PACKAGE_SRC / GENERATED_TOP
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(Path(tmp) / GENERATED_TOP, target)
    print(f"wrote {len(_tree(target))} files to {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
