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

WARNINGS_LOGGER = "ted_data_adapter.report"


@contextmanager
def warnings_to(stream: TextIO | None) -> Iterator[None]:
    """While inside, data warnings are written to ``stream`` as lines (None: dropped)."""
    logger = logging.getLogger(WARNINGS_LOGGER)
    handler: logging.Handler
    if stream is None:
        handler = logging.NullHandler()
    else:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def print_issues(errors: Iterable[Any], warnings: Iterable[Any] = ()) -> None:
    """Errors as ``file:line: message`` and warnings as ``file:line: warning: message`` on
    stderr, together in file and line order (ted-data-adapter Issues)."""
    lines = [(issue, str(issue)) for issue in errors]
    lines += [(issue, issue.warning_text()) for issue in warnings]
    for _, text in sorted(lines, key=lambda pair: (pair[0].file, pair[0].line, pair[1])):
        print(text, file=sys.stderr)
