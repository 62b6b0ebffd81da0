"""Parsed stories and rules: blocks of located events joined by checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

from ted_data_adapter.events import Event

STORY_START = "__story_start__"
_KIND_LABELS = {"story": "story", "rule": "rule", "test": "test story"}


def kind_label(kind: str) -> str:
    """How messages name a block of this kind ("story", "rule", "test story")."""
    return _KIND_LABELS.get(kind, kind)


@dataclass(frozen=True)
class Located:
    """An event and the file line it came from."""

    event: Event
    line: int


# One step of a story: its alternatives (one unless the step is an `or`), each a run of events.
Step = tuple[tuple[Located, ...], ...]


@dataclass
class StoryBlock:
    """A story, rule or test story (or a part of one between checkpoints)."""

    name: str
    kind: str  # "story", "rule" or "test"
    file: str
    line: int
    start_checkpoints: tuple[tuple[str, int], ...] = ()
    end_checkpoints: tuple[tuple[str, int], ...] = ()
    steps: list[Step] = field(default_factory=list)
    conditions: tuple[Located, ...] = ()
    conversation_start: bool = False
    wait_for_user_input: bool = True

    @property
    def starts(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.start_checkpoints) or (STORY_START,)

    @property
    def ends(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.end_checkpoints)

    def located_events(self) -> list[Located]:
        """Every event of every alternative (for validation)."""
        out = list(self.conditions)
        for step in self.steps:
            for alternative in step:
                out.extend(alternative)
        return out
