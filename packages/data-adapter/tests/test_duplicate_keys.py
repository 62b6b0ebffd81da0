"""A key written twice in one mapping is an error at its line (Rasa's loader refuses it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_data_adapter import DataValidationError, load_project

DOMAIN = 'version: "3.1"\nintents: [greet]\nresponses:\n  utter_greet: [{text: hi}]\n'


def _project(tmp_path: Path, domain: str, stories: str) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "domain.yml").write_text(domain, encoding="utf-8")
    (tmp_path / "data" / "stories.yml").write_text(stories, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("domain", "stories", "where", "key"),
    [
        (
            DOMAIN + "intents: [bye]\n",
            "stories:\n- story: s\n  steps:\n  - intent: greet\n  - action: utter_greet\n",
            "domain.yml:5",
            "intents",
        ),
        (
            DOMAIN,
            "stories:\n- story: s\n  steps:\n  - intent: greet\n    intent: bye\n"
            "  - action: utter_greet\n",
            "stories.yml:5",
            "intent",
        ),
        (
            DOMAIN,
            "stories:\n- story: s\n  steps:\n  - intent: greet\n"
            "  steps:\n  - action: utter_greet\n",
            "stories.yml:5",
            "steps",
        ),
    ],
    ids=["two intents: in a domain", "two intent: in a step", "two steps: in a story"],
)
def test_duplicate_keys_are_errors_with_file_and_line(
    tmp_path: Path, domain: str, stories: str, where: str, key: str
) -> None:
    with pytest.raises(DataValidationError) as caught:
        load_project(_project(tmp_path, domain, stories))
    messages = [str(issue) for issue in caught.value.issues]
    assert any(where in m and f"duplicate key '{key}'" in m for m in messages), messages


def test_a_merge_key_may_be_overridden(tmp_path: Path) -> None:
    stories = (
        "stories:\n- story: s\n  steps:\n  - &greet {intent: greet}\n"
        "  - <<: *greet\n    intent: greet\n  - action: utter_greet\n"
    )
    project = load_project(_project(tmp_path, DOMAIN, stories))
    assert len(project.stories) == 1
