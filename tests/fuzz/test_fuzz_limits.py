"""No decoder of outside bytes blows up: size limits, a nesting cap, and linear work.

For each decoder, adversarial shapes (long flat arrays, many map keys, maximal nesting,
many tiny fields or frames, many DER elements) are decoded at size n and 8n: the CPU
time of the larger (this thread's, best of three) must stay under 24 times the smaller's
(linear work gives about 8, quadratic 64). Inputs at each decoder's own size limit must
be answered within a generous deadline. No other timing is asserted.
"""

from __future__ import annotations

import json
import time

import pytest

from faechain.api.errors import HttpError
from faechain.api.http import json_body, query_args
from faechain.core.encoding import MAX_DEPTH, EncodingError, decode, encode
from faechain.core.tx import MAX_TX_BYTES, TxError, decode_tx, make_body, make_envelope
from faechain.crypto import der
from faechain.engines.cometbft import proto
from fuzz.targets import sha256


def cost(fn, data, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        fn(data)
        best = min(best, time.thread_time() - started)
    return best


def assert_linear(fn, make, n: int) -> None:
    small, big = make(n), make(8 * n)
    fn(small)  # warm up
    a, b = cost(fn, small), cost(fn, big)
    assert b < 24 * a + 0.003, f"n={n}: {a * 1000:.2f} ms, 8n: {b * 1000:.2f} ms (ratio {b / max(a, 1e-9):.1f})"


def refused_or_decoded(fn):
    def run(data):
        try:
            fn(data)
        except (EncodingError, TxError, HttpError, proto.ProtoError, der.DerError):
            pass
    return run


CBOR_SHAPES = {
    "flat-array": lambda n: encode([0] * n),
    "many-keys": lambda n: encode({f"k{i:07d}": i for i in range(n)}),
    "nested-to-the-cap": lambda n: encode(
        [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] * (n // 32)),
    "long-text": lambda n: encode("é" * n),
    "many-byte-strings": lambda n: encode([b"\x00\x01"] * n),
    "unsorted-keys-late": lambda n: encode({f"k{i:07d}": i for i in range(n)})[:-12] + b"\x62zz\x00" + b"\x00" * 7,
}


@pytest.mark.parametrize("shape", sorted(CBOR_SHAPES))
def test_cbor_decode_is_linear(shape):
    assert_linear(refused_or_decoded(decode), CBOR_SHAPES[shape], 4000)


def test_cbor_nesting_is_capped():
    with pytest.raises(EncodingError):
        decode(b"\x81" * (MAX_DEPTH + 2) + b"\x00")
    assert decode(b"\x81" * (MAX_DEPTH + 1) + b"\x00") is not None  # 33 containers, as specified
    started = time.perf_counter()
    for prefix in (b"\x81", b"\xa1\x60", b"\xd8\x1c\x81", b"\x9f"):
        with pytest.raises(EncodingError):
            decode(prefix * 40_000 + b"\x00")
    assert time.perf_counter() - started < 2.0


def _envelope_with_args(n: int) -> bytes:
    body = make_body("c", b"\x01" * 32, "m", "x", {f"a{i:06d}": [i, b"\x00"] for i in range(n)}, 1, 2)
    return make_envelope(body, b"s" * 64, None)


def test_envelope_decode_is_linear_and_bounded():
    assert_linear(refused_or_decoded(lambda d: decode_tx(d, sha256)), _envelope_with_args, 500)
    n = 1
    while len(_envelope_with_args(n * 2)) <= MAX_TX_BYTES:
        n *= 2
    biggest = _envelope_with_args(n)
    started = time.perf_counter()
    decode_tx(biggest, sha256)
    with pytest.raises(TxError, match="limit"):
        decode_tx(biggest + b"\x00" * MAX_TX_BYTES, sha256)
    assert time.perf_counter() - started < 1.0


def test_abci_reading_is_linear():
    def frames(n: int) -> bytes:
        inner = proto.f_bytes(1, b"\x00" * 8) + proto.f_varint(2, 1)
        return proto.frame(proto.f_bytes(proto.REQ_CHECK_TX, inner, always=True)) * n

    def fields(n: int) -> bytes:
        return proto.f_bytes(proto.REQ_FINALIZE_BLOCK, b"\x28\x01" * n + proto.f_bytes(1, b"t") * n, always=True)

    assert_linear(refused_or_decoded(lambda d: proto.read_frames(d)), frames, 4000)
    assert_linear(refused_or_decoded(lambda d: proto.BlockRequest.decode(proto.decode_request(d)[1],
                                                                          proto.REQ_FINALIZE_BLOCK)), fields, 4000)

    def streamed(data: bytes) -> None:  # as AbciServer._serve: pieces appended, complete frames cut off
        buf = bytearray()
        for i in range(0, len(data), 1000):
            buf += data[i:i + 1000]
            _, used = proto.read_frames(buf)
            del buf[:used]

    def big_frame(n: int) -> bytes:
        return proto.frame(proto.f_bytes(proto.REQ_CHECK_TX, proto.f_bytes(1, b"\x00" * n * 10), always=True))
    assert_linear(streamed, big_frame, 20_000)


def test_der_reading_is_linear():
    def elements(n: int) -> bytes:
        return der.seq(*([der.integer(5), der.oid("1.2.840.10045.2.1"), der.seq(der.utf8("x"))] * n))

    def walk(data: bytes) -> None:
        for tag, content, _ in der.children(der.read_one(data, der.SEQUENCE)):
            if tag == der.SEQUENCE:
                der.children(content)
            elif tag == der.OID:
                der.read_oid(content)

    assert_linear(refused_or_decoded(walk), elements, 2000)


@pytest.mark.parametrize("shape", ["deep-array", "deep-object", "long-array", "many-keys", "long-number"])
def test_json_bodies_are_linear_and_bounded(shape):
    make, largest = {
        "deep-array": (lambda n: b"[" * n, 1 << 20),
        "deep-object": (lambda n: b'{"a":' * n, 1 << 18),
        "long-array": (lambda n: b"[" + b"1," * n + b"1]", 1 << 19),
        "many-keys": (lambda n: json.dumps({f"k{i}": i for i in range(n)}).encode(), 1 << 16),
        "long-number": (lambda n: b"1" * min(n, 4000), 4000),
    }[shape]
    assert_linear(refused_or_decoded(lambda d: query_args("application/json", d)), make, 5_000)
    body = make(largest)[: 1 << 20]  # about the largest body the node reads (max_body_bytes: 1 MiB)
    started = time.perf_counter()
    try:
        json_body(body)
    except HttpError:
        pass
    assert time.perf_counter() - started < 2.0
