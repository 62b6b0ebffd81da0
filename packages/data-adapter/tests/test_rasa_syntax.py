"""Syntax real Rasa projects use: retrieval intents, entity forms, 1.x Markdown forms, and
end-to-end stories. Each project is written by the test, small, after the Rasa docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_data_adapter import (
    ActionExecuted,
    ActiveLoop,
    DataValidationError,
    Entity,
    SlotSet,
    StateFeaturizer,
    UserUttered,
    Vocabulary,
    load_project,
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def events_of(project, name: str) -> list:  # type: ignore[no-untyped-def]
    [story] = [s for s in project.training_stories(augmentation_factor=0) if s.name == name]
    return list(story.events)


def user_turns(project, name: str) -> list[UserUttered]:  # type: ignore[no-untyped-def]
    return [e for e in events_of(project, name) if isinstance(e, UserUttered)]


# --- 1. retrieval intents ----------------------------------------------------------------

FAQ_DOMAIN = """\
version: "3.1"
intents:
  - greet
  - faq
  - chitchat
responses:
  utter_greet:
    - text: Hi!
  utter_faq/ask_languages:
    - text: I speak English.
  utter_faq/ask_owner:
    - text: Rasa built me.
"""

FAQ_NLU = """\
version: "3.1"
nlu:
  - intent: faq/ask_languages
    examples: |
      - what languages do you speak?
  - intent: chitchat/ask_name
    examples: |
      - what is your name?
responses:
  utter_chitchat/ask_name:
    - text: I am Sara.
"""

FAQ_STORIES = """\
version: "3.1"
stories:
  - story: faq with the base intent
    steps:
      - intent: greet
      - action: utter_greet
      - intent: faq
      - action: utter_faq
  - story: faq with the full retrieval intent
    steps:
      - intent: faq/ask_owner
      - action: utter_faq
      - intent: chitchat/ask_name
      - action: utter_chitchat
rules:
  - rule: answer chitchat
    steps:
      - intent: chitchat/ask_name
      - action: utter_chitchat
"""


@pytest.fixture
def faq_project(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "domain.yml": FAQ_DOMAIN,
            "data/nlu.yml": FAQ_NLU,
            "data/stories.yml": FAQ_STORIES,
            "data/legacy.md": "## md faq\n* faq/ask_languages\n  - utter_faq\n",
            "tests/test_stories.yml": (
                "stories:\n- story: t\n  steps:\n  - user: what do you speak?\n"
                "    intent: faq/ask_languages\n  - action: utter_faq\n"
            ),
        },
    )


def test_retrieval_intents_are_their_base_intent_and_utter_faq_is_the_action(
    faq_project: Path,
) -> None:
    project = load_project(faq_project)
    assert [u.intent for u in user_turns(project, "faq with the full retrieval intent")] == [
        "faq",
        "chitchat",
    ]
    assert [u.intent for u in user_turns(project, "md faq")] == ["faq"]
    [rule] = project.rules
    assert [e.intent for a in rule.located_events() if isinstance(e := a.event, UserUttered)] == [
        "chitchat"
    ]
    test_turns = [e for e in project.test_conversations()[0].events if isinstance(e, UserUttered)]
    assert [u.intent for u in test_turns] == ["faq"]
    actions = project.domain.all_actions
    # responses of the domain and of data files (merged, as Rasa does)
    assert {"utter_faq", "utter_chitchat", "utter_greet"} <= actions
    assert not {a for a in actions if "/" in a}  # the full names are responses
    assert "utter_chitchat/ask_name" in project.domain.responses
    vocab = Vocabulary.from_domain(project.domain)
    assert "utter_faq" in vocab.actions and "faq" in vocab.intents
    StateFeaturizer(vocab).featurize(project.training_conversations(0), max_history=3)


def test_a_full_retrieval_intent_in_stories_is_a_warning_as_in_rasa(faq_project: Path) -> None:
    project = load_project(faq_project)
    stories = faq_project / "data" / "stories.yml"
    texts = [str(w) for w in project.warnings]
    assert texts == [
        f"{faq_project / 'data' / 'legacy.md'}:2: 'faq/ask_languages' is a full retrieval "
        "intent; as Rasa does, only its base intent 'faq' is used for training",
        f"{stories}:11: 'faq/ask_owner' is a full retrieval intent; as Rasa does, only its "
        "base intent 'faq' is used for training",
        f"{stories}:13: 'chitchat/ask_name' is a full retrieval intent; as Rasa does, only "
        "its base intent 'chitchat' is used for training",
        f"{stories}:18: 'chitchat/ask_name' is a full retrieval intent; as Rasa does, only "
        "its base intent 'chitchat' is used for training",
    ]  # none for tests/: test stories name full retrieval intents on purpose


def test_the_domain_must_list_the_retrieval_intent(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "domain.yml": FAQ_DOMAIN.replace("  - faq\n", ""),
            "data/nlu.yml": FAQ_NLU,
            "data/stories.yml": FAQ_STORIES,
            "data/more.yml": "stories:\n- story: hi\n  steps:\n  - intent: greet\n"
            "  - action: utter_greet\n",
        },
    )
    project = load_project(tmp_path)
    assert [s.name for s in project.stories] == ["hi"]
    unknown = [w for w in project.warnings if "unknown intent 'faq'" in w.message]
    assert [(w.file, w.line) for w in unknown] == [
        (str(tmp_path / "data" / "stories.yml"), 7),
        (str(tmp_path / "data" / "stories.yml"), 11),
    ]


def test_a_retrieval_response_run_by_name_is_an_action(tmp_path: Path) -> None:
    stories = FAQ_STORIES.replace(
        "      - action: utter_faq\n      - intent: chitchat",
        "      - action: utter_faq/ask_owner\n      - intent: chitchat",
    )
    write(tmp_path, {"domain.yml": FAQ_DOMAIN, "data/nlu.yml": FAQ_NLU, "data/s.yml": stories})
    project = load_project(tmp_path)
    assert "utter_faq/ask_owner" in Vocabulary.from_domain(project.domain).actions
    assert "utter_faq/ask_languages" not in project.domain.all_actions


def test_an_intent_with_two_slashes_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "domain.yml": FAQ_DOMAIN,
            "data/stories.yml": FAQ_STORIES.replace("faq/ask_owner", "faq/ask/owner"),
        },
    )
    with pytest.raises(DataValidationError, match="intent 'faq/ask/owner' has more than one '/'"):
        load_project(tmp_path)


# --- 2. entities in story steps ---------------------------------------------------------

TRAVEL_DOMAIN = """\
version: "3.1"
intents:
  - book_flight
entities:
  - city:
      roles: [departure, destination]
      groups: [outbound]
  - entity
  - value
responses:
  utter_booked:
    - text: Booked.
"""

TRAVEL_STORY = """\
version: "3.1"
stories:
  - story: The user wants to book a flight from Berlin to San Francisco
    steps:
      - intent: book_flight
        entities:
          - city: Berlin
            role: departure
          - city: San Francisco
            role: destination
            group: outbound
          - entity: city
            value: Paris
          - value: Rome
            entity: city
            role: destination
          - entity: Lisbon
          - value: 3
          - city
      - action: utter_booked
"""


def test_every_entity_form_of_the_rasa_docs(tmp_path: Path) -> None:
    project = load_project(
        write(tmp_path, {"domain.yml": TRAVEL_DOMAIN, "data/stories.yml": TRAVEL_STORY})
    )
    [turn] = user_turns(project, project.stories[0].name)
    assert turn.entities == (
        Entity("city", "Berlin", "departure", None),
        Entity("city", "San Francisco", "destination", "outbound"),
        Entity("city", "Paris"),  # explicit form: keys exactly entity and value
        Entity("city", "Rome", "destination"),
        Entity("entity", "Lisbon"),  # one key: an entity named `entity`, as Rasa reads it
        Entity("value", 3),
        Entity("city", None),
    )
    assert project.warnings == []
    vocab = Vocabulary.from_domain(project.domain)
    assert {"city#departure", "city#destination", "city@outbound"} <= set(vocab.entity_tags)
    StateFeaturizer(vocab).featurize(project.training_conversations(0), max_history=3)


def test_several_entities_in_one_item_keep_the_last_like_rasa(tmp_path: Path) -> None:
    story = TRAVEL_STORY.replace(
        "          - city: Berlin\n", "          - entity: Oslo\n            city: Berlin\n"
    )
    project = load_project(write(tmp_path, {"domain.yml": TRAVEL_DOMAIN, "data/s.yml": story}))
    [turn] = user_turns(project, project.stories[0].name)
    assert turn.entities[0] == Entity("city", "Berlin", "departure")
    [warning] = project.warnings
    assert warning.line == 7 and "as in Rasa only the last, 'city', is read" in warning.message


def test_an_entity_item_with_only_a_role_is_an_error(tmp_path: Path) -> None:
    story = TRAVEL_STORY.replace("          - city\n", "          - role: departure\n")
    write(tmp_path, {"domain.yml": TRAVEL_DOMAIN, "data/s.yml": story})
    with pytest.raises(DataValidationError, match=r"s.yml:19: entity item .* names no entity"):
        load_project(tmp_path)


# --- 3. Rasa 1.x Markdown: forms --------------------------------------------------------

FORM_DOMAIN = """\
intents:
  - request_restaurant
  - inform
  - chitchat
  - thankyou
entities:
  - cuisine
slots:
  cuisine:
    type: unfeaturized
  requested_slot:
    type: unfeaturized
forms:
  - restaurant_form
templates:
  utter_chitchat:
    - text: chitchat
  utter_slots_values:
    - text: done
  utter_noworries:
    - text: you are welcome
"""

# from the Rasa 1.x docs (forms, interactive learning): the steps a form handled carry the
# `form: ` prefix
FORM_STORIES = """\
## happy path
* request_restaurant
    - restaurant_form
    - form{"name": "restaurant_form"}
    - slot{"requested_slot": "cuisine"}
* form: inform{"cuisine": "mexican"}
    - slot{"cuisine": "mexican"}
    - form: restaurant_form
    - slot{"cuisine": "mexican"}
    - form{"name": null}
    - slot{"requested_slot": null}
    - utter_slots_values
* thankyou
    - utter_noworries

## chitchat and stop
* request_restaurant
    - restaurant_form
    - form{"name": "restaurant_form"}
* chitchat
    - utter_chitchat
    - action_deactivate_form
    - form{"name": null}
"""


def test_rasa_1_form_steps_in_markdown(tmp_path: Path) -> None:
    project = load_project(
        write(tmp_path, {"domain.yml": FORM_DOMAIN, "data/stories.md": FORM_STORIES})
    )
    assert [w.message for w in project.warnings] == [
        "'action_deactivate_form' is the old name of 'action_deactivate_loop' (Rasa 3 needs "
        "'action_deactivate_loop'); read as it"
    ]
    # the `form: ` lines are turns the form handled: left out, as Rasa 1.x trains
    assert events_of(project, "happy path")[:9] == [
        UserUttered("request_restaurant"),
        ActionExecuted("restaurant_form"),
        ActiveLoop("restaurant_form"),
        SlotSet("requested_slot", "cuisine"),
        SlotSet("cuisine", "mexican"),
        SlotSet("cuisine", "mexican"),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("utter_slots_values"),
    ]
    chitchat = events_of(project, "chitchat and stop")
    assert ActionExecuted("action_deactivate_loop") in chitchat  # the 1.x name, read as 2.x+
    assert ActionExecuted("action_deactivate_form") not in chitchat
    vocab = Vocabulary.from_domain(project.domain)
    StateFeaturizer(vocab).featurize(project.training_conversations(0), max_history=3)


# --- 4. end-to-end stories --------------------------------------------------------------

E2E_DOMAIN = """\
version: "3.1"
intents:
  - greet
responses:
  utter_greet:
    - text: Hi!
"""

E2E_STORIES = """\
version: "3.1"
stories:
  - story: intents only
    steps:
      - intent: greet
      - action: utter_greet
  - story: text only
    steps:
      - user: hello there
      - bot: Hi! How can I help?
      - user: bye
      - bot: bye bye
  - story: bot text
    steps:
      - intent: greet
      - bot: hey you
"""


def test_end_to_end_stories_are_read_and_left_out_with_one_warning_each(tmp_path: Path) -> None:
    write(tmp_path, {"domain.yml": E2E_DOMAIN, "data/stories.yml": E2E_STORIES})
    project = load_project(tmp_path)
    assert [s.name for s in project.stories] == ["intents only"]
    stories = tmp_path / "data" / "stories.yml"
    assert [str(w) for w in project.warnings] == [
        f"{stories}:9: story 'text only' is left out of training: a 'user:' step has only "
        "text, no 'intent:' (end-to-end stories train on text, which ted does not do yet)",
        f"{stories}:16: story 'bot text' is left out of training: a 'bot:' step has only "
        "text, no 'action:' (end-to-end stories train on text, which ted does not do yet)",
    ]


def test_end_to_end_test_stories_are_left_out_too(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "domain.yml": E2E_DOMAIN,
            "data/stories.yml": E2E_STORIES,
            "tests/test_stories.yml": (
                "stories:\n- story: e2e test\n  steps:\n  - user: hi\n  - action: utter_greet\n"
            ),
        },
    )
    project = load_project(tmp_path)
    assert project.test_stories == []
    assert any(
        str(w).startswith(f"{tmp_path / 'tests' / 'test_stories.yml'}:4: test story 'e2e test'")
        for w in project.warnings
    )
