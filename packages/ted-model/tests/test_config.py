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
        ({"no_such_key": 1}, "no_such_key"),
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


def test_replace_validates() -> None:
    assert TEDConfig().replace(epochs=3).epochs == 3
    with pytest.raises(ConfigError):
        TEDConfig().replace(epochs=-3)
