"""One definition of a project and one precedence for config: file < --config < overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_data_adapter import DataValidationError
from ted_data_adapter.config import ProjectConfig
from ted_pipeline import (
    ProjectNotFoundError,
    augmentation_factor,
    check_project_dir,
    load_training_project,
    read_config_file,
    ted_config,
)

PROJECT_CONFIG = """\
augmentation_factor: 7
policies:
  - name: MemoizationPolicy
  - name: TEDPolicy
    max_history: 4
    epochs: 30
    learning_rate: 0.002
"""

OTHER_CONFIG = """\
policies:
  - name: rasa.core.policies.ted_policy.TEDPolicy
    max_history: 2
    epochs: 12
"""


@pytest.mark.parametrize("domain", ["domain.yml", "domain.yaml", "domain"])
def test_a_project_is_a_folder_with_a_domain(tmp_path: Path, domain: str) -> None:
    if domain == "domain":
        (tmp_path / "domain").mkdir()
        (tmp_path / "domain" / "intents.yml").write_text("intents: [greet]\n", encoding="utf-8")
    else:
        (tmp_path / domain).write_text("intents: [greet]\n", encoding="utf-8")
    assert check_project_dir(tmp_path) == tmp_path.resolve()


def test_not_a_project_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFoundError, match="not a directory"):
        check_project_dir(tmp_path / "nowhere")
    (tmp_path / "domain.yml").mkdir()  # a folder called domain.yml is not a domain file
    with pytest.raises(ProjectNotFoundError, match=r"no domain\.yml, domain\.yaml or domain/"):
        check_project_dir(tmp_path)


def _config(tmp_path: Path, text: str, name: str = "config.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_ted_entry_then_overrides(tmp_path: Path) -> None:
    config = read_config_file(_config(tmp_path, PROJECT_CONFIG))
    ted = ted_config(config)
    assert (ted.max_history, ted.epochs, ted.learning_rate) == (4, 30, 0.002)
    tuned = ted_config(config, {"epochs": 3, "max_history": 9})
    assert (tuned.max_history, tuned.epochs, tuned.learning_rate) == (9, 3, 0.002)
    assert augmentation_factor(config, None) == 7
    assert augmentation_factor(config, 0) == 0


def test_defaults_without_a_ted_entry(tmp_path: Path) -> None:
    config = read_config_file(_config(tmp_path, "policies:\n  - name: RulePolicy\n"))
    ted = ted_config(config)
    assert (ted.max_history, ted.epochs) == (None, 1)  # Rasa's TEDPolicy defaults
    assert augmentation_factor(ProjectConfig(), None) == 50


def test_a_given_config_file_replaces_the_projects(tmp_path: Path, data_dir: Path) -> None:
    import shutil

    project = tmp_path / "bot"
    shutil.copytree(data_dir / "moodbot", project)
    _config(project, PROJECT_CONFIG)
    other = _config(tmp_path, OTHER_CONFIG, "other.yml")
    own = load_training_project(project)
    given = load_training_project(project, config_file=other)
    assert ted_config(own.config).max_history == 4
    # nothing of the project's config.yml is left: not its learning rate, not augmentation
    replaced = ted_config(given.config)
    assert (replaced.max_history, replaced.epochs, replaced.learning_rate) == (2, 12, 0.001)
    assert augmentation_factor(given.config, None) == 50
    assert given.name == "bot" and given.root == project.resolve()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("policies:\n  - name: TEDPolicy\n    epochs: [1\n", 4, "malformed YAML"),
        ("policies: TEDPolicy\n", 1, "'policies' must be a list"),
        ("policies:\n  - name: TEDPolicy\n  - epochs: 3\n", 3, "with a 'name'"),
        ("- just a list\n", 1, "mapping at the top level"),
    ],
)
def test_a_bad_config_file_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(DataValidationError) as caught:
        read_config_file(path)
    [issue] = caught.value.issues
    assert (issue.file, issue.line) == (str(path), line)
    assert message in issue.message
