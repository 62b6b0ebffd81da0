"""Loading a whole project: domain, stories, rules, test stories and config, all validated.

Errors (what stops ``rasa train``) are raised together; warnings (what Rasa only warns
about) are kept with the project and logged, and ``strict=True`` raises them as errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ted_data_adapter.config import ProjectConfig
from ted_data_adapter.domain import Domain, read_domain, with_actions
from ted_data_adapter.errors import DataValidationError, Issue
from ted_data_adapter.events import ActionExecuted, Event
from ted_data_adapter.gc_pause import gc_paused
from ted_data_adapter.report import Findings, finish
from ted_data_adapter.retrieval import is_retrieval_response
from ted_data_adapter.stories_markdown import read_story_markdown
from ted_data_adapter.stories_yaml import read_story_yaml
from ted_data_adapter.story import StoryBlock
from ted_data_adapter.story_graph import (
    DEFAULT_AUGMENTATION_FACTOR,
    ExpandedStory,
    augment,
    expand_blocks,
)
from ted_data_adapter.validation import check_block, validate_checkpoints
from ted_data_adapter.yaml_lines import YamlProblem, load_yaml

_YAML = (".yml", ".yaml")
_SKIP_ROOT = {"domain", "config", "credentials", "endpoints"}


@dataclass
class Project:
    """A validated project; ``training_conversations`` gives what the featurizer consumes."""

    root: Path
    domain: Domain
    stories: list[StoryBlock]
    rules: list[StoryBlock]
    test_stories: list[StoryBlock]
    config: ProjectConfig = field(default_factory=ProjectConfig)
    files: list[str] = field(default_factory=list)
    # what Rasa only warns about (file:line), sorted; the data above is cleaned as Rasa would
    warnings: list[Issue] = field(default_factory=list)

    def training_stories(
        self, augmentation_factor: int | None = None, seed: int = 42, use_rules: bool = False
    ) -> list[ExpandedStory]:
        """Complete stories (checkpoints joined, ``or`` expanded) plus augmented ones."""
        if augmentation_factor is None:
            augmentation_factor = int(
                self.config.raw.get("augmentation_factor", DEFAULT_AUGMENTATION_FACTOR)
            )
        with gc_paused():
            stories = expand_blocks(self.stories)
        extra = augment(stories, augmentation_factor, seed)
        rules = expand_blocks(self.rules) if use_rules else []
        return [*stories, *extra, *rules]

    def training_conversations(
        self, augmentation_factor: int | None = None, seed: int = 42, use_rules: bool = False
    ) -> list[tuple[Event, ...]]:
        """Event sequences to featurize (ending in ``action_listen`` unless a rule says not)."""
        return [s.events for s in self.training_stories(augmentation_factor, seed, use_rules)]

    def test_conversations(self) -> list[ExpandedStory]:
        return expand_blocks(self.test_stories)


DOMAIN_NAMES = ("domain.yml", "domain.yaml", "domain")


def find_domain(root: str | Path) -> Path | None:
    """The domain of a project folder: ``domain.yml``, ``domain.yaml`` or a ``domain/`` folder.

    This is what makes a folder a project; None when it has none of them.
    """
    for candidate in DOMAIN_NAMES:
        path = Path(root) / candidate
        if (candidate == "domain" and path.is_dir()) or (candidate != "domain" and path.is_file()):
            return path
    return None


def _find_domain(root: Path) -> Path:
    return find_domain(root) or root / "domain.yml"


def _data_files(root: Path) -> list[Path]:
    data = root / "data"
    if data.is_dir():
        return sorted(p for p in data.rglob("*") if p.is_file() and p.suffix in (*_YAML, ".md"))
    return sorted(
        p
        for p in root.iterdir()
        if p.is_file()
        and p.suffix in (*_YAML, ".md")
        and p.stem not in _SKIP_ROOT
        and p.name != "README.md"
    )


def _test_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for name in ("tests", "test"):
        folder = root / name
        if folder.is_dir():
            out.extend(
                sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (*_YAML, ".md"))
            )
    return out


def read_story_file(
    path: Path, display: str, found: Findings, test: bool = False
) -> list[StoryBlock]:
    """Blocks from one YAML or Markdown file; problems are added to ``found``."""
    return _read_file(path, display, found, test)[0]


def _read_file(
    path: Path, display: str, found: Findings, test: bool = False
) -> tuple[list[StoryBlock], Any]:
    """Blocks of one story file and its ``responses:`` (YAML; Rasa merges them in the domain)."""
    if path.suffix == ".md":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            found.error(display, 0, f"cannot read file: {e}")
            return [], None
        return read_story_markdown(text, display, found, test=test), None
    try:
        data = load_yaml(path, display)
    except YamlProblem as e:
        found.errors.append(e.issue)
        return [], None
    responses = data.get("responses") if isinstance(data, dict) else None
    return read_story_yaml(data, display, found, test=test), responses


def _checked(blocks: Iterable[StoryBlock], domain: Domain, found: Findings) -> list[StoryBlock]:
    """The blocks as they train (see ``check_block``); left-out blocks are dropped."""
    return [kept for block in blocks if (kept := check_block(block, domain, found)) is not None]


def _run_retrieval_responses(blocks: Iterable[StoryBlock], domain: Domain) -> list[str]:
    """Retrieval responses (``utter_faq/ask_x``) that a story runs as an action itself."""
    responses = {name for name in domain.responses if is_retrieval_response(name)}
    return [
        located.event.name
        for block in blocks
        for located in block.located_events()
        if isinstance(located.event, ActionExecuted) and located.event.name in responses
    ]


def load_project(path: str | Path, *, include_tests: bool = True, strict: bool = False) -> Project:
    """Read and validate a project directory.

    Every error is raised together in one DataValidationError; warnings (what Rasa only warns
    about) are logged, kept in ``Project.warnings``, and with ``strict`` raised as errors.
    ``include_tests=False`` leaves ``tests/`` unread (training never needs it).
    """
    root = Path(path)
    if not root.is_dir():
        raise DataValidationError([Issue(str(root), 0, "project directory not found")])
    found = Findings()
    data_files = _data_files(root)
    stories: list[StoryBlock] = []
    rules: list[StoryBlock] = []
    responses: list[tuple[Any, str]] = []
    for file in data_files:
        blocks, raw_responses = _read_file(file, str(file), found)
        for block in blocks:
            (rules if block.kind == "rule" else stories).append(block)
        if raw_responses:
            responses.append((raw_responses, str(file)))
    domain_path = _find_domain(root)
    domain: Domain | None = None
    read = 0
    try:
        domain = read_domain(domain_path, responses=responses)
    except DataValidationError as e:
        found.add_error(e)
    files = [domain_path, *data_files]
    tests: list[StoryBlock] = []
    if include_tests:
        for file in _test_files(root):
            files.append(file)
            tests.extend(read_story_file(file, str(file), found, test=True))
    config = ProjectConfig()
    config_path = root / "config.yml"
    if config_path.is_file():
        files.append(config_path)
        try:
            config = ProjectConfig.read(config_path)
        except DataValidationError as e:
            found.add_error(e)
    found.warnings.extend(config.warnings)
    if domain is not None:
        found.warnings.extend(domain.warnings)
        domain = with_actions(domain, _run_retrieval_responses([*stories, *rules, *tests], domain))
        read = sum(block.kind == "story" for block in stories)
        stories = _checked(stories, domain, found)
        rules = _checked(rules, domain, found)
        tests = _checked(tests, domain, found)
    found.warnings.extend(validate_checkpoints(stories))
    found.warnings.extend(validate_checkpoints(rules))
    if not any(block.kind == "story" for block in stories):
        message = "the project has no stories"
        if read:
            message = f"no story is left to train ({read} left out, see the warnings)"
        found.error(str(root / "data"), 0, message)
    warnings = finish(found, strict)
    assert domain is not None  # without a domain there are errors, and finish raised them
    return Project(
        root=root,
        domain=domain,
        stories=stories,
        rules=rules,
        test_stories=tests,
        config=config,
        files=[str(f) for f in files if f.exists()],
        warnings=warnings,
    )


def story_files(path: str | Path) -> list[Path]:
    """The story file itself, or every story file (.yml, .yaml, .md) below a folder, sorted."""
    root = Path(path)
    if root.is_dir():
        return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (*_YAML, ".md"))
    return [root]


def _read_blocks(path: str | Path, test: bool, found: Findings) -> list[StoryBlock]:
    blocks: list[StoryBlock] = []
    for file in story_files(path):
        if not file.exists():
            found.error(str(file), 0, "file not found")
            continue
        blocks.extend(read_story_file(file, str(file), found, test=test))
    found.warnings.extend(validate_checkpoints(blocks))
    return blocks


def _keep_warnings(issues: list[Issue], into: list[Issue] | None) -> None:
    if into is not None:
        into.extend(issues)


def load_story_blocks(
    path: str | Path,
    *,
    test: bool = True,
    strict: bool = False,
    warnings: list[Issue] | None = None,
) -> list[StoryBlock]:
    """Parsed story blocks of a file or folder, checkpoints checked, not yet validated
    against a domain. Unreadable or malformed files raise DataValidationError (file:line);
    warnings are logged and appended to ``warnings`` when given (errors with ``strict``)."""
    found = Findings()
    blocks = _read_blocks(path, test, found)
    _keep_warnings(finish(found, strict), warnings)
    return blocks


def load_stories(
    path: str | Path,
    domain: Domain,
    *,
    strict: bool = False,
    warnings: list[Issue] | None = None,
) -> list[ExpandedStory]:
    """Stories from a file or directory (e.g. test stories), validated against ``domain``.

    Errors raise DataValidationError; warnings are logged and appended to ``warnings`` when
    given (raised as errors with ``strict``). Stories a warning leaves out are not returned.
    """
    found = Findings()
    blocks = _checked(_read_blocks(path, True, found), domain, found)
    _keep_warnings(finish(found, strict), warnings)
    return expand_blocks(blocks)
