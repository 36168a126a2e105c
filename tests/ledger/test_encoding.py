"""Canonical encoding: round trips, an independent reference encoder, and rejection of
every non-canonical or out-of-model byte string (property tests)."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from faechain.core.encoding import (
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    EncodingError,
    check,
    decode,
    decode_trusted,
    encode,
    encode_trusted,
)

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile

# -- the value model ---------------------------------------------------------------

BOUNDARY_INTS = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, INT_MAX,
                 -1, -24, -25, -256, -257, -65536, -65537, -(2**32), -(2**32) - 1, INT_MIN]
ints = st.integers(INT_MIN, INT_MAX) | st.sampled_from(BOUNDARY_INTS)
texts = st.text(max_size=30) | st.sampled_from(["", "a", "é", "中文", "x" * 23, "y" * 24, "z" * 256])
scalars = st.none() | st.booleans() | ints | texts | st.binary(max_size=40)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=10), inner, max_size=6),
    max_leaves=30,
)


def same(a, b) -> bool:
    """Structural equality that also compares types (True is not 1)."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) or (a.keys() == b.keys() and all(same(a[k], b[k]) for k in a))
    return a == b


# -- an independent reference encoder (RFC 8949 section 4.2, written from the spec) -----

WIDTHS = ((24, 1), (25, 2), (26, 4), (27, 8))


class NotApplicable(Exception):
    pass


def head(major: int, n: int, widen: bool = False) -> bytes:
    """Initial byte + argument; shortest form unless `widen` (one size too big)."""
    forms = ([None] if n < 24 else []) + [w for w in WIDTHS if n < 256 ** w[1]]
    if widen:
        if len(forms) < 2:
            raise NotApplicable
        form = forms[1]
    else:
        form = forms[0]
    if form is None:
        return bytes([(major << 5) | n])
    ai, size = form
    return bytes([(major << 5) | ai]) + n.to_bytes(size, "big")


def key_order(k: str) -> tuple[int, bytes]:
    b = k.encode()
    return (len(b), b)


class RefEncoder:
    """Encodes a value; optionally damages the node with pre-order index `target`."""

    def __init__(self, target: int = -1, kind: str = "", extra: int = 0):
        self.target, self.kind, self.extra = target, kind, extra
        self.index = 0
        self.nodes: list[tuple[str, list[str]]] = []  # pre-order: (type, applicable mutations)

    def enc(self, v) -> bytes:
        i = self.index
        self.index += 1
        self.nodes.append((type(v).__name__, self.kinds(v)))
        if i == self.target:
            return self.mutate(v)
        return self.plain(v)

    @staticmethod
    def kinds(v) -> list[str]:
        out = ["tag", "float", "simple"]
        t = type(v)
        if t is int and t is not bool:
            n = v if v >= 0 else -1 - v
            if n < 2**32:
                out.append("wide")
            out.append("bignum")
        if t in (str, bytes, list, dict):
            n = len(v.encode()) if t is str else len(v)
            if n < 2**32:
                out.append("wide")
            out.append("indef")
        if t is str:
            out.append("badutf8")
        if t is dict and len(v) >= 2:
            out.append("unsorted")
        if t is dict and len(v) >= 1:
            out.append("dup")
        return out

    def plain(self, v, widen: bool = False, order=None) -> bytes:
        t = type(v)
        if v is None:
            return b"\xf6"
        if t is bool:
            return b"\xf5" if v else b"\xf4"
        if t is int:
            return head(0, v, widen) if v >= 0 else head(1, -1 - v, widen)
        if t is bytes:
            return head(2, len(v), widen) + v
        if t is str:
            b = v.encode()
            return head(3, len(b), widen) + b
        if t is list:
            return head(4, len(v), widen) + b"".join(self.enc(x) for x in v)
        if t is dict:
            keys = sorted(v, key=key_order) if order is None else order
            return head(5, len(keys), widen) + b"".join(self.plain(k) + self.enc(v[k]) for k in keys)
        raise TypeError(t)

    def mutate(self, v) -> bytes:
        k, t = self.kind, type(v)
        if k == "wide":
            return self.plain(v, widen=True)
        if k == "tag":
            return head(6, self.extra % 70000) + self.plain(v)
        if k == "float":
            return b"\xfb" + struct.pack(">d", float(self.extra))
        if k == "simple":
            return [b"\xf7", b"\xf0", b"\xf3", b"\xf8\x20", b"\xf8\xff", b"\xf8\x14"][self.extra % 6]
        if k == "bignum":
            n = v if v >= 0 else -1 - v
            raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
            return head(6, 2 if v >= 0 else 3) + head(2, len(raw)) + raw
        if k == "badutf8":
            return head(3, 2) + b"\xc3\x28"
        if k == "indef":
            if t is bytes:
                return b"\x5f" + head(2, len(v)) + v + b"\xff"
            if t is str:
                b = v.encode()
                return b"\x7f" + head(3, len(b)) + b + b"\xff"
            if t is list:
                return b"\x9f" + b"".join(self.enc(x) for x in v) + b"\xff"
            return b"\xbf" + b"".join(self.plain(key) + self.enc(v[key]) for key in sorted(v, key=key_order)) + b"\xff"
        if k == "unsorted":
            return self.plain(v, order=sorted(v, key=key_order, reverse=True))
        if k == "dup":
            keys = sorted(v, key=key_order)
            return self.plain(v, order=[keys[0]] + keys)
        raise AssertionError(k)


def ref_encode(v) -> bytes:
    return RefEncoder().enc(v)


# -- round trips -------------------------------------------------------------------


@SETTINGS
@given(values)
def test_round_trip(v):
    data = encode(v)
    assert same(decode(data), v)
    assert same(decode_trusted(data), v)
    assert encode_trusted(v) == data
    check(v)


@SETTINGS
@given(values)
def test_matches_reference_encoder(v):
    """cbor2's canonical mode is exactly RFC 8949 deterministic encoding with length-first keys."""
    assert encode(v) == ref_encode(v)


@SETTINGS
@given(st.dictionaries(st.text(max_size=40), st.integers(0, 3), min_size=2, max_size=12))
def test_map_keys_length_first_then_bytewise(d):
    decoded = decode(encode(d))
    keys = list(decoded)
    assert keys == sorted(d, key=key_order)
    # ... which for text keys is also the bytewise order of the encoded keys (RFC 8949 4.2.1)
    assert keys == sorted(d, key=lambda k: ref_encode(k))


@SETTINGS
@given(values, values)
def test_injective(a, b):
    assume(not same(a, b))
    assert encode(a) != encode(b)


def test_known_encodings():
    """RFC 8949 Appendix A examples that lie in the value model."""
    cases = [
        (0, "00"), (1, "01"), (10, "0a"), (23, "17"), (24, "1818"), (25, "1819"), (100, "1864"),
        (1000, "1903e8"), (1000000, "1a000f4240"), (1000000000000, "1b000000e8d4a51000"),
        (18446744073709551615, "1bffffffffffffffff"), (-1, "20"), (-10, "29"), (-100, "3863"),
        (-1000, "3903e7"), (False, "f4"), (True, "f5"), (None, "f6"), (b"", "40"),
        (b"\x01\x02\x03\x04", "4401020304"), ("", "60"), ("a", "6161"), ("IETF", "6449455446"),
        ('"\\', "62225c"), ("\u00fc", "62c3bc"), ("\u6c34", "63e6b0b4"), ("\U00010151", "64f0908591"),
    ]
    for value, hexed in cases:
        assert encode(value).hex() == hexed, value
        assert same(decode(bytes.fromhex(hexed)), value)
    assert encode([]).hex() == "80"
    assert encode([1, 2, 3]).hex() == "83010203"
    assert encode([1, [2, 3], [4, 5]]).hex() == "8301820203820405"
    assert encode(list(range(1, 26))).hex() == "98190102030405060708090a0b0c0d0e0f101112131415161718181819"
    assert encode({}).hex() == "a0"
    assert encode({"a": 1, "b": [2, 3]}).hex() == "a26161016162820203"
    assert encode(["a", {"b": "c"}]).hex() == "826161a161626163"
    assert encode({"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}).hex() == \
        "a56161614161626142616361436164614461656145"
    # length-first: "b" sorts before "aa"
    assert encode({"aa": 1, "b": 2}).hex() == "a261620262616101"


# -- rejection ---------------------------------------------------------------------


@SETTINGS
@given(values, st.data())
def test_every_mutation_is_rejected(v, data):
    probe = RefEncoder()
    probe.enc(v)
    index = data.draw(st.integers(0, len(probe.nodes) - 1), label="node")
    kinds = probe.nodes[index][1]
    kind = data.draw(st.sampled_from(kinds), label="kind")
    extra = data.draw(st.integers(0, 2**20), label="extra")
    try:
        damaged = RefEncoder(index, kind, extra).enc(v)
    except NotApplicable:
        assume(False)
    assert damaged != encode(v)
    with pytest.raises(EncodingError):
        decode(damaged)


@SETTINGS
@given(values, st.data())
def test_truncation_rejected(v, data):
    full = encode(v)
    cut = data.draw(st.integers(0, len(full) - 1))
    with pytest.raises(EncodingError):
        decode(full[:cut])


@SETTINGS
@given(values, st.binary(min_size=1, max_size=8))
def test_trailing_bytes_rejected(v, extra):
    with pytest.raises(EncodingError):
        decode(encode(v) + extra)


@pytest.mark.parametrize(
    "hexed",
    [
        "f93c00", "fa3f800000", "fb3ff0000000000000",  # floats of every width
        "c11a514b67b0", "c074323031332d30332d32315432303a30343a30305a", "d9d9f780", "d81843a10101", "d9010280",
        "c249010000000000000000", "c24101", "c34100",  # bignums (in and out of range)
        "f7", "f0", "f8ff", "f814",  # undefined and other simple values
        "9f01ff", "7f6161ff", "5f4101ff", "bf616101ff", "9fff",  # indefinite lengths
        "1817", "190017", "1a00000017", "1b0000000000000017", "3817", "780161", "590001ff", "9800", "b800",
        "a2616101616102", "a2616101616101",  # duplicate keys (even with equal values)
        "a2616201616101", "a2626161016162 02".replace(" ", ""),  # unsorted keys
        "a10101", "a1f601", "a14161 01".replace(" ", ""),  # non-text keys
        "3b8000000000000000", "3bffffffffffffffff",  # below -2**63
        "62c328", "63eda080", "61ff",  # invalid UTF-8 (incl. an encoded surrogate)
        "", "ff", "1c", "1d", "1e", "5c", "7c", "9c", "bc", "dc", "fc",  # reserved / break
        "0000", "8100ff",  # trailing bytes
        "1a0000", "62 61".replace(" ", ""), "8201", "a16161",  # truncated
        "5bffffffffffffffff", "9bffffffffffffffff", "bbffffffffffffffff",  # absurd lengths
    ],
)
def test_rejected_examples(hexed):
    with pytest.raises(EncodingError):
        decode(bytes.fromhex(hexed))


def test_decode_accepts_bytes_like_only_as_bytes():
    assert decode(bytearray(b"\x01")) == 1
    assert decode(memoryview(b"\x82\x01\x02")) == [1, 2]


@pytest.mark.parametrize(
    "value",
    [1.0, 0.0, math.nan, float("inf"), (1, 2), {1: 2}, {b"k": 1}, {None: 1}, {1, 2}, frozenset(), bytearray(b"x"),
     2**64, INT_MIN - 1, -(2**70), [1, [2, 1.5]], {"a": {"b": (1,)}}, object(), complex(1, 1), "\ud800",
     ["ok", "\udfff"], {"\ud834": 1}, {"k": "a\udc00b"}],
)
def test_out_of_model_values_rejected(value):
    with pytest.raises(EncodingError):
        encode(value)
    with pytest.raises(EncodingError):
        check(value)


def test_bool_is_not_int():
    assert encode(True) == b"\xf5" and encode(1) == b"\x01"
    assert decode(b"\xf5") is True


def test_nesting_limit():
    def nest(n):
        v = 0
        for _ in range(n):
            v = [v]
        return v

    deepest = MAX_DEPTH + 1  # containers
    assert same(decode(encode(nest(deepest))), nest(deepest))
    with pytest.raises(EncodingError):
        encode(nest(deepest + 1))
    with pytest.raises(EncodingError):
        decode(bytes([0x81] * (deepest + 1)) + b"\x00")
    too_deep_map = 0
    for _ in range(deepest + 1):
        too_deep_map = {"k": too_deep_map}
    with pytest.raises(EncodingError):
        encode(too_deep_map)


def test_large_but_valid_values():
    v = {"blob": b"\x00" * 70000, "text": "字" * 5000, "list": list(range(1000))}
    assert same(decode(encode(v)), v)
