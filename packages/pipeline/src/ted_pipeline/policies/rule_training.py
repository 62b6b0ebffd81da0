"""Training RulePolicy, and the checks Rasa runs on rules before it accepts them.

- ``restrict_rules``: a rule has at most one user turn (rules are not a state machine);
- ``check_for_contradictions``: rules are complete (an action that sets slots or a loop in
  one rule does so in every rule), and replaying every rule and story with the learned
  rules gives no action that contradicts the rule or story (the contradiction names both,
  with file and line). Rules that would predict ``action_listen`` where a story shows
  another action after the same user turn are dropped instead, as Rasa does.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ted_data_adapter.applied import applied_positions, tracker_view
from ted_data_adapter.events import (
    ACTION_LISTEN,
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from ted_data_adapter.rasa_states import PREVIOUS_ACTION, RULE_SNIPPET_ACTION, SHOULD_NOT_BE_SET
from ted_data_adapter.vocabulary import Vocabulary
from ted_pipeline.errors import PipelineError
from ted_pipeline.policies.conversations import TrainingConversation
from ted_pipeline.policies.rules import (
    DEFAULT_RULES,
    LOOP_RULES,
    RuleLookup,
    RulePolicy,
    action_labels,
    examples_of,
    learn_rules,
    learn_unhappy_paths,
    slots_and_loops,
)

logger = logging.getLogger(__name__)

ALLOWED_USER_TURNS = 1


class InvalidRuleError(PipelineError):
    """Rules that Rasa refuses: too many user turns, incomplete, or contradicting stories."""


def train_rule_policy(
    settings: Any,
    vocabulary: Vocabulary,
    rules: Sequence[TrainingConversation],
    stories: Sequence[TrainingConversation],
    *,
    priority: int = 4,
) -> RulePolicy:
    """Learn the rules and check them; InvalidRuleError lists every problem found."""
    if settings.restrict_rules:
        _check_restriction(rules)
    policy = RulePolicy(settings, vocabulary, RuleLookup(), priority=priority)
    states_of = policy.states.states
    if settings.check_for_contradictions:
        _check_complete(policy, rules)
    rule_examples = [
        example
        for rule in rules
        for example in examples_of(
            states_of(rule.events, omit_unset_slots=True), action_labels(rule.events)
        )
    ]
    story_states = [states_of(story.events) for story in stories]
    story_examples = [
        example
        for story, states in zip(stories, story_states, strict=True)
        for example in examples_of(states, action_labels(story.events))
    ]
    policy.lookup.rules = learn_rules(rule_examples)
    policy.lookup.unhappy = learn_unhappy_paths([*rule_examples, *story_examples])
    if settings.check_for_contradictions:
        rule_slots, rule_loops = slots_and_loops(s for states, _ in rule_examples for s in states)
        story_slots, story_loops = slots_and_loops(s for states in story_states for s in states)
        policy.lookup.rule_only_slots = tuple(
            sorted(rule_slots - story_slots - {SHOULD_NOT_BE_SET})
        )
        policy.lookup.rule_only_loops = tuple(
            sorted(rule_loops - story_loops - {SHOULD_NOT_BE_SET})
        )
    policy.refresh()
    if settings.check_for_contradictions:
        _check_contradictions(policy, rules, stories)
    logger.info("learned %d rules", len(policy.lookup.rules))
    return policy


def _check_restriction(rules: Sequence[TrainingConversation]) -> None:
    too_long = [rule for rule in rules if rule.user_turns > ALLOWED_USER_TURNS]
    if too_long:
        listed = "\n".join(
            f"{rule.source}: rule '{rule.name}' has {rule.user_turns} user turns"
            for rule in too_long
        )
        raise InvalidRuleError(
            f"rules may contain at most {ALLOWED_USER_TURNS} user turn (they are not meant to "
            f"hard-code a state machine; use stories, or set restrict_rules: false):\n{listed}"
        )


# --- incomplete rules ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Fingerprint:
    slots: frozenset[str]
    loops: frozenset[str]


def _fingerprints(
    policy: RulePolicy, rules: Sequence[TrainingConversation]
) -> dict[str, _Fingerprint]:
    """Per action: the featurized slots and the loops that rules set right after it."""
    featurized = set(policy.states.slots)
    after: dict[str, set[Event]] = defaultdict(set)
    for rule in rules:
        action: str | None = None
        for event in rule.events:
            if isinstance(event, ActionExecuted):
                action = event.name
            elif isinstance(event, UserUttered):
                action = None
            elif action is not None and isinstance(event, (SlotSet, ActiveLoop)):
                after[action].add(event)
    return {
        action: _Fingerprint(
            frozenset(e.name for e in events if isinstance(e, SlotSet) and e.name in featurized),
            frozenset(str(e.name) for e in events if isinstance(e, ActiveLoop)),
        )
        for action, events in after.items()
    }


def _check_complete(policy: RulePolicy, rules: Sequence[TrainingConversation]) -> None:
    fingerprints = _fingerprints(policy, rules)
    if not fingerprints:
        return
    problems: list[str] = []
    for rule in rules:
        states = policy.states.states(rule.events)
        following = [s.get(PREVIOUS_ACTION, {}).get("action_name") for s in states[1:]]
        for state, next_action in zip(states, [*following, ACTION_LISTEN], strict=True):
            previous = state.get(PREVIOUS_ACTION, {}).get("action_name")
            fingerprint = fingerprints.get(previous) if previous else None
            if (
                fingerprint is None
                or next_action == RULE_SNIPPET_ACTION
                or previous == RULE_SNIPPET_ACTION
            ):
                continue
            missing = sorted(fingerprint.slots - set(state.get("slots", {})))
            if missing:
                problems.append(
                    f"{rule.source}: the action '{previous}' in rule '{rule.name}' does not set "
                    f"the slot(s) {', '.join(missing)} that it sets in other rules; add them, "
                    "or 'wait_for_user_input: false' after this action"
                )
            loop = state.get("active_loop", {}).get("name")
            if fingerprint.loops and loop not in fingerprint.loops:
                expected = sorted(
                    "null" if name == SHOULD_NOT_BE_SET else name for name in fingerprint.loops
                )
                problems.append(
                    f"{rule.source}: the form '{previous}' in rule '{rule.name}' does not set "
                    f"the active_loop ({', '.join(expected)}) that it sets in other rules; add "
                    "it, or 'wait_for_user_input: false' after this action"
                )
    if problems:
        raise InvalidRuleError(
            "incomplete rules (if a slot or active loop must not be set, set it to null in "
            "the rule):\n" + "\n".join(dict.fromkeys(problems))
        )


# --- contradictions -----------------------------------------------------------------------
def _argmax(policy: RulePolicy, action: str | None, is_rule: bool) -> str | None:
    """Rasa's argmax of the rule prediction: for a rule without a matching rule it is the
    fallback action (or action_listen, the first action, when fallback is off)."""
    if action is not None or not is_rule:
        return action
    settings = policy.settings
    return (
        settings.core_fallback_action_name if settings.enable_fallback_prediction else ACTION_LISTEN
    )


def _predicted(
    policy: RulePolicy, history: list[Event], gold: str, is_rule: bool
) -> tuple[str | None, str]:
    """What the rules predict (None: nothing, for a story), emulating a loop's rejection
    when the loop was predicted but the gold action is another (the history keeps it)."""
    decision = policy.decide(history, explain=True)
    action = _argmax(policy, decision.action, is_rule)
    loop = tracker_view(history).active_loop
    if loop is not None and action != gold and action == loop:
        history.append(ActionExecutionRejected(loop))
        decision = policy.decide(history, explain=True)
        action = _argmax(policy, decision.action, is_rule)
    return action, decision.source


def _replay(conversation: TrainingConversation) -> Iterator[tuple[list[Event], str, int]]:
    """(history so far, gold action, its position in the conversation) for every
    predictable action; the history is one list that grows as the replay goes on."""
    history: list[Event] = []
    unpredictable = True  # the first action, and the one after '...', are not predicted
    for position in applied_positions(conversation.events):
        event = conversation.events[position]
        if not isinstance(event, ActionExecuted):
            history.append(event)
            continue
        if event.name == RULE_SNIPPET_ACTION:
            unpredictable = True
            history.append(event)
            continue
        if unpredictable:
            unpredictable = False
            history.append(event)
            continue
        yield history, event.name, position
        history.append(event)


def _check_contradictions(
    policy: RulePolicy,
    rules: Sequence[TrainingConversation],
    stories: Sequence[TrainingConversation],
) -> None:
    sources: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rule in rules:
        for history, gold, _ in _replay(rule):
            action, source = _predicted(policy, history, gold, True)
            if not source:
                continue
            name = f"'{rule.name}' ({rule.source})"
            if source.startswith((DEFAULT_RULES, LOOP_RULES)):
                gold, name = action or gold, source
            sources[source].append((name, gold))
    problems: list[str] = []
    for conversation in [*rules, *stories]:
        kind = "rule" if conversation.is_rule else "story"
        for history, gold, position in _replay(conversation):
            action, source = _predicted(policy, history, gold, conversation.is_rule)
            if action is None or not source or action == gold:
                continue
            if _should_drop(policy, source, conversation.is_rule, action):
                policy.lookup.rules.pop(source, None)
                policy.refresh()
                continue
            against = sorted({name for name, wanted in sources[source] if wanted != gold})
            if not against:
                continue
            predicted = (
                ""
                if action == policy.settings.core_fallback_action_name
                else f", which predicts '{action}'"
            )
            problems.append(
                f"{conversation.where(position)}: the action '{gold}' in {kind} "
                f"'{conversation.name}' ({conversation.source}) contradicts rule(s) "
                f"{', '.join(against)}{predicted}"
            )
    if problems:
        raise InvalidRuleError(
            "rules and stories contradict each other:\n" + "\n".join(dict.fromkeys(problems))
        )


def _should_drop(policy: RulePolicy, source: str, is_rule: bool, action: str) -> bool:
    """A rule that predicts a listen after a user turn, where a longer rule continues: the
    story shows another action there, so this rule goes (not reported)."""
    if is_rule or source.count(PREVIOUS_ACTION) > 1 or action != ACTION_LISTEN:
        return False
    prefix = source[:-2]
    return any(key.startswith(prefix) and key != source for key in policy.lookup.rules)
