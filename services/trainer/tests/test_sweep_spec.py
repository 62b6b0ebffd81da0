"""Sweep files: typed parsing, and errors that name the offending key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_trainer.errors import SweepSpecError
from ted_trainer.sweep_spec import load_sweep_spec, parse_sweep_spec, parse_sweep_text
from ted_trainer.tune_space import HP_PREFIX, hyperparameters, max_epochs, param_space

ISSUE_EXAMPLE = """
project: bots/moodbot
metric: eval_action_accuracy
mode: max
num_samples: 4
max_concurrent_trials: 2
resources_per_trial: {cpu: 1, gpu: 0.5}
max_failures: 1
epochs: 3
eval_stories: bots/moodbot/tests
early_stopping: {grace_period: 2, reduction_factor: 3}
overrides: {transformer_size: 16, number_of_attention_heads: 2}
search_space:
  batch_size: {grid: [[32, 128], 64]}
  learning_rate: {loguniform: [1e-4, 0.01]}
  number_of_transformer_layers: {choice: [1, 2]}
  drop_rate: {uniform: [0.0, 0.3]}
  embedding_dimension: {randint: [8, 16]}
"""


def test_issue_example_parses_into_typed_spec(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yml"
    path.write_text(ISSUE_EXAMPLE, encoding="utf-8")
    spec = load_sweep_spec(path)
    assert spec.project == (tmp_path / "bots" / "moodbot").resolve()
    assert spec.eval_stories == (tmp_path / "bots" / "moodbot" / "tests").resolve()
    assert (spec.num_samples, spec.max_concurrent_trials, spec.max_failures) == (4, 2, 1)
    assert spec.resources_per_trial.gpu == 0.5
    assert spec.alias == "candidate"
    assert spec.early_stopping is not None and spec.early_stopping.grace_period == 2
    dims = {d.key: d for d in spec.search_space}
    assert dims["batch_size"].values == ([32, 128], 64)
    # YAML 1.1 reads "1e-4" as a string; the spec reads the number it spells.
    assert dims["learning_rate"].low == pytest.approx(1e-4)
    assert dims["embedding_dimension"].kind == "randint"
    assert spec.fixed_overrides() == {
        "transformer_size": 16,
        "number_of_attention_heads": 2,
        "epochs": 3,
    }
    assert max_epochs(spec, base_epochs=100) == 3


def test_round_trip_through_dict(tmp_path: Path) -> None:
    spec = parse_sweep_text(ISSUE_EXAMPLE, base_dir=tmp_path)
    again = parse_sweep_spec(spec.to_dict(), base_dir=Path("/elsewhere"))
    assert again == spec


def test_param_space_translation() -> None:
    from ray import tune

    spec = parse_sweep_text(ISSUE_EXAMPLE, base_dir=Path("/x"))
    space = param_space(spec)
    assert set(space) == {HP_PREFIX + d.key for d in spec.search_space}
    assert space["hp/batch_size"] == tune.grid_search([[32, 128], 64])
    lr = space["hp/learning_rate"]
    samples = [lr.sample() for _ in range(200)]
    assert min(samples) >= 1e-4 and max(samples) <= 0.01
    ints = {space["hp/embedding_dimension"].sample() for _ in range(300)}
    assert ints == set(range(8, 17))  # inclusive upper bound
    trial = {"hp/batch_size": (32, 128), "hp/learning_rate": 0.003, "other": 1}
    assert hyperparameters(trial) == {"batch_size": [32, 128], "learning_rate": 0.003}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("bogus: 1", "bogus"),
        ("num_samples: 0", "num_samples"),
        ("num_samples: two", "num_samples"),
        ("mode: maximum", "mode"),
        ("resources_per_trial: {cpu: 0}", "resources_per_trial.cpu"),
        ("resources_per_trial: {gpu: 1.5}", "resources_per_trial.gpu"),
        ("resources_per_trial: {tpu: 1}", "resources_per_trial.tpu"),
        ("search_space: {foo: {choice: [1]}}", "search_space.foo"),
        ("search_space: {learning_rate: {normal: [0, 1]}}", "search_space.learning_rate"),
        (
            "search_space: {learning_rate: {loguniform: [0, 1]}}",
            "search_space.learning_rate.loguniform",
        ),
        (
            "search_space: {learning_rate: {uniform: [0.1, 0.01]}}",
            "search_space.learning_rate.uniform",
        ),
        (
            "search_space: {batch_size: {grid: [64, [8, 16, 32]]}}",
            "search_space.batch_size.grid[1]",
        ),
        ("search_space: {batch_size: {grid: []}}", "search_space.batch_size.grid"),
        (
            "search_space: {transformer_size: {choice: [10]}}",
            "search_space.transformer_size.choice[0]",
        ),
        (
            "search_space: {embedding_dimension: {randint: [1.5, 4]}}",
            "search_space.embedding_dimension.randint",
        ),
        ("overrides: {nope: 1}", "overrides.nope"),
        ("overrides: {checkpoint_model: true}", "overrides.checkpoint_model"),
        ("early_stopping: {scheduler: pbt}", "early_stopping.scheduler"),
        ("early_stopping: {reduction_factor: 1}", "early_stopping.reduction_factor"),
        ("alias: latest", "alias"),
        ("name: a/b", "name"),
        ("epochs: 2\nsearch_space: {epochs: {choice: [1, 2]}}", "epochs"),
        ("search_space: [1, 2]", "search_space"),
        ("- a\n- b", "(top level)"),
        ("a: [1, 2", "(file)"),
    ],
)
def test_errors_name_the_key(text: str, key: str) -> None:
    with pytest.raises(SweepSpecError) as info:
        parse_sweep_text(text, source="sweep.yml")
    assert info.value.key == key
    assert f"'{key}'" in str(info.value) and str(info.value).startswith("sweep.yml: ")


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SweepSpecError, match="cannot read"):
        load_sweep_spec(tmp_path / "absent.yml")
