"""The canonical encoding rules, value by value, and its errors."""

from __future__ import annotations

import collections
import hashlib
import math
import types
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

from ted_fingerprint import (
    MAX_DEPTH,
    CanonicalEncodingError,
    FingerprintError,
    UnsupportedTypeError,
    canonical_digest,
    canonical_encode,
)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (None, b"N"),
        (True, b"T"),
        (False, b"F"),
        (0, b"i1:0"),
        (-12, b"i3:-12"),
        (1.0, b"f20:0x1.0000000000000p+0"),
        (0.0, b"f8:0x0.0p+0"),
        (-0.0, b"f8:0x0.0p+0"),
        (float("inf"), b"f3:inf"),
        (float("-inf"), b"f4:-inf"),
        (float("nan"), b"f3:nan"),
        ("", b"s0:"),
        ("h\u00e9", b"s3:h\xc3\xa9"),
        (b"\x00\xff", b"b2:\x00\xff"),
        ([], b"l0:"),
        ([1, "a"], b"l2:i1:1s1:a"),
        ({"b": 1, "a": None}, b"m2:s1:aNs1:bi1:1"),
        ({2, 1}, b"e2:i1:1i1:2"),
    ],
)
def test_documented_encoding_of_each_kind(value: object, encoded: bytes) -> None:
    assert canonical_encode(value) == encoded


def test_digest_is_sha256_of_versioned_prefix_plus_encoding() -> None:
    value = {"epochs": 1, "layers": [256, 128], "lr": 0.001}
    expected = hashlib.sha256(b"ted-fingerprint/canonical/v1\n" + canonical_encode(value))
    assert canonical_digest(value) == expected.hexdigest()
    assert canonical_digest(None) == hashlib.sha256(b"ted-fingerprint/canonical/v1\nN").hexdigest()
    # The documented byte form, spelled out: pairs sorted by the bytes of the encoded key
    # (so the length prefix sorts first: "s2:lr" before "s6:epochs").
    assert canonical_encode(value) == (
        b"m3:s2:lrf21:0x1.0624dd2f1a9fcp-10s6:epochsi1:1s6:layersl2:i3:256i3:128"
    )


@pytest.mark.parametrize(
    "values",
    [
        [1, 1.0, True, "1", b"1", [1], {1}, (1,) * 2],
        [0, 0.0, False, None, "", b"", [], {}, set(), "0", "None", "False"],
        [float("nan"), "nan", float("inf"), "inf"],
        [["a", "b"], "ab", ["ab"], {"a": "b"}, {"a", "b"}, [["a"], "b"]],
        [{"a": [1, 2]}, {"a": [2, 1]}, {"a": {1, 2}}, {"a": (1, 2), "b": None}],
    ],
)
def test_distinct_values_have_distinct_digests(values: list[object]) -> None:
    digests = [canonical_digest(value) for value in values]
    assert len(set(digests)) == len(values), list(zip(values, digests, strict=True))


def test_tuples_are_sequences_and_mapping_types_do_not_matter() -> None:
    assert canonical_encode((1, (2, 3))) == canonical_encode([1, [2, 3]])
    ordered = collections.OrderedDict([("b", 2), ("a", 1)])
    proxy = types.MappingProxyType({"a": 1, "b": 2})
    assert (
        canonical_encode(ordered) == canonical_encode(proxy) == canonical_encode({"a": 1, "b": 2})
    )
    assert canonical_encode(frozenset({"x", "y"})) == canonical_encode({"y", "x"})
    assert canonical_encode(bytearray(b"ab")) == canonical_encode(memoryview(b"ab"))


def test_unicode_is_nfc_normalised_in_values_keys_and_sets() -> None:
    composed = "caf\u00e9"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert canonical_digest(composed) == canonical_digest(decomposed)
    assert canonical_digest({composed: 1}) == canonical_digest({decomposed: 1})
    assert canonical_encode({composed, decomposed}) == canonical_encode({composed})
    # NFKC is not applied: compatibility characters stay distinct.
    assert canonical_digest("\ufb01") != canonical_digest("fi")


def test_keys_equal_after_normalisation_are_refused() -> None:
    decomposed = unicodedata.normalize("NFD", "\u00e9")
    with pytest.raises(CanonicalEncodingError, match="equal after canonicalisation"):
        canonical_encode({"\u00e9": 1, decomposed: 2})


def test_float_rules() -> None:
    assert canonical_digest(-0.0) == canonical_digest(0.0)
    nan_from_inf = math.inf - math.inf
    assert canonical_digest(float("nan")) == canonical_digest(nan_from_inf)
    assert canonical_digest(0.1 + 0.2) != canonical_digest(0.3)
    assert canonical_digest(math.nextafter(1.0, 2.0)) != canonical_digest(1.0)
    big = 2**53 + 1
    assert canonical_digest(big) != canonical_digest(float(big))


class _Opaque:
    pass


@pytest.mark.parametrize(
    ("value", "type_name", "path"),
    [
        (_Opaque(), "_Opaque", "$"),
        ({"a": [1, Decimal("1.5")]}, "Decimal", "$['a'][1]"),
        ({"p": Path("x")}, "PosixPath", "$['p']"),
        ([{"f": len}], "builtin_function_or_method", "$[0]['f']"),
        ({(1, object())}, "object", "$"),
    ],
)
def test_unsupported_types_raise_a_specific_error_with_location(
    value: object, type_name: str, path: str
) -> None:
    if type_name == "PosixPath" and not isinstance(Path("x"), type(Path("/"))):
        pytest.skip("path class name differs on this platform")
    with pytest.raises(UnsupportedTypeError) as info:
        canonical_encode(value)
    error = info.value
    assert isinstance(error, FingerprintError)
    assert isinstance(error, TypeError)
    assert error.type_name == type_name
    assert error.path.startswith(path)
    assert type_name in str(error)


def test_reference_cycles_are_refused() -> None:
    loop: list[object] = [1]
    loop.append(loop)
    with pytest.raises(CanonicalEncodingError, match="cycle") as info:
        canonical_encode({"x": loop})
    assert info.value.path == "$['x'][1]"


def test_shared_but_acyclic_references_are_fine() -> None:
    shared = [1, 2]
    assert canonical_encode([shared, shared]) == canonical_encode([[1, 2], [1, 2]])


def test_nesting_too_deep_is_refused_not_a_recursion_error() -> None:
    ok: list[object] = []
    for _ in range(MAX_DEPTH - 1):
        ok = [ok]
    canonical_encode(ok)
    deep: list[object] = []
    for _ in range(MAX_DEPTH + 50):
        deep = [deep]
    with pytest.raises(CanonicalEncodingError, match="deeper than"):
        canonical_encode(deep)


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(CanonicalEncodingError, match="lone surrogate"):
        canonical_encode(["ok", "bad\ud800"])


def test_int_and_str_subclasses_encode_as_their_base_type() -> None:
    import enum

    class Color(str, enum.Enum):
        RED = "red"

    class Level(enum.IntEnum):
        HIGH = 3

    assert canonical_encode(Color.RED) == canonical_encode("red")
    assert canonical_encode(Level.HIGH) == canonical_encode(3)
