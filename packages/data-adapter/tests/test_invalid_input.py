"""Each kind of bad input is reported with its file, line and what is wrong, all at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ted_data_adapter import DataValidationError, load_domain, load_project, load_stories

DOMAIN = """\
version: "3.1"
intents:
  - greet
  - inform
entities:
  - city
slots:
  city:
    type: text
    mappings:
      - type: from_entity
        entity: city
  size:
    type: categorical
    values: [small, large]
    mappings:
      - type: custom
forms:
  trip_form:
    required_slots: [city]
responses:
  utter_greet:
    - text: hi
"""

GOOD_STORY = """\
version: "3.1"
stories:
  - story: fine
    steps:
      - intent: greet
      - action: utter_greet
"""


def make_project(tmp_path: Path, stories: str, domain: str = DOMAIN) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "domain.yml").write_text(domain)
    (tmp_path / "data" / "good.yml").write_text(GOOD_STORY)
    (tmp_path / "data" / "bad.yml").write_text(stories)
    return tmp_path


def problems(path: Path) -> list[str]:
    with pytest.raises(DataValidationError) as info:
        load_project(path)
    return [str(issue) for issue in info.value.issues]


def story(*steps: str) -> str:
    body = "".join(f"      {step}\n" for step in steps)
    return f'version: "3.1"\nstories:\n  - story: bad\n    steps:\n{body}'


# The steps of story() start on line 5.
CASES = [
    (
        story("- intent: greet", "- action: utter_greet", "- intent: shout"),
        7,
        "unknown intent 'shout'",
    ),
    (story("- intent: greet", "- action: utter_wave"), 6, "unknown action 'utter_wave'"),
    (story("- intent: greet", "- slot_was_set:", "  - colour: red"), 7, "unknown slot 'colour'"),
    (
        story("- intent: greet", "  entities:", "  - planet: mars", "- action: utter_greet"),
        5,
        "unknown entity 'planet'",
    ),
    (
        story("- intent: greet", "- slot_was_set:", "  - size: huge"),
        7,
        "value 'huge' is not one of the values (small, large) of slot 'size'",
    ),
    (
        story("- intent: greet", "- action: utter_greet", "- active_loop: trip_form"),
        7,
        "active_loop 'trip_form' must directly follow 'action: trip_form'",
    ),
    (
        story("- intent: greet", "- action: trip_form", "- active_loop: utter_greet"),
        7,
        "active_loop 'utter_greet' is not a form",
    ),
    (
        story("- intent: greet", "- action: utter_greet", "- checkpoint: later"),
        7,
        "checkpoint 'later' ends this story but no story starts with it",
    ),
    (
        story("- checkpoint: earlier", "- intent: greet", "- action: utter_greet"),
        5,
        "checkpoint 'earlier' starts this story but no story ends with it",
    ),
    (story("- intent: greet", "- bot: hello there"), 6, "'bot' text steps"),
    (story("- intent: greet", "- wave: now"), 6, "unknown step key(s) wave"),
    (story("- intent: greet", "- action: [utter_greet", "- intent: inform"), 7, "malformed YAML"),
    (story("- intent: greet", "  action: utter_greet", " - oops"), 7, "malformed YAML"),
]


@pytest.mark.parametrize(("content", "line", "message"), CASES)
def test_story_problems_name_file_line_and_problem(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    found = problems(make_project(tmp_path, content))
    expected = f"{tmp_path / 'data' / 'bad.yml'}:{line}: "
    assert any(p.startswith(expected) and message in p for p in found), found


def test_all_problems_are_collected(tmp_path: Path) -> None:
    content = story("- intent: shout", "- action: utter_wave", "- slot_was_set:", "  - colour: red")
    found = problems(make_project(tmp_path, content))
    assert len(found) == 3
    assert [int(p.split(":")[1]) for p in found] == [5, 6, 8]


def test_domain_problems(tmp_path: Path) -> None:
    domain = DOMAIN.replace("type: text", "type: textual").replace(
        "required_slots: [city]", "required_slots: [city, budget]"
    )
    (tmp_path / "domain.yml").write_text(domain)
    with pytest.raises(DataValidationError) as info:
        load_domain(tmp_path / "domain.yml")
    text = str(info.value)
    assert f"{tmp_path / 'domain.yml'}:9: slot 'city' has unknown type 'textual'" in text
    assert re.search(r"domain.yml:\d+: form 'trip_form' requires unknown slot 'budget'", text)


def test_missing_project_and_no_stories(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="project directory not found"):
        load_project(tmp_path / "nope")
    (tmp_path / "domain.yml").write_text(DOMAIN)
    with pytest.raises(DataValidationError, match="the project has no stories"):
        load_project(tmp_path)


def test_legacy_markdown_problems(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text(DOMAIN)
    (tmp_path / "stories.md").write_text(
        '## one\n* greet\n   - utter_greet\n* inform{"city": oops}\n   - utter_shout\n'
    )
    found = problems(tmp_path)
    path = tmp_path / "stories.md"
    assert any(p.startswith(f"{path}:4: invalid JSON") for p in found), found
    assert f"{path}:5: unknown action 'utter_shout' (not in the domain)" in found


def test_test_stories_are_validated(tmp_path: Path) -> None:
    domain = load_domain(make_project(tmp_path, GOOD_STORY) / "domain.yml")
    bad = tmp_path / "test_stories.yml"
    bad.write_text("stories:\n- story: t\n  steps:\n  - user: hi\n    intent: hello\n")
    with pytest.raises(DataValidationError, match=r"test_stories.yml:4: unknown intent 'hello'"):
        load_stories(bad, domain)


def test_story_conflicts_name_both_stories(tmp_path: Path) -> None:
    from ted_data_adapter import Vocabulary, find_story_conflicts

    conflicting = story("- intent: greet", "- action: trip_form")
    project = load_project(make_project(tmp_path, conflicting))
    stories = project.training_stories(augmentation_factor=0)
    issues = find_story_conflicts(stories, Vocabulary.from_domain(project.domain), 3)
    assert len(issues) == 1
    issue = issues[0]
    # data/bad.yml is read before data/good.yml, so the later story is the one reported
    assert (issue.file, issue.line) == (str(tmp_path / "data" / "good.yml"), 6)
    assert "'fine' runs 'utter_greet' where 'bad'" in issue.message
    assert f"{tmp_path / 'data' / 'bad.yml'}:6) runs 'trip_form'" in issue.message
