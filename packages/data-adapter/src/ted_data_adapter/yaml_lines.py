"""YAML loading that remembers line numbers, so every problem can name ``file:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ted_data_adapter.errors import Issue
from ted_data_adapter.gc_pause import gc_paused

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[Any, Any]):
    """A mapping from YAML with the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence from YAML with the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _LineLoader(_BaseLoader):
    pass


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names the same key twice (Rasa's loader refuses it too)."""

    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r} (first at line {first})")
        self.line = line


def _check_duplicates(node: yaml.MappingNode) -> None:
    """Keys written twice in one mapping (merged ``<<`` keys may be overridden)."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
            continue
        line = key_node.start_mark.line + 1
        if key_node.value in seen:
            raise DuplicateKeyError(key_node.value, line, seen[key_node.value])
        seen[key_node.value] = line


def _construct_map(loader: Any, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    _check_duplicates(node)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class YamlProblem(Exception):
    """Malformed YAML; carries the Issue with the line where the parser stopped."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Parse one YAML file into LineDict/LineList objects; malformed YAML -> YamlProblem."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise YamlProblem(Issue(name, 0, f"cannot read file: {e}")) from e
    try:
        with gc_paused():
            return yaml.load(text, Loader=_LineLoader)
    except DuplicateKeyError as e:
        raise YamlProblem(Issue(name, e.line, str(e))) from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = e.problem or e.context or "malformed YAML"
        raise YamlProblem(Issue(name, line, f"malformed YAML: {problem}")) from e
    except yaml.YAMLError as e:
        raise YamlProblem(Issue(name, 0, f"malformed YAML: {e}")) from e


def line_of(container: Any, key: Any, default: int = 0) -> int:
    """Line of ``key`` in a LineDict / LineList, or of the container, or ``default``."""
    if isinstance(container, (LineDict, LineList)):
        return container.line_of(key)
    return default


def own_line(obj: Any, default: int = 0) -> int:
    """Line where a LineDict / LineList starts, or ``default`` for plain values."""
    return int(getattr(obj, "line", default) or default)
