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


def warnings_of(path: Path) -> list[str]:
    return [str(issue) for issue in load_project(path).warnings]


# The steps of story() start on line 5.
CASES = [
    (story("- intent: greet", "- action: utter_wave"), 6, "unknown action 'utter_wave'"),
    (story("- intent: greet", "- slot_was_set:", "  - colour: red"), 7, "unknown slot 'colour'"),
    (
        story("- intent: greet", "- action: trip_form", "- active_loop: planet_form"),
        7,
        "active_loop 'planet_form' is not a form",
    ),
    (story("- intent: greet", "- wave: now"), 6, "unknown step key(s) wave"),
    (story("- intent: greet", "- action: [utter_greet", "- intent: inform"), 7, "malformed YAML"),
    (story("- intent: greet", "  action: utter_greet", " - oops"), 7, "malformed YAML"),
]

# What Rasa only warns about (and trains anyway) is a warning, with the same file:line.
# These cases were errors before; Rasa 3.6 trains each of them.
WARNING_CASES = [
    (
        story("- intent: greet", "- action: utter_greet", "- intent: shout"),
        7,
        "unknown intent 'shout' (not in the domain); the story is left out",
    ),
    (
        story("- intent: greet", "  entities:", "  - planet: mars", "- action: utter_greet"),
        5,
        "unknown entity 'planet' (not in the domain); left out",
    ),
    (
        story("- intent: greet", "- slot_was_set:", "  - size: huge"),
        7,
        "value 'huge' is not one of the values (small, large) of slot 'size'; it counts as "
        "'__other__'",
    ),
    (
        story("- intent: greet", "- action: utter_greet", "- active_loop: trip_form"),
        7,
        "active_loop 'trip_form' does not directly follow 'action: trip_form'",
    ),
    (
        story("- intent: greet", "- action: trip_form", "- active_loop: utter_greet"),
        7,
        "active_loop 'utter_greet' is an action but not a form",
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
    (story("- intent: greet", "- bot: hello there"), 6, "'bot:' step has only text"),
]


@pytest.mark.parametrize(("content", "line", "message"), CASES)
def test_story_problems_name_file_line_and_problem(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    found = problems(make_project(tmp_path, content))
    expected = f"{tmp_path / 'data' / 'bad.yml'}:{line}: "
    assert any(p.startswith(expected) and message in p for p in found), found


@pytest.mark.parametrize(("content", "line", "message"), WARNING_CASES)
def test_story_warnings_name_file_line_and_problem(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    found = warnings_of(make_project(tmp_path, content))
    expected = f"{tmp_path / 'data' / 'bad.yml'}:{line}: "
    assert any(p.startswith(expected) and message in p for p in found), found


def test_all_problems_are_collected(tmp_path: Path) -> None:
    content = story("- intent: shout", "- action: utter_wave", "- slot_was_set:", "  - colour: red")
    with pytest.raises(DataValidationError) as info:
        load_project(make_project(tmp_path, content))
    assert [issue.line for issue in info.value.issues] == [6, 8]
    # the unknown intent is a warning (Rasa trains such stories), reported beside the errors
    assert [issue.line for issue in info.value.warnings] == [5]
    assert "unknown intent 'shout'" in info.value.warnings[0].message


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
    with pytest.raises(DataValidationError) as info:
        load_project(tmp_path)
    path = tmp_path / "stories.md"
    assert [str(issue) for issue in info.value.issues] == [
        f"{path}:5: unknown action 'utter_shout' (not in the domain)"
    ]
    # bad entity JSON after an intent: Rasa warns and reads the turn without entities
    [warning] = info.value.warnings
    assert str(warning).startswith(f"{path}:4: invalid JSON")


def test_test_stories_are_validated(tmp_path: Path) -> None:
    domain = load_domain(make_project(tmp_path, GOOD_STORY) / "domain.yml")
    bad = tmp_path / "test_stories.yml"
    bad.write_text("stories:\n- story: t\n  steps:\n  - user: hi\n    intent: hello\n")
    # an unknown intent is a warning (as in Rasa); the story is left out
    warnings: list = []
    assert load_stories(bad, domain, warnings=warnings) == []
    assert [str(w) for w in warnings] == [
        f"{bad}:4: unknown intent 'hello' (not in the domain); the test story is left out of "
        "training"
    ]
    with pytest.raises(DataValidationError, match=r"test_stories.yml:4: unknown intent 'hello'"):
        load_stories(bad, domain, strict=True)


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
