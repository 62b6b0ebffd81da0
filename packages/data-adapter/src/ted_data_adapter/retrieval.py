"""Retrieval intents: ``faq/ask_x`` is the intent ``faq``, answered by the action ``utter_faq``.

Rasa splits a full retrieval intent at its one ``/``: the policies see the base intent
(``faq``); the part after it is the response key the response selector picks. Responses named
``utter_faq/ask_x`` are what that selector chooses from, and stories and rules run the one
retrieval action ``utter_faq`` for all of them.
"""

from __future__ import annotations

DELIMITER = "/"
UTTER_PREFIX = "utter_"


def split_intent(name: str) -> tuple[str, str | None]:
    """``("faq", "ask_x")`` for ``faq/ask_x``, ``(name, None)`` for a plain intent.

    Raises ValueError for a name with more than one ``/`` (Rasa refuses those too).
    """
    parts = name.split(DELIMITER)
    if len(parts) > 2:
        raise ValueError(f"intent '{name}' has more than one '{DELIMITER}'")
    return (parts[0], parts[1]) if len(parts) == 2 else (name, None)


def retrieval_action(response: str) -> str | None:
    """``utter_faq`` for the response ``utter_faq/ask_x``; None for an ordinary response."""
    base, delimiter, key = response.partition(DELIMITER)
    if not delimiter or not key or not base.startswith(UTTER_PREFIX):
        return None
    return base


def is_retrieval_response(name: str) -> bool:
    return retrieval_action(name) is not None
