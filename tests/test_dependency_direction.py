"""Imports between the distributions run one way only, and every one of them is declared.

Reads the sources (``ast``) and each ``pyproject.toml``; nothing is imported. The allowed
graph: fingerprint, archive, data-adapter and protos stand alone; ted-model stands on
data-adapter; ted-pipeline (the composition) on those four; the services on the pipeline
(and the client's TLS and token code);
the light client on protos and data-adapter's event types; the CLI on fingerprint and
archive at import time, everything else only inside its commands.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = sorted([*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")])

# the services, on the pipeline and the client's TLS and token code (ted_client.security)
SERVICES = {
    "ted-protos",
    "ted-client",
    "ted-archive",
    "ted-data-adapter",
    "ted-model",
    "ted-pipeline",
}
ALLOWED: dict[str, set[str]] = {
    "ted-fingerprint": set(),
    "ted-archive": set(),
    "ted-data-adapter": set(),
    "ted-protos": set(),
    "ted-model": {"ted-data-adapter"},
    "ted-pipeline": {"ted-fingerprint", "ted-archive", "ted-data-adapter", "ted-model"},
    "ted-client": {"ted-protos", "ted-data-adapter", "ted-cli"},
    "ted-cli": {
        "ted-fingerprint",
        "ted-archive",
        "ted-data-adapter",
        "ted-model",
        "ted-pipeline",
        "ted-client",
        "ted-predictor",
        "ted-trainer",
    },
    "ted-predictor": SERVICES,
    "ted-trainer": SERVICES,
}
# What the CLI may import when it starts (``ted models ls`` must stay light).
CLI_AT_IMPORT = {"ted-fingerprint", "ted-archive"}


def _distribution(pyproject: Path) -> tuple[str, str, set[str]]:
    """(distribution, import name, declared sibling requirements incl. extras)."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    names = {_requirement_name(r) for r in requirements}
    [package] = data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    return project["name"], Path(package).name, {n for n in names if n.startswith("ted-")}


def _requirement_name(requirement: str) -> str:
    for stop in "[<>=!~; ":
        requirement = requirement.split(stop)[0]
    return requirement.strip()


DISTRIBUTIONS = {name: (module, declared) for name, module, declared in map(_distribution, FOLDERS)}
BY_MODULE = {module: name for name, (module, _) in DISTRIBUTIONS.items()}


def _imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(top-level module, line, at module level) of every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno, id(node) in top_level
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno, id(node) in top_level


def _sibling_imports(folder: Path) -> Iterator[tuple[str, str, bool]]:
    """(distribution imported, file:line, at module level) for the sources under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        for module, line, at_top in _imports(path):
            if module in BY_MODULE:
                yield BY_MODULE[module], f"{path.relative_to(ROOT)}:{line}", at_top


def test_every_distribution_is_known() -> None:
    assert set(DISTRIBUTIONS) == set(ALLOWED)


@pytest.mark.parametrize("pyproject", FOLDERS, ids=lambda p: p.parent.name)
def test_imports_run_downward_and_are_declared(pyproject: Path) -> None:
    name, module, declared = _distribution(pyproject)
    upward, undeclared = [], []
    for imported, where, _ in _sibling_imports(pyproject.parent / "src" / module):
        if imported == name:
            continue
        if imported not in ALLOWED[name]:
            upward.append(f"{where}: {name} imports {imported}")
        elif imported not in declared:
            undeclared.append(f"{where}: {name} imports {imported} but does not require it")
    assert upward == [], "imports against the allowed direction:\n" + "\n".join(upward)
    assert undeclared == [], "\n".join(undeclared)


def test_declared_requirements_follow_the_same_direction() -> None:
    wrong = [
        f"{name} requires {required}"
        for name, (_, declared) in DISTRIBUTIONS.items()
        for required in declared
        if required not in ALLOWED[name] | {name}
    ]
    assert wrong == []


def test_ted_model_stands_on_data_adapter_only() -> None:
    _, declared = DISTRIBUTIONS["ted-model"]
    assert declared == {"ted-data-adapter"}


def test_the_cli_imports_heavy_packages_only_inside_its_commands() -> None:
    heavy = [
        f"{where}: {imported} at import time"
        for imported, where, at_top in _sibling_imports(ROOT / "packages" / "cli" / "src")
        if at_top and imported not in CLI_AT_IMPORT | {"ted-cli"}
    ]
    assert heavy == []


def test_benchmarks_import_no_cli_command_module() -> None:
    found = []
    for path in sorted((ROOT / "tools").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.startswith("ted_cli.commands") for n in names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
