"""A minimal protocol-buffers codec for the ABCI 2.0 messages faechain uses.

Written from the protobuf wire-format specification and the field numbers of
CometBFT v0.38's `proto/tendermint/abci/types.proto` (no generated code, no
protobuf runtime to install): a request is decoded into a small dataclass, a
response is encoded from keyword arguments. Unknown fields are skipped, as
protobuf requires, so a newer CometBFT that adds fields still parses.

Wire format recap:
    tag     = uvarint(field_number << 3 | wire_type)
    VARINT  (0) uvarint; int32/int64 negatives are 10-byte two's complement
    I64     (1) 8 bytes little-endian          (skipped; not used by ABCI)
    LEN     (2) uvarint length, then bytes     (bytes, strings, sub-messages)
    I32     (5) 4 bytes little-endian          (skipped; not used by ABCI)
proto3 omits fields holding their default (0, empty); a *set* member of a
`oneof` is written even when it is an empty message (tag and length 0), which
is how `Response.flush` and friends are recognised.

ABCI framing (socket protocol): every Request and Response is prefixed by its
length as an unsigned varint (`frame` / `read_frames`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# The primitives live in faechain.core.protobuf (the SDK's light client needs them and may
# not import engine code); this codec's users still find them here.
from faechain.core.protobuf import (
    LEN,
    VARINT,
    ProtoError,
    f_bytes,
    f_varint,
    iter_fields,
    read_uvarint,
    to_signed64,
    uvarint,
)

MAX_FRAME = 256 * 1024 * 1024  # refuse absurd lengths instead of allocating them


def frame(message: bytes) -> bytes:
    return uvarint(len(message)) + message


def read_frames(buf: bytearray | bytes) -> tuple[list[bytes], int]:
    """Complete length-prefixed messages at the start of `buf`: (messages, bytes consumed)."""
    out: list[bytes] = []
    pos, end = 0, len(buf)
    while pos < end:
        try:
            n, start = read_uvarint(buf, pos)
        except ProtoError:
            if end - pos >= 10:
                raise
            break  # the length prefix itself is still arriving
        if n > MAX_FRAME:
            raise ProtoError(f"frame of {n} bytes exceeds the limit")
        if start + n > end:
            break
        out.append(bytes(buf[start:start + n]))
        pos = start + n
    return out, pos


# -- common sub-messages ---------------------------------------------------------------
def decode_timestamp(buf: bytes) -> int:
    """google.protobuf.Timestamp -> unix milliseconds (floored)."""
    seconds = nanos = 0
    for num, wt, v in iter_fields(buf):
        if num == 1 and wt == VARINT:
            seconds = to_signed64(v)
        elif num == 2 and wt == VARINT:
            nanos = to_signed64(v)
    return seconds * 1000 + nanos // 1_000_000


def encode_timestamp(ms: int) -> bytes:
    seconds, rem = divmod(ms, 1000)
    return f_varint(1, seconds) + f_varint(2, rem * 1_000_000)


@dataclass
class ValidatorUpdate:
    key_type: str  # "ed25519", "secp256k1", ...
    pub_key: bytes
    power: int

    @classmethod
    def decode(cls, buf: bytes) -> ValidatorUpdate:
        key_type, key, power = "", b"", 0
        for num, wt, v in iter_fields(buf):
            if num == 1 and wt == LEN:  # tendermint.crypto.PublicKey (oneof sum)
                for knum, kwt, kv in iter_fields(v):
                    if kwt == LEN:
                        key_type = {1: "ed25519", 2: "secp256k1", 4: "mldsa65"}.get(knum, f"key{knum}")
                        key = kv
            elif num == 2 and wt == VARINT:
                power = to_signed64(v)
        return cls(key_type, key, power)

    def encode(self) -> bytes:
        knum = {"ed25519": 1, "secp256k1": 2, "mldsa65": 4}[self.key_type]
        return f_bytes(1, f_bytes(knum, self.pub_key, always=True), always=True) + f_varint(2, self.power)


# -- requests -------------------------------------------------------------------------------
# Request oneof field numbers (tendermint.abci.Request)
REQ_ECHO, REQ_FLUSH, REQ_INFO, REQ_INIT_CHAIN, REQ_QUERY, REQ_CHECK_TX, REQ_COMMIT = 1, 2, 3, 5, 6, 8, 11
REQ_LIST_SNAPSHOTS, REQ_OFFER_SNAPSHOT, REQ_LOAD_SNAPSHOT_CHUNK, REQ_APPLY_SNAPSHOT_CHUNK = 12, 13, 14, 15
REQ_PREPARE_PROPOSAL, REQ_PROCESS_PROPOSAL, REQ_EXTEND_VOTE, REQ_VERIFY_VOTE_EXTENSION = 16, 17, 18, 19
REQ_FINALIZE_BLOCK = 20

REQUEST_NAMES = {
    REQ_ECHO: "echo", REQ_FLUSH: "flush", REQ_INFO: "info", REQ_INIT_CHAIN: "init_chain", REQ_QUERY: "query",
    REQ_CHECK_TX: "check_tx", REQ_COMMIT: "commit", REQ_LIST_SNAPSHOTS: "list_snapshots",
    REQ_OFFER_SNAPSHOT: "offer_snapshot", REQ_LOAD_SNAPSHOT_CHUNK: "load_snapshot_chunk",
    REQ_APPLY_SNAPSHOT_CHUNK: "apply_snapshot_chunk", REQ_PREPARE_PROPOSAL: "prepare_proposal",
    REQ_PROCESS_PROPOSAL: "process_proposal", REQ_EXTEND_VOTE: "extend_vote",
    REQ_VERIFY_VOTE_EXTENSION: "verify_vote_extension", REQ_FINALIZE_BLOCK: "finalize_block",
}

CHECK_TX_NEW, CHECK_TX_RECHECK = 0, 1


def decode_request(buf: bytes) -> tuple[int, bytes]:
    """(oneof field number, the inner message's bytes) of a tendermint.abci.Request."""
    kind, body = 0, b""
    for num, wt, v in iter_fields(buf):
        if wt == LEN:
            kind, body = num, v  # a oneof: the last member on the wire wins
    if kind == 0:
        raise ProtoError("request without a value")
    return kind, body


def decode_check_tx(body: bytes) -> tuple[bytes, int]:
    """RequestCheckTx -> (tx, type); the hot path, so parsed by hand."""
    tx, kind = b"", CHECK_TX_NEW
    for num, wt, v in iter_fields(body):
        if num == 1 and wt == LEN:
            tx = v
        elif num == 2 and wt == VARINT:
            kind = v
    return tx, kind


@dataclass
class RequestInfo:
    version: str = ""
    block_version: int = 0
    p2p_version: int = 0
    abci_version: str = ""

    @classmethod
    def decode(cls, buf: bytes) -> RequestInfo:
        r = cls()
        for num, wt, v in iter_fields(buf):
            if num == 1 and wt == LEN:
                r.version = v.decode("utf-8", "replace")
            elif num == 2 and wt == VARINT:
                r.block_version = v
            elif num == 3 and wt == VARINT:
                r.p2p_version = v
            elif num == 4 and wt == LEN:
                r.abci_version = v.decode("utf-8", "replace")
        return r


@dataclass
class RequestInitChain:
    time_ms: int = 0
    chain_id: str = ""
    consensus_params: bytes = b""  # kept raw: faechain does not change them
    validators: list[ValidatorUpdate] = field(default_factory=list)
    app_state_bytes: bytes = b""
    initial_height: int = 0

    @classmethod
    def decode(cls, buf: bytes) -> RequestInitChain:
        r = cls()
        for num, wt, v in iter_fields(buf):
            if num == 1 and wt == LEN:
                r.time_ms = decode_timestamp(v)
            elif num == 2 and wt == LEN:
                r.chain_id = v.decode("utf-8", "replace")
            elif num == 3 and wt == LEN:
                r.consensus_params = v
            elif num == 4 and wt == LEN:
                r.validators.append(ValidatorUpdate.decode(v))
            elif num == 5 and wt == LEN:
                r.app_state_bytes = v
            elif num == 6 and wt == VARINT:
                r.initial_height = to_signed64(v)
        return r


@dataclass
class RequestQuery:
    data: bytes = b""
    path: str = ""
    height: int = 0
    prove: bool = False

    @classmethod
    def decode(cls, buf: bytes) -> RequestQuery:
        r = cls()
        for num, wt, v in iter_fields(buf):
            if num == 1 and wt == LEN:
                r.data = v
            elif num == 2 and wt == LEN:
                r.path = v.decode("utf-8", "replace")
            elif num == 3 and wt == VARINT:
                r.height = to_signed64(v)
            elif num == 4 and wt == VARINT:
                r.prove = bool(v)
        return r


@dataclass
class BlockRequest:
    """The fields faechain reads from RequestPrepareProposal / ProcessProposal / FinalizeBlock.

    Field numbers differ between the three for `txs` and `max_tx_bytes`; `height` (5),
    `time` (6) and `proposer_address` (8) agree; `hash` (4) is absent from PrepareProposal.
    """

    txs: list[bytes] = field(default_factory=list)
    height: int = 0
    time_ms: int = 0
    proposer_address: bytes = b""
    hash: bytes = b""
    max_tx_bytes: int = 0

    @classmethod
    def decode(cls, buf: bytes, kind: int) -> BlockRequest:
        r = cls()
        txs_field = 2 if kind == REQ_PREPARE_PROPOSAL else 1
        for num, wt, v in iter_fields(buf):
            if num == txs_field and wt == LEN:
                r.txs.append(v)
            elif num == 5 and wt == VARINT:
                r.height = to_signed64(v)
            elif num == 6 and wt == LEN:
                r.time_ms = decode_timestamp(v)
            elif num == 8 and wt == LEN:
                r.proposer_address = v
            elif num == 4 and wt == LEN and kind != REQ_PREPARE_PROPOSAL:
                r.hash = v
            elif num == 1 and wt == VARINT and kind == REQ_PREPARE_PROPOSAL:
                r.max_tx_bytes = to_signed64(v)
        return r


# -- responses ----------------------------------------------------------------------------
# Response oneof field numbers (tendermint.abci.Response)
RES_EXCEPTION, RES_ECHO, RES_FLUSH, RES_INFO, RES_INIT_CHAIN, RES_QUERY, RES_CHECK_TX = 1, 2, 3, 4, 6, 7, 9
RES_COMMIT, RES_LIST_SNAPSHOTS, RES_OFFER_SNAPSHOT, RES_LOAD_SNAPSHOT_CHUNK = 12, 13, 14, 15
RES_APPLY_SNAPSHOT_CHUNK, RES_PREPARE_PROPOSAL, RES_PROCESS_PROPOSAL = 16, 17, 18
RES_EXTEND_VOTE, RES_VERIFY_VOTE_EXTENSION, RES_FINALIZE_BLOCK = 19, 20, 21

# the response member answering each request member
RESPONSE_FOR = {
    REQ_ECHO: RES_ECHO, REQ_FLUSH: RES_FLUSH, REQ_INFO: RES_INFO, REQ_INIT_CHAIN: RES_INIT_CHAIN,
    REQ_QUERY: RES_QUERY, REQ_CHECK_TX: RES_CHECK_TX, REQ_COMMIT: RES_COMMIT,
    REQ_LIST_SNAPSHOTS: RES_LIST_SNAPSHOTS, REQ_OFFER_SNAPSHOT: RES_OFFER_SNAPSHOT,
    REQ_LOAD_SNAPSHOT_CHUNK: RES_LOAD_SNAPSHOT_CHUNK, REQ_APPLY_SNAPSHOT_CHUNK: RES_APPLY_SNAPSHOT_CHUNK,
    REQ_PREPARE_PROPOSAL: RES_PREPARE_PROPOSAL, REQ_PROCESS_PROPOSAL: RES_PROCESS_PROPOSAL,
    REQ_EXTEND_VOTE: RES_EXTEND_VOTE, REQ_VERIFY_VOTE_EXTENSION: RES_VERIFY_VOTE_EXTENSION,
    REQ_FINALIZE_BLOCK: RES_FINALIZE_BLOCK,
}

PROPOSAL_ACCEPT, PROPOSAL_REJECT = 1, 2
VOTE_EXTENSION_ACCEPT = 1
SNAPSHOT_ABORT = 2  # ResponseOfferSnapshot.Result / ResponseApplySnapshotChunk.Result ABORT


def response(kind: int, inner: bytes) -> bytes:
    """A tendermint.abci.Response with oneof member `kind` set to the encoded `inner`."""
    return f_bytes(kind, inner, always=True)


def exception(message: str) -> bytes:
    return response(RES_EXCEPTION, f_bytes(1, message))


def echo(message: str) -> bytes:
    return response(RES_ECHO, f_bytes(1, message))


FLUSH = response(RES_FLUSH, b"")


def info(data: str, version: str, app_version: int, last_block_height: int, last_block_app_hash: bytes) -> bytes:
    return response(RES_INFO, f_bytes(1, data) + f_bytes(2, version) + f_varint(3, app_version)
                    + f_varint(4, last_block_height) + f_bytes(5, last_block_app_hash))


def init_chain(app_hash: bytes, validators: Sequence[ValidatorUpdate] = ()) -> bytes:
    inner = b"".join(f_bytes(2, v.encode(), always=True) for v in validators) + f_bytes(3, app_hash)
    return response(RES_INIT_CHAIN, inner)


@dataclass(frozen=True)
class ProofOp:
    """tendermint.crypto.ProofOp: one step of a value's proof (`type` names the decoder)."""

    type: str
    key: bytes
    data: bytes

    def encode(self) -> bytes:
        return f_bytes(1, self.type) + f_bytes(2, self.key) + f_bytes(3, self.data)


def query(code: int = 0, log: str = "", info: str = "", key: bytes = b"", value: bytes = b"", height: int = 0,
          codespace: str = "", proof_ops: Sequence[ProofOp] = ()) -> bytes:
    ops = b"".join(f_bytes(1, op.encode(), always=True) for op in proof_ops)
    return response(RES_QUERY, f_varint(1, code) + f_bytes(3, log) + f_bytes(4, info) + f_bytes(6, key)
                    + f_bytes(7, value) + (f_bytes(8, ops, always=True) if proof_ops else b"")
                    + f_varint(9, height) + f_bytes(10, codespace))


def check_tx(code: int = 0, data: bytes = b"", log: str = "", info: str = "", gas_wanted: int = 0,
             codespace: str = "") -> bytes:
    return response(RES_CHECK_TX, f_varint(1, code) + f_bytes(2, data) + f_bytes(3, log) + f_bytes(4, info)
                    + f_varint(5, gas_wanted) + f_bytes(8, codespace))


def exec_tx_result(code: int = 0, data: bytes = b"", log: str = "", info: str = "", codespace: str = "") -> bytes:
    """An ExecTxResult. Only code, data, gas_wanted and gas_used enter CometBFT's LastResultsHash."""
    return f_varint(1, code) + f_bytes(2, data) + f_bytes(3, log) + f_bytes(4, info) + f_bytes(8, codespace)


def finalize_block(tx_results: list[bytes], app_hash: bytes,
                   validator_updates: Sequence[ValidatorUpdate] = ()) -> bytes:
    """ResponseFinalizeBlock: tx_results (2), validator_updates (3, applied by CometBFT at
    height + 2; power 0 removes a validator), app_hash (5)."""
    inner = (b"".join(f_bytes(2, r, always=True) for r in tx_results)
             + b"".join(f_bytes(3, v.encode(), always=True) for v in validator_updates)
             + f_bytes(5, app_hash))
    return response(RES_FINALIZE_BLOCK, inner)


def commit(retain_height: int = 0) -> bytes:
    return response(RES_COMMIT, f_varint(3, retain_height))


def prepare_proposal(txs: list[bytes]) -> bytes:
    return response(RES_PREPARE_PROPOSAL, b"".join(f_bytes(1, tx, always=True) for tx in txs))


def process_proposal(status: int) -> bytes:
    return response(RES_PROCESS_PROPOSAL, f_varint(1, status))


def extend_vote(extension: bytes = b"") -> bytes:
    return response(RES_EXTEND_VOTE, f_bytes(1, extension))


def verify_vote_extension(status: int) -> bytes:
    return response(RES_VERIFY_VOTE_EXTENSION, f_varint(1, status))


def list_snapshots() -> bytes:
    return response(RES_LIST_SNAPSHOTS, b"")


def offer_snapshot(result: int) -> bytes:
    return response(RES_OFFER_SNAPSHOT, f_varint(1, result))


def load_snapshot_chunk(chunk: bytes = b"") -> bytes:
    return response(RES_LOAD_SNAPSHOT_CHUNK, f_bytes(1, chunk))


def apply_snapshot_chunk(result: int) -> bytes:
    return response(RES_APPLY_SNAPSHOT_CHUNK, f_varint(1, result))


def tx_proto_size(tx: bytes) -> int:
    """Bytes a tx takes inside a block's Data message (what PrepareProposal's max_tx_bytes counts)."""
    n = len(tx)
    return 1 + len(uvarint(n)) + n
