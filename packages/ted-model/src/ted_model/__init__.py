"""The TED dialogue policy in TensorFlow 2 / Keras 3: configure, train, save, load, predict.

Importing the package is light: TensorFlow loads when a model is built, trained or loaded.
Projects, fingerprints and archives are the composition's business (ted-pipeline).
"""

from ted_model.config import TEDConfig
from ted_model.errors import (
    ConfigError,
    ModelLoadError,
    TEDModelError,
    TrainingError,
)
from ted_model.policy import Prediction, TEDPolicy
from ted_model.policy_training import (
    TrainedPolicy,
    TrainingData,
    featurize_for_training,
    train_policy,
)
from ted_model.version import __version__

__all__ = [
    "ConfigError",
    "ModelLoadError",
    "Prediction",
    "TEDConfig",
    "TEDModelError",
    "TEDPolicy",
    "TrainedPolicy",
    "TrainingData",
    "TrainingError",
    "__version__",
    "featurize_for_training",
    "train_policy",
]
