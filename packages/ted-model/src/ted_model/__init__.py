"""The TED dialogue policy in TensorFlow 2 / Keras 3: train, evaluate, archive, predict."""

from ted_model.version import __version__

__all__ = ["__version__"]
