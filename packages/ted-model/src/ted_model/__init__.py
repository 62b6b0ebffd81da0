"""The TED dialogue policy in TensorFlow 2 / Keras 3: train, evaluate, archive, predict.

Importing the package is light: TensorFlow loads when a model is built, trained or loaded.
"""

from ted_model.config import TEDConfig
from ted_model.errors import (
    ConfigError,
    FinetuneRefused,
    ModelLoadError,
    PredictionError,
    TEDModelError,
    TrainingError,
)
from ted_model.policy import Prediction, TEDPolicy
from ted_model.project_training import TrainResult, train_project
from ted_model.version import __version__

__all__ = [
    "ConfigError",
    "FinetuneRefused",
    "ModelLoadError",
    "Prediction",
    "PredictionError",
    "TEDConfig",
    "TEDModelError",
    "TEDPolicy",
    "TrainResult",
    "TrainingError",
    "__version__",
    "train_project",
]
