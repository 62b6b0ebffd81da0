"""The dynamic batcher with the real model: a conversation with an unknown name is taken out
of its batch by the conversation number the error carries, and the rest run once more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from predictor_testlib import MODEL, TrainedModel

from ted_data_adapter.errors import UnknownSymbolError
from ted_data_adapter.events import ActionExecuted, Event, UserUttered
from ted_predictor.batching import DynamicBatcher
from ted_predictor.config import BatchingConfig

GOOD: list[Event] = [ActionExecuted("action_listen"), UserUttered("greet")]
BAD_INTENT: list[Event] = [ActionExecuted("action_listen"), UserUttered("no_such_intent")]
BAD_ACTION: list[Event] = [*GOOD, ActionExecuted("utter_nothing")]


class CountingModel:
    """The real policy, with the size of every batch it was asked to predict recorded."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy
        self.calls: list[int] = []

    def predict_batch(
        self, conversations: Sequence[Sequence[Event]], top_k: int | None = None
    ) -> Any:
        self.calls.append(len(conversations))
        return self.policy.predict_batch(conversations, top_k)


@pytest.fixture(scope="module")
def policy(trained: TrainedModel) -> Any:
    from ted_pipeline import ModelRef, load_model

    return load_model(ModelRef(store=trained.store, name=MODEL, version=1))


def test_bad_conversations_leave_the_batch_one_rerun_each(policy: Any) -> None:
    model = CountingModel(policy)
    batcher = DynamicBatcher(model, BatchingConfig(), name="test")
    try:
        outcomes = batcher._run([(GOOD, None), (BAD_INTENT, None), (GOOD, 3), (BAD_ACTION, None)])
    finally:
        batcher.close(timeout=5)
    assert model.calls == [4, 3, 2]  # no conversation was run alone to find the bad ones
    want = policy.predict(GOOD)
    for index in (0, 2):
        result, error = outcomes[index]
        assert error is None and result is not None
        assert result.ranking[0] == pytest.approx(want.ranking[0])
    for index, field, value, event in (
        (1, "intent", "no_such_intent", 1),
        (3, "action", "utter_nothing", 2),
    ):
        result, error = outcomes[index]
        assert result is None and isinstance(error, UnknownSymbolError)
        # as if the conversation had been sent alone: no batch position in the error
        assert (error.conversation, error.field, error.value, error.event_index) == (
            None,
            field,
            value,
            event,
        )


def test_a_failure_that_is_not_about_the_data_reaches_every_request() -> None:
    class Broken:
        def predict_batch(
            self, conversations: Sequence[Sequence[Event]], top_k: int | None = None
        ) -> Any:
            raise RuntimeError("model thread broke")

    batcher = DynamicBatcher(Broken(), BatchingConfig(), name="broken")
    try:
        outcomes = batcher._run([(GOOD, None), (GOOD, None)])
    finally:
        batcher.close(timeout=5)
    assert [str(error) for _, error in outcomes] == ["model thread broke"] * 2
