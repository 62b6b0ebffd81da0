"""Layouts, deduplication, request-time featurization, unknown symbols, save/load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ted_data_adapter import (
    ActionExecuted,
    ActiveLoop,
    Entity,
    ModelData,
    ModelDataError,
    SlotSet,
    StateFeaturizer,
    UnknownSymbolError,
    UserUttered,
    Vocabulary,
    load_project,
)
from ted_data_adapter.vocabulary import ATTRIBUTES


@pytest.fixture(scope="module")
def shop(shop_dir: Path):  # type: ignore[no-untyped-def]
    project = load_project(shop_dir)
    vocab = Vocabulary.from_domain(project.domain)
    return project, vocab, StateFeaturizer(vocab)


def test_windows_layout_is_left_padded(shop) -> None:  # type: ignore[no-untyped-def]
    project, vocab, featurizer = shop
    data = featurizer.featurize(project.training_conversations(0), max_history=3)
    n = len(data)
    assert data.features["turn_mask"].shape == (n, 3)
    for name in ATTRIBUTES:
        assert data.features[name].shape == (n, 3, vocab.attribute_dims[name])
        assert data.signatures[name].dim == vocab.attribute_dims[name]
    mask = data.features["turn_mask"]
    assert (mask[:, -1] == 1).all()  # the predicting turn is always the last
    assert (np.diff(mask, axis=1) >= 0).all()  # padding only on the left
    padded = mask == 0
    for name in ATTRIBUTES:
        assert (data.features[name][padded] == 0).all()
    assert data.label_features.shape == (len(vocab.actions), len(vocab.actions))
    assert data.action_names == list(vocab.actions)


def test_max_history_none_uses_the_longest_dialogue(shop) -> None:  # type: ignore[no-untyped-def]
    project, _, featurizer = shop
    conversations = project.training_conversations(0)
    data = featurizer.featurize(conversations, max_history=None)
    longest = max(len(featurizer.replayer.replay(c)[1]) for c in conversations)
    assert data.features["turn_mask"].shape[1] == longest


def test_dialogues_layout_and_target_mask(shop) -> None:  # type: ignore[no-untyped-def]
    project, vocab, featurizer = shop
    conversations = project.training_conversations(0)
    windows = featurizer.featurize(conversations, max_history=3)
    dialogues = featurizer.featurize(conversations, max_history=3, layout="dialogues")
    d, t = dialogues.features["label_ids"].shape
    assert d == len(conversations)
    mask = dialogues.features["turn_mask"]
    assert (np.diff(mask, axis=1) <= 0).all()  # right padding
    assert ((dialogues.features["label_ids"] >= 0) == (mask > 0)).all()
    assert dialogues.features["intent"].shape == (d, t, vocab.attribute_dims["intent"])
    # every deduplicated window example is exactly one target of the dialogues layout
    assert int(dialogues.features["target_mask"].sum()) == len(windows)
    assert sorted(dialogues.target_label_ids().tolist()) == sorted(windows.label_ids.tolist())
    # the two greeting prefixes repeat in later dialogues and are not targets there
    assert dialogues.features["target_mask"][1:, :2].sum() == 0


def test_request_time_matches_training_windows(shop) -> None:  # type: ignore[no-untyped-def]
    project, _, featurizer = shop
    conversation = project.training_conversations(0)[0]
    data = featurizer.featurize([conversation], max_history=4, deduplicate=False)
    actions = [i for i, e in enumerate(conversation) if isinstance(e, ActionExecuted)]
    # the window before the 3rd explicit action equals the request for the events before it
    cut = actions[2]
    request = featurizer.featurize_events(conversation[:cut], max_history=4)
    _states, labels = featurizer.replayer.replay(conversation)
    row = len(featurizer.replayer.replay(conversation[:cut])[0])
    assert featurizer.vocab.actions[labels[row]] == conversation[cut].name  # type: ignore[union-attr]
    for name in (*ATTRIBUTES, "turn_mask"):
        assert np.array_equal(request[name][0], data.features[name][row]), name
    batch = featurizer.featurize_events_batch([conversation[:cut], conversation[:1]], 4)
    assert batch["intent"].shape[0] == 2
    assert np.array_equal(batch["intent"][0], request["intent"][0])
    assert batch["turn_mask"][1].tolist() == [0, 0, 1, 1]  # initial state + the user turn


@pytest.mark.parametrize(
    ("events", "index", "field"),
    [
        ([UserUttered("greet"), ActionExecuted("utter_greet"), UserUttered("sing")], 2, "intent"),
        ([UserUttered("greet"), ActionExecuted("utter_sing")], 1, "action"),
        ([UserUttered("greet", (Entity("colour", "red"),))], 0, "entity"),
        ([UserUttered("greet", (Entity("city", "x", role="via"),))], 0, "entity"),
        ([SlotSet("product", "x"), SlotSet("weight", 3)], 1, "slot"),
        ([ActiveLoop("payment_form")], 0, "active_loop"),
    ],
)
def test_unknown_symbols_name_event_and_field(shop, events, index, field) -> None:  # type: ignore[no-untyped-def]
    _, _, featurizer = shop
    with pytest.raises(UnknownSymbolError, match=rf"^event {index}: unknown {field} ") as info:
        featurizer.featurize_events(events, max_history=3)
    assert (info.value.event_index, info.value.field) == (index, field)


def test_unknown_symbol_in_a_request_batch_names_the_conversation(shop) -> None:  # type: ignore[no-untyped-def]
    _, _, featurizer = shop
    good = [UserUttered("greet")]
    with pytest.raises(UnknownSymbolError, match="conversation 2, event 1: unknown action") as info:
        featurizer.featurize_events_batch([good, good, [*good, ActionExecuted("utter_x")]], 3)
    assert (info.value.conversation, info.value.event_index) == (2, 1)
    assert info.value.in_conversation(None).conversation is None


def test_unknown_symbol_in_training_names_the_conversation(shop) -> None:  # type: ignore[no-untyped-def]
    _, _, featurizer = shop
    with pytest.raises(UnknownSymbolError, match="conversation 1, event 0: unknown intent"):
        featurizer.featurize([[UserUttered("greet")], [UserUttered("nope")]], 3)


def test_model_data_save_load_roundtrip_without_pickle(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project, _vocab, featurizer = shop
    data = featurizer.featurize(project.training_conversations(0), 3, layout="dialogues")
    data.save(tmp_path / "md")
    loaded = ModelData.load(tmp_path / "md")
    assert loaded.layout == "dialogues" and loaded.max_history == 3
    assert loaded.signatures == data.signatures
    assert loaded.action_names == data.action_names
    for key, array in data.features.items():
        assert (
            np.array_equal(loaded.features[key], array)
            and loaded.features[key].dtype == array.dtype
        )
    assert np.array_equal(loaded.label_features, data.label_features)
    info = json.loads((tmp_path / "md" / "model_data.json").read_text())
    info["format"] = 99
    (tmp_path / "md" / "model_data.json").write_text(json.dumps(info))
    with pytest.raises(ModelDataError, match="unsupported model data format 99"):
        ModelData.load(tmp_path / "md")
    with pytest.raises(ModelDataError, match="cannot read model data"):
        ModelData.load(tmp_path / "missing")


def test_vocabulary_persists_as_json(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project, vocab, featurizer = shop
    vocab.save(tmp_path / "vocab.json")
    again = Vocabulary.load(tmp_path / "vocab.json")
    assert again == vocab
    conversation = project.training_conversations(0)[1]
    a = featurizer.featurize_events(conversation, 4)
    b = StateFeaturizer(again).featurize_events(conversation, 4)
    for key in a:
        assert np.array_equal(a[key], b[key])


def test_featurization_is_deterministic(shop) -> None:  # type: ignore[no-untyped-def]
    project, _, featurizer = shop
    conversations = project.training_conversations(augmentation_factor=3, seed=1)
    a = featurizer.featurize(conversations, 4)
    b = featurizer.featurize(conversations, 4)
    for key in a.features:
        assert np.array_equal(a.features[key], b.features[key])
