#!/usr/bin/env python3
"""Verify a faechain evidence bundle with nothing but Python (3.11+) and `cryptography`.

    python evidence_standalone.py BUNDLE.json [--genesis YOUR_GENESIS.json] [--checkpoint H:HASH] [--json]

Copy this one file anywhere: it imports only the standard library and `cryptography`
(for Ed25519), and on a chain of the national suite (`"suite": "sm2-sm3"` in genesis)
reaches SM3 through `hashlib` and SM2 through the system's OpenSSL 3 libcrypto (the one
`hashlib` links) with `ctypes`. If that libcrypto has no SM2 or SM3, an SM chain's
bundle cannot be checked here and the verdict says so (`unavailable`); an SM chain on
CometBFT needs only SM3 (its validators sign with Ed25519), a solo SM chain needs SM2 too
(its block signer signs with SM2).

It checks, in the order docs/evidence.md ("Verifying a bundle") gives: the bundle's form;
its genesis (printing the genesis hash to compare with your own copy, or comparing it with
--genesis); the trust anchor; the signed headers (a solo chain's block signer signature;
CometBFT light blocks, each verified from the one before it by adjacent or skipping
verification, trust level 1/3, every signature for the block checked, and headers tied to
them by hash); every record's sparse-Merkle proof against the app hash of its block; the
completeness rules of the subject's kind; and for an audit range, each block's
transactions and receipts against the signed commitments. Exit status 0 when the bundle
verifies, 1 when it does not (the reason is printed), 2 when it cannot be read.

This file necessarily repeats logic the faechain SDK has — the canonical CBOR codec
(`faechain.core.encoding`), the sparse-Merkle proof check (`faechain.ledger.smt`), the
CometBFT light client (`faechain.sdk.light`), the solo header check, the transaction id
(`faechain.core.tx`) and the bundle rules (`faechain.sdk.evidence`). It is a second,
independent implementation on purpose: tests/sdk/test_evidence_standalone.py runs both on
the test vectors (docs/evidence-vectors/), on bundles of a real demo and a real
4-validator network and on every tampering it knows, and fails unless their verdicts
(`ok` and `code`) agree, which keeps the two in step.

Why one file (over 500 lines): it is meant to be copied alone to a machine that has no
faechain, so everything it needs is here.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import ctypes.util
import datetime as dt
import hashlib
import json
import re
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "faechain-evidence/1"
KINDS = ("voucher", "plan", "package", "product", "audit", "records")
SHOWN_VALUE_CHARS = 200
MAX_AUDIT_BLOCKS = 10_000
MAX_LINEAGE = 100_000
DEFAULT_TRUSTING_PERIOD_S = 168 * 3600.0
MAX_CLOCK_DRIFT_S = 10.0


class Refused(Exception):
    """The bundle does not verify: `code` says which kind of failure (docs/evidence.md)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def malformed(message: str) -> Refused:
    return Refused(message, "malformed")


def bad_header(message: str) -> Refused:
    return Refused(message, "bad_header")


# -- canonical CBOR (docs/encoding.md) ---------------------------------------------------------------------------
INT_MIN, INT_MAX = -(2**63), 2**64 - 1
MAX_DEPTH = 32  # containers nest at most 33 deep


class CborError(ValueError):
    """Bytes that are not canonical CBOR (this file stands alone: no faechain import, so no
    FaeError; the verdict it leads to carries the code)."""


def cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise CborError("integer too large")


def key_rank(key: str) -> tuple[int, bytes]:
    raw = key.encode()
    return len(raw), raw


def cbor_encode(value: Any, depth: int = 0) -> bytes:
    """The canonical bytes of a value of faechain's model (None, bool, int, str, bytes, list,
    dict with text keys); CborError for anything else."""
    t = type(value)
    if value is None:
        return b"\xf6"
    if t is bool:
        return b"\xf5" if value else b"\xf4"
    if t is int:
        if not INT_MIN <= value <= INT_MAX:
            raise CborError("integer outside the 64-bit range")
        return cbor_head(0, value) if value >= 0 else cbor_head(1, -1 - value)
    if t is bytes:
        return cbor_head(2, len(value)) + value
    if t is str:
        try:
            raw = value.encode()
        except UnicodeEncodeError:
            raise CborError("text holds a lone surrogate") from None
        return cbor_head(3, len(raw)) + raw
    if depth > MAX_DEPTH:
        raise CborError("value nested too deeply")
    if t is list:
        return cbor_head(4, len(value)) + b"".join(cbor_encode(v, depth + 1) for v in value)
    if t is dict:
        if any(type(k) is not str for k in value):
            raise CborError("map keys must be text")
        keys = sorted(value, key=key_rank)
        return cbor_head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(value[k], depth + 1) for k in keys)
    raise CborError(f"type {t.__name__} is not encodable")


def cbor_decode(data: bytes) -> Any:
    """Decode canonical bytes; CborError for anything `cbor_encode` would not have produced."""
    value, pos = _cbor_item(data, 0, 0)
    if pos != len(data):
        raise CborError("trailing bytes")
    return value


def _cbor_item(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if pos >= len(data):
        raise CborError("truncated")
    ib = data[pos]
    major, ai = ib >> 5, ib & 31
    pos += 1
    if major == 7:
        if ai in (20, 21, 22):
            return (False, True, None)[ai - 20], pos
        raise CborError("floats and simple values other than false, true, null are not allowed")
    if major == 6:
        raise CborError("tags are not allowed")
    if ai < 24:
        arg = ai
    elif ai <= 27:
        size = 1 << (ai - 24)
        if pos + size > len(data):
            raise CborError("truncated")
        arg = int.from_bytes(data[pos:pos + size], "big")
        pos += size
        if arg < (24 if ai == 24 else 1 << (8 * (size // 2))):
            raise CborError("not the shortest form")
    else:
        raise CborError("indefinite lengths are not allowed")
    if major == 0:
        return arg, pos
    if major == 1:
        if arg > 2**63 - 1:
            raise CborError("integer outside the 64-bit range")
        return -1 - arg, pos
    if major in (2, 3):
        if pos + arg > len(data):
            raise CborError("truncated")
        raw = data[pos:pos + arg]
        if major == 2:
            return bytes(raw), pos + arg
        try:
            return raw.decode("utf-8"), pos + arg
        except UnicodeDecodeError:
            raise CborError("text is not UTF-8") from None
    if depth > MAX_DEPTH:
        raise CborError("value nested too deeply")
    if arg > len(data) - pos:
        raise CborError("truncated")
    if major == 4:
        items = []
        for _ in range(arg):
            v, pos = _cbor_item(data, pos, depth + 1)
            items.append(v)
        return items, pos
    out: dict[str, Any] = {}
    previous: tuple[int, bytes] | None = None
    for _ in range(arg):
        if pos >= len(data) or data[pos] >> 5 != 3:
            raise CborError("map keys must be text")
        k, pos = _cbor_item(data, pos, depth + 1)
        rank = key_rank(k)
        if previous is not None and rank <= previous:
            raise CborError("map keys out of order or repeated")
        previous = rank
        out[k], pos = _cbor_item(data, pos, depth + 1)
    return out, pos


def jsonable(value: Any) -> Any:
    """A decoded value with every bytes as lowercase hex (as faechain renders values)."""
    if type(value) is bytes:
        return value.hex()
    if type(value) is dict:
        return {k: jsonable(v) for k, v in value.items()}
    if type(value) is list:
        return [jsonable(v) for v in value]
    return value


# -- the chain's suite: its hash and the block signer's signature -----------------------------------------------
def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class Ed25519Suite:
    name = "ed25519"
    hash = staticmethod(sha256)

    @staticmethod
    def check_key(raw: bytes) -> None:
        Ed25519PublicKey.from_public_bytes(raw)  # ValueError unless 32 bytes

    @staticmethod
    def verify(raw: bytes, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
        except InvalidSignature:
            return False
        return True


# sm2p256v1 (GB/T 32918.5-2017) and the default user id of GM/T 0009-2012
SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
SM2_USER_ID = b"1234567812345678"
SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")  # id-ecPublicKey, sm2p256v1


class Sm2Sm3Suite:
    """SM3 from hashlib; SM2 verification by the libcrypto hashlib links (OpenSSL 3), as
    faechain.crypto.sm2 does: e = SM3(Z_A || M) computed here, OpenSSL verifies (r, s) over e."""

    name = "sm2-sm3"

    def __init__(self) -> None:
        try:
            self._sm3 = hashlib.new("sm3")
        except ValueError:
            raise Refused("this Python's hashlib has no SM3 (its OpenSSL lacks it): an SM chain's bundle cannot be "
                          "checked here", "unavailable") from None
        self._lib: Any = None

    def hash(self, data: bytes) -> bytes:
        h = self._sm3.copy()
        h.update(data)
        return h.digest()

    def lib(self) -> Any:
        if self._lib is None:
            path = _libcrypto_path()
            try:
                lib = ctypes.CDLL(path)
                for name, res, args in (
                        ("d2i_PUBKEY", ctypes.c_void_p,
                         [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
                        ("EVP_PKEY_is_a", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
                        ("EVP_PKEY_free", None, [ctypes.c_void_p]),
                        ("EVP_PKEY_CTX_new_from_pkey", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_void_p,
                                                                         ctypes.c_char_p]),
                        ("EVP_PKEY_CTX_free", None, [ctypes.c_void_p]),
                        ("EVP_PKEY_verify_init", ctypes.c_int, [ctypes.c_void_p]),
                        ("EVP_PKEY_verify", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                                           ctypes.c_char_p, ctypes.c_size_t]),
                        ("ERR_clear_error", None, [])):
                    f = getattr(lib, name)  # cached on the library: lib[name] would make a fresh one
                    f.restype, f.argtypes = res, args
            except (OSError, AttributeError) as exc:
                raise Refused(f"{path} cannot verify SM2 ({exc}): a solo SM chain's bundle cannot be checked here",
                              "unavailable") from None
            self._lib = lib
        return self._lib

    def check_key(self, raw: bytes) -> None:
        if len(raw) != 65 or raw[0] != 0x04:
            raise ValueError("an SM2 public key is 65 bytes, 04 || x || y")
        x, y = int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")
        if x >= SM2_P or y >= SM2_P or (y * y - (x * x * x + SM2_A * x + SM2_B)) % SM2_P:
            raise ValueError("not a point of the curve sm2p256v1")

    def verify(self, raw: bytes, signature: bytes, message: bytes) -> bool:
        if not 8 <= len(signature) <= 72 or not _sm2_signature_ok(signature):
            return False
        z = self.hash((len(SM2_USER_ID) * 8).to_bytes(2, "big") + SM2_USER_ID + b"".join(
            v.to_bytes(32, "big") for v in (SM2_A, SM2_B, SM2_GX, SM2_GY)) + raw[1:])
        e = self.hash(z + message)
        lib = self.lib()
        spki = SM2_SPKI_PREFIX + raw
        p = ctypes.c_char_p(spki)
        pkey = lib.d2i_PUBKEY(None, ctypes.byref(p), len(spki))
        if not pkey:
            lib.ERR_clear_error()
            return False
        try:
            if lib.EVP_PKEY_is_a(pkey, b"SM2") != 1:
                return False
            ctx = lib.EVP_PKEY_CTX_new_from_pkey(None, pkey, None)
            if not ctx:
                raise MemoryError("EVP_PKEY_CTX_new_from_pkey failed")
            try:
                ok = lib.EVP_PKEY_verify_init(ctx) == 1 and lib.EVP_PKEY_verify(
                    ctx, signature, len(signature), e, len(e)) == 1
            finally:
                lib.EVP_PKEY_CTX_free(ctx)
            if not ok:
                lib.ERR_clear_error()
            return bool(ok)
        finally:
            lib.EVP_PKEY_free(pkey)


def _der_length(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    k = first & 0x7F
    if k == 0 or k > 4 or pos + 1 + k > len(data) or data[pos + 1] == 0:
        raise ValueError("bad length")
    n = int.from_bytes(data[pos + 1:pos + 1 + k], "big")
    if n < 0x80:
        raise ValueError("length not minimal")
    return n, pos + 1 + k


def _sm2_signature_ok(sig: bytes) -> bool:
    """Canonical DER SEQUENCE { r INTEGER, s INTEGER } with 1 <= r, s <= n-1."""
    try:
        if sig[0] != 0x30:
            return False
        n, pos = _der_length(sig, 1)
        if pos + n != len(sig):
            return False
        values = []
        for _ in range(2):
            if pos >= len(sig) or sig[pos] != 0x02:
                return False
            m, pos = _der_length(sig, pos + 1)
            content = sig[pos:pos + m]
            pos += m
            if len(content) != m or not content or content[0] & 0x80 or (
                    len(content) > 1 and content[0] == 0 and content[1] < 0x80):
                return False
            values.append(int.from_bytes(content, "big"))
        return pos == len(sig) and all(1 <= v < SM2_N for v in values)
    except (IndexError, ValueError):
        return False


def _libcrypto_path() -> str:
    """The libcrypto this Python's hashlib is linked against (mapped once hashlib made SM3)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if line.strip() else ""
                if "/libcrypto" in path:
                    return path
    except OSError:
        pass
    for name in ("crypto", "libcrypto.so.3", "libcrypto.3"):
        found = ctypes.util.find_library(name)
        if found:
            return found
    return "libcrypto.so.3"


def suite_for(name: Any) -> Any:
    if name == "ed25519":
        return Ed25519Suite()
    if name == "sm2-sm3":
        return Sm2Sm3Suite()
    raise malformed(f"the genesis's suite {name!r}: unknown signature suite")


# -- Merkle trees --------------------------------------------------------------------------------------------
def fae_merkle_root(hasher: Callable[[bytes], bytes], leaves: list[bytes]) -> bytes:
    """faechain's ordered root (txs_root, results_root): leaf H(00||h), node H(01||l||r), split at
    the largest power of two below n; 32 zero bytes for no leaves."""
    if not leaves:
        return bytes(32)

    def root(nodes: list[bytes]) -> bytes:
        if len(nodes) == 1:
            return nodes[0]
        k = 1 << ((len(nodes) - 1).bit_length() - 1)
        return hasher(b"\x01" + root(nodes[:k]) + root(nodes[k:]))

    return root([hasher(b"\x00" + leaf) for leaf in leaves])


def comet_merkle_root(items: list[bytes]) -> bytes:
    """CometBFT's HashFromByteSlices: the same shape with SHA-256 over the items themselves;
    SHA-256 of nothing for no items."""
    if not items:
        return sha256(b"")
    if len(items) == 1:
        return sha256(b"\x00" + items[0])
    k = 1 << ((len(items) - 1).bit_length() - 1)
    return sha256(b"\x01" + comet_merkle_root(items[:k]) + comet_merkle_root(items[k:]))


def smt_verify(hasher: Callable[[bytes], bytes], root: bytes, key: bytes, value: bytes | None, proof: Any) -> bool:
    """The sparse-Merkle proof check (faechain.ledger.smt.verify_proof); ValueError if malformed."""
    siblings, leaf = proof["siblings"], proof["leaf"]
    if len(siblings) > 256 or any(not isinstance(s, bytes) or len(s) != 32 for s in siblings):
        raise ValueError("siblings must be at most 256 hashes of 32 bytes")
    key_hash = hasher(key)

    def bit(h: bytes, depth: int) -> int:
        return (h[depth >> 3] >> (7 - (depth & 7))) & 1

    if leaf is None:
        if value is not None:
            return False
        node = bytes(32)
    else:
        if not (isinstance(leaf, list) and len(leaf) == 2 and all(isinstance(x, bytes) and len(x) == 32
                                                                   for x in leaf)):
            raise ValueError("leaf must be [key hash, value hash]")
        leaf_key, leaf_value = leaf
        if value is not None:
            if leaf_key != key_hash or leaf_value != hasher(value):
                return False
        else:
            if leaf_key == key_hash:
                return False
            if any(bit(leaf_key, d) != bit(key_hash, d) for d in range(len(siblings))):
                return False
        node = hasher(b"\x00" + leaf_key + leaf_value)
    for depth in range(len(siblings) - 1, -1, -1):
        node = hasher(b"\x01" + siblings[depth] + node) if bit(key_hash, depth) else hasher(
            b"\x01" + node + siblings[depth])
    return node == root


# -- genesis -------------------------------------------------------------------------------------------------
GENESIS_DEFAULTS: dict[str, Any] = {"suite": "ed25519", "genesis_time": 0, "dev": False, "orgs": [], "validators": [],
                                    "contracts": {}, "block_signer": None}


def genesis_canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """The genesis document as faechain hashes it: its known fields (defaults for those left
    out), `block_signer` only when declared."""
    if "chain_id" not in doc:
        raise malformed("the bundle's genesis is not a genesis document (no chain_id)")
    out = {"chain_id": doc["chain_id"], **{k: doc.get(k, d) for k, d in GENESIS_DEFAULTS.items()}}
    if out["block_signer"] is None:
        del out["block_signer"]
    if not isinstance(out["chain_id"], str) or not isinstance(out["suite"], str):
        raise malformed("the bundle's genesis: chain_id and suite are text")
    return out


# -- CometBFT (v0.38): protobuf, hashes, records ----------------------------------------------------------------
NANOS = 1_000_000_000
BLOCK_PROTOCOL = 11
HASH_SIZE, ADDRESS_SIZE, MAX_SIGNATURE_SIZE, MAX_CHAIN_ID_LEN = 32, 20, 64, 50
FLAG_ABSENT, FLAG_COMMIT, FLAG_NIL = 1, 2, 3
ED25519_TYPE = "tendermint/PubKeyEd25519"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)\Z")


def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def pb_varint(num: int, value: int) -> bytes:
    return b"" if not value else uvarint(num << 3) + uvarint(value if value >= 0 else value + (1 << 64))


def pb_sfixed64(num: int, value: int) -> bytes:
    return b"" if not value else uvarint(num << 3 | 1) + (value & ((1 << 64) - 1)).to_bytes(8, "little")


def pb_bytes(num: int, value: bytes | str, always: bool = False) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return b"" if not raw and not always else uvarint(num << 3 | 2) + uvarint(len(raw)) + raw


def pb_timestamp(time_ns: int) -> bytes:
    seconds, nanos = divmod(time_ns, NANOS)
    return pb_varint(1, seconds) + pb_varint(2, nanos)


def parse_time(text: Any) -> int:
    m = _TIME.match(text) if isinstance(text, str) else None
    if not m:
        raise bad_header(f"malformed time {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zone = m.group(7) or "", m.group(8)
    tz = dt.UTC if zone == "Z" else dt.timezone(
        (-1 if zone[0] == "-" else 1) * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        delta = dt.datetime(year, month, day, hour, minute, second, tzinfo=tz) - _EPOCH
    except ValueError as exc:
        raise bad_header(f"malformed time {text!r}: {exc}") from None
    return (delta.days * 86_400 + delta.seconds) * NANOS + int(fraction.ljust(9, "0") or 0)


ZERO_TIME_NS = parse_time("0001-01-01T00:00:00Z")


@dataclass(frozen=True)
class BlockID:
    hash: bytes
    parts_total: int
    parts_hash: bytes

    def encode(self) -> bytes:
        return pb_bytes(1, self.hash) + pb_bytes(2, pb_varint(1, self.parts_total) + pb_bytes(2, self.parts_hash),
                                                 always=True)

    def is_zero(self) -> bool:
        return not self.hash and self.parts_total == 0 and not self.parts_hash

    def validate(self, what: str) -> None:
        for name, value in (("hash", self.hash), ("part set hash", self.parts_hash)):
            if value and len(value) != HASH_SIZE:
                raise bad_header(f"{what}: {name} is {len(value)} bytes, expected {HASH_SIZE}")
        if self.parts_total < 0:
            raise bad_header(f"{what}: negative part count")


@dataclass(frozen=True)
class Header:
    chain_id: str
    height: int
    time_ns: int
    last_block_id: BlockID
    last_commit_hash: bytes
    data_hash: bytes
    validators_hash: bytes
    next_validators_hash: bytes
    consensus_hash: bytes
    app_hash: bytes
    last_results_hash: bytes
    evidence_hash: bytes
    proposer_address: bytes
    version_block: int
    version_app: int

    @property
    def time_ms(self) -> int:
        return self.time_ns // 1_000_000

    def hash(self) -> bytes:
        if not self.validators_hash:
            return b""
        return comet_merkle_root([
            pb_varint(1, self.version_block) + pb_varint(2, self.version_app), pb_bytes(1, self.chain_id),
            pb_varint(1, self.height), pb_timestamp(self.time_ns), self.last_block_id.encode(),
            *(pb_bytes(1, v) for v in (self.last_commit_hash, self.data_hash, self.validators_hash,
                                       self.next_validators_hash, self.consensus_hash, self.app_hash,
                                       self.last_results_hash, self.evidence_hash, self.proposer_address))])

    def validate(self) -> None:
        h = self.height
        if self.version_block != BLOCK_PROTOCOL:
            raise bad_header(f"header at height {h} has block protocol {self.version_block}, expected {BLOCK_PROTOCOL}")
        if len(self.chain_id) > MAX_CHAIN_ID_LEN:
            raise bad_header(f"header at height {h} has a chain id longer than {MAX_CHAIN_ID_LEN}")
        if h <= 0:
            raise bad_header(f"header has height {h}; heights start at 1")
        self.last_block_id.validate(f"header at height {h}, last block id")
        for name in ("last_commit_hash", "data_hash", "evidence_hash", "validators_hash", "next_validators_hash",
                     "consensus_hash", "last_results_hash"):
            value = getattr(self, name)
            if value and len(value) != HASH_SIZE:
                raise bad_header(f"header at height {h}: {name} is {len(value)} bytes, expected {HASH_SIZE}")
        if not self.validators_hash:
            raise bad_header(f"header at height {h} has no validators hash")
        if len(self.proposer_address) != ADDRESS_SIZE:
            raise bad_header(f"header at height {h}: proposer address is not {ADDRESS_SIZE} bytes")


@dataclass(frozen=True)
class CommitSig:
    flag: int
    address: bytes
    timestamp_ns: int
    signature: bytes

    def validate(self, height: int, index: int) -> None:
        what = f"commit at height {height}, signature #{index}"
        if self.flag == FLAG_ABSENT:
            if self.address or self.signature or self.timestamp_ns != ZERO_TIME_NS:
                raise bad_header(f"{what} is marked absent but carries an address, time or signature")
        elif self.flag in (FLAG_COMMIT, FLAG_NIL):
            if len(self.address) != ADDRESS_SIZE:
                raise bad_header(f"{what}: validator address is not {ADDRESS_SIZE} bytes")
            if not self.signature:
                raise bad_header(f"{what} has no signature")
            if len(self.signature) > MAX_SIGNATURE_SIZE:
                raise bad_header(f"{what}: signature longer than {MAX_SIGNATURE_SIZE} bytes")
        else:
            raise bad_header(f"{what} has unknown block id flag {self.flag}")


@dataclass(frozen=True)
class Commit:
    height: int
    round: int
    block_id: BlockID
    signatures: tuple[CommitSig, ...]

    def sign_bytes(self, chain_id: str, sig: CommitSig) -> bytes:
        """The precommit the validator signed (CanonicalVote, length-delimited)."""
        head = pb_varint(1, 2) + pb_sfixed64(2, self.height) + pb_sfixed64(3, self.round)
        if sig.flag == FLAG_COMMIT:
            head += pb_bytes(4, self.block_id.encode(), always=True)
        body = head + pb_bytes(5, pb_timestamp(sig.timestamp_ns), always=True) + pb_bytes(6, chain_id)
        return uvarint(len(body)) + body

    def validate(self) -> None:
        if self.height < 0 or self.round < 0:
            raise bad_header(f"commit at height {self.height} has a negative height or round")
        if self.height >= 1:
            if self.block_id.is_zero():
                raise bad_header(f"commit at height {self.height} is for no block")
            self.block_id.validate(f"commit at height {self.height}, block id")
            if not self.signatures:
                raise bad_header(f"commit at height {self.height} has no signatures")
            for i, sig in enumerate(self.signatures):
                sig.validate(self.height, i)


def address_of(key: bytes) -> bytes:
    return sha256(key)[:ADDRESS_SIZE]


@dataclass(frozen=True)
class Validator:
    address: bytes
    pub_key: bytes
    power: int

    def leaf(self) -> bytes:
        return pb_bytes(1, pb_bytes(1, self.pub_key, always=True), always=True) + pb_varint(2, self.power)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.pub_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class ValidatorSet:
    validators: tuple[Validator, ...]

    @classmethod
    def of(cls, keys_and_powers: list[tuple[bytes, int]]) -> ValidatorSet:
        vals = [Validator(address_of(k), k, p) for k, p in keys_and_powers if p > 0]
        vals.sort(key=lambda v: (-v.power, v.address))
        return cls(tuple(vals))

    @property
    def total(self) -> int:
        return sum(v.power for v in self.validators)

    def hash(self) -> bytes:
        return comet_merkle_root([v.leaf() for v in self.validators])

    def validate(self, height: int) -> None:
        if not self.validators:
            raise bad_header(f"validator set at height {height} is empty")
        for i, v in enumerate(self.validators):
            what = f"validator #{i} at height {height}"
            if len(v.pub_key) != 32:
                raise bad_header(f"{what}: Ed25519 key of {len(v.pub_key)} bytes, expected 32")
            if v.power < 0:
                raise bad_header(f"{what} has negative voting power")
            if v.address != address_of(v.pub_key):
                raise bad_header(f"{what}: its address is not derived from its key")


@dataclass(frozen=True)
class LightBlock:
    header: Header
    commit: Commit
    vals: ValidatorSet

    @property
    def height(self) -> int:
        return self.header.height


def _jhex(value: Any) -> bytes:
    return bytes.fromhex(value) if value else b""


def _jb64(value: Any) -> bytes:
    return base64.b64decode(value, validate=True) if value else b""


def _block_id_json(doc: Any) -> BlockID:
    parts = doc.get("parts") or doc.get("part_set_header") or {}
    return BlockID(_jhex(doc.get("hash")), int(parts.get("total") or 0), _jhex(parts.get("hash")))


def header_from_json(doc: Any) -> Header:
    try:
        version = doc.get("version") or {}
        return Header(
            chain_id=str(doc["chain_id"]), height=int(doc["height"]), time_ns=parse_time(doc["time"]),
            last_block_id=_block_id_json(doc.get("last_block_id") or {}),
            last_commit_hash=_jhex(doc.get("last_commit_hash")), data_hash=_jhex(doc.get("data_hash")),
            validators_hash=_jhex(doc.get("validators_hash")),
            next_validators_hash=_jhex(doc.get("next_validators_hash")),
            consensus_hash=_jhex(doc.get("consensus_hash")), app_hash=_jhex(doc.get("app_hash")),
            last_results_hash=_jhex(doc.get("last_results_hash")), evidence_hash=_jhex(doc.get("evidence_hash")),
            proposer_address=_jhex(doc.get("proposer_address")),
            version_block=int(version.get("block") or 0), version_app=int(version.get("app") or 0))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad_header(f"malformed header: {type(exc).__name__} {exc}") from None


def light_block_from_json(doc: Any) -> LightBlock:
    try:
        vals_doc = doc["validator_set"]["validators"]
    except (KeyError, TypeError) as exc:
        raise bad_header(f"malformed light block: no validator set ({exc})") from None
    try:
        sh = doc["signed_header"]
        sh = sh.get("signed_header", sh)
        header, commit_doc = header_from_json(sh["header"]), sh["commit"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise bad_header(f"malformed signed header: {type(exc).__name__} {exc}") from None
    try:
        sigs = tuple(CommitSig(int(s["block_id_flag"]), _jhex(s.get("validator_address")),
                               parse_time(s.get("timestamp") or "0001-01-01T00:00:00Z"), _jb64(s.get("signature")))
                     for s in commit_doc["signatures"])
        commit = Commit(int(commit_doc["height"]), int(commit_doc.get("round") or 0),
                        _block_id_json(commit_doc["block_id"]), sigs)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad_header(f"malformed commit: {type(exc).__name__} {exc}") from None
    if not isinstance(vals_doc, list):
        raise bad_header("malformed light block: its validators are not a list")
    vals = []
    for v in vals_doc:
        try:
            key = v["pub_key"]
            if key.get("type") != ED25519_TYPE:
                raise bad_header(f"validator {v.get('address')} has a {key.get('type')} key; only Ed25519")
            vals.append(Validator(_jhex(v["address"]), _jb64(key["value"]), int(v["voting_power"])))
            int(v.get("proposer_priority") or 0)  # not hashed, but read: a malformed one is a malformed block
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise bad_header(f"malformed validator: {type(exc).__name__} {exc}") from None
    return LightBlock(header, commit, ValidatorSet(tuple(vals)))


# -- CometBFT light-client verification (light/verifier.go, types/validation.go) --------------------------------
@dataclass(frozen=True)
class Tally:
    signed: int
    validators: int
    power: int
    total: int

    def __str__(self) -> str:
        pct = f"{100 * self.power / self.total:.1f}".rstrip("0").rstrip(".") if self.total else "0"
        return f"signed by {self.signed} of {self.validators} validators ({pct} % of voting power)"


def validate_light_block(lb: LightBlock, chain_id: str) -> None:
    h, c = lb.header, lb.commit
    h.validate()
    c.validate()
    if h.chain_id != chain_id:
        raise bad_header(f"header at height {h.height} belongs to chain {h.chain_id!r}, not {chain_id!r}")
    if c.height != h.height:
        raise bad_header(f"header at height {h.height} comes with the commit of height {c.height}")
    if c.block_id.hash != h.hash():
        raise bad_header(f"commit at height {h.height} signs block {c.block_id.hash.hex().upper()}, but the header "
                         f"hashes to {h.hash().hex().upper()}")
    lb.vals.validate(h.height)
    if lb.vals.hash() != h.validators_hash:
        raise bad_header(f"validator set given for height {h.height} is not the one the header names")


def verify_commit_light(chain_id: str, vals: ValidatorSet, commit: Commit, height: int, all_signatures: bool) -> Tally:
    """More than 2/3 of `vals`' power signed the block; the i-th signature is the i-th validator's."""
    if len(vals.validators) != len(commit.signatures):
        raise bad_header(f"commit at height {height} has {len(commit.signatures)} signature slots for "
                         f"{len(vals.validators)} validators")
    if commit.height != height:
        raise bad_header(f"commit for height {commit.height} given for height {height}")
    needed = vals.total * 2 // 3
    power = signed = 0
    for i, sig in enumerate(commit.signatures):
        if sig.flag != FLAG_COMMIT:
            continue
        v = vals.validators[i]
        if sig.address != v.address:
            raise bad_header(f"commit at height {height}: signature #{i} is not by validator #{i} of the set")
        if not v.verify(sig.signature, commit.sign_bytes(chain_id, sig)):
            raise bad_header(f"commit at height {height}: signature #{i} by validator {v.address.hex().upper()} "
                             "does not verify")
        power += v.power
        signed += 1
        if not all_signatures and power > needed:
            break
    if power <= needed:
        raise bad_header(f"commit at height {height} has {signed} of {len(vals.validators)} validators' "
                         "signatures: needs more than 2/3 of the voting power")
    return Tally(signed, len(vals.validators), power, vals.total)


def verify_commit_trusting(chain_id: str, trusted: ValidatorSet, commit: Commit, trusted_height: int) -> None:
    """More than 1/3 of the trusted validators' power signed (skipping verification)."""
    needed = trusted.total // 3
    by_address = {v.address: (i, v) for i, v in enumerate(trusted.validators)}
    seen: dict[int, int] = {}
    power = 0
    for i, sig in enumerate(commit.signatures):
        if sig.flag != FLAG_COMMIT or sig.address not in by_address:
            continue
        j, v = by_address[sig.address]
        if j in seen:
            raise bad_header(f"commit at height {commit.height}: validator {v.address.hex().upper()} signed twice")
        seen[j] = i
        if not v.verify(sig.signature, commit.sign_bytes(chain_id, sig)):
            raise bad_header(f"commit at height {commit.height}: signature #{i} does not verify")
        power += v.power
        if power > needed:
            return
    raise Refused(f"commit at height {commit.height}: too little of the voting power trusted at height "
                  f"{trusted_height} signed it (needs more than 1/3): the bundle needs a header in between",
                  "untrusted")


def verify_step(trusted: LightBlock, untrusted: LightBlock, trusting_period_s: float) -> None:
    """Adjacent or skipping verification of `untrusted` from `trusted`, judged at the time of
    the untrusted header (as a light client following the chain then would have)."""
    now_ns = untrusted.header.time_ms * 1_000_000
    if not trusted.header.time_ns + round(trusting_period_s * NANOS) > now_ns:
        raise Refused(f"trusted header at height {trusted.height} expired before header {untrusted.height}: the "
                      f"trusting period of {trusting_period_s:g} s passed between them", "untrusted")
    chain_id = trusted.header.chain_id
    validate_light_block(untrusted, chain_id)
    h, t = untrusted.header, trusted.header
    if h.height <= t.height:
        raise bad_header(f"header at height {h.height} is not above the trusted height {t.height}")
    if not h.time_ns > t.time_ns:
        raise bad_header(f"header at height {h.height} is not after the trusted header {t.height}")
    if not h.time_ns < now_ns + round(MAX_CLOCK_DRIFT_S * NANOS):
        raise bad_header(f"header at height {h.height} is from the future")
    if untrusted.height == trusted.height + 1:
        if h.validators_hash != t.next_validators_hash:
            raise bad_header(f"header at height {h.height} names validators other than those trusted header "
                             f"{t.height} announced as next")
    else:
        verify_commit_trusting(chain_id, trusted.vals, untrusted.commit, trusted.height)
    verify_commit_light(chain_id, untrusted.vals, untrusted.commit, untrusted.height, False)


# -- the bundle ------------------------------------------------------------------------------------------------
@dataclass
class Block:
    """What is established about faechain block h."""

    app_hash: bytes
    time_ms: int
    basis: str


@dataclass
class Result:
    ok: bool = False
    code: str | None = None
    failure: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    basis: list[str] = field(default_factory=list)
    proven: list[str] = field(default_factory=list)
    values: dict[tuple[int, str], Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "code": self.code, "failure": self.failure, **self.fields, "basis": self.basis,
                "proven": self.proven, "records": sorted([h, k] for h, k in self.values)}


def _get(doc: Any, name: str, kind: Any, where: str = "the bundle") -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or (kind is int and type(value) is bool):
        raise malformed(f"{where}: {name!r} is missing or not {getattr(kind, '__name__', kind)}")
    return value


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise malformed(f"{what} is not a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise malformed(f"{what} is not hex") from None


def _heights(heights: list[int]) -> str:
    runs: list[list[int]] = []
    for h in sorted(set(heights)):
        if runs and h == runs[-1][1] + 1:
            runs[-1][1] = h
        else:
            runs.append([h, h])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def amount(fen: Any) -> str:
    if type(fen) is not int:
        return repr(fen)
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d} CNY"


def verify(bundle: Any, genesis: dict[str, Any] | None = None, checkpoint: tuple[int, bytes] | None = None,
           trusting_period_s: float = DEFAULT_TRUSTING_PERIOD_S) -> Result:
    """Check a bundle (parsed JSON). Never raises for what is in it: `ok` False, `code` and
    `failure` say what failed."""
    result = Result()
    try:
        _verify(bundle, result, genesis, checkpoint, trusting_period_s)
        result.ok = True
    except Refused as exc:
        result.code, result.failure = exc.code, exc.message
    return result


def _verify(bundle: Any, r: Result, mine: dict[str, Any] | None, checkpoint: tuple[int, bytes] | None,
            trusting_period_s: float) -> None:
    f = r.fields
    # 1. form
    if not isinstance(bundle, dict):
        raise malformed("a bundle is a JSON object")
    if bundle.get("format") != FORMAT:
        raise malformed(f"not a {FORMAT} bundle (format: {bundle.get('format')!r})")
    subject = _get(bundle, "subject", dict)
    kind = subject.get("kind")
    if kind not in KINDS:
        raise malformed(f"subject kind {kind!r} is not one of {', '.join(KINDS)}")
    f["kind"] = kind
    if kind == "audit":
        first, last = _get(subject, "from", int, "subject"), _get(subject, "to", int, "subject")
        if not 0 <= first <= last or last - first >= MAX_AUDIT_BLOCKS:
            raise malformed(f"subject: the range {first}..{last} is not 0 <= from <= to, at most {MAX_AUDIT_BLOCKS}")
        f["subject"] = f"blocks {first}..{last}"
    else:
        f["subject"] = _get(subject, "id", str, "subject")
    engine = bundle.get("engine")
    if engine not in ("solo", "cometbft"):
        raise malformed(f"engine {engine!r} is neither solo nor cometbft")
    f["engine"] = engine
    # 2. genesis
    gen = genesis_canonical(_get(bundle, "genesis", dict))
    try:
        raw = cbor_encode(gen)
    except CborError as exc:
        raise malformed(f"the bundle's genesis is not a genesis document ({exc})") from None
    suite = suite_for(gen["suite"])
    chain_id = gen["chain_id"]
    f.update(chain_id=chain_id, suite=gen["suite"], genesis_hash=suite.hash(raw).hex(),
             genesis_sha256=sha256(raw).hex())
    if (engine == "cometbft") != bool(gen["validators"]):
        raise malformed(f"the bundle says engine {engine}, but its genesis disagrees")
    if mine is not None:
        try:
            my_hash = suite_for(genesis_canonical(mine)["suite"]).hash(cbor_encode(genesis_canonical(mine)))
        except CborError as exc:
            raise malformed(f"your genesis is not a genesis document ({exc})") from None
        if my_hash.hex() != f["genesis_hash"]:
            raise Refused(f"the bundle's genesis (hash {f['genesis_hash']}) is not your genesis (hash "
                          f"{my_hash.hex()})", "untrusted")
    # 3. anchor, 4. headers
    anchor = _get(bundle, "anchor", dict)
    fae_headers: dict[int, dict[str, Any]] = {}
    comet: dict[int, Header] = {}
    if engine == "solo":
        if anchor.get("type") != "genesis":
            raise malformed("a solo chain's bundle is anchored at genesis (its block signer key)")
        if checkpoint is not None:
            raise Refused("a checkpoint is a CometBFT header; a solo chain's headers rest on the block signer in "
                          "genesis", "untrusted")
        blocks, fae_headers = _solo_headers(bundle, gen, suite, r)
    else:
        blocks, comet = _cometbft_headers(bundle, gen, anchor, r, checkpoint, trusting_period_s)
    # 5. records
    values = _records(bundle, blocks, suite)
    r.values.update(values)
    # 6. the subject
    if kind == "audit":
        txs = _audit_blocks(bundle, first, last, suite.hash)
        if engine == "solo":
            _audit_solo(txs, first, last, fae_headers, suite.hash, r)
        else:
            _audit_cometbft(txs, first, last, comet, suite.hash, r)
        _audit_lines(txs, first, last, suite.hash, r)
        f["height"], f["time_ms"] = last, blocks[last].time_ms if last in blocks else None
        return
    height = _get(bundle, "height", int)
    f["height"] = height
    if height not in blocks:
        raise Refused(f"no signed header in the bundle establishes block {height}, the height the subject is read at",
                      "untrusted")
    f["time_ms"] = blocks[height].time_ms
    histories: dict[str, list[Any]] = {}
    for entry in _get(bundle, "histories", list) if "histories" in bundle else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or not isinstance(
                entry.get("heights"), list):
            raise malformed("a history is {key, heights}")
        histories[entry["key"]] = entry["heights"]
    if kind == "records":
        r.proven.extend(records_lines(values, height))
    else:
        r.proven.extend(walk(kind, f["subject"], height, Source(values, histories)))
    r.basis.insert(0, f"block {height}: {blocks[height].basis}")
    others = sorted({h for h, _ in values} - {height})
    if others:
        r.basis.insert(1, f"blocks {_heights(others)} (the histories' versions and the values before them): "
                          "the same way")


def _solo_headers(bundle: dict[str, Any], gen: dict[str, Any], suite: Any,
                  r: Result) -> tuple[dict[int, Block], dict[int, dict[str, Any]]]:
    signer = gen.get("block_signer")
    if signer is None:
        raise Refused("this chain's genesis declares no block signer: its solo headers are unsigned and prove nothing",
                      "untrusted")
    if not isinstance(signer, dict) or not isinstance(signer.get("pub_key"), str):
        raise malformed("the bundle's genesis: block_signer must be {\"name\", \"pub_key\" (base64)}")
    try:
        key = base64.b64decode(signer["pub_key"], validate=True)
    except ValueError:
        raise malformed("the bundle's genesis: block_signer pub_key is not base64") from None
    r.fields["anchor"] = f"genesis (block signer {key.hex()})"
    blocks: dict[int, Block] = {}
    headers: dict[int, dict[str, Any]] = {}
    for doc in _get(bundle, "signed_headers", list):
        if not isinstance(doc, dict):
            raise malformed("a signed header is a JSON object")
        at, header = _solo_header(doc, gen["chain_id"], key, suite)
        if at in blocks:
            raise malformed(f"two signed headers for block {at}")
        blocks[at] = Block(header["app_hash"], header["time"],
                           f"signed by the solo chain's block signer {key.hex()[:16]}… declared in genesis")
        headers[at] = header
    return blocks, headers


HEADER_FIELDS = {"chain": str, "height": int, "time": int, "prev": bytes, "txs_root": bytes, "results_root": bytes,
                 "app_hash": bytes, "proposer": bytes}


def _solo_header(doc: dict[str, Any], chain_id: str, key: bytes, suite: Any) -> tuple[int, dict[str, Any]]:
    """A solo chain's signed header (faechain.sdk.light.solo.verify_solo): canonical, of this
    chain and height, hashing to block_hash, signed by the genesis's block signer over
    "faechain/header/v1\\0" || canonical {chain, height, block_hash}."""
    at = doc.get("height")
    if type(at) is not int or at < 0:
        raise bad_header(f"the light block's height {at!r} is not a block height")

    def field_hex(name: str) -> bytes:
        value = doc.get(name)
        if not isinstance(value, str):
            raise bad_header(f"block {at}: {name} is missing or not a hex string")
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise bad_header(f"block {at}: {name} is not hex") from None

    raw = field_hex("header_bytes")
    try:
        header = cbor_decode(raw)
    except CborError as exc:
        raise bad_header(f"block {at}: header_bytes is not a canonical faechain header ({exc})") from None
    if not isinstance(header, dict) or set(header) != set(HEADER_FIELDS):
        raise bad_header(f"block {at}: header_bytes is not a canonical faechain header")
    for name, kind in HEADER_FIELDS.items():
        if type(header[name]) is not kind:
            raise bad_header(f"block {at}: header field {name} is not {kind.__name__}")
    block_hash = suite.hash(raw)
    if field_hex("block_hash") != block_hash:
        raise bad_header(f"block {at}: block_hash is not the hash of header_bytes ({block_hash.hex()})")
    if header["chain"] != chain_id:
        raise bad_header(f"block {at}: the header is of chain {header['chain']!r}, not {chain_id!r}")
    if header["height"] != at:
        raise bad_header(f"block {at}: the header says height {header['height']}")
    shown = doc.get("header")
    if shown is not None and shown != jsonable(header):
        raise bad_header(f"block {at}: the rendered header differs from header_bytes")
    if doc.get("signer") is None or doc.get("signature") is None:
        raise bad_header(f"block {at} is unsigned")
    if field_hex("signer") != key:
        raise bad_header(f"block {at}: signed by another key than the block signer genesis declares ({key.hex()})")
    signature = field_hex("signature")
    try:
        suite.check_key(key)
    except ValueError as exc:
        raise bad_header(f"the block signer key in genesis is not a {suite.name} public key: {exc}") from None
    message = b"faechain/header/v1\x00" + cbor_encode({"chain": chain_id, "height": at, "block_hash": block_hash})
    if not suite.verify(key, signature, message):
        raise bad_header(f"block {at}: the signature does not verify under the block signer {key.hex()}")
    return at, header


def _cometbft_headers(bundle: dict[str, Any], gen: dict[str, Any], anchor: dict[str, Any], r: Result,
                      checkpoint: tuple[int, bytes] | None,
                      trusting_period_s: float) -> tuple[dict[int, Block], dict[int, Header]]:
    chain_id = gen["chain_id"]
    docs = _get(bundle, "light_blocks", list)
    if not docs:
        raise malformed("a CometBFT bundle starts with the light block of its anchor")
    if any(not isinstance(d, dict) for d in docs):
        raise malformed("a light block is a JSON object")
    lbs = [light_block_from_json(d) for d in docs]
    first = lbs[0]
    if anchor.get("type") == "genesis":
        try:
            vals = ValidatorSet.of([(base64.b64decode(v["pub_key"], validate=True), int(v["power"]))
                                    for v in gen["validators"]])
        except (KeyError, TypeError, ValueError) as exc:
            raise malformed(f"the bundle's genesis validators cannot be read ({exc})") from None
        if first.height != 1:
            raise bad_header(f"asked for the light block at height 1, got one for height {first.height}")
        if first.header.validators_hash != vals.hash():
            raise bad_header("header at height 1 names validators other than genesis's")
        r.fields["anchor"] = f"genesis (its {len(vals.validators)} validators)"
    elif anchor.get("type") == "checkpoint":
        height = _get(anchor, "height", int, "anchor")
        digest = _hex(anchor.get("hash"), "the anchor's hash")
        if first.height != height:
            raise bad_header(f"asked for the light block at height {height}, got one for height {first.height}")
        if first.header.hash() != digest:
            raise bad_header(f"header at height {height} hashes to {first.header.hash().hex().upper()}, not the "
                             f"trusted checkpoint {digest.hex().upper()}")
        r.fields["anchor"] = f"checkpoint {height}:{digest.hex().upper()}"
    else:
        raise malformed(f"anchor type {anchor.get('type')!r} is neither genesis nor checkpoint")
    validate_light_block(first, chain_id)
    verify_commit_light(chain_id, first.vals, first.commit, first.height, False)
    tallies = {first.height: verify_commit_light(chain_id, first.vals, first.commit, first.height, True)}
    accepted = {first.height: first.header}
    how = {first.height: "the anchor"}
    prev = first
    for lb in lbs[1:]:
        if lb.height <= prev.height:
            raise malformed(f"light block {lb.height} follows light block {prev.height}: they go up in height")
        verify_step(prev, lb, trusting_period_s)
        tallies[lb.height] = verify_commit_light(chain_id, lb.vals, lb.commit, lb.height, True)
        accepted[lb.height] = lb.header
        prev = lb
    linked = []
    for d in _get(bundle, "linked_headers", list) if "linked_headers" in bundle else []:
        if not isinstance(d, dict):
            raise malformed("a linked header is a JSON object")
        linked.append(header_from_json(d))
    for header in sorted(linked, key=lambda h: -h.height):
        after = accepted.get(header.height + 1)
        if after is None:
            raise Refused(f"linked header {header.height} is tied to no verified header {header.height + 1} in the "
                          "bundle", "untrusted")
        header.validate()
        if header.chain_id != chain_id:
            raise bad_header(f"header at height {header.height} belongs to chain {header.chain_id!r}")
        if not header.time_ns < after.time_ns:
            raise bad_header(f"header at height {header.height} is not before header {after.height}")
        if header.hash() != after.last_block_id.hash:
            raise bad_header(f"header at height {header.height} is not the predecessor header {after.height} names")
        if header.height in accepted and accepted[header.height].hash() != header.hash():
            raise bad_header(f"two headers at height {header.height}")
        accepted[header.height] = header
        how.setdefault(header.height, f"tied by hash to header {header.height + 1}")
    if checkpoint is not None:
        at = accepted.get(checkpoint[0])
        if at is None or at.hash() != checkpoint[1]:
            raise Refused(f"the bundle does not reach your checkpoint {checkpoint[0]}:{checkpoint[1].hex().upper()}",
                          "untrusted")
    blocks = {}
    for h, header in accepted.items():
        tally = tallies.get(h)
        signed = str(tally) if tally is not None else how[h]
        own = accepted.get(h - 1)
        blocks[h - 1] = Block(header.app_hash, (own or header).time_ms, f"app hash in CometBFT header {h}, {signed}")
    r.basis.append(f"{len(lbs)} CometBFT light blocks ({_heights(list(tallies))}), each signed by more than 2/3 of "
                   f"its validators' voting power, reached from the {r.fields['anchor']} by skipping verification "
                   f"(trust level 1/3, trusting period {trusting_period_s:g} s)")
    if len(accepted) > len(tallies):
        r.basis.append(f"{len(accepted) - len(tallies)} headers tied by hash to those")
    return blocks, accepted


def _records(bundle: dict[str, Any], blocks: dict[int, Block], suite: Any) -> dict[tuple[int, str], Any]:
    values: dict[tuple[int, str], Any] = {}
    raws: dict[tuple[int, str], bytes | None] = {}
    for i, rec in enumerate(_get(bundle, "records", list)):
        if not isinstance(rec, dict):
            raise malformed(f"record #{i} is not a JSON object")
        height, key = _get(rec, "height", int, f"record #{i}"), _get(rec, "key", str, f"record #{i}")
        raw = None if rec.get("value") is None else _hex(rec["value"], f"record {key} at {height}: value")
        proof = rec.get("proof")
        if not isinstance(proof, dict) or not isinstance(proof.get("siblings"), list):
            raise malformed(f"record {key} at {height}: proof is not {{siblings, leaf}}")
        leaf = proof.get("leaf")
        parsed = {"siblings": [_hex(s, f"record {key}: a sibling") for s in proof["siblings"]],
                  "leaf": [_hex(x, f"record {key}: the leaf") for x in leaf] if isinstance(leaf, list) else leaf}
        if (height, key) in raws and raws[(height, key)] != raw:
            raise malformed(f"two different records of {key} at height {height}")
        block = blocks.get(height)
        if block is None:
            raise Refused(f"{key} at height {height}: no signed header in the bundle establishes block {height}'s "
                          "app hash", "untrusted")
        try:
            ok = smt_verify(suite.hash, block.app_hash, key.encode(), raw, parsed)
        except ValueError as exc:
            raise Refused(f"{key} at height {height}: malformed proof ({exc})", "not_proven") from None
        if not ok:
            raise Refused(f"{key} at height {height}: the proof does not verify against block {height}'s app hash "
                          f"({block.basis})", "not_proven")
        try:
            values[(height, key)] = None if raw is None else jsonable(cbor_decode(raw))
        except CborError as exc:
            raise Refused(f"{key} at height {height}: the value proven is not canonical ({exc})",
                          "not_proven") from None
        raws[(height, key)] = raw
    return values


# -- the rules of each kind (faechain.sdk.evidence.walk) ---------------------------------------------------------
class Source:
    def __init__(self, values: dict[tuple[int, str], Any], histories: dict[str, list[Any]]) -> None:
        self.values = values
        self.histories = histories

    def value(self, key: str, height: int, named_by: str | None) -> Any:
        if (height, key) not in self.values:
            raise Refused(f"{key}: " + (f"{named_by} names it, and " if named_by else "")
                          + f"the bundle has no record of it at height {height}", "incomplete")
        return self.values[(height, key)]

    def record(self, key: str, height: int, named_by: str | None = None) -> dict[str, Any]:
        value = self.value(key, height, named_by)
        if value is None:
            raise Refused(f"{key}: proven absent at height {height}" + (f", though {named_by} names it"
                                                                        if named_by else ""), "not_proven")
        if type(value) is not dict:
            raise Refused(f"{key} at height {height}: the value proven is not a record", "not_proven")
        return value

    def numbered(self, prefix: str, width: int, n: Any, height: int, named_by: str) -> list[dict[str, Any]]:
        if type(n) is not int or n < 0:
            raise Refused(f"{named_by}: its count {n!r} is not a number", "not_proven")
        return [self.record(f"{prefix}{i:0{width}d}", height, f"{named_by} (its count: {n})") for i in range(1, n + 1)]

    def history(self, key: str, current: Any, height: int) -> list[tuple[int, Any]]:
        if key not in self.histories:
            raise Refused(f"{key}: the bundle gives no history of it", "incomplete")
        versions: list[tuple[int, Any]] = []
        previous: Any = None
        for i, at in enumerate(self.histories[key]):
            if type(at) is not int or not 0 <= at <= height or (versions and at <= versions[-1][0]):
                raise Refused(f"{key}: version {i + 1} of its history has no valid height ({at!r})", "not_proven")
            value = self.value(key, at, f"the history of {key}")
            before = self.value(key, at - 1, f"the history of {key}") if at > 0 else None
            if before != previous:
                raise Refused(f"{key}: its history leaves out a version: at height {at - 1} it held another value "
                              "(proven)", "incomplete")
            versions.append((at, value))
            previous = value
        if previous != current:
            raise Refused(f"{key}: its history ends before height {height}, where it holds another value (proven): "
                          "a later version is left out", "incomplete")
        return versions


def records_lines(values: dict[tuple[int, str], Any], height: int) -> list[str]:
    """Kind "records": every record at `height`, as proven; nothing is claimed complete."""
    keys = sorted(k for h, k in values if h == height)
    if not keys:
        raise Refused(f"the bundle has no record at height {height}, the height its subject is read at", "incomplete")
    out = []
    for key in keys:
        value = values[(height, key)]
        text = "absent" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                          separators=(",", ":"))
        out.append(f"{key} = {text if len(text) <= SHOWN_VALUE_CHARS else text[:SHOWN_VALUE_CHARS] + '…'}")
    return out + [f"{len(keys)} records as proven at height {height}; the bundle claims no completeness"]


def walk(kind: str, id: str, h: int, src: Source) -> list[str]:
    try:
        return {"voucher": _voucher, "plan": _plan, "product": _product, "package": _package}[kind](src, id, h)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise Refused(f"{kind} {id}: a proven record lacks what the rules read ({type(exc).__name__}: {exc})",
                      "not_proven") from None


def _voucher(src: Source, id: str, h: int) -> list[str]:
    key = f"receivables/voucher/{id}"
    v = src.record(key, h)
    lineage: list[dict[str, Any]] = []
    cur, cur_key = v, key
    while cur["parent"] is not None:
        parent_key = f"receivables/voucher/{cur['parent']}"
        cur = src.record(parent_key, h, f"{cur_key} (its parent)")
        cur_key = parent_key
        lineage.append(cur)
        if len(lineage) > MAX_LINEAGE:
            raise Refused(f"{key}: the proven lineage does not end", "not_proven")
    top = lineage[-1] if lineage else v
    if top["id"] != v["root"]:
        raise Refused(f"{key}: the proven lineage ends at {top['id']}, not at its root {v['root']}", "not_proven")
    root_key = f"receivables/root/{v['root']}"
    root = src.record(root_key, h, f"{key} (its root)")
    invoices = [src.record(f"receivables/invoice/{i}", h, f"{root_key} (its invoices)") for i in root["invoices"]]
    chain = " > ".join([p["id"] for p in reversed(lineage)] + [v["id"]])
    lines = [f"voucher {v['id']}: {amount(v['amount'])}, tier {v['tier']}, held by {v['holder']}, {v['status']}",
             f"lineage {chain} (complete up to the root)",
             f"root {root['id']}: {amount(root['amount'])}, {root['status']}, payer {root['payer']}"]
    return lines + [f"invoice {i['id']}: {amount(i['amount'])}, drawn {amount(i['drawn'])}" for i in invoices]


def _plan(src: Source, id: str, h: int) -> list[str]:
    key = f"plans/plan/{id}"
    p = src.record(key, h)
    for asset in p["assets"]:
        kind, asset_id = asset.split(":", 1)
        entry_key = f"plans/asset/{asset}"
        entry = src.record(entry_key, h, f"{key} (its assets)")
        if entry["plan"] != id:
            raise Refused(f"{entry_key}: its pool entry names plan {entry['plan']}, not {id}", "not_proven")
        if kind == "voucher":
            voucher_key = f"receivables/voucher/{asset_id}"
            v = src.record(voucher_key, h, f"{key} (its assets)")
            root_key = f"receivables/root/{v['root']}"
            root = src.record(root_key, h, f"{voucher_key} (its root)")
            for i in root["invoices"]:
                src.record(f"receivables/invoice/{i}", h, f"{root_key} (its invoices)")
        else:
            src.record(f"receivables/invoice/{asset_id}", h, f"{key} (its assets)")
    docs_key = f"plans/docs/{id}"
    hashes = src.value(docs_key, h, f"{key} (its documents)")
    if type(hashes) is not list:
        raise Refused(f"{docs_key}: proven absent at height {h}, though {key} names it", "not_proven")
    for d in hashes:
        src.record(f"plans/doc/{d}", h, docs_key)
    flows = src.numbered(f"plans/cashflow/{id}/", 6, p["cash_flows"], h, key)
    disclosures = src.numbered(f"plans/disclosure/{id}/", 4, p["disclosures"], h, key)
    payments = src.numbered(f"plans/payment/{id}/", 4, p["payments"], h, key)
    return [f"plan {p['id']} \"{p['name']}\": {p['status']}, size {amount(p['size'])}, sponsor {p['sponsor']}",
            f"penetration complete: {len(p['assets'])} assets, {len(hashes)} documents, {len(flows)} cash flows, "
            f"{len(disclosures)} disclosures, {len(payments)} payments"]


def _product(src: Source, id: str, h: int) -> list[str]:
    key = f"products/product/{id}"
    p = src.record(key, h)
    register = []
    for t in p["tranches"]:
        for org in p["holders"]:
            holding = src.value(f"products/holding/{id}/{t['name']}/{org}", h, f"{key} (its tranches and holders)")
            if holding and holding["units"]:
                register.append(holding)
    distributions = src.numbered(f"products/distribution/{id}/", 4, p["distributions"], h, key)
    collections = src.numbered(f"products/collection/{id}/", 5, p["collections"], h, key)
    return [f"product {p['id']} \"{p['name']}\": {p['status']}",
            f"register complete: {len(register)} holdings with units",
            *(f"holding {x['tranche']} {x['holder']}: {x['units']} units" for x in register),
            f"{len(distributions)} distributions, {len(collections)} collections"]


def _package(src: Source, id: str, h: int) -> list[str]:
    key = f"npa/package/{id}"
    p = src.record(key, h)
    versions = src.history(key, p, h)
    for ref in p["loans"]:
        loan_key = f"npa/loan/{ref}"
        src.history(loan_key, src.record(loan_key, h, f"{key} (its loans)"), h)
    docs_key = f"npa/docs/{id}"
    hashes = src.value(docs_key, h, f"{key} (its documents)") or []
    for d in hashes:
        src.record(f"npa/doc/{d}", h, docs_key)
    for listing in p["listings"]:
        src.record(f"auctions/auction/{listing['auction']}", h, f"{key} (its listings)")
    dispositions = src.numbered(f"npa/disposition/{id}/", 4, p["dispositions"], h, key)
    return [f"package {p['id']} \"{p['name']}\": {p['status']}",
            f"life complete: {len(versions)} versions, {len(p['loans'])} loans with their versions, {len(hashes)} "
            f"documents, {len(p['listings'])} auctions, {len(dispositions)} dispositions"]


# -- audit ranges ----------------------------------------------------------------------------------------------
BODY_FIELDS = {"chain", "signer", "contract", "method", "args", "nonce", "expires"}
ABCI_CODES = {
    "ok": 0, "bad_encoding": 1, "too_large": 2, "wrong_chain": 3, "bad_signature": 4, "unknown_signer": 5,
    "bad_certificate": 6, "revoked": 7, "not_member": 8, "replay": 9, "tx_expired": 10, "unknown_contract": 11,
    "unknown_method": 12, "bad_request": 13, "mempool_full": 14, "error": 20, "unauthorized": 21,
    "not_found": 22, "invalid_state": 23, "limit_exceeded": 24, "duplicate": 25, "frozen": 26, "expired": 27,
    "bad_ca_certificate": 28, "internal_error": 30, "unavailable": 31,
}


def abci_code(code: str) -> int:
    n = ABCI_CODES.get(code)
    return n if n is not None else 1000 + zlib.crc32(code.encode()) % 1_000_000_000


def decode_tx(envelope: bytes) -> dict[str, Any] | None:
    """The envelope's body fields and body bytes if it is a well-formed transaction
    (faechain.core.tx.decode_tx), else None."""
    if len(envelope) > 64 * 1024:
        return None
    try:
        env = cbor_decode(envelope)
        if type(env) is not list or len(env) != 4:
            return None
        version, body, signature, cert = env
        if type(version) is not int or version != 1 or type(body) is not bytes or type(signature) is not bytes:
            return None
        if cert is not None and type(cert) is not bytes:
            return None
        fields = cbor_decode(body)
    except CborError:
        return None
    if type(fields) is not dict or set(fields) != BODY_FIELDS:
        return None
    if any(type(fields[n]) is not str for n in ("chain", "contract", "method")):
        return None
    if len(fields["contract"]) > 64 or len(fields["method"]) > 64:
        return None
    if type(fields["signer"]) is not bytes or len(fields["signer"]) != 32 or type(fields["args"]) is not dict:
        return None
    if any(type(fields[n]) is not int or fields[n] < 0 for n in ("nonce", "expires")):
        return None
    return {**fields, "body": body}


def _audit_blocks(bundle: dict[str, Any], first: int, last: int,
                  hasher: Callable[[bytes], bytes]) -> dict[int, tuple[list[dict[str, Any]], bytes | None]]:
    out: dict[int, tuple[list[dict[str, Any]], bytes | None]] = {}
    for doc in _get(bundle, "blocks", list):
        if not isinstance(doc, dict):
            raise malformed("a block is a JSON object")
        h = _get(doc, "height", int, "a block")
        if not first <= h <= last or h in out:
            raise malformed(f"block {h} is outside the range {first}..{last} or given twice")
        txs = []
        for i, t in enumerate(_get(doc, "txs", list, f"block {h}")):
            if not isinstance(t, dict):
                raise malformed(f"block {h}, transaction {i} is not a JSON object")
            envelope = _hex(t.get("envelope"), f"block {h}, transaction {i}: envelope")
            raw = _hex(t.get("receipt"), f"block {h}, transaction {i}: receipt")
            try:
                receipt = cbor_decode(raw)
            except CborError as exc:
                raise Refused(f"block {h}, transaction {i}: the receipt is not canonical ({exc})",
                              "not_proven") from None
            if not isinstance(receipt, dict) or receipt.get("height") != h or receipt.get("index") != i:
                raise Refused(f"block {h}, transaction {i}: the receipt is not the receipt of transaction {i} of "
                              f"block {h}", "not_proven")
            tx = decode_tx(envelope)
            tid = hasher(tx["body"] if tx is not None else envelope)
            if receipt.get("tx") != tid:
                raise Refused(f"block {h}, transaction {i}: the receipt is for another transaction", "not_proven")
            txs.append({"envelope": envelope, "receipt_bytes": raw, "receipt": receipt, "tx": tx, "id": tid})
        end = doc.get("end_block")
        out[h] = (txs, None if end is None else _hex(end, f"block {h}: end_block"))
    for h in range(first, last + 1):
        if h not in out:
            raise Refused(f"block {h} is in the range {first}..{last} and not in the bundle", "incomplete")
    return out


def _audit_solo(blocks: dict[int, tuple[list[dict[str, Any]], bytes | None]], first: int, last: int,
                headers: dict[int, dict[str, Any]], hasher: Callable[[bytes], bytes], r: Result) -> None:
    for h in range(first, last + 1):
        header = headers.get(h)
        if header is None:
            raise Refused(f"block {h}: no signed header in the bundle", "untrusted")
        txs, end = blocks[h]
        if fae_merkle_root(hasher, [t["id"] for t in txs]) != header["txs_root"]:
            raise Refused(f"block {h}: its transactions do not match the signed header's txs_root", "not_proven")
        leaves = [hasher(t["receipt_bytes"]) for t in txs]
        if end is not None:
            try:
                record = cbor_decode(end)
            except CborError:
                record = None
            if not isinstance(record, dict) or set(record) != {"end_block"}:
                raise Refused(f"block {h}: end_block is not an end-block record", "not_proven")
            leaves.append(hasher(end))
        if fae_merkle_root(hasher, leaves) != header["results_root"]:
            raise Refused(f"block {h}: its receipts (and end-block events) do not match the signed header's "
                          "results_root", "not_proven")
    r.basis.insert(0, f"blocks {first}..{last}: each faechain header signed by the block signer genesis declares; "
                      "its txs_root and results_root commit to the transactions and receipts")


def _audit_cometbft(blocks: dict[int, tuple[list[dict[str, Any]], bytes | None]], first: int, last: int,
                    headers: dict[int, Header], hasher: Callable[[bytes], bytes], r: Result) -> None:
    for h in range(first, last + 1):
        txs, end = blocks[h]
        if end is not None:
            raise malformed(f"block {h}: end_block is not tied to any CometBFT header; a CometBFT bundle leaves it out")
        header, after = headers.get(h), headers.get(h + 1)
        if header is None or after is None:
            raise Refused(f"block {h}: CometBFT headers {h} and {h + 1} must both be in the bundle", "untrusted")
        if comet_merkle_root([sha256(t["envelope"]) for t in txs]) != header.data_hash:
            raise Refused(f"block {h}: its transactions do not match CometBFT header {h}'s data_hash", "not_proven")
        results = [pb_varint(1, abci_code(str(t["receipt"].get("code")))) + pb_bytes(2, hasher(t["receipt_bytes"]))
                   for t in txs]
        if comet_merkle_root(results) != after.last_results_hash:
            raise Refused(f"block {h}: its receipts do not match CometBFT header {h + 1}'s last_results_hash",
                          "not_proven")
    r.basis.insert(0, f"blocks {first}..{last}: each block's transactions by CometBFT header h's data_hash, its "
                      "receipts by header h+1's last_results_hash (end-block events are in no CometBFT header)")


def _audit_lines(blocks: dict[int, tuple[list[dict[str, Any]], bytes | None]], first: int, last: int,
                 hasher: Callable[[bytes], bytes], r: Result) -> None:
    count = sum(len(txs) for txs, _ in blocks.values())
    failed = sum(1 for txs, _ in blocks.values() for t in txs if t["receipt"].get("code") != "ok")
    r.proven.append(f"blocks {first}..{last} hold exactly these {count} transactions ({failed} rejected), each with "
                    "its receipt")
    for h in range(first, last + 1):
        for i, t in enumerate(blocks[h][0]):
            tx = t["tx"]
            what = "undecodable transaction" if tx is None else (
                f"{tx['contract']}.{tx['method']} signed by certificate {tx['signer'].hex()[:16]}…")
            r.proven.append(f"{h}/{i} tx {t['id'].hex()[:16]}… {what}: {t['receipt'].get('code')}")
            r.values[(h, f"tx/{i}")] = {"tx": t["id"].hex(), "envelope": t["envelope"].hex(),
                                        "receipt": jsonable(t["receipt"])}


# -- the command -----------------------------------------------------------------------------------------------
def lines(res: Result) -> list[str]:
    f = res.fields
    out = [("VERIFIED" if res.ok else "NOT VERIFIED") + f": {FORMAT} bundle (standalone verifier)"]
    if "kind" in f:
        out.append(f"subject   {f['kind']} {f.get('subject', '')}")
    if "chain_id" in f:
        out.append(f"chain     {f['chain_id']} ({f['suite']}, {f.get('engine')} engine)")
        out.append(f"genesis   {f['genesis_hash']}" + ("" if f["genesis_hash"] == f["genesis_sha256"] else
                                                       f" (SHA-256 {f['genesis_sha256']})")
                   + ": compare with the genesis hash of your own copy")
    if "anchor" in f:
        out.append(f"anchor    {f['anchor']}")
    if f.get("height") is not None:
        when = ""
        if f.get("time_ms") is not None:
            t = dt.datetime.fromtimestamp(f["time_ms"] // 1000, tz=dt.UTC)
            when = f" (block time {t:%Y-%m-%dT%H:%M:%S}.{f['time_ms'] % 1000:03d}Z)"
        out.append(f"height    {f['height']}{when}")
    out += [f"proven    {x}" for x in res.proven]
    out += [f"signed    {x}" for x in res.basis]
    if res.ok:
        out.append("assumes   " + (
            "the genesis (or checkpoint) above is the chain's, and fewer than 1/3 of the trusted voting power was "
            "faulty within each step's trusting period" if f.get("engine") == "cometbft" else
            "the genesis above is the chain's, and its block signer never signed two headers at one height"))
    else:
        out.append(f"FAILED    {res.code}: {res.failure}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Verify a faechain evidence bundle (faechain-evidence/1) offline.")
    ap.add_argument("bundle", metavar="FILE")
    ap.add_argument("--genesis", metavar="FILE", help="your own copy of the chain's genesis.json: the bundle's "
                    "genesis must be the same document")
    ap.add_argument("--checkpoint", metavar="HEIGHT:HASH", help="a CometBFT header you trust: the bundle must reach it")
    ap.add_argument("--trusting-period", type=float, default=DEFAULT_TRUSTING_PERIOD_S, metavar="SECONDS",
                    help=f"CometBFT trusting period (default {DEFAULT_TRUSTING_PERIOD_S:g})")
    ap.add_argument("--json", action="store_true", help="print the verdict and the proven records as JSON")
    args = ap.parse_args(argv)
    try:
        with open(args.bundle, encoding="utf-8") as f:
            bundle = json.load(f)
        mine = None
        if args.genesis:
            with open(args.genesis, encoding="utf-8") as f:
                mine = json.load(f)
        checkpoint = None
        if args.checkpoint:
            height, _, digest = args.checkpoint.partition(":")
            checkpoint = (int(height), bytes.fromhex(digest))
    except (OSError, ValueError) as exc:
        print(f"evidence_standalone: cannot read the input: {exc}", file=sys.stderr)
        return 2
    res = verify(bundle, mine, checkpoint, args.trusting_period)
    if args.json:
        out = res.as_dict()
        out["values"] = [{"height": h, "key": k, "value": v} for (h, k), v in sorted(res.values.items())]
        print(json.dumps(out, indent=1, ensure_ascii=False))
    else:
        print("\n".join(lines(res)))
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
