"""The typed TEDPolicy configuration: Rasa's keys, names and defaults, validated.

A Rasa ``config.yml`` TEDPolicy entry loads unchanged: keys we use are checked for type
and value (a wrong one is a ``ConfigError`` naming it), keys Rasa knows but that have no
effect here (end-to-end text settings, GPU use, ...) are accepted with a warning, and any
other key is skipped with a warning too, so one typo does not hide the next: ``from_rasa``
hands both kinds to a caller that reports them with file and line. Reading back an archived
config (``from_dict``) stays strict.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from ted_model.errors import ConfigError

logger = logging.getLogger(__name__)

# Per-turn state attributes and the label attribute the model embeds.
STATE_ATTRIBUTES: tuple[str, ...] = ("intent", "entities", "action_name", "slots", "active_loop")
LABEL_ATTRIBUTE = "label_action_name"
EMBEDDED_ATTRIBUTES: tuple[str, ...] = (*STATE_ATTRIBUTES, LABEL_ATTRIBUTE)

# Rasa TEDPolicy keys accepted for compatibility that change nothing here.
IGNORED_RASA_KEYS: frozenset[str] = frozenset(
    {
        "concat_dimension",
        "unidirectional_encoder",
        "masked_lm",
        "dense_input_dropout",
        "e2e_confidence_threshold",
        "featurizers",
        "entity_recognition",
        "BILOU_flag",
        "split_entities_by_comma",
        "use_gpu",
        "priority",
        "key_relative_attention",
        "value_relative_attention",
        # Rasa 3.6 spellings of the same settings
        "use_dense_input_dropout",
        "use_masked_language_model",
        "use_key_relative_attention",
        "use_value_relative_attention",
    }
)
# Rasa 3.6 names of settings whose field here is spelled differently: read as the field.
RASA_KEY_ALIASES: Mapping[str, str] = {
    "maximum_positive_similarity": "max_pos_sim",
    "maximum_negative_similarity": "max_neg_sim",
    "use_maximum_negative_similarity": "use_max_neg_sim",
    "use_sparse_input_dropout": "sparse_input_dropout",
}
# Attributes of Rasa's per-attribute dicts that only matter for end-to-end text.
_TEXT_ATTRIBUTES = frozenset({"text", "action_text", "label_action_text"})

_CHOICES: dict[str, tuple[str, ...]] = {
    "batch_strategy": ("balanced", "sequence"),
    "similarity_type": ("auto", "inner", "cosine"),
    "loss_type": ("cross_entropy", "margin"),
    "model_confidence": ("softmax",),
    "tensorboard_log_level": ("epoch", "batch"),
    "layout": ("auto", "windows", "dialogues"),
    "learning_rate_decay": ("none", "linear"),
    "batch_size_unit": ("conversations", "examples"),
}


def _default_dense_dimension() -> dict[str, int]:
    return dict.fromkeys(EMBEDDED_ATTRIBUTES, 20)


def _default_hidden_layers() -> dict[str, list[int]]:
    return {attribute: [] for attribute in EMBEDDED_ATTRIBUTES}


@dataclasses.dataclass(frozen=True)
class TEDConfig:
    """Every TEDPolicy setting the model, training and prediction read."""

    max_history: int | None = None
    epochs: int = 1
    batch_size: int | tuple[int, int] = (64, 256)
    batch_strategy: str = "balanced"
    learning_rate: float = 0.001
    embedding_dimension: int = 20
    encoding_dimension: int = 50
    transformer_size: int = 128
    number_of_transformer_layers: int = 1
    number_of_attention_heads: int = 4
    max_relative_position: int = 5
    number_of_negative_examples: int = 20
    similarity_type: str = "auto"
    loss_type: str = "cross_entropy"
    ranking_length: int = 0
    renormalize_confidences: bool = False
    max_pos_sim: float = 0.8
    max_neg_sim: float = -0.2
    use_max_neg_sim: bool = True
    negative_margin_scale: float = 0.8
    scale_loss: bool = True
    regularization_constant: float = 0.001
    drop_rate_dialogue: float = 0.1
    drop_rate: float = 0.0
    drop_rate_label: float = 0.0
    drop_rate_attention: float = 0.0
    connection_density: float = 0.2
    sparse_input_dropout: bool = True
    dense_dimension: Mapping[str, int] = dataclasses.field(default_factory=_default_dense_dimension)
    hidden_layers_sizes: Mapping[str, list[int]] = dataclasses.field(
        default_factory=_default_hidden_layers
    )
    evaluate_every_number_of_epochs: int = 20
    evaluate_on_number_of_examples: int = 0
    checkpoint_model: bool = False
    tensorboard_log_directory: str | None = None
    tensorboard_log_level: str = "epoch"
    random_seed: int | None = None
    constrain_similarities: bool = False
    model_confidence: str = "softmax"
    # ted-cluster's own settings (not in Rasa).
    layout: str = "auto"
    finetune_epoch_fraction: float = 0.5
    learning_rate_decay: str = "none"
    deduplicate_examples: bool = True
    ema_momentum: float = 0.0
    jit_compile: bool = False
    pack_dialogues: bool = True
    batch_size_unit: str = "conversations"
    input_negatives: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.batch_size, list):  # Rasa writes [start, end]
            object.__setattr__(self, "batch_size", _normalize("batch_size", self.batch_size, _skip))
        _validate(self)

    # --- derived values -------------------------------------------------------------
    @property
    def effective_similarity(self) -> str:
        """'inner' for cross-entropy and 'cosine' for margin loss when set to 'auto'."""
        if self.similarity_type != "auto":
            return self.similarity_type
        return "inner" if self.loss_type == "cross_entropy" else "cosine"

    @property
    def effective_layout(self) -> str:
        """The data layout training uses.

        'dialogues' (every turn encoded once, a banded causal mask gives each turn its
        window) is exact for one transformer layer or without a history limit; with more
        layers and a window, the exact per-window 'windows' layout is used.
        """
        if self.layout != "auto":
            return self.layout
        if self.max_history is None or self.number_of_transformer_layers == 1:
            return "dialogues"
        return "windows"

    @property
    def relative_positions(self) -> int:
        """Largest relative distance that gets its own position embedding."""
        if self.max_history is not None:
            return max(self.max_history, 1)
        return self.max_relative_position

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form; ``from_dict`` reads it back."""
        data = dataclasses.asdict(self)
        data["batch_size"] = (
            list(self.batch_size) if isinstance(self.batch_size, tuple) else self.batch_size
        )
        data["dense_dimension"] = dict(self.dense_dimension)
        data["hidden_layers_sizes"] = {k: list(v) for k, v in self.hidden_layers_sizes.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TEDConfig:
        """Read ``to_dict`` output (strict: every key must be a field)."""
        fields = _field_names()
        for key in data:
            if key not in fields:
                raise ConfigError(key, "unknown TEDPolicy key")
        return cls.from_rasa(data, warn_ignored=False)

    @classmethod
    def rasa_keys(cls) -> frozenset[str]:
        """Every key a config.yml TEDPolicy entry may hold (for "did you mean")."""
        return frozenset({*_field_names(), *IGNORED_RASA_KEYS, *RASA_KEY_ALIASES})

    @classmethod
    def from_rasa(
        cls,
        raw: Mapping[str, Any] | None,
        *,
        warn_ignored: bool = True,
        unknown_keys: list[str] | None = None,
        ignored_keys: list[str] | None = None,
    ) -> TEDConfig:
        """Build from a Rasa config.yml TEDPolicy entry (the ``name`` key is allowed).

        A key that is neither a setting here nor a known Rasa key is skipped: appended to
        ``unknown_keys`` when given (the caller reports it with file and line), else logged
        with a "did you mean". Known Rasa keys without effect here (``use_gpu``,
        ``dense_dimension.text``, ...) go to ``ignored_keys`` likewise, else are logged when
        ``warn_ignored``. A wrong type or value raises ConfigError naming the key.
        """

        def ignore(key: str) -> None:
            if ignored_keys is not None:
                ignored_keys.append(key)
            elif warn_ignored:
                logger.warning("TEDPolicy key '%s' has no effect in ted-model; ignored", key)

        fields = _field_names()
        kwargs: dict[str, Any] = {}
        for key, value in dict(raw or {}).items():
            if key == "name":
                continue
            if key in IGNORED_RASA_KEYS:
                ignore(key)
                continue
            field = RASA_KEY_ALIASES.get(key, key)
            if field not in fields:
                if unknown_keys is not None:
                    unknown_keys.append(key)
                else:
                    logger.warning("unknown TEDPolicy key '%s' ignored%s", key, did_you_mean(key))
                continue
            if field in kwargs:
                raise ConfigError(key, f"given twice (as '{field}' too)")
            kwargs[field] = _normalize(field, value, ignore)
        return cls(**kwargs)

    def replace(self, **changes: Any) -> TEDConfig:
        """A copy with some keys changed (validated like ``from_rasa``)."""
        merged = self.to_dict()
        for key in changes:
            if key not in merged:
                raise ConfigError(key, "unknown TEDPolicy key")
        merged.update(changes)
        return TEDConfig.from_rasa(merged, warn_ignored=False)


def _field_names() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(TEDConfig))


def did_you_mean(key: str, known: frozenset[str] | None = None) -> str:
    """`` (did you mean 'x'?)`` for the closest known key, or ``""`` when none is close."""
    matches = difflib.get_close_matches(key, sorted(known or TEDConfig.rasa_keys()), n=1)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def _skip(key: str) -> None:
    """Ignore a Rasa-only sub-key without a word (the config is being read back)."""


def _normalize(key: str, value: Any, ignore: Callable[[str], None]) -> Any:
    """Map Rasa's alternative spellings onto the typed fields."""
    if key == "batch_size" and isinstance(value, list | tuple):
        if len(value) == 1:
            return value[0]
        if len(value) != 2:
            raise ConfigError(key, f"expected an int or a list [start, end], got {value!r}")
        return (value[0], value[1])
    if key in ("transformer_size", "number_of_transformer_layers") and isinstance(value, Mapping):
        if "dialogue" not in value:
            raise ConfigError(key, "a per-attribute value needs the 'dialogue' entry")
        return value["dialogue"]
    if key in ("dense_dimension", "hidden_layers_sizes"):
        if not isinstance(value, Mapping):
            raise ConfigError(key, f"expected a mapping attribute -> value, got {value!r}")
        defaults = _default_dense_dimension() if key == "dense_dimension" else {}
        merged: dict[str, Any] = dict(
            defaults if key == "dense_dimension" else _default_hidden_layers()
        )
        for attribute, item in value.items():
            if attribute in _TEXT_ATTRIBUTES:  # only end-to-end text uses these
                ignore(f"{key}.{attribute}")
                continue
            if attribute not in merged:
                raise ConfigError(f"{key}.{attribute}", "unknown attribute")
            merged[attribute] = item
        return merged
    if key == "loss_type" and value == "softmax":
        return "cross_entropy"
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _check_int(key: str, value: Any, minimum: int) -> None:
    if not _is_int(value):
        raise ConfigError(key, f"expected an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(key, f"must be at least {minimum}, got {value}")


def _check_float(key: str, value: Any, low: float, high: float) -> None:
    if not _is_number(value):
        raise ConfigError(key, f"expected a number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(key, f"must be between {low} and {high}, got {value}")


def _validate(config: TEDConfig) -> None:
    if config.max_history is not None:
        _check_int("max_history", config.max_history, 1)
    _check_int("epochs", config.epochs, 1)
    sizes = config.batch_size if isinstance(config.batch_size, tuple) else (config.batch_size,)
    for size in sizes:
        _check_int("batch_size", size, 1)
    for key in (
        "embedding_dimension",
        "encoding_dimension",
        "transformer_size",
        "number_of_attention_heads",
        "max_relative_position",
        "number_of_negative_examples",
        "evaluate_every_number_of_epochs",
    ):
        _check_int(key, getattr(config, key), 1)
    for key in ("number_of_transformer_layers", "ranking_length", "evaluate_on_number_of_examples"):
        _check_int(key, getattr(config, key), 0)
    if config.transformer_size % config.number_of_attention_heads:
        raise ConfigError(
            "transformer_size",
            f"{config.transformer_size} is not divisible by number_of_attention_heads "
            f"{config.number_of_attention_heads}",
        )
    if config.random_seed is not None:
        _check_int("random_seed", config.random_seed, 0)
    _check_float("learning_rate", config.learning_rate, 1e-12, 10.0)
    _check_float("regularization_constant", config.regularization_constant, 0.0, 10.0)
    _check_float("negative_margin_scale", config.negative_margin_scale, 0.0, 100.0)
    _check_float("max_pos_sim", config.max_pos_sim, -1.0, 1.0)
    _check_float("max_neg_sim", config.max_neg_sim, -1.0, 1.0)
    _check_float("finetune_epoch_fraction", config.finetune_epoch_fraction, 1e-6, 10.0)
    _check_float("ema_momentum", config.ema_momentum, 0.0, 0.9999)
    for key in ("drop_rate_dialogue", "drop_rate", "drop_rate_label", "drop_rate_attention"):
        _check_float(key, getattr(config, key), 0.0, 0.99)
    _check_float("connection_density", config.connection_density, 1e-6, 1.0)
    for key in (
        "renormalize_confidences",
        "use_max_neg_sim",
        "scale_loss",
        "sparse_input_dropout",
        "checkpoint_model",
        "constrain_similarities",
        "jit_compile",
        "pack_dialogues",
        "input_negatives",
        "deduplicate_examples",
    ):
        if not isinstance(getattr(config, key), bool):
            raise ConfigError(key, f"expected true or false, got {getattr(config, key)!r}")
    for key, choices in _CHOICES.items():
        value = getattr(config, key)
        if value not in choices:
            raise ConfigError(key, f"expected one of {', '.join(choices)}, got {value!r}")
    if config.tensorboard_log_directory is not None and not isinstance(
        config.tensorboard_log_directory, str
    ):
        raise ConfigError("tensorboard_log_directory", "expected a directory path")
    for attribute, dim in config.dense_dimension.items():
        _check_int(f"dense_dimension.{attribute}", dim, 1)
    for attribute, layers in config.hidden_layers_sizes.items():
        if not isinstance(layers, list | tuple):
            raise ConfigError(f"hidden_layers_sizes.{attribute}", "expected a list of sizes")
        for size in layers:
            _check_int(f"hidden_layers_sizes.{attribute}", size, 1)
    if config.loss_type == "cross_entropy" and config.similarity_type == "cosine":
        logger.warning("cosine similarity with cross_entropy loss: confidences will be flat")
