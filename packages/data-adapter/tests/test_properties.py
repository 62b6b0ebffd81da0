"""Property tests: window size, one label per action."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ted_data_adapter import (
    ACTION_LISTEN,
    ActionExecuted,
    SlotSet,
    StateFeaturizer,
    UserUttered,
    Vocabulary,
    load_domain,
)
from ted_data_adapter.events import Event

SHOP = Path(__file__).resolve().parent / "fixtures" / "shop" / "domain.yml"
VOCAB = Vocabulary.from_domain(load_domain(SHOP))
FEATURIZER = StateFeaturizer(VOCAB)

events = st.one_of(
    st.builds(UserUttered, st.sampled_from(VOCAB.intents)),
    st.builds(ActionExecuted, st.sampled_from(VOCAB.actions)),
    st.builds(
        SlotSet,
        st.sampled_from(["size", "product", "confirmed"]),
        st.sampled_from(["small", None, "x"]),
    ),
)
conversations = st.lists(st.lists(events, min_size=1, max_size=25), min_size=1, max_size=6)


def expected_labels(conversation: list[Event]) -> list[str]:
    """Every action of the conversation plus the action_listen implied before user turns."""
    labels: list[str] = []
    for event in conversation:
        if isinstance(event, UserUttered) and (not labels or labels[-1] != ACTION_LISTEN):
            labels.append(ACTION_LISTEN)
        elif isinstance(event, ActionExecuted):
            labels.append(event.name)
    return labels


@settings(max_examples=60, deadline=None)
@given(conversations, st.integers(min_value=1, max_value=6))
def test_windows_never_exceed_max_history(convs: list[list[Event]], history: int) -> None:
    data = FEATURIZER.featurize(convs, max_history=history)
    assert data.features["turn_mask"].shape[1] == history
    for name in ("intent", "entities", "action_name", "slots", "active_loop"):
        assert data.features[name].shape[1] == history
    assert (data.features["turn_mask"].sum(axis=1) <= history).all()
    request = FEATURIZER.featurize_events(convs[0], max_history=history)
    assert request["turn_mask"].shape == (1, history)


@settings(max_examples=60, deadline=None)
@given(conversations, st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_every_action_is_a_label_exactly_once_before_dedup(
    convs: list[list[Event]], history: int | None
) -> None:
    data = FEATURIZER.featurize(convs, max_history=history, deduplicate=False)
    expected = [label for conv in convs for label in expected_labels(conv)]
    assert [VOCAB.actions[i] for i in data.label_ids] == expected
    deduplicated = FEATURIZER.featurize(convs, max_history=history)
    assert len(deduplicated) <= len(data)
    assert set(deduplicated.label_ids.tolist()) == set(data.label_ids.tolist())
