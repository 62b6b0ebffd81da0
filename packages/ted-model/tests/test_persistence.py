"""Save / load round trips give identical predictions; bad model folders are refused."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ted_model import ModelLoadError, PredictionError, TEDPolicy

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


def test_archive_store_and_directory_load_predict_the_same(
    moodbot_store: tuple[Path, Any], tmp_path: Path
) -> None:
    from ted_archive import extract_archive

    store, result = moodbot_store
    from_archive = TEDPolicy.load(result.archive)
    from_store = TEDPolicy.from_store(store, "moodbot", "latest")
    extract_archive(result.archive, tmp_path / "unpacked")
    from_dir = TEDPolicy.load(tmp_path / "unpacked")
    assert from_store.model_name == "moodbot" and from_store.version == 1
    conversations = _conversations()
    reference = [p.confidences for p in from_archive.predict_batch(conversations)]
    for policy in (from_store, from_dir):
        for expected, prediction in zip(
            reference, policy.predict_batch(conversations), strict=True
        ):
            np.testing.assert_array_equal(prediction.confidences, expected)
    single = from_archive.predict(conversations[1])
    np.testing.assert_allclose(single.confidences, reference[1], rtol=1e-6, atol=1e-7)
    assert single.action == "utter_cheer_up"
    assert single.ranking[0][0] == single.action
    assert len(single.ranking) == len(from_archive.action_names)
    assert len(from_archive.predict(conversations[1], top_k=3).ranking) == 3


def test_predict_does_not_retrace(moodbot_store: tuple[Path, Any]) -> None:
    _, result = moodbot_store
    policy = TEDPolicy.load(result.archive)
    policy.wait_until_warm()
    traces = policy._predict_fn.experimental_get_tracing_count()
    assert traces == 1
    policy.predict_batch(_conversations())
    policy.predict(_conversations()[0])
    policy.predict_batch(_conversations() * 7)  # above NUMPY_MAX_BATCH: compiled path
    assert policy._predict_fn.experimental_get_tracing_count() == traces


def test_unknown_intent_is_a_prediction_error(moodbot_store: tuple[Path, Any]) -> None:
    from ted_data_adapter.events import UserUttered

    _, result = moodbot_store
    policy = TEDPolicy.load(result.archive)
    with pytest.raises(PredictionError, match="no_such_intent"):
        policy.predict([UserUttered("no_such_intent", ())])


def test_incomplete_model_folder_is_refused(
    moodbot_store: tuple[Path, Any], tmp_path: Path
) -> None:
    from ted_archive import extract_archive

    _, result = moodbot_store
    extract_archive(result.archive, tmp_path / "model")
    (tmp_path / "model" / "model.weights.h5").unlink()
    with pytest.raises(ModelLoadError, match=r"model\.weights\.h5"):
        TEDPolicy.load(tmp_path / "model")
    with pytest.raises(ModelLoadError):
        TEDPolicy.load(tmp_path / "nothing-here")
    broken = tmp_path / "broken.tar.gz"
    shutil.copy(result.archive, broken)
    data = bytearray(broken.read_bytes())
    data[len(data) // 2] ^= 0xFF
    broken.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError):
        TEDPolicy.load(broken)


def test_numpy_and_compiled_paths_agree(moodbot_store: tuple[Path, Any]) -> None:
    _, result = moodbot_store
    policy = TEDPolicy.load(result.archive)
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
    overrides: dict[str, Any], data_dir: Path, tmp_path: Path
) -> None:
    """The numpy path computes only the last turn in the last block; earlier blocks and
    causal whole-dialogue attention must still give the compiled function's numbers."""
    from ted_model import train_project

    result = train_project(
        data_dir / "moodbot",
        store=tmp_path / "store",
        name="deep",
        config_overrides={**overrides, "epochs": 3},
        augmentation=0,
    )
    policy = TEDPolicy.load(result.archive)
    features = policy._featurize(_conversations() * 2)
    compiled = policy.confidences(features, compiled=True)
    plain = policy.confidences(features, compiled=False)
    np.testing.assert_allclose(plain, compiled, atol=1e-5)
