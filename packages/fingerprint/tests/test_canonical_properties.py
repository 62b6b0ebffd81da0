"""Property tests of the canonical encoding over generated JSON-like data."""

from __future__ import annotations

import copy
import json
import math
import unicodedata
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ted_fingerprint import canonical_digest, canonical_encode

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.binary(max_size=8)
)
hashable = st.recursive(
    scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3), max_leaves=6
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.frozensets(hashable, max_size=4)
    ),
    max_leaves=20,
)


# A decoder for the documented format, used only to show that the encoding is unambiguous:
# every encoding parses back, completely, into the canonical form of the value.
class _NaN:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NaN)

    def __hash__(self) -> int:
        return 0


def _decode(data: bytes, pos: int = 0) -> tuple[Any, int]:
    tag = data[pos : pos + 1]
    if tag in (b"N", b"T", b"F"):
        return {b"N": None, b"T": True, b"F": False}[tag], pos + 1
    colon = data.index(b":", pos)
    size = int(data[pos + 1 : colon])
    pos = colon + 1
    if tag in (b"l", b"m", b"e"):
        items = []
        for _ in range(size * (2 if tag == b"m" else 1)):
            item, pos = _decode(data, pos)
            items.append(item)
        if tag == b"l":
            return ("list", tuple(items)), pos
        if tag == b"e":
            return ("set", frozenset(items)), pos
        pairs = list(zip(items[::2], items[1::2], strict=True))
        return ("map", frozenset(pairs)), pos
    payload = data[pos : pos + size]
    pos += size
    if tag == b"i":
        return int(payload), pos
    if tag == b"s":
        return ("str", payload.decode("utf-8")), pos
    if tag == b"b":
        return ("bytes", payload), pos
    assert tag == b"f", tag
    text = payload.decode("ascii")
    if text == "nan":
        return ("float", _NaN()), pos
    return ("float", float(text) if "inf" in text else float.fromhex(text)), pos


def _canonical_form(value: Any) -> Any:
    if value is None or isinstance(value, int):  # bool is an int
        return value
    if isinstance(value, float):
        return ("float", _NaN() if math.isnan(value) else value + 0.0)
    if isinstance(value, str):
        return ("str", unicodedata.normalize("NFC", value))
    if isinstance(value, bytes):
        return ("bytes", value)
    if isinstance(value, dict):
        return (
            "map",
            frozenset((_canonical_form(k), _canonical_form(v)) for k, v in value.items()),
        )
    if isinstance(value, frozenset):
        return ("set", frozenset(_canonical_form(item) for item in value))
    return ("list", tuple(_canonical_form(item) for item in value))


def _has_nfc_key_collision(value: Any) -> bool:
    if isinstance(value, dict):
        keys = [unicodedata.normalize("NFC", key) for key in value]
        if len(set(keys)) != len(keys):
            return True
        return any(_has_nfc_key_collision(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nfc_key_collision(item) for item in value)
    return False


@settings(max_examples=300, deadline=None)
@given(values)
def test_encoding_is_unambiguous_and_decodes_to_the_canonical_form(value: Any) -> None:
    assume(not _has_nfc_key_collision(value))
    encoded = canonical_encode(value)
    decoded, end = _decode(encoded)
    assert end == len(encoded)
    assert decoded == _canonical_form(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), values, max_size=6), st.randoms())
def test_mappings_are_order_independent(mapping: dict[str, Any], rnd: Any) -> None:
    assume(not _has_nfc_key_collision(mapping))
    items = list(mapping.items())
    rnd.shuffle(items)
    assert canonical_digest(dict(items)) == canonical_digest(mapping)
    assert canonical_digest(dict(reversed(items))) == canonical_digest(mapping)


@settings(max_examples=200, deadline=None)
@given(st.lists(values, min_size=2, max_size=6), st.randoms())
def test_sequences_are_order_sensitive(items: list[Any], rnd: Any) -> None:
    assume(not _has_nfc_key_collision(items))
    shuffled = items[:]
    rnd.shuffle(shuffled)
    same_encoding = [canonical_encode(a) for a in items] == [canonical_encode(b) for b in shuffled]
    assert (canonical_digest(items) == canonical_digest(shuffled)) == same_encoding
    assert canonical_digest(tuple(items)) == canonical_digest(items)


@settings(max_examples=200, deadline=None)
@given(st.frozensets(hashable, max_size=6), st.randoms())
def test_sets_are_order_independent(items: frozenset[Any], rnd: Any) -> None:
    as_list = list(items)
    rnd.shuffle(as_list)
    assert canonical_digest(set(as_list)) == canonical_digest(items)


@settings(max_examples=200, deadline=None)
@given(values)
def test_equal_data_gives_equal_digest(value: Any) -> None:
    assume(not _has_nfc_key_collision(value))
    assert canonical_digest(copy.deepcopy(value)) == canonical_digest(value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_json_round_trip_keeps_the_digest(value: Any) -> None:
    assume(not _has_nfc_key_collision(value))
    assert canonical_digest(json.loads(json.dumps(value))) == canonical_digest(value)


def _mutations(value: Any) -> list[Any]:
    """Small changes to the value, each of which must change the digest."""
    out: list[Any] = [[value], {"k": value}]
    if isinstance(value, bool):
        out.append(not value)
    elif isinstance(value, int):
        out += [value + 1, float(value) if abs(value) < 2**53 else str(value), str(value)]
    elif isinstance(value, float) and math.isfinite(value):
        out.append(math.nextafter(value, math.inf))
    elif isinstance(value, str):
        out += [value + "x", value.encode("utf-8")]
    elif isinstance(value, dict):
        out.append({**value, "__new__": None})
        if value:
            first = next(iter(value))
            out.append({k: v for k, v in value.items() if k != first})
            out.append({**value, first: [value[first]]})
    elif isinstance(value, list):
        out += [[*value, None], value[:-1] if value else [None], (*value[::-1], 0)]
    return out


@settings(max_examples=300, deadline=None)
@given(values)
def test_small_changes_change_the_digest(value: Any) -> None:
    assume(not _has_nfc_key_collision(value))
    original = canonical_digest(value)
    for changed in _mutations(value):
        if isinstance(value, dict) and "__new__" in value:
            continue
        assert canonical_digest(changed) != original, changed
