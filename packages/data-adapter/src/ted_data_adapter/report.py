"""Errors and warnings found while reading a project, kept apart as Rasa keeps them apart.

An error is what stops ``rasa train`` (a malformed file, an action the domain lacks, ...);
a warning is what Rasa only warns about (an intent the domain lacks, a checkpoint nobody
continues, ...). Both carry ``file:line``. ``finish`` ends a public load: errors (and, when
``strict``, warnings) are raised together in one DataValidationError; otherwise the warnings
are logged here once each and returned.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from ted_data_adapter.errors import DataValidationError, Issue

logger = logging.getLogger(__name__)


@dataclass
class Findings:
    """What one load found so far."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def error(self, file: str, line: int, message: str) -> None:
        self.errors.append(Issue(file, line, message))

    def warn(self, file: str, line: int, message: str) -> None:
        self.warnings.append(Issue(file, line, message))

    def extend(self, other: Findings) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def add_error(self, error: DataValidationError) -> None:
        """Take over what a nested load raised (its issues and its warnings)."""
        self.errors.extend(error.issues)
        self.warnings.extend(error.warnings)


def finish(found: Findings, strict: bool = False) -> list[Issue]:
    """Raise the errors (and with ``strict`` the warnings); else log and return the warnings."""
    warnings = sorted(set(found.warnings))
    if strict and warnings:
        raise DataValidationError([*found.errors, *warnings], warnings)
    log_warnings(warnings)
    if found.errors:
        raise DataValidationError(found.errors, warnings)
    return warnings


def log_warnings(warnings: Iterable[Issue]) -> None:
    """One log record per warning, its message ``file:line: warning: message``."""
    for issue in warnings:
        logger.warning("%s", issue.warning_text())
