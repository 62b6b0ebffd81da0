"""A model with rules, memoization and TED served over gRPC: each answer names its policy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from predictor_testlib import make_config, running_server, shared_data

from ted_client.client import PredictorClient
from ted_data_adapter.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    Restarted,
    UserUttered,
)

MODEL = "formbot"
CONFIG = """\
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
    enable_fallback_prediction: false
  - name: TEDPolicy
    max_history: 5
    epochs: 5
    random_seed: 3
"""
LISTEN = ActionExecuted("action_listen")
IN_FORM: list[Event] = [
    LISTEN,
    UserUttered("request_restaurant"),
    ActionExecuted("restaurant_form"),
    ActiveLoop("restaurant_form"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PredictorClient]:
    from ted_pipeline import train_project

    source = shared_data() / "formbot"
    if not source.is_dir():
        pytest.skip(f"shared data not found at {source}")
    work = tmp_path_factory.mktemp("ensemble")
    project = work / MODEL
    shutil.copytree(source, project)
    (project / "config.yml").write_text(CONFIG, encoding="utf-8")
    train_project(project, store=work / "store", name=MODEL, augmentation=0)
    with running_server(make_config(work / "store"), wait_for=MODEL) as (_, client):
        yield client


@pytest.mark.slow
def test_answers_name_the_deciding_policy_and_carry_teds_ranking(
    client: PredictorClient,
) -> None:
    greeted = client.predict(MODEL, [LISTEN, UserUttered("greet")])
    assert (greeted.action, greeted.policy_name) == ("utter_greet", "RulePolicy")
    assert greeted.ranking[0] == ("utter_greet", 1.0)
    assert len(greeted.ted_ranking) > 1  # TED's own ranking comes along
    assert {a for a, _ in greeted.ted_ranking} == {a for a, _ in greeted.ranking}
    asked = client.predict(MODEL, [*IN_FORM, LISTEN, UserUttered("inform")])
    assert (asked.action, asked.policy_name) == ("restaurant_form", "RulePolicy")


@pytest.mark.slow
def test_rejections_restarts_and_batches_over_grpc(client: PredictorClient) -> None:
    rejected = [
        *IN_FORM,
        LISTEN,
        UserUttered("chitchat"),
        ActionExecutionRejected("restaurant_form"),
    ]
    assert client.predict(MODEL, rejected).action == "utter_chitchat"
    restarted = [*IN_FORM, Restarted(), LISTEN, UserUttered("greet")]
    assert client.predict(MODEL, restarted).action == "utter_greet"  # the form is forgotten
    batch = client.predict_batch(
        MODEL, [[LISTEN, UserUttered("greet")], rejected, [LISTEN, UserUttered("thankyou")]]
    )
    assert [r.action for r in batch] == ["utter_greet", "utter_chitchat", "utter_noworries"]
    assert all(r.policy_name == "RulePolicy" for r in batch)
    top = client.predict(MODEL, [LISTEN, UserUttered("greet")], top_k=2)
    assert len(top.ranking) == 2 and len(top.ted_ranking) == 2
