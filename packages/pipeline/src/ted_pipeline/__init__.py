"""One training, loading and evaluation path for TED projects.

The composition of the libraries below it: check and load a project, read its config.yml
(with one documented precedence, see :mod:`ted_pipeline.config`), decide from the
fingerprint whether anything must be trained, train or fine-tune with ted-model, archive
the result in a ted-archive ModelStore, load any archived model back with
:func:`load_model`, and replay stories against it (:mod:`ted_pipeline.evaluation`).
Importing it does not import TensorFlow.
"""

from ted_pipeline.config import augmentation_factor, read_config_file, ted_config
from ted_pipeline.errors import (
    FinetuneRefused,
    ModelLoadError,
    ModelRefError,
    PipelineError,
    PolicyConfigError,
    ProjectNotFoundError,
)
from ted_pipeline.loading import ModelRef, load_model
from ted_pipeline.policy_config import EnsembleConfig, read_ensemble
from ted_pipeline.project import TrainingProject, check_project_dir, load_training_project
from ted_pipeline.training import TrainResult, train_project
from ted_pipeline.version import __version__

__all__ = [
    "EnsembleConfig",
    "FinetuneRefused",
    "ModelLoadError",
    "ModelRef",
    "ModelRefError",
    "PipelineError",
    "PolicyConfigError",
    "ProjectNotFoundError",
    "TrainResult",
    "TrainingProject",
    "__version__",
    "augmentation_factor",
    "check_project_dir",
    "load_model",
    "load_training_project",
    "read_config_file",
    "read_ensemble",
    "ted_config",
    "train_project",
]
