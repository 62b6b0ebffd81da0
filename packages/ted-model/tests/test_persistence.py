"""Save / load round trips give identical predictions; bad model folders are refused."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ted_model import ModelLoadError, TEDPolicy

pytestmark = pytest.mark.slow


def _conversations() -> list[list[Any]]:
    from ted_data_adapter.events import ActionExecuted, UserUttered

    greet = [ActionExecuted("action_listen"), UserUttered("greet", ())]
    sad = [
        *greet,
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered("mood_unhappy", ()),
    ]
    return [greet, sad, [*sad, ActionExecuted("utter_cheer_up")]]


def test_saved_directory_and_memory_predict_the_same(
    moodbot_trained: Any, moodbot_dir: Path
) -> None:
    from_dir = TEDPolicy.load(moodbot_dir, model_name="moodbot", version=3)
    in_memory = moodbot_trained.to_policy(model_name="moodbot")
    assert from_dir.model_name == "moodbot" and from_dir.version == 3
    conversations = _conversations()
    reference = [p.confidences for p in from_dir.predict_batch(conversations)]
    for expected, prediction in zip(reference, in_memory.predict_batch(conversations), strict=True):
        np.testing.assert_array_equal(prediction.confidences, expected)
    single = from_dir.predict(conversations[1])
    np.testing.assert_allclose(single.confidences, reference[1], rtol=1e-6, atol=1e-7)
    assert single.action == "utter_cheer_up"
    assert single.ranking[0][0] == single.action
    assert len(single.ranking) == len(from_dir.action_names)
    assert len(from_dir.predict(conversations[1], top_k=3).ranking) == 3


def test_predict_does_not_retrace(moodbot_dir: Path) -> None:
    policy = TEDPolicy.load(moodbot_dir)
    policy.wait_until_warm()
    traces = policy._predict_fn.experimental_get_tracing_count()
    assert traces == 1
    policy.predict_batch(_conversations())
    policy.predict(_conversations()[0])
    policy.predict_batch(_conversations() * 7)  # above NUMPY_MAX_BATCH: compiled path
    assert policy._predict_fn.experimental_get_tracing_count() == traces


def test_unknown_intent_names_conversation_event_and_field(moodbot_dir: Path) -> None:
    from ted_data_adapter.errors import UnknownSymbolError
    from ted_data_adapter.events import UserUttered

    policy = TEDPolicy.load(moodbot_dir)
    good = _conversations()[0]
    with pytest.raises(UnknownSymbolError, match="no_such_intent") as caught:
        policy.predict_batch([good, good, [*good, UserUttered("no_such_intent", ())]])
    error = caught.value
    assert (error.conversation, error.event_index, error.field) == (2, 2, "intent")
    assert error.value == "no_such_intent"


def test_incomplete_model_folder_is_refused(moodbot_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(moodbot_dir, tmp_path / "model")
    (tmp_path / "model" / "model.weights.h5").unlink()
    with pytest.raises(ModelLoadError, match=r"model\.weights\.h5"):
        TEDPolicy.load(tmp_path / "model")
    with pytest.raises(ModelLoadError, match="no model directory"):
        TEDPolicy.load(tmp_path / "nothing-here")
    (tmp_path / "model.tar.gz").write_bytes(b"an archive is not a model directory")
    with pytest.raises(ModelLoadError, match="no model directory"):
        TEDPolicy.load(tmp_path / "model.tar.gz")


def test_numpy_and_compiled_paths_agree(moodbot_dir: Path) -> None:
    policy = TEDPolicy.load(moodbot_dir)
    features = policy._featurize(_conversations() * 3)
    compiled = policy.confidences(features, compiled=True)
    plain = policy.confidences(features, compiled=False)
    np.testing.assert_allclose(plain, compiled, atol=1e-5)
    assert compiled.shape == (9, len(policy.action_names))


@pytest.mark.parametrize(
    "overrides",
    [
        {"number_of_transformer_layers": 2, "max_history": 3},
        {"number_of_transformer_layers": 2, "max_history": None},
    ],
    ids=["two-layers-window", "two-layers-whole-dialogue"],
)
def test_numpy_and_compiled_paths_agree_for_deeper_models(
    overrides: dict[str, Any], data_dir: Path, train_model: Callable[..., Any]
) -> None:
    """The numpy path computes only the last turn in the last block; earlier blocks and
    causal whole-dialogue attention must still give the compiled function's numbers."""
    trained = train_model(data_dir / "moodbot", {**overrides, "epochs": 3}, 0)
    policy = trained.to_policy()
    features = policy._featurize(_conversations() * 2)
    compiled = policy.confidences(features, compiled=True)
    plain = policy.confidences(features, compiled=False)
    np.testing.assert_allclose(plain, compiled, atol=1e-5)
