"""How ted prints problems in dialogue data: ``file:line: message`` for errors and
``file:line: warning: message`` for warnings, one per line on stderr.

ted-data-adapter logs every warning it finds once, on its ``ted_data_adapter.report``
logger, as exactly that warning line. ``warnings_to`` routes those records while a project
loads: to a stream as plain lines (``ted train`` shows them before training starts), or
nowhere when the command prints the returned warnings itself (``ted data validate``); the
root logger does not repeat them either way. Nothing of ted-data-adapter is imported here, so
the light commands stay light.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# The loggers whose records are warning lines: the data adapter's and the config's.
WARNINGS_LOGGERS = ("ted_data_adapter.report", "ted_pipeline.warnings")


@contextmanager
def warnings_to(stream: TextIO | None) -> Iterator[None]:
    """While inside, data and config warnings are written to ``stream`` as lines (None:
    dropped)."""
    handler: logging.Handler
    if stream is None:
        handler = logging.NullHandler()
    else:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
    loggers = [logging.getLogger(name) for name in WARNINGS_LOGGERS]
    propagate = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, before in zip(loggers, propagate, strict=True):
            logger.removeHandler(handler)
            logger.propagate = before


def print_issues(errors: Iterable[Any], warnings: Iterable[Any] = ()) -> None:
    """Errors as ``file:line: message`` and warnings as ``file:line: warning: message`` on
    stderr, together in file and line order (ted-data-adapter Issues)."""
    lines = [(issue, str(issue)) for issue in errors]
    lines += [(issue, issue.warning_text()) for issue in warnings]
    for _, text in sorted(lines, key=lambda pair: (pair[0].file, pair[0].line, pair[1])):
        print(text, file=sys.stderr)
