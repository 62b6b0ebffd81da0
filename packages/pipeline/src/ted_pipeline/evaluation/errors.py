"""Errors of a story replay."""

from __future__ import annotations

from ted_pipeline.errors import PipelineError


class EvaluationError(PipelineError):
    """Test stories cannot be replayed against this model (e.g. an action it does not know)."""
