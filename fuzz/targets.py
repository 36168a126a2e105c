"""Fuzz targets: each decoder that takes bytes from outside the node, with its properties.

A target is `fn(data: bytes) -> None`. It returns normally when the decoder either
accepted the input and every property held, or refused it with one of its documented
errors. Anything else is a finding: another exception (a crash: the node would answer
500, drop a batch, or halt in a block), an AssertionError (a property broken), or a
run past the time limit (a hang; atheris's -timeout, hypothesis's deadline).

    cbor             ledger.encoding.decode: canonical CBOR (every tx body and envelope)
    envelope         ledger.tx.decode_tx: the transaction envelope
    signed_envelope  a mutation script applied to one signed envelope: a mutant is refused,
                     fails its signature, or is the same transaction
    certificate      crypto.certs: a certificate's DER as a signer attaches it (both suites)
    certificate_pem  crypto.certs.load_pem, then the same
    der              crypto.der / crypto.sm2: DER elements, SM2 signatures, keys, SPKIs
    abci             engines.cometbft.proto: ABCI socket frames and every Request we read
    api_body         api.server: JSON and CBOR bodies of submit, batch, query, advance_time
    api_params       api: query parameters, SSE resume, vault and audit parameters, read
                     credentials (through aiohttp's own request object)

The properties, target by target, are in each function's docstring. The same functions
run under hypothesis (tests/fuzz, a fixed example budget) and under atheris
(`python -m fuzz.run`), and every input in fuzz/regressions/<target>/ is replayed by the
suite.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

MAX_INPUT = 128 * 1024  # longer inputs are cut: every decoder has a smaller limit of its own


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def same(a: Any, b: Any) -> bool:
    """Structural equality that also compares types (True is not 1, b"" is not "")."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


# -- canonical CBOR ------------------------------------------------------------------------
def cbor(data: bytes) -> None:
    """decode refuses with EncodingError, or accepts exactly the canonical bytes of a
    value of the model: encode(decode(b)) == b, and decode(encode(v)) == v."""
    from faechain.core import encoding

    data = bytes(data[:MAX_INPUT])
    try:
        value = encoding.decode(data)
    except encoding.EncodingError:
        return
    encoding.check(value)
    assert encoding.encode(value) == data, "decode accepted bytes that are not the canonical encoding"
    assert same(encoding.decode(encoding.encode(value)), value), "decode(encode(v)) != v"
    assert same(encoding.decode_trusted(data), value), "decode and decode_trusted disagree"


# -- transaction envelopes -------------------------------------------------------------------
def envelope(data: bytes) -> None:
    """decode_tx refuses with TxError (bad_encoding or too_large), or accepts an envelope
    that is byte for byte [1, body, signature, cert] re-encoded, whose body is the
    canonical body of its own fields and whose hash is H(body)."""
    from faechain.core import encoding
    from faechain.core.tx import MAX_TX_BYTES, TxError, decode_tx, make_body, make_envelope

    data = bytes(data[:MAX_INPUT])
    try:
        tx = decode_tx(data, sha256)
    except TxError as exc:
        assert exc.code in ("bad_encoding", "too_large"), exc.code
        assert (exc.code == "too_large") == (len(data) > MAX_TX_BYTES)
        return
    assert len(data) <= MAX_TX_BYTES and tx.size == len(data)
    assert make_envelope(tx.body, tx.signature, tx.cert) == data, "envelope is not canonical"
    assert make_body(tx.chain, tx.signer, tx.contract, tx.method, tx.args, tx.nonce, tx.expires) == tx.body
    assert tx.hash == sha256(tx.body) and tx.sign_bytes.endswith(tx.body)
    assert same(encoding.decode(tx.body)["args"], tx.args)


@functools.cache
def _signing_fixture() -> tuple[Any, bytes, bytes, Any]:
    """(public key, certificate DER, signed envelope, its decoded Tx), the same in every
    process (RFC 8032 test key, fixed validity and serial: Ed25519 signs deterministically)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from faechain.core.tx import SIGN_DOMAIN, decode_tx, make_body, make_envelope
    from faechain.crypto import certs

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    ca_key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    ca_name = certs._name("91110000FUZZ000001", "Fuzz Org", "BANK", "Fuzz Org CA")
    der = (x509.CertificateBuilder().subject_name(certs._name("91110000FUZZ000001", "Fuzz Org", "BANK", "teller"))
           .issuer_name(ca_name).public_key(key.public_key()).serial_number(7)
           .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
           .add_extension(x509.UnrecognizedExtension(certs.ATTRIBUTES_OID, certs._der_utf8('{"admin":true}')),
                          critical=False)
           .sign(ca_key, None).public_bytes(serialization.Encoding.DER))
    body = make_body("fae-fuzz", sha256(der), "receivables", "transfer",
                     {"id": "V-1-0-1", "to": "91110000FUZZ000002", "amount": 40_000_000, "memo": b"\x00\xff"},
                     2**40 + 7, 1_790_000_600_000)
    raw = make_envelope(body, key.sign(SIGN_DOMAIN + body), der)
    return key.public_key(), der, raw, decode_tx(raw, sha256)


def mutate(buf: bytes, script: bytes, max_ops: int = 16) -> bytes:
    """Apply a mutation script (3 bytes per operation) to `buf`: flip a bit, set, insert or
    delete a byte, truncate, duplicate or swap a few bytes."""
    out = bytearray(buf)
    for i in range(0, min(len(script), 3 * max_ops) - 2, 3):
        b0, b1, b2 = script[i], script[i + 1], script[i + 2]
        kind, arg = b0 & 7, b0 >> 3
        pos = ((b1 << 8) | b2) % (len(out) + 1)
        if kind == 0 and pos < len(out):
            out[pos] ^= 1 << (arg & 7)
        elif kind == 1 and pos < len(out):
            out[pos] = b1 ^ b2 ^ arg
        elif kind == 2:
            out.insert(pos, b1 ^ arg)
        elif kind == 3 and pos < len(out):
            del out[pos]
        elif kind == 4:
            del out[pos:]
        elif kind == 5:
            out[pos:pos] = out[pos:pos + 1 + (arg & 7)]
        elif kind == 6 and pos + 1 < len(out):
            out[pos], out[pos + 1] = out[pos + 1], out[pos]
        elif kind == 7 and pos < len(out):
            out[pos] = 0xFF if arg & 1 else 0x00
    return bytes(out)


def signed_envelope(data: bytes) -> None:
    """A mutant of a signed envelope is refused by decode_tx, or fails the signature check
    against the signer's key, or carries a certificate that is not the signer's (refused:
    bad_certificate), or it is byte for byte the envelope that was signed or that envelope
    without its certificate (the slot the signature does not cover): the same transaction."""
    from faechain.core.tx import TxError, decode_tx, make_envelope

    public, der, raw, orig = _signing_fixture()
    mutant = mutate(raw, bytes(data[:96]))
    try:
        tx = decode_tx(mutant, sha256)
    except TxError:
        return
    if tx.signer != orig.signer:
        return  # another signer's key would have to verify our signature: not ours to check
    if tx.cert is not None and sha256(tx.cert) != tx.signer:
        return  # the node refuses it: bad_certificate
    try:
        public.verify(tx.signature, tx.sign_bytes)
    except Exception:  # noqa: BLE001 - InvalidSignature, or whatever the suite's key raises on a forgery
        return
    assert tx.body == orig.body and tx.hash == orig.hash, "a different body verified under the signature"
    assert (tx.chain, tx.contract, tx.method, tx.nonce, tx.expires) == \
        (orig.chain, orig.contract, orig.method, orig.nonce, orig.expires)
    assert same(tx.args, orig.args)
    assert mutant in (raw, make_envelope(orig.body, orig.signature, None)), "a second envelope was accepted"


# -- certificates ----------------------------------------------------------------------------
@functools.cache
def _suites() -> tuple:
    from faechain.crypto import sm2
    from faechain.crypto.suite import get_suite

    return (get_suite("ed25519"),) + ((get_suite("sm2-sm3"),) if sm2.available() else ())


@functools.cache
def _ca_der(suite_name: str) -> bytes:
    from faechain.crypto import certs
    from faechain.crypto.suite import get_suite

    return certs.create_ca(get_suite(suite_name).generate(), "91110000FUZZ000001", "Fuzz Org", "BANK", serial=11)


def _certificate_der(der: bytes) -> None:
    from faechain.core import encoding
    from faechain.crypto import certs

    try:
        info = certs.read_info(der)
    except certs.CertificateError:
        info = None
    if info is not None:
        # what faechain.chain.auth.Authenticator.caller registers for a new signer, and the keys it reads: all
        # must encode, or a transaction carrying this certificate would halt the block
        record = {"id": sha256(der).hex(), "org_id": info.org_id, "name": info.name, "role": info.role,
                  "public_key": b"", "attributes": info.attributes, "not_before": info.not_before,
                  "not_after": info.not_after, "revoked": False}
        encoding.encode(record)
        f"membership/revoked/{info.org_id}/{sha256(der).hex()}".encode()
        f"membership/org/{info.org_id}".encode()
    for suite in _suites():
        try:
            certs.public_key(suite, der)
        except certs.CertificateError:
            pass
        try:
            certs.verify_issued_by(suite, der, _ca_der(suite.name))
        except certs.CertificateError:
            pass
        try:
            certs.verify_issued_by(suite, _ca_der(suite.name), der)
        except certs.CertificateError:
            pass


def certificate(data: bytes) -> None:
    """certs.read_info, public_key and verify_issued_by (both suites, the certificate as the
    member and as the CA) raise only CertificateError; what read_info returns is a record
    the ledger can encode."""
    _certificate_der(bytes(data[:MAX_INPUT]))


def certificate_pem(data: bytes) -> None:
    """certs.load_pem raises only CertificateError; the DER it returns passes `certificate`."""
    from faechain.crypto import certs

    try:
        der = certs.load_pem(bytes(data[:MAX_INPUT]))
    except certs.CertificateError:
        return
    _certificate_der(der)


# -- DER and SM2 -----------------------------------------------------------------------------
def _walk(data: bytes, depth: int = 0) -> None:
    from faechain.crypto import der

    for tag, content, whole in der.children(data):
        assert whole.endswith(content)
        if tag & 0x20 and depth < 16:  # constructed
            _walk(content, depth + 1)
        elif tag == der.OID:
            der.read_oid(content)
        elif tag == der.INTEGER and content and not content[0] & 0x80:
            try:
                der.read_integer(content)
            except der.DerError:
                pass


def der(data: bytes) -> None:
    """The DER reader raises only DerError (a constructed value read element by element,
    OIDs and integers too); SM2 signature, SubjectPublicKeyInfo and point decoding raise
    only SmError; an SM2 signature that decodes re-encodes to the same bytes."""
    from faechain.crypto import der as _der
    from faechain.crypto import sm2

    data = bytes(data[:MAX_INPUT])
    try:
        _walk(data)
    except _der.DerError:
        pass
    try:
        r, s = sm2.decode_signature(data)
    except sm2.SmError:
        pass
    else:
        assert sm2.encode_signature(r, s) == data, "an SM2 signature has a second encoding"
    try:
        sm2.check_public_raw(data)
    except sm2.SmError:
        pass
    if sm2.available():
        try:
            sm2.public_from_spki(data)
        except sm2.SmError:
            pass


# -- ABCI socket protocol -------------------------------------------------------------------------
def _read_request(msg: bytes) -> None:
    from faechain.engines.cometbft import proto

    kind, body = proto.decode_request(msg)
    if kind == proto.REQ_CHECK_TX:
        tx, _ = proto.decode_check_tx(body)
        assert isinstance(tx, bytes)
    elif kind == proto.REQ_INFO:
        proto.RequestInfo.decode(body)
    elif kind == proto.REQ_INIT_CHAIN:
        proto.RequestInitChain.decode(body)
    elif kind == proto.REQ_QUERY:
        proto.RequestQuery.decode(body)
    elif kind in (proto.REQ_PREPARE_PROPOSAL, proto.REQ_PROCESS_PROPOSAL, proto.REQ_FINALIZE_BLOCK):
        r = proto.BlockRequest.decode(body, kind)
        assert all(isinstance(tx, bytes) for tx in r.txs)
    else:
        for _ in proto.iter_fields(body):
            pass


def abci(data: bytes) -> None:
    """The socket reader (length-prefixed frames) and the Request decoders raise only
    ProtoError; frames read from the stream in arbitrary pieces are the frames read at once,
    and each consumed byte belongs to exactly one frame."""
    from faechain.engines.cometbft import proto

    data = bytes(data[:MAX_INPUT])
    try:
        messages, used = proto.read_frames(data)
    except proto.ProtoError:
        messages, used = None, 0
    if messages is not None:
        pos = 0
        for m in messages:  # each frame is a varint length and exactly that many bytes
            n, start = proto.read_uvarint(data, pos)
            assert n == len(m) and data[start:start + n] == m
            pos = start + n
        assert pos == used
        # as AbciServer._serve reads them: pieces of the stream, the buffer cut after each
        step = 1 + (data[0] % 7 if data else 0)
        buf, seen = bytearray(), []
        for i in range(0, len(data), step):
            buf += data[i:i + step]
            got, n = proto.read_frames(buf)
            del buf[:n]
            seen.extend(got)
        assert seen == messages, "frames depend on how the stream was cut"
        for m in messages:
            try:
                _read_request(m)
            except proto.ProtoError:
                pass
    else:
        try:  # a bad stream still decodes request by request up to the bad frame
            _read_request(data)
        except proto.ProtoError:
            pass


# -- API bodies and parameters -----------------------------------------------------------------------
BODY_ROUTES = ("submit_json", "batch_cbor", "batch_json", "query_json", "query_cbor", "advance_time")
# the codes each body parser may refuse with (the route's documented request errors)
BODY_CODES = {"submit_json": {"bad_request"}, "batch_cbor": {"bad_request", "too_large"},
              "batch_json": {"bad_request", "too_large"}, "query_json": {"bad_request"},
              "query_cbor": {"bad_request"}, "advance_time": {"bad_request"}}


def api_body(data: bytes) -> None:
    """The request-body parsers of POST /v1/txs (JSON), /v1/txs/batch (CBOR and JSON),
    /v1/query (JSON and CBOR) and /v1/dev/advance_time refuse with an HttpError of a
    documented code, or give what the handler needs: envelope bytes, 1..MAX_BATCH byte
    strings, query arguments that are a map of the value model, an integer."""
    from faechain.api import http
    from faechain.api.errors import HttpError
    from faechain.core import encoding

    data = bytes(data[:MAX_INPUT])
    route = BODY_ROUTES[data[0] % len(BODY_ROUTES)] if data else BODY_ROUTES[0]
    body = data[1:]
    try:
        if route == "submit_json":
            raw = http.submit_body("application/json", body)
            assert type(raw) is bytes and raw
        elif route in ("batch_cbor", "batch_json"):
            raws = http.batch_body("application/" + route[6:], body)
            assert 1 <= len(raws) <= http.MAX_BATCH and all(type(r) is bytes for r in raws)
        elif route in ("query_json", "query_cbor"):
            args = http.query_args("application/" + route[6:], body)
            assert type(args) is dict
            encoding.check(args)  # the contract sees values of the model only
        else:
            seconds = http.advance_seconds(body)
            assert type(seconds) is int
    except HttpError as exc:
        assert exc.code in BODY_CODES[route], (route, exc.code, exc.message)
        assert exc.status in (400, 413)


PARAM_NAMES = ("height", "from", "wait", "timeout", "key", "key_hex", "prove", "scope", "subject", "after",
               "ref", "org", "limit", "format", "from_height", "to_height", "signer", "date", "sig", "cert")
HEADER_NAMES = ("Last-Event-ID", "X-Fae-Signer", "X-Fae-Date", "X-Fae-Signature", "X-Fae-Cert")


class _StubApp:
    """Just enough of an Application for `auth.authenticate` to reach every check."""

    chain_id = "fae-fuzz"
    lock = threading.Lock()

    def caller_for_cert(self, cert_id: bytes, cert: bytes | None):
        from faechain.chain.results import Rejected

        raise Rejected("unknown_signer", "not a member")


class _StubNode:
    class config:
        anonymous_reads = False

    app = _StubApp()


def _request(data: bytes):
    """An aiohttp request whose query parameters and headers are pieces of `data`."""
    from urllib.parse import quote

    from aiohttp.test_utils import make_mocked_request

    pieces = data.split(b"\x00")
    query, headers = [], {}
    for i, piece in enumerate(pieces):
        text = piece.decode("utf-8", "surrogateescape")
        if i < len(PARAM_NAMES) * 2:
            name = PARAM_NAMES[(i + (data[0] if data else 0)) % len(PARAM_NAMES)]
            query.append(f"{name}={quote(text, safe='', errors='surrogateescape')}")
        else:
            header = HEADER_NAMES[i % len(HEADER_NAMES)]
            value = "".join(ch for ch in piece.decode("latin-1") if 0x20 <= ord(ch) < 0x7F)
            headers[header] = value
    path = "/v1/vault/" + (pieces[0][:80].hex() if pieces else "")
    protocol, transport, writer, app = _request_parts(next(_REQUESTS) // 1000)
    return make_mocked_request("GET", path + "?" + "&".join(query), headers=headers, app=app, writer=writer,
                               protocol=protocol, transport=transport, loop=_loop(),
                               match_info={"hash": pieces[0].decode("latin-1") if pieces else "", "height": path})


_REQUESTS = itertools.count()


@functools.lru_cache(maxsize=1)
def _request_parts(generation: int) -> tuple:
    """make_mocked_request's mocks (making them is most of its cost), made anew every 1,000
    requests: mocks record every call made on them, which a long run would pile up."""
    from aiohttp.test_utils import make_mocked_request

    r = make_mocked_request("GET", "/", loop=_loop())
    return r.protocol, r.transport, r._payload_writer, r.app


@functools.cache
def _loop():
    import asyncio

    return asyncio.new_event_loop()


def _run(coro):
    return _loop().run_until_complete(coro)


def api_params(data: bytes) -> None:
    """Every query-parameter and header parser of the API (heights, cursors, booleans,
    timeouts, the SSE resume point, vault hash/scope/subject, audit references, the read
    credentials) refuses with an HttpError or gives a value in range: heights and limits
    within SQLite's 64-bit integers, timeouts finite and positive."""
    from faechain.api import audit, auth, http, vault
    from faechain.api.errors import HttpError
    from faechain.core import wire

    data = bytes(data[:4096])
    request = _request(data)
    INT64 = 2**63 - 1

    def attempt(fn: Callable, *args):
        try:
            return fn(*args)
        except HttpError as exc:
            assert 400 <= exc.status < 500, (fn, exc.code, exc.status)
            return None

    for name in ("height", "from", "limit", "from_height", "to_height"):
        v = attempt(http.int_param, request, name)
        assert v is None or 0 <= v <= INT64, (name, v)
    attempt(http.bool_param, request, "wait", True)
    t = attempt(http.timeout_param, request)
    assert t is None or 0 < t <= http.MAX_WAIT_TIMEOUT
    start = attempt(http.resume_from, request)
    assert start is None or 0 <= start <= INT64 + 1
    cursor = attempt(audit._cursor, request.query.get("after"))
    assert cursor is None or cursor == (-1, -1) or all(0 <= c <= INT64 for c in cursor)
    attempt(audit._ref_param, request, "ref", False)
    attempt(vault._hash_param, request)
    attempt(vault._query_param, request, "scope")
    path = request.rel_url.raw_path
    signed = wire.signed_path(path, request.rel_url.raw_query_string)
    assert signed.startswith(path) and wire.signed_path(path, signed[len(path) + 1:]) == signed
    try:
        _run(auth.authenticate(request, _StubNode(), b""))
    except HttpError as exc:
        assert exc.code == "unauthenticated" and exc.status == 401, exc.code
    else:
        raise AssertionError("a stub node with no members authenticated a reader")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "cbor": cbor,
    "envelope": envelope,
    "signed_envelope": signed_envelope,
    "certificate": certificate,
    "certificate_pem": certificate_pem,
    "der": der,
    "abci": abci,
    "api_body": api_body,
    "api_params": api_params,
}


# -- seeds: well-formed inputs the fuzzers start from ----------------------------------------------------
def seeds(name: str) -> list[bytes]:
    """Valid (and a few known-tricky) inputs for target `name`: atheris's initial corpus and
    the starting points of the suite's mutation strategies."""
    return _SEEDS[name]()


def _cbor_seeds() -> list[bytes]:
    from faechain.core.encoding import encode

    values = [0, 23, 24, -1, 2**64 - 1, -(2**63), "", "faechain 链", b"\x00\xff", [1, [2, 3], "a"], None, True,
              {"": 0, "a": 3, "b": 1, "aa": 2, "ab": 5, "é": 4}, {"a": {"b": {"c": [None, False]}}}, [[[[[[]]]]]]]
    return [encode(v) for v in values] + [_signing_fixture()[2]]


def _envelope_seeds() -> list[bytes]:
    from faechain.core.encoding import encode
    from faechain.core.tx import make_body, make_envelope

    _, der, raw, tx = _signing_fixture()
    body = make_body("c", b"\x01" * 32, "m", "x", {}, 0, 0)
    return [raw, make_envelope(tx.body, tx.signature, None), make_envelope(body, b"", None),
            encode([1, body, b"s" * 64, der]), encode([2, body, b"", None])]


def _tricky_certificates() -> list[bytes]:
    """Certificates whose attribute extension holds what JSON allows and the ledger does not
    (regressions: floats, NaN, lone surrogates, deep nesting, huge integers)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from faechain.crypto import certs

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    out = []
    for text in ('{"qualified":1.5}', '{"a":NaN}', '{"\\ud800":true}', "[" * 3000 + "]" * 3000,
                 '{"a":' + "9" * 40 + "}", '{"a":"x"}'):
        out.append(x509.CertificateBuilder()
                   .subject_name(certs._name("91110000FUZZ000001", "Fuzz Org", "BANK", "n"))
                   .issuer_name(certs._name("91110000FUZZ000001", "Fuzz Org", "BANK", "Fuzz Org CA"))
                   .public_key(key.public_key()).serial_number(3)
                   .not_valid_before(start).not_valid_after(start + dt.timedelta(days=1))
                   .add_extension(x509.UnrecognizedExtension(certs.ATTRIBUTES_OID, certs._der_utf8(text)),
                                  critical=False)
                   .sign(key, None).public_bytes(serialization.Encoding.DER))
    return out


def _certificate_seeds() -> list[bytes]:
    from faechain.crypto import certs

    out = [_signing_fixture()[1], *_tricky_certificates()]
    for suite in _suites():
        ca_key = suite.generate()
        ca = certs.create_ca(ca_key, "91110000FUZZ000001", "Fuzz Org", "BANK", serial=5)
        out += [ca, certs.issue_member(ca_key, ca, suite.generate().crypto_key().public_key(), "teller", "BANK",
                                          {"admin": True})]
    return out


def _certificate_pem_seeds() -> list[bytes]:
    from faechain.crypto import certs

    return [certs.to_pem(d) for d in _certificate_seeds()]


def _der_seeds() -> list[bytes]:
    from faechain.crypto import der as _der
    from faechain.crypto import sm2

    out = [_der.seq(_der.integer(1), _der.integer(2**255 + 1)), _der.oid("1.2.156.10197.1.501"),
           _der.oid("2.25.208311453917386210429178734623480135571")]
    if sm2.available():
        key = sm2.generate()
        out += [key.sign(b"fuzz"), key.public().spki(), key.public().raw()]
    return out + _certificate_seeds()[:2]


def _abci_seeds() -> list[bytes]:
    from faechain.engines.cometbft import proto

    def req(kind: int, inner: bytes = b"") -> bytes:
        return proto.frame(proto.f_bytes(kind, inner, always=True))

    ts = proto.f_bytes(6, proto.encode_timestamp(1_790_000_000_123))
    raw = _signing_fixture()[2]
    return [
        req(proto.REQ_ECHO, proto.f_bytes(1, "hello")) + req(proto.REQ_FLUSH),
        req(proto.REQ_INFO, proto.f_bytes(1, "0.38.26") + proto.f_varint(2, 11) + proto.f_bytes(4, "2.0.0")),
        req(proto.REQ_CHECK_TX, proto.f_bytes(1, raw) + proto.f_varint(2, 1)) * 2,
        req(proto.REQ_FINALIZE_BLOCK,
            proto.f_bytes(1, raw) + proto.f_varint(5, 7) + ts + proto.f_bytes(8, b"\x01" * 20)),
        req(proto.REQ_PREPARE_PROPOSAL, proto.f_varint(1, 1 << 20) + proto.f_bytes(2, raw) + proto.f_varint(5, 3)),
        req(proto.REQ_INIT_CHAIN, proto.f_bytes(1, proto.encode_timestamp(1000)) + proto.f_bytes(2, "fae-demo")
            + proto.f_bytes(4, proto.ValidatorUpdate("ed25519", b"\x02" * 32, 10).encode()) + proto.f_varint(6, 1)),
        req(proto.REQ_QUERY, proto.f_bytes(1, b"membership/org/x") + proto.f_bytes(2, "/state") + proto.f_varint(3, 2)),
        req(proto.REQ_COMMIT),
    ]


def _api_body_seeds() -> list[bytes]:
    import base64

    from faechain.core.encoding import encode

    raw = _signing_fixture()[2]
    b64 = base64.b64encode(raw).decode()
    docs = [
        (0, json.dumps({"tx": b64}).encode()),
        (1, encode([raw, raw])),
        (2, json.dumps({"txs": [b64, b64[:-2]]}).encode()),
        (3, json.dumps({"org_id": "91110000MA0000015X", "n": 1, "x": [True, None]}).encode()),
        (4, encode({"hash": b"\x01" * 32, "limit": 5})),
        (5, b'{"seconds": 86400}'),
    ]
    return [bytes([i]) + body for i, body in docs]


def _api_params_seeds() -> list[bytes]:
    fields = [b"ab" * 32, b"12", b"7", b"true", b"2.5", b"membership/org/x", b"6d656d", b"1", b"plans", b"P-1",
              b"3:4", b"V-1-0-1", b"91110000MA0000015X", b"100", b"csv", b"0", b"9", b"00" * 32, b"1790000000000",
              b"AAAA", b"41-2", b"ab" * 32, b"1790000000000", b"AAAA", b"MIIB"]
    return [b"\x00".join(fields), b"\x00".join(fields[:3] + [b"99999999999999999999999"] * 6)]


_SEEDS: dict[str, Callable[[], list[bytes]]] = {
    "cbor": _cbor_seeds,
    "envelope": _envelope_seeds,
    "signed_envelope": lambda: [b"", b"\x00\x00\x10", b"\x03\x00\x40\x02\x01\x00"],
    "certificate": _certificate_seeds,
    "certificate_pem": _certificate_pem_seeds,
    "der": _der_seeds,
    "abci": _abci_seeds,
    "api_body": _api_body_seeds,
    "api_params": _api_params_seeds,
}


def timed(name: str, data: bytes) -> float:
    """Run target `name` on `data`; the seconds it took (for the linearity checks)."""
    started = time.perf_counter()
    TARGETS[name](data)
    return time.perf_counter() - started
