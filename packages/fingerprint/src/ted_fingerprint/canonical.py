"""Canonical byte encoding of JSON-like data, so equal data always hashes to the same digest.

The encoding is self-delimiting and type-tagged (see the package README for the rules), so
two values encode to the same bytes only if they are equal under those rules. It does not
depend on dict insertion order, set iteration order, ``PYTHONHASHSEED``, the platform or the
Python version.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Mapping, Sequence, Set
from typing import Any

from ted_fingerprint.errors import CanonicalEncodingError, UnsupportedTypeError

#: Version of the encoding rules; part of every digest (as a prefix), so a future change of
#: the rules cannot collide with digests made under the old ones.
ENCODING_VERSION = 1

#: Containers nested deeper than this are refused instead of exhausting the stack.
MAX_DEPTH = 200

_DIGEST_PREFIX = b"ted-fingerprint/canonical/v%d\n" % ENCODING_VERSION

_TRUE = b"T"
_FALSE = b"F"
_NONE = b"N"


def canonical_encode(obj: Any) -> bytes:
    """Return the canonical encoding of ``obj`` (bytes; see the README for the format)."""
    out = bytearray()
    _encode(obj, out, path="$", depth=0, active=set())
    return bytes(out)


def canonical_digest(obj: Any) -> str:
    """Return the sha256 hex digest of the canonical encoding of ``obj``."""
    digest = hashlib.sha256(_DIGEST_PREFIX)
    digest.update(canonical_encode(obj))
    return digest.hexdigest()


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return tag + str(len(payload)).encode("ascii") + b":" + payload


def _encode_str(value: str, path: str) -> bytes:
    text = unicodedata.normalize("NFC", value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise CanonicalEncodingError(
            f"string is not valid unicode (lone surrogate at index {e.start})", path=path
        ) from e


def _encode_float(value: float) -> bytes:
    if math.isnan(value):
        return b"nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if value == 0.0:
        return b"0x0.0p+0"  # -0.0 equals 0.0 and encodes the same
    return float(value).hex().encode("ascii")


def _key_repr(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _encode(obj: Any, out: bytearray, *, path: str, depth: int, active: set[int]) -> None:
    # Order matters: bool is a subclass of int, str and bytes are Sequences.
    if obj is None:
        out += _NONE
    elif obj is True:
        out += _TRUE
    elif obj is False:
        out += _FALSE
    elif isinstance(obj, int):
        out += _chunk(b"i", str(int(obj)).encode("ascii"))
    elif isinstance(obj, float):
        out += _chunk(b"f", _encode_float(float(obj)))
    elif isinstance(obj, str):
        out += _chunk(b"s", _encode_str(obj, path))
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        out += _chunk(b"b", bytes(obj))
    elif isinstance(obj, Mapping):
        _encode_container(obj, out, path=path, depth=depth, active=active, kind="mapping")
    elif isinstance(obj, (Set, Sequence)):
        kind = "set" if isinstance(obj, Set) else "sequence"
        _encode_container(obj, out, path=path, depth=depth, active=active, kind=kind)
    else:
        raise UnsupportedTypeError(type(obj).__qualname__, path=path)


def _encode_container(
    obj: Any, out: bytearray, *, path: str, depth: int, active: set[int], kind: str
) -> None:
    if depth >= MAX_DEPTH:
        raise CanonicalEncodingError(f"nesting deeper than {MAX_DEPTH} levels", path=path)
    if id(obj) in active:
        raise CanonicalEncodingError("the value contains itself (a reference cycle)", path=path)
    active.add(id(obj))
    try:
        if kind == "mapping":
            tag, items = b"m", _mapping_items(obj, path, depth, active)
        elif kind == "set":
            tag, items = b"e", _set_items(obj, path, depth, active)
        else:
            tag = b"l"
            items = [
                _encode_child(item, f"{path}[{index}]", depth, active)
                for index, item in enumerate(obj)
            ]
    finally:
        active.discard(id(obj))
    out += tag + str(len(items)).encode("ascii") + b":"
    for item in items:
        out += item


def _encode_child(obj: Any, path: str, depth: int, active: set[int]) -> bytes:
    buf = bytearray()
    _encode(obj, buf, path=path, depth=depth + 1, active=active)
    return bytes(buf)


def _mapping_items(obj: Mapping[Any, Any], path: str, depth: int, active: set[int]) -> list[bytes]:
    pairs: dict[bytes, bytes] = {}
    originals: dict[bytes, Any] = {}
    for key, value in obj.items():
        key_path = f"{path}[{_key_repr(key)}]"
        encoded_key = _encode_child(key, f"{key_path} (key)", depth, active)
        if encoded_key in pairs:
            raise CanonicalEncodingError(
                f"keys {_key_repr(originals[encoded_key])} and {_key_repr(key)} are equal after "
                "canonicalisation (unicode NFC normalisation or -0.0/0.0)",
                path=path,
            )
        originals[encoded_key] = key
        pairs[encoded_key] = _encode_child(value, key_path, depth, active)
    return [key + pairs[key] for key in sorted(pairs)]


def _set_items(obj: Set[Any], path: str, depth: int, active: set[int]) -> list[bytes]:
    # Elements equal after canonicalisation (e.g. NFC and NFD spellings) count once.
    encoded = {_encode_child(item, f"{path}{{{_key_repr(item)}}}", depth, active) for item in obj}
    return sorted(encoded)
