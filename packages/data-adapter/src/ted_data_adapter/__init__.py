"""Reads Rasa dialogue projects and turns conversations into TED training data.

Only numpy and pyyaml are needed; the Keras bridge lives in ``ted_data_adapter.keras_dataset``
and is imported only when used.
"""

from ted_data_adapter.batching import (
    BatchPlanner,
    batch_size_for_epoch,
    iterate_batches,
    train_eval_split,
)
from ted_data_adapter.config import ProjectConfig
from ted_data_adapter.conflicts import find_story_conflicts
from ted_data_adapter.domain import Domain, load_domain
from ted_data_adapter.errors import (
    DataError,
    DataValidationError,
    Issue,
    ModelDataError,
    SplitError,
    UnknownSymbolError,
)
from ted_data_adapter.events import (
    ACTION_LISTEN,
    ActionExecuted,
    ActiveLoop,
    Entity,
    Event,
    SlotSet,
    UserUttered,
)
from ted_data_adapter.featurizer import StateFeaturizer
from ted_data_adapter.model_data import FeatureSignature, ModelData
from ted_data_adapter.project import Project, load_project, load_stories
from ted_data_adapter.story_graph import ExpandedStory
from ted_data_adapter.version import __version__
from ted_data_adapter.vocabulary import Vocabulary

__all__ = [
    "ACTION_LISTEN",
    "ActionExecuted",
    "ActiveLoop",
    "BatchPlanner",
    "DataError",
    "DataValidationError",
    "Domain",
    "Entity",
    "Event",
    "ExpandedStory",
    "FeatureSignature",
    "Issue",
    "ModelData",
    "ModelDataError",
    "Project",
    "ProjectConfig",
    "SlotSet",
    "SplitError",
    "StateFeaturizer",
    "UnknownSymbolError",
    "UserUttered",
    "Vocabulary",
    "__version__",
    "batch_size_for_epoch",
    "find_story_conflicts",
    "iterate_batches",
    "load_domain",
    "load_project",
    "load_stories",
    "train_eval_split",
]
