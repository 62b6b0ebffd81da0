"""The fingerprint of a TED project: config, domain, data and code sections.

Kept generic: callers decide what goes into each section. ``config`` should hold only the
model-relevant training settings (not, say, logging options), ``code`` the versions of the
packages and file formats that produce the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ted_fingerprint.canonical import ENCODING_VERSION
from ted_fingerprint.errors import InvalidFingerprintError
from ted_fingerprint.fingerprint import Fingerprint
from ted_fingerprint.version import __version__

#: The standard sections of a project fingerprint.
PROJECT_SECTIONS = ("config", "domain", "data", "code")


def default_code_section() -> dict[str, Any]:
    """What ``code`` holds when the caller gives none: this package's encoding identity."""
    return {"ted-fingerprint": __version__, "canonical_encoding": ENCODING_VERSION}


def project_fingerprint(
    *,
    config: Any,
    domain: Any,
    data: Any,
    code: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> Fingerprint:
    """Fingerprint a project from its raw parts (any canonically encodable values).

    ``extra`` adds further sections, e.g. ``{"labels": [...], "feature_dims": {...}}`` for use
    as ``must_match`` in :func:`ted_fingerprint.compare`; their names must not clash with the
    standard sections. ``code=None`` uses :func:`default_code_section`.
    """
    sections: dict[str, Any] = {
        "config": config,
        "domain": domain,
        "data": data,
        "code": default_code_section() if code is None else code,
    }
    for name, value in (extra or {}).items():
        if name in sections:
            raise InvalidFingerprintError(
                f"extra section {name!r} clashes with a standard section {PROJECT_SECTIONS}"
            )
        sections[name] = value
    return Fingerprint.from_data(sections)
