"""gRPC PredictorService serving TED models from a model store."""

from ted_predictor.version import __version__

__all__ = ["__version__"]
