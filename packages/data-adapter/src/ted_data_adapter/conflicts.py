"""Story conflicts: the same last ``max_history`` turns followed by different actions.

Such stories contradict each other, so no policy can learn both. This is the check Rasa runs
as ``rasa data validate stories``; it is separate from ``load_project`` because real data
(MultiWOZ, for one) has many such conflicts by nature.
"""

from __future__ import annotations

from collections.abc import Sequence

from ted_data_adapter.errors import Issue
from ted_data_adapter.events import ACTION_LISTEN, ActionExecuted, UserUttered
from ted_data_adapter.story_graph import ExpandedStory, Source
from ted_data_adapter.tracker import Replayer, StateKey
from ted_data_adapter.vocabulary import Vocabulary


def _label_sources(story: ExpandedStory) -> list[Source]:
    """Source of each label the replay yields (an implied listen takes its user turn's)."""
    out: list[Source] = []
    last: str | None = None
    for event, source in zip(story.events, story.sources, strict=False):
        if isinstance(event, UserUttered) and last != ACTION_LISTEN:
            out.append(source)
            last = ACTION_LISTEN
        elif isinstance(event, ActionExecuted):
            out.append(source)
            last = event.name
    return out


def find_story_conflicts(
    stories: Sequence[ExpandedStory], vocab: Vocabulary, max_history: int | None
) -> list[Issue]:
    """One Issue per story action that contradicts an earlier story's action."""
    replayer = Replayer(vocab)
    first: dict[tuple[StateKey, ...], tuple[int, str, Source]] = {}
    issues: list[Issue] = []
    reported: set[tuple[tuple[StateKey, ...], int]] = set()
    for story in stories:
        states, labels = replayer.replay(story.events)
        sources = _label_sources(story)
        for index, label in enumerate(labels):
            start = 0 if max_history is None else max(0, index + 1 - max_history)
            window = tuple(states[start : index + 1])
            seen = first.setdefault(window, (label, story.name, sources[index]))
            if seen[0] == label or (window, label) in reported:
                continue
            reported.add((window, label))
            file, line = sources[index] if index < len(sources) else ("", 0)
            other_file, other_line = seen[2]
            issues.append(
                Issue(
                    file,
                    line,
                    f"story conflict: '{story.name}' runs '{vocab.actions[label]}' where "
                    f"'{seen[1]}' ({other_file}:{other_line}) runs '{vocab.actions[seen[0]]}' "
                    f"after the same {len(window)} turn(s)",
                )
            )
    return issues
