"""Loading a whole project: domain, stories, rules, test stories and config, all validated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ted_data_adapter.config import ProjectConfig
from ted_data_adapter.domain import Domain, load_domain
from ted_data_adapter.errors import DataValidationError, Issue
from ted_data_adapter.events import Event
from ted_data_adapter.gc_pause import gc_paused
from ted_data_adapter.stories_markdown import read_story_markdown
from ted_data_adapter.stories_yaml import read_story_yaml
from ted_data_adapter.story import StoryBlock
from ted_data_adapter.story_graph import (
    DEFAULT_AUGMENTATION_FACTOR,
    ExpandedStory,
    augment,
    expand_blocks,
)
from ted_data_adapter.validation import validate_block, validate_checkpoints
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
    path: Path, display: str, issues: list[Issue], test: bool = False
) -> list[StoryBlock]:
    """Blocks from one YAML or Markdown file; problems are appended to ``issues``."""
    if path.suffix == ".md":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            issues.append(Issue(display, 0, f"cannot read file: {e}"))
            return []
        return read_story_markdown(text, display, issues, test=test)
    try:
        data = load_yaml(path, display)
    except YamlProblem as e:
        issues.append(e.issue)
        return []
    return read_story_yaml(data, display, issues, test=test)


def _check(blocks: Iterable[StoryBlock], domain: Domain) -> list[Issue]:
    return [issue for block in blocks for issue in validate_block(block, domain)]


def load_project(path: str | Path) -> Project:
    """Read and validate a project directory; all problems are raised together."""
    root = Path(path)
    if not root.is_dir():
        raise DataValidationError([Issue(str(root), 0, "project directory not found")])
    issues: list[Issue] = []
    domain_path = _find_domain(root)
    domain: Domain | None = None
    try:
        domain = load_domain(domain_path)
    except DataValidationError as e:
        issues.extend(e.issues)
    files = [domain_path, *_data_files(root)]
    stories: list[StoryBlock] = []
    rules: list[StoryBlock] = []
    for file in _data_files(root):
        for block in read_story_file(file, str(file), issues):
            (rules if block.kind == "rule" else stories).append(block)
    tests: list[StoryBlock] = []
    for file in _test_files(root):
        files.append(file)
        tests.extend(read_story_file(file, str(file), issues, test=True))
    config = ProjectConfig()
    config_path = root / "config.yml"
    if config_path.is_file():
        files.append(config_path)
        try:
            config = ProjectConfig.load(config_path)
        except DataValidationError as e:
            issues.extend(e.issues)
    if domain is not None:
        issues.extend(_check([*stories, *rules, *tests], domain))
    issues.extend(validate_checkpoints(stories))
    issues.extend(validate_checkpoints(rules))
    if not any(block.kind == "story" for block in stories):
        issues.append(Issue(str(root / "data"), 0, "the project has no stories"))
    if issues or domain is None:
        raise DataValidationError(issues)
    return Project(
        root=root,
        domain=domain,
        stories=stories,
        rules=rules,
        test_stories=tests,
        config=config,
        files=[str(f) for f in files if f.exists()],
    )


def story_files(path: str | Path) -> list[Path]:
    """The story file itself, or every story file (.yml, .yaml, .md) below a folder, sorted."""
    root = Path(path)
    if root.is_dir():
        return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (*_YAML, ".md"))
    return [root]


def load_story_blocks(path: str | Path, *, test: bool = True) -> list[StoryBlock]:
    """Parsed story blocks of a file or folder, checkpoints checked, not yet validated
    against a domain. Unreadable or malformed files raise DataValidationError (file:line)."""
    issues: list[Issue] = []
    blocks: list[StoryBlock] = []
    for file in story_files(path):
        if not file.exists():
            issues.append(Issue(str(file), 0, "file not found"))
            continue
        blocks.extend(read_story_file(file, str(file), issues, test=test))
    issues.extend(validate_checkpoints(blocks))
    if issues:
        raise DataValidationError(issues)
    return blocks


def load_stories(path: str | Path, domain: Domain) -> list[ExpandedStory]:
    """Stories from a file or directory (e.g. test stories), validated against ``domain``."""
    issues: list[Issue] = []
    blocks: list[StoryBlock] = []
    try:
        blocks = load_story_blocks(path)
    except DataValidationError as e:
        issues.extend(e.issues)
    issues.extend(_check(blocks, domain))
    if issues:
        raise DataValidationError(issues)
    return expand_blocks(blocks)
