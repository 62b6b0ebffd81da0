from __future__ import annotations

import logging

import pytest

from ted_model import ConfigError, TEDConfig


def test_defaults_are_rasas() -> None:
    config = TEDConfig()
    assert config.epochs == 1
    assert config.batch_size == (64, 256)
    assert config.batch_strategy == "balanced"
    assert config.learning_rate == 0.001
    assert config.embedding_dimension == 20
    assert config.transformer_size == 128
    assert config.number_of_transformer_layers == 1
    assert config.number_of_attention_heads == 4
    assert config.number_of_negative_examples == 20
    assert config.ranking_length == 0
    assert config.max_history is None
    assert config.drop_rate_dialogue == 0.1
    assert config.connection_density == 0.2
    assert config.evaluate_every_number_of_epochs == 20
    assert config.effective_similarity == "inner"
    assert TEDConfig(loss_type="margin").effective_similarity == "cosine"


def test_from_rasa_reads_a_policy_entry() -> None:
    config = TEDConfig.from_rasa(
        {
            "name": "TEDPolicy",
            "max_history": 10,
            "epochs": 100,
            "batch_size": [32, 128],
            "batch_strategy": "sequence",
            "transformer_size": {"text": 128, "dialogue": 64},
            "number_of_transformer_layers": {"dialogue": 2},
            "dense_dimension": {"intent": 30},
            "random_seed": 2019,
        }
    )
    assert config.max_history == 10
    assert config.batch_size == (32, 128)
    assert config.transformer_size == 64
    assert config.number_of_transformer_layers == 2
    assert config.dense_dimension["intent"] == 30
    assert config.dense_dimension["slots"] == 20
    assert config.effective_layout == "windows"
    assert TEDConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"epochs": "ten"}, "epochs"),
        ({"epochs": 0}, "epochs"),
        ({"max_history": True}, "max_history"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"batch_strategy": "random"}, "batch_strategy"),
        ({"drop_rate_dialogue": 1.5}, "drop_rate_dialogue"),
        ({"scale_loss": "yes"}, "scale_loss"),
        ({"batch_size": [1, 2, 3]}, "batch_size"),
        ({"transformer_size": 130}, "transformer_size"),
        ({"model_confidence": "linear_norm"}, "model_confidence"),
        ({"dense_dimension": {"colour": 3}}, "dense_dimension.colour"),
        ({"maximum_positive_similarity": 0.9, "max_pos_sim": 0.9}, "max_pos_sim"),
        ({"learning_rate_decay": "cosine"}, "learning_rate_decay"),
        ({"ema_momentum": 1.5}, "ema_momentum"),
    ],
)
def test_bad_values_name_the_key(raw: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        TEDConfig.from_rasa(raw)
    assert info.value.key == key
    assert f"'{key}'" in str(info.value)


def test_known_unused_rasa_keys_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ted_model.config"):
        config = TEDConfig.from_rasa(
            {"use_gpu": False, "BILOU_flag": True, "hidden_layers_sizes": {"text": [64]}}
        )
    assert config == TEDConfig()
    assert "use_gpu" in caplog.text and "BILOU_flag" in caplog.text
    assert "hidden_layers_sizes.text" in caplog.text


def test_unknown_keys_are_skipped_and_reported_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unknown: list[str] = []
    ignored: list[str] = []
    raw = {"name": "TEDPolicy", "epochs": 7, "evaluate_on_num_examples": 3, "colour": 1}
    raw |= {"use_gpu": False, "dense_dimension": {"text": 64, "intent": 8}}
    with caplog.at_level(logging.WARNING, logger="ted_model.config"):
        config = TEDConfig.from_rasa(raw, unknown_keys=unknown, ignored_keys=ignored)
    assert (config.epochs, config.dense_dimension["intent"]) == (7, 8)
    assert unknown == ["evaluate_on_num_examples", "colour"]
    assert ignored == ["use_gpu", "dense_dimension.text"]
    assert caplog.text == ""  # handed to the caller, not logged
    # without the lists every key is logged, a close match suggested
    with caplog.at_level(logging.WARNING, logger="ted_model.config"):
        assert TEDConfig.from_rasa(raw) == config
    assert "unknown TEDPolicy key 'evaluate_on_num_examples' ignored" in caplog.text
    assert "did you mean 'evaluate_on_number_of_examples'?" in caplog.text
    assert "'colour' ignored\n" in caplog.text + "\n"  # nothing close to suggest
    with pytest.raises(ConfigError, match="'epochs'"):  # a bad value still raises
        TEDConfig.from_rasa({"epochs": "ten", "colour": 1}, unknown_keys=[])


def test_rasa_36_spellings_are_read_as_the_fields() -> None:
    raw = {
        "maximum_positive_similarity": 0.7,
        "maximum_negative_similarity": -0.3,
        "use_maximum_negative_similarity": False,
        "use_sparse_input_dropout": False,
    }
    ignored: list[str] = []
    config = TEDConfig.from_rasa({**raw, "use_masked_language_model": False}, ignored_keys=ignored)
    assert (config.max_pos_sim, config.max_neg_sim) == (0.7, -0.3)
    assert (config.use_max_neg_sim, config.sparse_input_dropout) == (False, False)
    assert ignored == ["use_masked_language_model"]
    assert set(raw) <= TEDConfig.rasa_keys()


def test_from_dict_stays_strict() -> None:
    data = TEDConfig(epochs=3).to_dict()
    assert TEDConfig.from_dict(data).epochs == 3
    for extra in ({"no_such_key": 1}, {"use_gpu": True}, {"maximum_positive_similarity": 0.5}):
        with pytest.raises(ConfigError) as info:
            TEDConfig.from_dict({**data, **extra})
        assert info.value.key == next(iter(extra))


def test_a_config_error_can_say_where() -> None:
    error = ConfigError("epochs", "expected an integer", where="config.yml:4: TEDPolicy")
    assert str(error) == "config.yml:4: TEDPolicy: config key 'epochs': expected an integer"
    assert (error.key, error.reason) == ("epochs", "expected an integer")


def test_replace_validates() -> None:
    assert TEDConfig().replace(epochs=3).epochs == 3
    with pytest.raises(ConfigError):
        TEDConfig().replace(epochs=-3)
    with pytest.raises(ConfigError, match="unknown"):
        TEDConfig().replace(no_such_key=1)
