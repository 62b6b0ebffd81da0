"""Reader for the Rasa 1.x Markdown story format (``## story``, ``* intent{...}``, ``- action``).

As in Rasa's Markdown reader, what it cannot parse as an event (bad JSON after an action or a
slot, a user turn or an action before the first story) is an error, and what it skips (a
line it does not understand, bad entity JSON after an intent) is a warning. Steps with the
1.x ``form: `` prefix are the turns a form handled (``* form: inform``, ``- form:
restaurant_form``): Rasa 1.x leaves them out when it trains its policies (the form handled
them), and so does this reader.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import Any

from ted_data_adapter.events import ActionExecuted, ActiveLoop, Entity, SlotSet, UserUttered
from ted_data_adapter.report import Findings
from ted_data_adapter.retrieval import split_intent
from ted_data_adapter.stories_yaml import TEST_FILE_PREFIX, renamed_action
from ted_data_adapter.story import Located, StoryBlock

_USER = re.compile(r"^(?P<intent>[^{:]+?)\s*(?P<json>\{.*\})?\s*(?::\s*(?P<text>.*))?$")
_NLU_HEADERS = {"intent", "synonym", "regex", "lookup"}
_ACTION = re.compile(r"^(?P<name>[^{\s]+)\s*(?P<json>\{.*\})?\s*$")
_FORM_HANDLED = re.compile(r"^[*\-]\s+form: ")


def _json(raw: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The parsed JSON object (``{}`` when there is none) or the reason it is not one."""
    if not raw:
        return {}, None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        return None, f"invalid JSON {raw!r}: {e.msg}"
    if not isinstance(data, dict):
        return None, f"expected a JSON object, got {raw!r}"
    return data, None


def _user(text: str, file: str, line: int, found: Findings, test: bool) -> UserUttered | None:
    match = _USER.match(text.strip())
    if match is None or not match.group("intent").strip().lstrip("/"):
        found.error(file, line, f"cannot read user turn {text!r}")
        return None
    data, problem = _json(match.group("json"))
    if data is None:
        found.warn(file, line, f"{problem}; the turn's entities are left out (as in Rasa)")
        data = {}
    name = match.group("intent").strip().lstrip("/")
    try:
        intent, key = split_intent(name)
    except ValueError as e:
        found.error(file, line, str(e))
        return None
    if key is not None and not test:
        found.warn(
            file,
            line,
            f"'{name}' is a full retrieval intent; as Rasa does, only its base intent "
            f"'{intent}' is used for training",
        )
    entities = tuple(Entity(str(k), v) for k, v in data.items())
    return UserUttered(intent, entities, match.group("text"))


def _action(text: str, file: str, line: int, found: Findings) -> list[Located]:
    match = _ACTION.match(text.strip())
    if match is None:
        found.error(file, line, f"cannot read action line {text!r}")
        return []
    name = match.group("name")
    data, problem = _json(match.group("json"))
    if data is None:
        found.error(file, line, str(problem))
        return []
    if name == "slot":
        return [Located(SlotSet(str(k), v), line) for k, v in data.items()]
    if name in ("form", "active_loop"):
        return [Located(ActiveLoop(data.get("name")), line)]
    if data:
        found.warn(file, line, f"arguments of action '{name}' are ignored")
    return [Located(ActionExecuted(renamed_action(name, file, line, found)), line)]


def read_story_markdown(
    text: str, file: str, found: Findings, test: bool = False
) -> list[StoryBlock]:
    """Parse Markdown stories; ``* a OR b`` becomes an ``or`` step, ``>`` lines checkpoints."""
    blocks: list[StoryBlock] = []
    current: StoryBlock | None = None
    skipping = False
    kind = "test" if test else "story"
    test_file = test or PurePath(file).name.startswith(TEST_FILE_PREFIX)
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.split("<!--")[0].strip()
        if not line:
            continue
        if line.startswith("##"):
            title = line.lstrip("#").strip()
            if title.split(":")[0] in _NLU_HEADERS and ":" in title:
                current, skipping = None, True  # NLU training examples, not a story
                continue
            current, skipping = StoryBlock(title, kind, file, number), False
            blocks.append(current)
            continue
        if current is None:
            if skipping or line.startswith("#"):
                continue
            if line[0] in "*->":
                found.error(file, number, "story content before the first '## story' header")
            else:
                found.warn(file, number, f"line {line!r} before the first story is left out")
            continue
        if line.startswith(">"):
            name = line[1:].strip()
            if not current.steps and not current.end_checkpoints:
                current.start_checkpoints += ((name, number),)
            else:
                current.end_checkpoints += ((name, number),)
            continue
        if line[0] not in "*-":
            found.warn(file, number, f"cannot read story line {line!r}; it is left out")
            continue
        if _FORM_HANDLED.match(line):
            continue  # a turn the form handled: Rasa 1.x leaves it out of policy training
        if current.end_checkpoints:
            nxt = StoryBlock(
                current.name, kind, file, number, start_checkpoints=current.end_checkpoints
            )
            blocks.append(nxt)
            current = nxt
        if line.startswith("*"):
            alternatives = []
            for part in line[1:].split(" OR "):
                user = _user(part, file, number, found, test_file)
                if user is not None:
                    alternatives.append((Located(user, number),))
            if alternatives:
                current.steps.append(tuple(alternatives))
        else:
            located = _action(line[1:], file, number, found)
            if located:
                current.steps.append((tuple(located),))
    return blocks
