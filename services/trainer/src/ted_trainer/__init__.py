"""gRPC TrainerService and Ray Tune sweeps writing versioned TED archives."""

from ted_trainer.version import __version__

__all__ = ["__version__"]
