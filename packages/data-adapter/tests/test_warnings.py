"""Warnings like Rasa's: what Rasa only warns about is kept with file:line and does not stop a
load; errors still stop it; ``strict`` makes warnings errors; each warning is logged once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ted_data_adapter import (
    DataValidationError,
    SlotSet,
    StateFeaturizer,
    Vocabulary,
    load_domain,
    load_project,
    load_story_blocks,
)

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
        intent: inform
      - type: from_intent
        intent: tell_city
        value: Berlin
  size:
    type: categorical
    values: [small, large]
    mappings:
      - type: from_entity
        entity: planet
forms:
  trip_form:
    required_slots: [city]
responses:
  utter_greet:
    - text: hi
"""

STORIES = """\
version: "3.1"
stories:
  - story: greet
    steps:
      - intent: greet
      - action: utter_greet
  - story: huge
    steps:
      - intent: greet
      - slot_was_set:
          - size: huge
      - action: utter_greet
  - story: already in the form
    steps:
      - active_loop: trip_form
      - intent: inform
      - action: trip_form
      - active_loop: null
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def bot(tmp_path: Path) -> Path:
    return write(tmp_path, {"domain.yml": DOMAIN, "data/stories.yml": STORIES})


def test_what_rasa_only_warns_about_is_a_warning_with_file_and_line(bot: Path) -> None:
    project = load_project(bot)
    domain, stories = str(bot / "domain.yml"), str(bot / "data" / "stories.yml")
    assert [(w.file, w.line, w.message) for w in project.warnings] == [
        (
            stories,
            11,
            "value 'huge' is not one of the values (small, large) of slot 'size'; it counts "
            "as '__other__'",
        ),
        (
            stories,
            15,
            "story 'already in the form' begins with active_loop 'trip_form' (the form is "
            "active from the start)",
        ),
        (
            domain,
            14,
            "slot 'city' mapping names unknown intent 'tell_city'; the mapping is skipped",
        ),
        (
            domain,
            21,
            "slot 'size' maps from unknown entity 'planet'; the mapping is skipped",
        ),
    ]
    # nothing is left out: Rasa trains all three stories
    assert [s.name for s in project.stories] == ["greet", "huge", "already in the form"]


def test_the_data_is_what_rasa_trains(bot: Path) -> None:
    project = load_project(bot)
    [city_mapping] = project.domain.slots["city"].mappings  # from_intent one skipped
    assert city_mapping.type == "from_entity"
    assert project.domain.slots["size"].mappings == ()
    size = project.domain.slots["size"]
    huge = next(
        e.event
        for block in project.stories
        for e in block.located_events()
        if isinstance(e.event, SlotSet) and e.event.name == "size"
    )
    assert huge == SlotSet("size", "huge")
    assert size.encode("huge") == [0.0, 0.0, 1.0]  # small, large, __other__
    vocab = Vocabulary.from_domain(project.domain)
    StateFeaturizer(vocab).featurize(project.training_conversations(0), max_history=3)


def test_strict_raises_the_warnings_as_errors(bot: Path) -> None:
    with pytest.raises(DataValidationError) as info:
        load_project(bot, strict=True)
    assert len(info.value.issues) == 4
    assert info.value.issues == info.value.warnings
    assert "slot 'city' mapping names unknown intent 'tell_city'" in str(info.value)


def test_every_warning_is_logged_once(bot: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ted_data_adapter"):
        project = load_project(bot)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("ted_data_adapter")]
    assert logged == [w.warning_text() for w in project.warnings]
    assert logged[2] == (
        f"{bot / 'domain.yml'}:14: warning: slot 'city' mapping names unknown intent "
        "'tell_city'; the mapping is skipped"
    )


def test_warnings_are_kept_beside_errors(bot: Path) -> None:
    (bot / "data" / "broken.yml").write_text(
        "stories:\n- story: b\n  steps:\n  - intent: greet\n  - action: utter_wave\n"
    )
    with pytest.raises(DataValidationError) as info:
        load_project(bot)
    assert [str(i) for i in info.value.issues] == [
        f"{bot / 'data' / 'broken.yml'}:5: unknown action 'utter_wave' (not in the domain)"
    ]
    assert len(info.value.warnings) == 4


def test_unknown_slots_and_actions_stay_errors_as_in_rasa_train(bot: Path) -> None:
    (bot / "data" / "more.yml").write_text(
        "stories:\n- story: m\n  steps:\n  - intent: greet\n  - slot_was_set:\n"
        "    - colour: red\n  - action: utter_wave\n"
    )
    with pytest.raises(DataValidationError) as info:
        load_project(bot)
    more = bot / "data" / "more.yml"
    assert [str(i) for i in info.value.issues] == [
        f"{more}:6: unknown slot 'colour' (not in the domain)",
        f"{more}:7: unknown action 'utter_wave' (not in the domain)",
    ]


def test_empty_markdown_story_headers_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "domain.yml": DOMAIN,
            "data/stories.md": "## generated\n\n## greet\n* greet\n  - utter_greet\n\n## last\n",
        },
    )
    project = load_project(tmp_path)
    assert [s.name for s in project.stories] == ["greet"]
    path = tmp_path / "data" / "stories.md"
    assert [str(w) for w in project.warnings if "has no steps" in w.message] == [
        f"{path}:1: story 'generated' has no steps; left out",
        f"{path}:7: story 'last' has no steps; left out",
    ]


def test_markdown_lines_rasa_skips_are_warnings(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "domain.yml": DOMAIN,
            "data/stories.md": (
                "some notes\n## greet\n* greet{not json}\n  - utter_greet\n  random text\n"
            ),
        },
    )
    project = load_project(tmp_path)
    path = str(tmp_path / "data" / "stories.md")
    assert [(w.line, w.message.split(";")[0]) for w in project.warnings if w.file == path] == [
        (1, "line 'some notes' before the first story is left out"),
        (3, "invalid JSON '{not json}': Expecting property name enclosed in double quotes"),
        (5, "cannot read story line 'random text'"),
    ]


def test_domain_warnings_and_strict(bot: Path) -> None:
    domain = load_domain(bot / "domain.yml")
    assert [w.line for w in domain.warnings] == [14, 21]
    with pytest.raises(DataValidationError, match="unknown entity 'planet'"):
        load_domain(bot / "domain.yml", strict=True)


def test_categorical_values_as_rasa_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "domain.yml"
    path.write_text(
        "intents: [greet]\nslots:\n  colour:\n    type: categorical\n    values: [red, null]\n"
        "    mappings: [{type: custom}]\n  mood:\n    type: categorical\n"
        "    mappings: [{type: custom}]\n"
    )
    domain = load_domain(path)
    assert domain.slots["colour"].values == ("red", "__other__")
    assert domain.slots["mood"].values == ("__other__",)
    assert [w.line for w in domain.warnings] == [3, 7]


def test_a_float_slot_needs_min_below_max(tmp_path: Path) -> None:
    path = tmp_path / "domain.yml"
    path.write_text(
        "intents: [greet]\nslots:\n  level:\n    type: float\n    min_value: 1\n"
        "    max_value: 1\n    mappings: [{type: custom}]\n"
    )
    with pytest.raises(DataValidationError, match="min_value must be below max_value"):
        load_domain(path)


def test_story_block_warnings_are_returned(tmp_path: Path) -> None:
    stories = tmp_path / "tests" / "test_stories.yml"
    write(
        tmp_path,
        {
            "tests/test_stories.yml": (
                "stories:\n- story: a\n  steps:\n  - intent: greet\n  - checkpoint: nowhere\n"
            )
        },
    )
    warnings: list = []
    blocks = load_story_blocks(tmp_path / "tests", warnings=warnings)
    assert len(blocks) == 1
    assert [str(w) for w in warnings] == [
        f"{stories}:5: checkpoint 'nowhere' ends this test story but no story starts with it"
    ]
    with pytest.raises(DataValidationError, match="checkpoint 'nowhere'"):
        load_story_blocks(tmp_path / "tests", strict=True)


def test_training_need_not_read_tests(bot: Path) -> None:
    (bot / "tests").mkdir()
    (bot / "tests" / "test_stories.yml").write_text("stories:\n- story: t\n  steps: [\n")
    with pytest.raises(DataValidationError, match=r"test_stories\.yml:4: malformed YAML"):
        load_project(bot)
    project = load_project(bot, include_tests=False)
    assert project.test_stories == []
    assert not any("tests" in f for f in project.files)


def test_intent_triggers_of_rasa_1_are_a_warning(tmp_path: Path) -> None:
    from ted_data_adapter import load_domain

    path = tmp_path / "domain.yml"
    path.write_text(
        "intents:\n- greet\n- bye:\n    triggers: utter_bye\n"
        "responses:\n  utter_bye: [{text: b}]\n",
        encoding="utf-8",
    )
    domain = load_domain(path)
    [warning] = domain.warnings
    assert (warning.file, warning.line) == (str(path), 3)
    assert "intent 'bye' triggers 'utter_bye'" in warning.message and "rule" in warning.message
