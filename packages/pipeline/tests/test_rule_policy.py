"""RulePolicy on small projects written from the Rasa docs' rule examples.

No TED here: each test trains the rules of a tiny project and checks the decisions Rasa's
RulePolicy makes for the same conversations (documented in the Rasa docs on rules, forms
and default actions; ``fixtures/rasa_rules`` has Rasa's own decisions for larger ones).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ted_data_adapter import Vocabulary, load_project
from ted_data_adapter.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from ted_pipeline.policies.conversations import rule_conversations, story_conversations
from ted_pipeline.policies.rule_training import InvalidRuleError, train_rule_policy
from ted_pipeline.policies.rules import RulePolicy
from ted_pipeline.policy_settings import RulePolicyConfig

DOMAIN = """\
version: "3.1"
intents: [greet, goodbye, chitchat, request_pizza, inform, affirm, deny, restart, back]
entities: [size]
slots:
  size:
    type: text
    mappings:
    - type: from_entity
      entity: size
  vip:
    type: bool
    influence_conversation: true
    mappings:
    - type: custom
forms:
  pizza_form:
    required_slots: [size]
responses:
  utter_greet: [{text: hi}]
  utter_welcome_back: [{text: welcome back}]
  utter_goodbye: [{text: bye}]
  utter_chitchat: [{text: chat}]
  utter_ask_size: [{text: size?}]
  utter_done: [{text: done}]
  utter_vip: [{text: vip}]
actions: [action_check_vip]
"""

RULES = """\
version: "3.1"
rules:
- rule: greet at the start
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_greet
- rule: greet later
  steps:
  - intent: greet
  - action: utter_welcome_back
- rule: goodbye
  steps:
  - intent: goodbye
  - action: utter_goodbye
- rule: vip goodbye
  condition:
  - slot_was_set:
    - vip: true
  steps:
  - intent: goodbye
  - action: utter_vip
- rule: check vip, then anything
  steps:
  - intent: affirm
  - action: action_check_vip
  wait_for_user_input: false
- rule: activate the form
  steps:
  - intent: request_pizza
  - action: pizza_form
  - active_loop: pizza_form
- rule: submit the form
  condition:
  - active_loop: pizza_form
  steps:
  - action: pizza_form
  - active_loop: null
  - slot_was_set:
    - requested_slot: null
  - action: utter_done
- rule: chitchat
  steps:
  - intent: chitchat
  - action: utter_chitchat
"""

STORIES = """\
version: "3.1"
stories:
- story: pizza
  steps:
  - intent: request_pizza
  - action: pizza_form
  - active_loop: pizza_form
  - intent: inform
    entities:
    - size: large
  - action: pizza_form
  - active_loop: null
  - action: utter_done
"""

LISTEN = ActionExecuted("action_listen")


def _project(tmp_path: Path, rules: str = RULES, stories: str = STORIES) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    (tmp_path / "data" / "rules.yml").write_text(rules, encoding="utf-8")
    (tmp_path / "data" / "stories.yml").write_text(stories, encoding="utf-8")
    return tmp_path


def _train(root: Path, **settings: object) -> RulePolicy:
    project = load_project(root)
    return train_rule_policy(
        RulePolicyConfig(**settings),  # type: ignore[arg-type]
        Vocabulary.from_domain(project.domain),
        rule_conversations(project.rules),
        story_conversations(project.training_stories(augmentation_factor=0)),
    )


@pytest.fixture
def policy(tmp_path: Path) -> RulePolicy:
    return _train(_project(tmp_path), enable_fallback_prediction=False)


def _next(policy: RulePolicy, *events: Event) -> str | None:
    return policy.decide(list(events)).action


def test_conversation_start_rules_only_match_at_the_start(policy: RulePolicy) -> None:
    assert _next(policy, LISTEN, UserUttered("greet")) == "utter_greet"
    later = [LISTEN, UserUttered("chitchat"), ActionExecuted("utter_chitchat"), LISTEN]
    assert _next(policy, *later, UserUttered("greet")) == "utter_welcome_back"


def test_a_rule_ends_with_listening_unless_it_says_not(policy: RulePolicy) -> None:
    after_goodbye = [LISTEN, UserUttered("goodbye"), ActionExecuted("utter_goodbye")]
    assert _next(policy, *after_goodbye) == "action_listen"
    after_check = [LISTEN, UserUttered("affirm"), ActionExecuted("action_check_vip")]
    assert _next(policy, *after_check) is None  # wait_for_user_input: false: no rule after it


def test_a_slot_condition_makes_the_longer_rule_win(policy: RulePolicy) -> None:
    plain = [LISTEN, UserUttered("goodbye")]
    assert _next(policy, *plain) == "utter_goodbye"
    vip = [SlotSet("vip", True), LISTEN, UserUttered("goodbye")]
    assert _next(policy, *vip) == "utter_vip"
    not_vip = [SlotSet("vip", False), LISTEN, UserUttered("goodbye")]
    assert _next(policy, *not_vip) == "utter_goodbye"


def test_default_intents_run_default_actions(policy: RulePolicy) -> None:
    assert _next(policy, LISTEN, UserUttered("restart")) == "action_restart"
    assert _next(policy, LISTEN, UserUttered("back")) == "action_back"
    assert _next(policy, LISTEN, UserUttered("session_start")) == "action_session_start"


def test_a_form_runs_until_it_is_done(policy: RulePolicy) -> None:
    started = [LISTEN, UserUttered("request_pizza")]
    assert _next(policy, *started) == "pizza_form"
    active = [*started, ActionExecuted("pizza_form"), ActiveLoop("pizza_form")]
    decision = policy.decide(active)
    assert (decision.action, decision.no_user) == ("action_listen", True)
    answered = [*active, LISTEN, UserUttered("inform")]
    decision = policy.decide(answered)
    assert (decision.action, decision.no_user) == ("pizza_form", True)
    done = [*answered, ActionExecuted("pizza_form"), ActiveLoop(None)]
    assert _next(policy, *done) == "utter_done"


def test_a_rejected_form_leaves_the_turn_to_the_rules(policy: RulePolicy) -> None:
    active = [LISTEN, UserUttered("request_pizza"), ActionExecuted("pizza_form")]
    active += [ActiveLoop("pizza_form"), LISTEN, UserUttered("chitchat")]
    assert _next(policy, *active) == "pizza_form"  # happy path: the form takes the turn
    rejected = [*active, ActionExecutionRejected("pizza_form")]
    assert _next(policy, *rejected) == "utter_chitchat"
    # the general chitchat rule would listen now: inside the form it gives the form back
    assert _next(policy, *rejected, ActionExecuted("utter_chitchat")) == "pizza_form"


def test_fallback_when_no_rule_applies(tmp_path: Path) -> None:
    policy = _train(_project(tmp_path), core_fallback_threshold=0.4)
    prediction = policy.predict([LISTEN, UserUttered("inform")])
    assert prediction.scores == {"action_default_fallback": 0.4}
    assert prediction.confidence == 0.4
    greeted = policy.predict([LISTEN, UserUttered("greet")])
    assert greeted.scores == {"utter_greet": 1.0, "action_default_fallback": 0.4}


def test_rules_with_two_user_turns_are_refused_with_file_and_line(tmp_path: Path) -> None:
    rules = RULES + (
        "- rule: a state machine\n  steps:\n  - intent: deny\n  - action: utter_ask_size\n"
        "  - intent: inform\n  - action: utter_done\n"
    )
    root = _project(tmp_path, rules=rules)
    with pytest.raises(InvalidRuleError, match=r"rules\.yml:\d+: rule 'a state machine' has 2"):
        _train(root)
    machine = _train(root, restrict_rules=False)
    asked = [LISTEN, UserUttered("deny"), ActionExecuted("utter_ask_size"), LISTEN]
    assert _next(machine, *asked, UserUttered("inform")) == "utter_done"


def test_a_story_contradicting_a_rule_is_reported_with_both_places(tmp_path: Path) -> None:
    stories = STORIES + (
        "- story: rude goodbye\n  steps:\n  - intent: goodbye\n  - action: utter_chitchat\n"
    )
    root = _project(tmp_path, stories=stories)
    with pytest.raises(InvalidRuleError) as caught:
        _train(root)
    message = str(caught.value)
    assert "stories.yml:" in message and "'utter_chitchat' in story 'rude goodbye'" in message
    assert "rule(s) 'goodbye' (" in message and "rules.yml:" in message
    assert "predicts 'utter_goodbye'" in message
    assert _train(root, check_for_contradictions=False).decide([LISTEN, UserUttered("goodbye")])
