"""Reads Rasa dialogue projects and turns conversations into TED training data.

Only numpy and pyyaml are needed; batching and the tf.data pipeline are ted-model's.
"""

from ted_data_adapter.config import ProjectConfig
from ted_data_adapter.conflicts import find_story_conflicts
from ted_data_adapter.domain import Domain, load_domain
from ted_data_adapter.errors import (
    DataError,
    DataValidationError,
    Issue,
    ModelDataError,
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
from ted_data_adapter.project import (
    Project,
    find_domain,
    load_project,
    load_stories,
    load_story_blocks,
)
from ted_data_adapter.story_graph import ExpandedStory
from ted_data_adapter.version import __version__
from ted_data_adapter.vocabulary import Vocabulary

__all__ = [
    "ACTION_LISTEN",
    "ActionExecuted",
    "ActiveLoop",
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
    "StateFeaturizer",
    "UnknownSymbolError",
    "UserUttered",
    "Vocabulary",
    "__version__",
    "find_domain",
    "find_story_conflicts",
    "load_domain",
    "load_project",
    "load_stories",
    "load_story_blocks",
]
