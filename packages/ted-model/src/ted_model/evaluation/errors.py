"""Errors of a story replay."""

from __future__ import annotations

from ted_model.errors import TEDModelError


class EvaluationError(TEDModelError):
    """Test stories cannot be replayed against this model (e.g. an action it does not know)."""
