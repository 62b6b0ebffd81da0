"""Errors raised by ted-fingerprint: one base class, a few specific subclasses."""

from __future__ import annotations


class FingerprintError(Exception):
    """Base class of every error this package raises on purpose."""


class CanonicalEncodingError(FingerprintError, ValueError):
    """A value cannot be encoded canonically (cycle, key collision, invalid text, too deep).

    ``path`` locates the offending value inside the encoded object, e.g. ``$["layers"][2]``.
    """

    def __init__(self, message: str, *, path: str = "$") -> None:
        super().__init__(f"{message} (at {path})")
        self.path = path


class UnsupportedTypeError(CanonicalEncodingError, TypeError):
    """A value has a type the canonical encoding does not define (e.g. an arbitrary object)."""

    def __init__(self, type_name: str, *, path: str = "$") -> None:
        super().__init__(
            f"cannot fingerprint a value of type {type_name!r}: supported are None, bool, int, "
            "float, str, bytes, list/tuple, mappings and sets",
            path=path,
        )
        self.type_name = type_name


class InvalidFingerprintError(FingerprintError, ValueError):
    """A fingerprint was built with an invalid section name or digest."""


class FingerprintFormatError(FingerprintError, ValueError):
    """A persisted fingerprint is corrupt, unreadable or of an unknown format version.

    ``source`` names the file (or ``"<string>"``) that could not be read.
    """

    def __init__(self, message: str, *, source: str = "<string>") -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class FingerprintNotFoundError(FingerprintError, FileNotFoundError):
    """The fingerprint file to load does not exist."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: no fingerprint file")
        self.path = path
