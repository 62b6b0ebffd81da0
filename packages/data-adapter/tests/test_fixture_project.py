"""A hand-written project with forms, rules, checkpoints, `or`, roles/groups and every slot type."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ted_data_adapter import (
    ACTION_LISTEN,
    ActionExecuted,
    ActiveLoop,
    Entity,
    SlotSet,
    StateFeaturizer,
    UserUttered,
    Vocabulary,
    load_project,
)


@pytest.fixture(scope="module")
def project(shop_dir: Path):  # type: ignore[no-untyped-def]
    return load_project(shop_dir)


@pytest.fixture(scope="module")
def vocab(project) -> Vocabulary:  # type: ignore[no-untyped-def]
    return Vocabulary.from_domain(project.domain)


def test_checkpoints_and_or_expand_to_complete_stories(project) -> None:  # type: ignore[no-untyped-def]
    stories = project.training_stories(augmentation_factor=0)
    names = sorted(s.name for s in stories)
    assert names == [
        "greet start > chat after greeting",
        "greet start > order after greeting",
        "greet start > order after greeting",
    ]
    intents = sorted(
        next(e.intent for e in s.events[2:] if isinstance(e, UserUttered))
        for s in stories
        if "order" in s.name
    )
    assert intents == ["inform", "order"]  # one conversation per `or` alternative
    assert all(s.events[-1] == ActionExecuted(ACTION_LISTEN) for s in stories)
    assert len(project.rules) == 2
    assert project.config.policy_config()["max_history"] == 4


def test_nlu_files_are_ignored_and_test_stories_read(project) -> None:  # type: ignore[no-untyped-def]
    assert len(project.test_stories) == 1
    test = project.test_conversations()[0]
    order = [e for e in test.events if isinstance(e, UserUttered)][1]
    assert order.entities == (Entity("product", "boots"),)
    assert order.text is not None and "boots" in order.text


def test_vocabulary_layout(vocab: Vocabulary) -> None:
    assert vocab.entity_tags == ("city", "city#from", "city#to", "city@trip", "count", "product")
    names = vocab.slot_feature_names
    # slots sorted by name; the any slot and the non-influencing one are not featurized
    assert names == [
        "amount_0",
        "confirmed_0",
        "confirmed_1",
        "destinations_0",
        "product_0",
        "size=small",
        "size=large",
        "size=__other__",
    ]
    assert set(vocab.other_slots) == {"hidden", "note", "requested_slot"}
    assert vocab.forms == ("order_form",)
    assert vocab.actions[0] == ACTION_LISTEN
    assert list(vocab.actions[1:]) == sorted(vocab.actions[1:])
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab


def _column(vocab: Vocabulary, name: str) -> int:
    return vocab.slot_feature_names.index(name)


def test_slot_types_mappings_and_forms_in_states(vocab: Vocabulary) -> None:
    featurizer = StateFeaturizer(vocab)
    events = [
        UserUttered("order", (Entity("product", "shoes"), Entity("count", 5))),
        ActionExecuted("order_form"),
        ActiveLoop("order_form"),
        SlotSet("size", "LARGE"),
        ActiveLoop(None),
        ActionExecuted("action_check_stock"),
        SlotSet("note", {"any": "thing"}),
        UserUttered("affirm"),
    ]
    inputs = featurizer.featurize_events(events[:3], max_history=None)
    slots = inputs["slots"][0, -1]
    assert slots[_column(vocab, "product_0")] == 1.0  # from_entity
    assert slots[_column(vocab, "amount_0")] == pytest.approx(0.5)  # 5 scaled into [0, 10]
    assert inputs["active_loop"][0, -1].tolist() == [1.0]
    assert inputs["action_name"][0, -1, vocab.actions.index("order_form")] == 1.0
    # after the bot action the user part is empty, as Rasa featurizes it
    assert inputs["intent"][0, -1].sum() == 0.0
    final = featurizer.featurize_events(events, max_history=None)
    slots = final["slots"][0, -1]
    assert slots[_column(vocab, "size=large")] == 1.0
    assert slots[_column(vocab, "confirmed_0")] == 1.0  # from_intent affirm -> True
    assert slots[_column(vocab, "confirmed_1")] == 1.0
    assert final["active_loop"][0, -1].tolist() == [0.0]
    assert final["intent"][0, -1, vocab.intents.index("affirm")] == 1.0
    assert final["action_name"][0, -1, 0] == 1.0  # action_listen implied before the user turn


def test_entity_filters_roles_groups_and_list_slot(vocab: Vocabulary) -> None:
    featurizer = StateFeaturizer(vocab)
    chat = UserUttered(
        "chitchat", (Entity("product", "hat"), Entity("city", "Paris", role="to", group="trip"))
    )
    inputs = featurizer.featurize_events([chat], max_history=2)
    tags = [vocab.entity_tags[i] for i in np.flatnonzero(inputs["entities"][0, -1])]
    assert tags == ["city", "city#to", "city@trip"]  # chitchat ignores product
    # the mapping names role "to" and no group: like Rasa, role and group must both match
    assert inputs["slots"][0, -1, _column(vocab, "destinations_0")] == 0.0
    to_rome = UserUttered("inform", (Entity("city", "Rome", role="to"),))
    inputs = featurizer.featurize_events([to_rome], max_history=2)
    assert inputs["slots"][0, -1, _column(vocab, "destinations_0")] == 1.0
    order = UserUttered("order", (Entity("city", "Rome"), Entity("product", "x")))
    tags = np.flatnonzero(featurizer.featurize_events([order], 2)["entities"][0, -1])
    assert [vocab.entity_tags[i] for i in tags] == ["product"]  # use_entities: product, count


def test_categorical_unknown_value_goes_to_other_and_bool_false(vocab: Vocabulary) -> None:
    featurizer = StateFeaturizer(vocab)
    events = [SlotSet("size", "medium"), UserUttered("deny")]
    slots = featurizer.featurize_events(events, 1)["slots"][0, -1]
    assert slots[_column(vocab, "size=__other__")] == 1.0
    assert slots[_column(vocab, "confirmed_0")] == 1.0
    assert slots[_column(vocab, "confirmed_1")] == 0.0


def test_rules_become_conversations_only_on_request(project, vocab) -> None:  # type: ignore[no-untyped-def]
    plain = project.training_conversations(augmentation_factor=0)
    with_rules = project.training_conversations(augmentation_factor=0, use_rules=True)
    assert len(with_rules) == len(plain) + 2
    submit = with_rules[-1]
    assert submit[0] == ActiveLoop("order_form")  # the rule's condition comes first
    assert submit[-1] == ActionExecuted("utter_done")  # wait_for_user_input: false
    data = StateFeaturizer(vocab).featurize(with_rules, 4)
    assert len(data) > 0


def test_augmentation_is_seeded_and_can_be_off(project) -> None:  # type: ignore[no-untyped-def]
    off = project.training_stories(augmentation_factor=0)
    a = project.training_stories(augmentation_factor=2, seed=7)
    b = project.training_stories(augmentation_factor=2, seed=7)
    c = project.training_stories(augmentation_factor=2, seed=8)
    assert len(off) == 3
    assert len(a) == 3 + 20
    assert [s.events for s in a] == [s.events for s in b]
    assert [s.events for s in a] != [s.events for s in c]
    glued = [s for s in a if s.augmented]
    assert all(" + " in s.name for s in glued)
    # an augmented conversation is whole stories one after another
    lengths = {s.name: len(s.events) for s in off}
    for story in glued:
        assert len(story.events) == sum(lengths[part] for part in story.name.split(" + "))
