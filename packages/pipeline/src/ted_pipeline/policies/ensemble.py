"""The policy ensemble: a bot's whole dialogue policy, deciding as Rasa's does.

Every member predicts; an action the loop just rejected gets confidence 0 everywhere; a
prediction that does not depend on the user's input (an active form on its happy path)
overrules the others; otherwise the highest confidence wins, ties going to the higher
priority (RulePolicy 4, MemoizationPolicy 3, TEDPolicy 1) and then to the member listed
first. The answer names the policy that decided and carries TED's ranking beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ted_data_adapter.applied import rejected_action
from ted_data_adapter.events import ActiveLoop, Event, SlotSet
from ted_data_adapter.rasa_states import ConversationStates, RasaStates
from ted_pipeline.policies.prediction import PolicyPrediction

TED_POLICY = "TEDPolicy"


class Member(Protocol):
    """A policy of the ensemble (RulePolicy, MemoizationPolicy, the TED member)."""

    name: str
    priority: int

    def predict_batch(
        self,
        conversations: Sequence[Sequence[Event]],
        states: Sequence[ConversationStates] | None = None,
    ) -> list[PolicyPrediction]: ...


@dataclass(frozen=True)
class EnsemblePrediction:
    """The next action, the policy that chose it, and the rankings.

    ``ranking`` starts with the chosen action (at the deciding policy's confidence) and goes
    on with TED's ranking of the other actions (or the decider's own, without TED);
    ``ted_ranking`` is TED's own, unchanged (None without TED).
    """

    action: str
    confidence: float
    policy_name: str
    ranking: list[tuple[str, float]]
    ted_ranking: list[tuple[str, float]] | None = None
    source: str = field(default="", compare=False)
    confidences: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False, repr=False)


class TEDMember:
    """TED inside the ensemble: the slots and loops only rules mention are left out."""

    name = TED_POLICY

    def __init__(
        self,
        policy: Any,
        *,
        priority: int = 1,
        rule_only_slots: frozenset[str] = frozenset(),
        rule_only_loops: frozenset[str] = frozenset(),
    ) -> None:
        self.policy = policy
        self.priority = priority
        self.rule_only_slots = rule_only_slots
        self.rule_only_loops = rule_only_loops
        self.action_names: list[str] = list(policy.action_names)

    def _view(self, events: Sequence[Event]) -> Sequence[Event]:
        if not (self.rule_only_slots or self.rule_only_loops):
            return events
        return [
            e
            for e in events
            if not (isinstance(e, SlotSet) and e.name in self.rule_only_slots)
            and not (isinstance(e, ActiveLoop) and e.name in self.rule_only_loops)
        ]

    def confidences(self, conversations: Sequence[Sequence[Event]]) -> np.ndarray:
        features = self.policy._featurize([self._view(events) for events in conversations])
        return np.asarray(self.policy.confidences(features))

    def predict_batch(
        self,
        conversations: Sequence[Sequence[Event]],
        states: Sequence[ConversationStates] | None = None,
    ) -> list[PolicyPrediction]:
        rows = self.confidences(conversations)
        return [self.as_prediction(row) for row in rows]

    def as_prediction(self, row: np.ndarray, rejected: str | None = None) -> PolicyPrediction:
        """TED's confidences as a member's prediction. Only the best action counts in the
        ensemble's choice, so only it is kept unless an action was rejected (then the next
        best may win and every score is needed)."""
        if rejected is None:
            best = int(np.argmax(row))  # the first of equal maxima, as ``best_action``
            scores = {self.action_names[best]: float(row[best])}
        else:
            scores = {name: float(c) for name, c in zip(self.action_names, row, strict=True)}
        return PolicyPrediction(self.name, self.priority, scores, source="TED")

    def rank(self, row: np.ndarray, top_k: int | None = None) -> list[tuple[str, float]]:
        return list(self.policy.rank(row, top_k).ranking)


def choose(predictions: Sequence[PolicyPrediction], rejected: str | None) -> PolicyPrediction:
    """Rasa's choice among the members' predictions (see the module docstring)."""
    if rejected is not None:
        predictions = [p.without(rejected) for p in predictions]
    no_user = any(p.no_user for p in predictions)
    best: PolicyPrediction | None = None
    best_key = (-1.0, -1)
    for prediction in predictions:
        if prediction.no_user != no_user:
            continue
        key = (prediction.confidence, prediction.priority)
        if key > best_key:
            best, best_key = prediction, key
    assert best is not None, "an ensemble has at least one member"
    return best


class PolicyEnsemble:
    """The trained policies of one model, predicting together."""

    def __init__(
        self,
        members: Sequence[Member],
        vocabulary: Any,
        *,
        model_name: str | None = None,
        version: int | None = None,
        manifest: Any = None,
    ) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one policy")
        self.members = list(members)
        self.vocabulary = vocabulary
        self.model_name = model_name
        self.version = version
        self.manifest = manifest
        self.action_names: list[str] = list(vocabulary.actions)
        self.ted: TEDMember | None = next(
            (m for m in self.members if isinstance(m, TEDMember)), None
        )
        # rules and memoization read the same states: replayed once per conversation
        self._states = RasaStates(vocabulary)
        self._ted_only = self.members == [self.ted]

    @property
    def policy_names(self) -> list[str]:
        return [member.name for member in self.members]

    def only(self, name: str) -> PolicyEnsemble:
        """The same model with one member alone (``ted test --policy``)."""
        chosen = [m for m in self.members if m.name.lower() == name.lower()]
        if not chosen:
            raise KeyError(name)
        return PolicyEnsemble(
            chosen,
            self.vocabulary,
            model_name=self.model_name,
            version=self.version,
            manifest=self.manifest,
        )

    def wait_until_warm(self, timeout: float | None = None) -> None:
        if self.ted is not None:
            self.ted.policy.wait_until_warm(timeout)

    def predict(self, events: Sequence[Event], top_k: int | None = None) -> EnsemblePrediction:
        return self.predict_batch([events], top_k)[0]

    def predict_batch(
        self, conversations: Sequence[Sequence[Event]], top_k: int | None = None
    ) -> list[EnsemblePrediction]:
        """The ensemble's next action for each conversation (TED runs once for the batch)."""
        if not conversations:
            return []
        ted_rows = self.ted.confidences(conversations) if self.ted is not None else None
        if self._ted_only:
            assert ted_rows is not None
            return [
                self._ted_answer(events, row, top_k)
                for events, row in zip(conversations, ted_rows, strict=True)
            ]
        states = [ConversationStates(self._states, events) for events in conversations]
        rejected = [rejected_action(events) for events in conversations]
        per_member: list[list[PolicyPrediction]] = []
        for member in self.members:
            if member is self.ted:
                assert ted_rows is not None and self.ted is not None
                ted = self.ted
                per_member.append(
                    [ted.as_prediction(row, r) for row, r in zip(ted_rows, rejected, strict=True)]
                )
            else:
                per_member.append(member.predict_batch(conversations, states))
        out = []
        for index in range(len(conversations)):
            best = choose([predictions[index] for predictions in per_member], rejected[index])
            row = ted_rows[index] if ted_rows is not None else None
            out.append(self._answer(best, rejected[index], row, top_k))
        return out

    def _ted_answer(
        self, events: Sequence[Event], row: np.ndarray, top_k: int | None
    ) -> EnsemblePrediction:
        """TED alone: its ranking is the answer (a rejected action still gets 0)."""
        assert self.ted is not None
        rejected = rejected_action(events)
        if rejected is not None:
            best = choose([self.ted.as_prediction(row, rejected)], rejected)
            return self._answer(best, rejected, row, top_k)
        ranking = self.ted.rank(row, top_k or None)
        action, confidence = ranking[0]
        return EnsemblePrediction(action, confidence, TED_POLICY, ranking, ranking, "TED", row)

    def _answer(
        self,
        best: PolicyPrediction,
        rejected: str | None,
        ted_row: np.ndarray | None,
        top_k: int | None,
    ) -> EnsemblePrediction:
        action = best.best_action(self.action_names)
        confidence = best.confidence
        ted_ranking = None
        if self.ted is not None and ted_row is not None:
            # one more than asked: the chosen action leaves TED's list of the others
            ted_ranking = self.ted.rank(ted_row, top_k + 1 if top_k else None)
            others = [(a, c) for a, c in ted_ranking if a != action]
        else:
            others = sorted(
                ((a, c) for a, c in best.scores.items() if a != action),
                key=lambda item: -item[1],
            )
        ranking = [(action, confidence), *others]
        if top_k:
            ranking = ranking[:top_k]
            ted_ranking = ted_ranking[:top_k] if ted_ranking is not None else None
        confidences = ted_row if ted_row is not None else np.zeros(0)
        return EnsemblePrediction(
            action, confidence, best.policy, ranking, ted_ranking, best.source, confidences
        )


def member_settings(members: Sequence[Member]) -> Mapping[str, int]:
    """Policy name -> priority (for messages and the archive's description)."""
    return {member.name: member.priority for member in members}
