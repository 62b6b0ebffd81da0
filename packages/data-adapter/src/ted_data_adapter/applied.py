"""Which events of a conversation count, the way Rasa's tracker decides (``applied_events``).

Policies never see the raw event list. A restart or a new session forgets everything
before it; a reverted action or user turn is taken back; and while a form (loop) runs its
happy path, each further execution of the form takes back what happened since its last
execution (the user's answer and the listen before it), so a form that asks five questions
leaves the same history as one that asked none. A form execution counts again only after
an unhappy path: a rejection, or a user turn answered by another action first. Rule,
memoization and TED states are all built from the applied events, in training and at
prediction, so they agree with each other and with Rasa.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ted_data_adapter.events import (
    ACTION_LISTEN,
    CONTROL_EVENTS,
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)

_NEEDS_WORK = (ActiveLoop, *CONTROL_EVENTS)


def applied_events(events: Sequence[Event]) -> list[Event]:
    """The events that shape the next action, in order (a copy; ``events`` is unchanged)."""
    if not any(isinstance(event, _NEEDS_WORK) for event in events):
        return list(events)  # the common case: nothing to take back
    return [events[i] for i in applied_positions(events)]


def applied_positions(events: Sequence[Event]) -> list[int]:
    """Positions in ``events`` of the applied events (so errors can name the original)."""
    if not any(isinstance(event, _NEEDS_WORK) for event in events):
        return list(range(len(events)))
    loops = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
    kept: list[int] = []
    for position, event in enumerate(events):
        if isinstance(event, (Restarted, SessionStarted)):
            kept = []
        elif isinstance(event, ActionReverted):
            _undo_until(events, kept, ActionExecuted)
        elif isinstance(event, UserUtteranceReverted):
            # a user turn implies the listen before it: undo both
            _undo_until(events, kept, UserUttered)
            _undo_until(events, kept, ActionExecuted)
        elif (
            isinstance(event, ActionExecuted)
            and event.name in loops
            and not _first_execution_or_unhappy_path(event.name, [events[i] for i in kept])
        ):
            _undo_since_last_execution(event.name, events, kept)
        else:
            kept.append(position)
    return kept


def _undo_until(events: Sequence[Event], kept: list[int], kind: type) -> None:
    """Remove events from the end up to and including the last one of ``kind``."""
    while kept:
        if isinstance(events[kept.pop()], kind):
            return


def _first_execution_or_unhappy_path(loop: str, applied: Sequence[Event]) -> bool:
    """True unless ``loop`` ran before in this activation, on its happy path."""
    next_action: str | None = None
    for event in reversed(applied):
        if isinstance(event, ActiveLoop) and event.name is None:
            return True  # the loop was deactivated since: this is a new activation
        if isinstance(event, ActionExecutionRejected) and event.name == loop:
            return True
        if isinstance(event, UserUttered) and next_action is not None and next_action != loop:
            return True  # the user's turn was answered by something else first
        if isinstance(event, ActionExecuted):
            if event.name == loop:
                return False
            next_action = event.name
    return True


def _undo_since_last_execution(loop: str, events: Sequence[Event], kept: list[int]) -> None:
    """Take back the actions and user turns after the loop's last execution; slot and
    loop events stay (the answers the form stored are kept)."""
    index = len(kept) - 1
    while index >= 0:
        event = events[kept[index]]
        if isinstance(event, ActionExecuted) and event.name == loop:
            return
        if isinstance(event, (ActionExecuted, UserUttered)):
            del kept[index]
        index -= 1


def active_loop(events: Sequence[Event]) -> str | None:
    """The loop active after ``events`` (None when there is none)."""
    for event in reversed(events):
        if isinstance(event, ActiveLoop):
            return event.name
    return None


def is_loop_rejected(events: Sequence[Event]) -> bool:
    """Whether the active loop refused to run (Rasa: ``is_active_loop_rejected``).

    A rejection lasts until the loop runs again or a loop is (re)activated.
    """
    loop = active_loop(events)
    if loop is None:
        return False
    for event in reversed(events):
        if isinstance(event, ActionExecutionRejected) and event.name == loop:
            return True
        if isinstance(event, ActiveLoop) or (
            isinstance(event, ActionExecuted) and event.name == loop
        ):
            return False
    return False


def with_explicit_listens(events: Sequence[Event], *, final: bool = True) -> list[Event]:
    """The events with the waits for the user made explicit, as Rasa's stories have them.

    An ``action_listen`` goes before every user turn that does not directly follow one
    (at the start of a conversation too) and, with ``final``, at the end unless the last
    event already is one. Idempotent.
    """
    out: list[Event] = []
    for event in events:
        if isinstance(event, UserUttered) and not _is_listen(out[-1] if out else None):
            out.append(ActionExecuted(ACTION_LISTEN))
        out.append(event)
    if final and not _is_listen(out[-1] if out else None):
        out.append(ActionExecuted(ACTION_LISTEN))
    return out


def _is_listen(event: Event | None) -> bool:
    return isinstance(event, ActionExecuted) and event.name == ACTION_LISTEN


@dataclass(frozen=True)
class TrackerView:
    """What Rasa's tracker knows at the end of a conversation, besides its states."""

    latest_action: str | None
    latest_intent: str | None
    active_loop: str | None
    loop_rejected: bool
    rejected_action: str | None  # the last action-like event was this rejection


def tracker_view(events: Sequence[Event]) -> TrackerView:
    """The latest action and user intent, the active loop and whether it was rejected.

    A restart or a new session starts from nothing; a reverted turn is read from the
    applied events; otherwise the latest events count, as in Rasa's tracker.
    """
    start = 0
    for position, event in enumerate(events):
        if isinstance(event, (Restarted, SessionStarted)):
            start = position + 1
    current = list(events[start:])
    if any(isinstance(event, (UserUtteranceReverted, ActionReverted)) for event in current):
        current = applied_events(current)
    latest_action = latest_intent = None
    rejected_action = None
    for event in reversed(current):
        if latest_action is None and isinstance(event, ActionExecuted):
            latest_action = event.name
        if latest_intent is None and isinstance(event, UserUttered):
            latest_intent = event.intent
        rejected_first = latest_action is None and rejected_action is None
        if rejected_first and isinstance(event, ActionExecutionRejected):
            rejected_action = event.name
        if latest_action is not None and latest_intent is not None:
            break
    loop = active_loop(current)
    return TrackerView(
        latest_action=latest_action,
        latest_intent=latest_intent,
        active_loop=None if loop in (None, SHOULD_NOT_BE_SET_LOOP) else loop,
        loop_rejected=is_loop_rejected(current),
        rejected_action=rejected_action,
    )


# Rasa's marker for "no loop may be active" (in rules); never an active loop itself.
SHOULD_NOT_BE_SET_LOOP = "should_not_be_set"


def rejected_action(events: Sequence[Event]) -> str | None:
    """The action just rejected, when the latest action-like event is a rejection (cheap:
    reads back from the end only)."""
    for event in reversed(events):
        if isinstance(event, ActionExecutionRejected):
            return event.name
        if isinstance(event, ActionExecuted):
            return None
    return None
