"""Errors of ted-data-adapter: one base class, a few specific subclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a project file: where it is and what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def warning_text(self) -> str:
        """The issue as a warning line: ``file:line: warning: message``."""
        return f"{self.file}:{self.line}: warning: {self.message}"


class DataError(Exception):
    """Base class of every error this package raises."""


class DataValidationError(DataError):
    """A project (or a story file) has one or more problems; all of them are in ``issues``.

    ``warnings`` are the problems found beside them that do not stop a load on their own
    (with ``strict`` they are in ``issues`` too), so a caller can still show them.
    """

    def __init__(self, issues: Iterable[Issue], warnings: Iterable[Issue] = ()) -> None:
        self.issues: list[Issue] = sorted(set(issues))
        self.warnings: list[Issue] = sorted(set(warnings))
        lines = "\n".join(str(issue) for issue in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the dialogue data:\n{lines}")


class UnknownSymbolError(DataError):
    """A conversation names an intent, entity, action, slot or form the vocabulary lacks."""

    def __init__(
        self, event_index: int, field: str, value: object, conversation: int | None = None
    ) -> None:
        self.event_index = event_index
        self.field = field
        self.value = value
        self.conversation = conversation
        where = "" if conversation is None else f"conversation {conversation}, "
        super().__init__(f"{where}event {event_index}: unknown {field} {value!r}")

    def in_conversation(self, conversation: int | None) -> UnknownSymbolError:
        """The same error located in conversation ``conversation`` of a batch (None: alone)."""
        return UnknownSymbolError(self.event_index, self.field, self.value, conversation)


class ModelDataError(DataError):
    """Saved model data is missing, inconsistent or of an unknown format."""
