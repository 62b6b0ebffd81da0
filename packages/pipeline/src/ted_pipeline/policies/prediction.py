"""What one policy of the ensemble says about the next action."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ted_data_adapter.events import ACTION_LISTEN


@dataclass(frozen=True)
class PolicyPrediction:
    """Confidences of some actions (all others 0), as a Rasa policy's probabilities.

    ``no_user`` marks a prediction that does not depend on the user's input (a loop on its
    happy path); such a prediction overrules all others, as in Rasa's ensemble.
    """

    policy: str
    priority: int
    scores: Mapping[str, float] = field(default_factory=dict)
    no_user: bool = False
    source: str = ""  # which rule or memorized state decided, for diagnostics

    @property
    def confidence(self) -> float:
        return max(self.scores.values(), default=0.0)

    def best_action(self, action_order: Sequence[str]) -> str:
        """The action with the highest confidence; ties go to the earlier action in
        ``action_order`` (all zeros: ``action_listen``, the first, as Rasa's argmax)."""
        best = max(self.scores.values(), default=0.0)
        if best <= 0.0:
            return action_order[0] if action_order else ACTION_LISTEN
        for action in action_order:
            if self.scores.get(action, 0.0) == best:
                return action
        return max(self.scores, key=lambda name: self.scores[name])

    def without(self, action: str) -> PolicyPrediction:
        """The same prediction with ``action`` at 0 (a rejected action is not predicted)."""
        if action not in self.scores:
            return self
        scores = {name: score for name, score in self.scores.items() if name != action}
        return PolicyPrediction(self.policy, self.priority, scores, self.no_user, self.source)
