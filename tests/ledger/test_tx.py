"""The transaction envelope and block header: layout and every rejection of decode_tx."""

from __future__ import annotations

import hashlib

import cbor2
import pytest

from faechain.core.block import Header
from faechain.core.encoding import decode, encode
from faechain.core.tx import MAX_TX_BYTES, SIGN_DOMAIN, TxError, decode_tx, make_body, make_envelope


def H(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


SIGNER = H(b"cert")
FIELDS = {"chain": "c", "signer": SIGNER, "contract": "membership", "method": "set_attributes",
          "args": {"a": 1}, "nonce": 5, "expires": 1000}


def body_of(**over) -> bytes:
    f = {**FIELDS, **over}
    return encode({k: v for k, v in f.items() if v is not ...})


def env(body=None, sig=b"s" * 64, cert=None, version=1) -> bytes:
    return encode([version, body if body is not None else body_of(), sig, cert])


def test_round_trip():
    body = make_body("c", SIGNER, "membership", "set_attributes", {"a": 1}, 5, 1000)
    assert body == body_of()
    raw = make_envelope(body, b"s" * 64, b"DER")
    tx = decode_tx(raw, H)
    assert tx.hash == H(body) and tx.body == body and tx.signature == b"s" * 64 and tx.cert == b"DER"
    assert (tx.chain, tx.signer, tx.contract, tx.method, tx.args, tx.nonce, tx.expires) == \
        ("c", SIGNER, "membership", "set_attributes", {"a": 1}, 5, 1000)
    assert tx.size == len(raw)
    assert tx.sign_bytes == SIGN_DOMAIN + body == b"faechain/tx/v1\x00" + body
    assert decode(raw) == [1, body, b"s" * 64, b"DER"]
    assert decode_tx(bytearray(raw), H).hash == tx.hash
    assert decode_tx(memoryview(raw), H).hash == tx.hash


def test_hash_ignores_signature_and_certificate():
    body = body_of()
    assert decode_tx(env(body, b"a" * 64), H).hash == decode_tx(env(body, b"b" * 64, b"cert"), H).hash


def code(raw) -> str:
    with pytest.raises(TxError) as e:
        decode_tx(raw, H)
    return e.value.code


def test_too_large():
    raw = env(body_of(args={"x": "a" * MAX_TX_BYTES}))
    assert code(raw) == "too_large"


def test_size_limit_boundary():
    base = len(env(body_of(args={"x": ""})))
    # a string of n bytes adds n plus its (growing) head; find the largest envelope under the limit
    n = MAX_TX_BYTES - base - 8
    raw = env(body_of(args={"x": "a" * n}))
    while len(raw) < MAX_TX_BYTES:
        n += 1
        raw = env(body_of(args={"x": "a" * n}))
    assert len(raw) == MAX_TX_BYTES
    decode_tx(raw, H)  # exactly the limit is fine
    assert code(env(body_of(args={"x": "a" * (n + 1)}))) == "too_large"


@pytest.mark.parametrize(
    "raw",
    [
        b"", b"garbage", "text", None, 12,
        encode({"version": 1}), encode([1, body_of(), b"s"]), encode([1, body_of(), b"s", None, None]),
        env(version=2), env(version=0), env(version=True), env(version="1"),
        encode([1, "body", b"s", None]), encode([1, body_of(), "sig", None]), env(cert="cert"), env(cert=1),
        env(body=b"\x00"), env(body=encode([1, 2])), env(body=body_of() + b"\x00"),
        env(body=body_of(nonce=...)), env(body=body_of(extra=1)), env(body=body_of(expires=...)),
        env(body=body_of(chain=1)), env(body=body_of(contract=b"membership")), env(body=body_of(method=None)),
        env(body=body_of(contract="c" * 65)), env(body=body_of(method="m" * 65)),
        env(body=body_of(signer=SIGNER[:31])), env(body=body_of(signer=SIGNER + b"\x00")),
        env(body=body_of(signer=SIGNER.hex())), env(body=body_of(args=[1])), env(body=body_of(args=None)),
        env(body=body_of(nonce=-1)), env(body=body_of(nonce=True)), env(body=body_of(expires=-5)),
        env(body=body_of(expires=False)), env(body=body_of(nonce="1")),
        cbor2.dumps([1, body_of(), b"s", None]) + b"\x00",  # trailing byte
        bytes.fromhex("9f") + env()[1:] + b"\xff",  # indefinite-length envelope
        # a body whose nonce is not minimally encoded, then re-signed bytes cannot help
        env(body=body_of().replace(bytes.fromhex("656e6f6e636505"), bytes.fromhex("656e6f6e63651805"))),
        # 2**64 in args: outside the value model
        env(body=cbor2.dumps({**FIELDS, "args": {"n": 2**64}}, canonical=True)),
    ],
)
def test_bad_encoding(raw):
    assert code(raw) == "bad_encoding"


def test_names_at_the_limit_are_fine():
    tx = decode_tx(env(body=body_of(contract="c" * 64, method="m" * 64)), H)
    assert len(tx.contract) == 64


def test_header_round_trip_and_hash():
    h = Header("fae-test", 7, 123, H(b"p"), H(b"t"), H(b"r"), H(b"a"), b"solo")
    data = h.encode()
    assert Header.decode(data) == h
    assert h.hash(H) == H(data)
    assert list(decode(data)) == ["prev", "time", "chain", "height", "app_hash", "proposer", "txs_root",
                                  "results_root"]
