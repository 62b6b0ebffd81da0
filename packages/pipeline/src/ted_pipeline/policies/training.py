"""Training every policy of an ensemble on a loaded project.

RulePolicy learns from the rules (and checks them against the stories) first, because it
also finds the slots and loops that only rules mention, which the other policies leave
out. MemoizationPolicy remembers the training stories; TED trains on the stories and their
augmented combinations (never on the rules, as in Rasa). A config without TED trains no
neural network and imports no TensorFlow.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ted_data_adapter.story import StoryBlock
from ted_data_adapter.story_graph import ExpandedStory, augment
from ted_data_adapter.vocabulary import Vocabulary
from ted_pipeline.policies.conversations import rule_conversations, story_conversations
from ted_pipeline.policies.ensemble import Member, PolicyEnsemble, TEDMember
from ted_pipeline.policies.memoization import MemoizationPolicy
from ted_pipeline.policies.persistence import save_ensemble
from ted_pipeline.policies.rule_training import train_rule_policy
from ted_pipeline.policies.rules import RulePolicy
from ted_pipeline.policy_config import EnsembleConfig
from ted_pipeline.policy_names import PolicyKind

logger = logging.getLogger(__name__)


@dataclass
class TrainedEnsemble:
    """The trained members, ready to save or to predict with."""

    members: list[tuple[Member, Any]]  # (policy, what saves it)
    vocabulary: Vocabulary
    ted: Any = None  # ted_model.TrainedPolicy, when TED is a member
    metrics: dict[str, Any] = field(default_factory=dict)

    def save(self, target: str | os.PathLike[str]) -> None:
        save_ensemble(Path(target), self.members, self.vocabulary)

    def ensemble(self, **names: Any) -> PolicyEnsemble:
        return PolicyEnsemble([m for m, _ in self.members], self.vocabulary, **names)


def _conversations(stories: Sequence[ExpandedStory], factor: int, seed: int) -> list[Any]:
    return [story.events for story in (*stories, *augment(stories, factor, seed))]


def train_ensemble(
    ensemble: EnsembleConfig,
    vocabulary: Vocabulary,
    *,
    rules: Sequence[StoryBlock],
    stories: Sequence[ExpandedStory],
    augmentation: int,
    seed: int,
    callbacks: Sequence[Any] = (),
    verbose: bool | None = None,
    ted_parent: Any = None,
    ted_epochs: int | None = None,
) -> TrainedEnsemble:
    """Train the members of ``ensemble`` in config order (rules first, see the module)."""
    story_data = story_conversations(stories)
    rule_policy: RulePolicy | None = None
    rule_only: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    metrics: dict[str, Any] = {}
    rule_member = ensemble.member(PolicyKind.RULE)
    if rule_member is not None:
        rule_policy = train_rule_policy(
            rule_member.config,
            vocabulary,
            rule_conversations(rules),
            story_data,
            priority=rule_member.priority,
        )
        rule_only = (
            frozenset(rule_policy.lookup.rule_only_slots),
            frozenset(rule_policy.lookup.rule_only_loops),
        )
        metrics["rules"] = len(rule_policy.lookup.rules)
    trained = TrainedEnsemble([], vocabulary, metrics=metrics)
    for member in ensemble.members:
        if member.kind is PolicyKind.RULE:
            assert rule_policy is not None
            trained.members.append((rule_policy, member.config))
        elif member.kind is PolicyKind.MEMOIZATION:
            memo_config = ensemble.memoization
            assert memo_config is not None
            memo = MemoizationPolicy.train(
                vocabulary,
                story_data,
                max_history=memo_config.max_history,
                priority=member.priority,
                augmented=memo_config.augmented,
                rule_only_slots=rule_only[0],
                rule_only_loops=rule_only[1],
            )
            trained.members.append((memo, member.config))
            metrics["memorized"] = len(memo.memory.lookup)
        elif member.kind is PolicyKind.TED:
            from ted_model import featurize_for_training, train_policy

            ted_config = ensemble.ted
            assert ted_config is not None
            data = featurize_for_training(
                ted_config, vocabulary, _conversations(stories, augmentation, seed)
            )
            ted = train_policy(
                ted_config,
                data,
                continue_from=ted_parent,
                epochs=ted_epochs,
                callbacks=callbacks,
                verbose=verbose,
            )
            trained.ted = ted
            policy = ted.to_policy()
            trained.members.append(
                (
                    TEDMember(
                        policy,
                        priority=member.priority,
                        rule_only_slots=rule_only[0],
                        rule_only_loops=rule_only[1],
                    ),
                    ted,
                )
            )
            metrics.update(ted.metrics)
    return trained
