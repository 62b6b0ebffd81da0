"""RulePolicy: Rasa's rules, forms and default actions, as lookups over dialogue states.

Training turns every rule into state keys (the states after the last ``...``, read with
only the slots the rule sets) with the action that follows, and derives from rules and
stories the "unhappy path" conditions of forms. Prediction, in Rasa's order:

1. a default intent right after the user spoke (``restart`` -> ``action_restart``,
   ``back`` -> ``action_back``, ``session_start`` -> ``action_session_start``);
2. an active loop on its happy path: run the loop again after the user answered, listen
   after it ran (this overrules every other policy);
3. the longest rule whose states match the end of the conversation (a rule state matches
   when everything it names is in the conversation's state); a general rule ending in
   ``action_listen`` inside an active loop gives the loop back, unless a story shows
   otherwise;
4. otherwise ``core_fallback_action_name`` at ``core_fallback_threshold`` (when
   ``enable_fallback_prediction``), which wins when no other policy is more confident.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ted_data_adapter.applied import applied_events, tracker_view
from ted_data_adapter.events import ACTION_LISTEN, ActionExecuted, Event
from ted_data_adapter.rasa_states import (
    ACTION_NAME,
    ACTIVE_LOOP,
    LOOP_NAME,
    PREVIOUS_ACTION,
    RULE_SNIPPET_ACTION,
    SHOULD_NOT_BE_SET,
    ConversationStates,
    RasaStates,
    State,
    state_key,
    states_from_key,
)
from ted_data_adapter.vocabulary import Vocabulary
from ted_pipeline.policies.prediction import PolicyPrediction

logger = logging.getLogger(__name__)

POLICY_NAME = "RulePolicy"
DEFAULT_ACTIONS_FOR_INTENTS = {
    "restart": "action_restart",
    "back": "action_back",
    "session_start": "action_session_start",
}
LOOP_WAS_INTERRUPTED = "loop_was_interrupted"
DO_NOT_PREDICT_LOOP_ACTION = "do_not_predict_loop_action"
DEFAULT_RULES = "predicting default action with intent "
LOOP_RULES = "handling active loops and forms - "
LOOP_RULES_SEPARATOR = " - "
LOOKUP_FORMAT = 1


class RuleSettings(Protocol):
    """The RulePolicy keys prediction needs (ted_pipeline.policy_config has them all)."""

    @property
    def core_fallback_threshold(self) -> float: ...
    @property
    def core_fallback_action_name(self) -> str: ...
    @property
    def enable_fallback_prediction(self) -> bool: ...


# --- keys and matching --------------------------------------------------------------------
def is_snippet_state(state: Mapping[str, Any]) -> bool:
    return state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME) == RULE_SNIPPET_ACTION


def rule_key(states: Sequence[State]) -> str | None:
    """The key of a rule: its states after the last ``...`` (None when nothing is left)."""
    kept: list[State] = []
    for state in reversed(states):
        if is_snippet_state(state):
            break
        kept.insert(0, state)
    return state_key(kept) if kept else None


def unhappy_states(states: Sequence[State]) -> list[State]:
    """The last turn and the action before it: what a loop's unhappy path depends on."""
    if len(states) == 1 or not states[-2].get(PREVIOUS_ACTION):
        return [states[-1]]
    return [{PREVIOUS_ACTION: states[-2][PREVIOUS_ACTION]}, states[-1]]


def loop_of(state: Mapping[str, Any]) -> str | None:
    name = state.get(ACTIVE_LOOP, {}).get(LOOP_NAME)
    return None if name in (None, SHOULD_NOT_BE_SET) else str(name)


def is_listen_state(state: Mapping[str, Any]) -> bool:
    return state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME) == ACTION_LISTEN


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def rule_state_matches(rule_state: Mapping[str, Any], state: Mapping[str, Any]) -> bool:
    """Everything the rule state names is in the conversation state; ``should_not_be_set``
    means the conversation must not have it."""
    for part, rule_values in rule_state.items():
        values = state.get(part, {})
        for name, wanted in rule_values.items():
            wanted = _frozen(wanted)
            have = values.get(name)
            if wanted == SHOULD_NOT_BE_SET:
                if have and have != SHOULD_NOT_BE_SET:
                    return False
            elif wanted and have != wanted:
                return False
    return True


@dataclass(frozen=True)
class _ParsedKey:
    key: str
    reversed_states: tuple[Mapping[str, Any], ...]


def _applies(rule: _ParsedKey, turn: int, state: Mapping[str, Any]) -> bool:
    """Whether the rule's state ``turn`` steps back matches the conversation's there."""
    if turn >= len(rule.reversed_states):
        return True  # the conversation is longer than the rule: it already matched
    rule_state = rule.reversed_states[turn]
    rule_started = bool(rule_state.get(PREVIOUS_ACTION))
    started = bool(state.get(PREVIOUS_ACTION))
    if not rule_started and not started:
        return True  # both are the start of a conversation
    if not rule_started or not started:
        return False
    return rule_state_matches(rule_state, state)


def matching_keys(keys: Iterable[_ParsedKey], states: Sequence[State]) -> list[_ParsedKey]:
    """The keys whose states match the end of ``states`` (compared from the last back)."""
    possible = list(keys)
    for turn, state in enumerate(reversed(states)):
        possible = [rule for rule in possible if _applies(rule, turn, state)]
        if not possible:
            break
    return possible


def _parse(lookup: Mapping[str, str]) -> list[_ParsedKey]:
    return [_ParsedKey(key, tuple(reversed(states_from_key(key)))) for key in sorted(lookup)]


# --- the policy ---------------------------------------------------------------------------
@dataclass
class RuleLookup:
    """What RulePolicy learned: rule keys, loop conditions, what only rules mention."""

    rules: dict[str, str] = field(default_factory=dict)
    unhappy: dict[str, str] = field(default_factory=dict)
    rule_only_slots: tuple[str, ...] = ()
    rule_only_loops: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": LOOKUP_FORMAT,
            "rules": dict(sorted(self.rules.items())),
            "unhappy": dict(sorted(self.unhappy.items())),
            "rule_only_slots": sorted(self.rule_only_slots),
            "rule_only_loops": sorted(self.rule_only_loops),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleLookup:
        if data.get("format") != LOOKUP_FORMAT:
            raise ValueError(f"unknown rule lookup format {data.get('format')!r}")
        return cls(
            rules={str(k): str(v) for k, v in data["rules"].items()},
            unhappy={str(k): str(v) for k, v in data["unhappy"].items()},
            rule_only_slots=tuple(data.get("rule_only_slots", ())),
            rule_only_loops=tuple(data.get("rule_only_loops", ())),
        )


@dataclass(frozen=True)
class RuleDecision:
    """What the rules say before fallback: an action (or None) and why."""

    action: str | None
    source: str
    no_user: bool = False


class RulePolicy:
    """Predicts with learned rules, active loops and default actions (Rasa's RulePolicy)."""

    name = POLICY_NAME

    def __init__(
        self,
        settings: RuleSettings,
        vocabulary: Vocabulary,
        lookup: RuleLookup,
        *,
        priority: int = 4,
    ) -> None:
        self.settings = settings
        self.priority = priority
        self.vocabulary = vocabulary
        self.lookup = lookup
        self.states = RasaStates(vocabulary)
        self._rules = _parse(lookup.rules)
        self._unhappy = _parse(lookup.unhappy)

    def refresh(self) -> None:
        """Re-read the lookup after it was changed (training removes contradicted rules)."""
        self._rules = _parse(self.lookup.rules)
        self._unhappy = _parse(self.lookup.unhappy)

    # --- prediction ------------------------------------------------------------------
    def decide(
        self,
        events: Sequence[Event],
        states: ConversationStates | None = None,
        *,
        explain: bool = False,
    ) -> RuleDecision:
        """The rules' decision for the next action after ``events`` (no fallback);
        ``states`` are the conversation's states when another policy already has them.
        ``explain`` also names the states when no rule applied (training needs that)."""
        view = tracker_view(events)
        if view.latest_action == ACTION_LISTEN and view.latest_intent is not None:
            default = DEFAULT_ACTIONS_FOR_INTENTS.get(view.latest_intent)
            if default is not None:
                return RuleDecision(default, DEFAULT_RULES + view.latest_intent)
        loop = view.active_loop
        if loop is not None and not view.loop_rejected and view.latest_action is not None:
            if view.latest_action != loop:
                return RuleDecision(loop, LOOP_RULES + loop, no_user=True)
            return RuleDecision(
                ACTION_LISTEN, f"{LOOP_RULES}{loop}{LOOP_RULES_SEPARATOR}{ACTION_LISTEN}", True
            )
        if not self._rules and not explain:
            return RuleDecision(None, "")  # nothing learned: no need to replay the states
        replayed = (states or ConversationStates(self.states, events)).get()
        return self._from_rules(replayed, loop, explain)

    def _from_rules(
        self, states: Sequence[State], loop: str | None, explain: bool = False
    ) -> RuleDecision:
        matches = matching_keys(self._rules, states)
        best = max(matches, key=lambda rule: len(rule.key)) if matches else None
        action = self.lookup.rules[best.key] if best is not None else None
        if loop is not None:
            conditions = {
                self.lookup.unhappy[rule.key] for rule in matching_keys(self._unhappy, states)
            }
            general_listen = (
                best is not None
                and action == ACTION_LISTEN
                and loop_of(best.reversed_states[0]) is None
            )
            if general_listen:
                if DO_NOT_PREDICT_LOOP_ACTION not in conditions:
                    assert best is not None
                    return RuleDecision(loop, best.key)
                action = None
        if best is not None:
            return RuleDecision(action, best.key)
        return RuleDecision(action, (rule_key(states) or "") if explain else "")

    def _fallback_scores(self) -> dict[str, float]:
        if not self.settings.enable_fallback_prediction:
            return {}
        return {self.settings.core_fallback_action_name: self.settings.core_fallback_threshold}

    def predict(
        self, events: Sequence[Event], states: ConversationStates | None = None
    ) -> PolicyPrediction:
        """Rasa's RulePolicy prediction: the decided action at 1.0 (with the fallback
        action at its threshold beside it), or only the fallback when no rule applies."""
        decision = self.decide(events, states)
        scores = self._fallback_scores()
        if decision.action is not None:
            scores[decision.action] = 1.0
        return PolicyPrediction(
            self.name, self.priority, scores, no_user=decision.no_user, source=decision.source
        )

    def predict_batch(
        self,
        conversations: Sequence[Sequence[Event]],
        states: Sequence[ConversationStates] | None = None,
    ) -> list[PolicyPrediction]:
        if states is None:
            return [self.predict(events) for events in conversations]
        return [self.predict(e, s) for e, s in zip(conversations, states, strict=True)]


# --- building the lookup --------------------------------------------------------------------
def action_labels(events: Sequence[Event]) -> list[str]:
    """The applied actions of a conversation, one per state but the last."""
    return [e.name for e in applied_events(events) if isinstance(e, ActionExecuted)]


def learn_rules(examples: Iterable[tuple[Sequence[State], str]]) -> dict[str, str]:
    """Rule keys -> action; a key that led to two different actions is dropped."""
    lookup: dict[str, str] = {}
    ambiguous: set[str] = set()
    for states, action in examples:
        key = rule_key(states)
        if key is None or key in ambiguous:
            continue
        if key in lookup and lookup[key] != action:
            ambiguous.add(key)
            del lookup[key]
        elif key not in lookup:
            lookup[key] = action
    return {key: action for key, action in lookup.items() if action != RULE_SNIPPET_ACTION}


def learn_unhappy_paths(examples: Iterable[tuple[Sequence[State], str]]) -> dict[str, str]:
    """Conditions of loops: returning to the loop after the user spoke interrupts it; another
    action than the loop after a bot action means the loop must not be predicted there."""
    lookup: dict[str, str] = {}
    for states, action in examples:
        loop = loop_of(states[-1])
        if loop is None:
            continue
        key = rule_key(unhappy_states(states))
        if key is None:
            continue
        if is_listen_state(states[-1]) and action == loop:
            lookup[key] = LOOP_WAS_INTERRUPTED
        elif not is_listen_state(states[-1]) and action != loop:
            lookup[key] = DO_NOT_PREDICT_LOOP_ACTION
    return lookup


def examples_of(states: Sequence[State], labels: Sequence[str]) -> list[tuple[list[State], str]]:
    """(the states up to an action, that action) for every action of a conversation."""
    return [(list(states[: index + 1]), label) for index, label in enumerate(labels)]


def slots_and_loops(states: Iterable[State]) -> tuple[set[str], set[str]]:
    slots: set[str] = set()
    loops: set[str] = set()
    for state in states:
        slots.update(state.get("slots", {}))
        name = state.get(ACTIVE_LOOP, {}).get(LOOP_NAME)
        if name:
            loops.add(str(name))
    return slots, loops
