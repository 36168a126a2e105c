"""Checking a block a validator sent a member node (`GET /v1/sync/{h}`) against signed headers.

The validator that answers is not trusted. What the member keeps is believed because:

    the app hash         the validators signed it (the light client: CometBFT header h+1, or
                         a solo chain's block signer), and faechain's header carries the same
    each state value     its Merkle proof leads to that app hash: the member's state is
                         exactly the chain's for every key it holds, at every height
    the transactions     their hashes (visible envelopes hashed here, withheld ones as sent)
                         give the header's txs_root, and on CometBFT their SHA-256 leaves give
                         header h's data_hash (tied by hash to the signed header h+1); a visible
                         envelope's hash is computed here, so its bytes cannot be altered
    the receipts         each names its transaction, height and index, and with the withheld
                         receipt hashes and the end-of-block hash they give the header's
                         results_root — signed on a solo chain; on CometBFT faechain's header
                         is not in any signed header, so a receipt there is only as good as
                         its effects, which the state proofs carry
    the events           a visible transaction's event rows are exactly those in its receipt;
                         end-of-block events are checked against the end-of-block hash when the
                         member may see them all (else they are kept as the validator sent them,
                         and the state they changed is proven all the same)

Anything that fails raises `VerificationError` naming the block and the part; the member
node drops the validator that sent it (faechain.member.engine).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faechain.chain.results import Receipt
from faechain.core.block import Header, end_block_record
from faechain.core.encoding import EncodingError, decode, encode
from faechain.core.merkle import merkle_root
from faechain.core.tx import TxError, decode_tx
from faechain.ledger.smt import ProofError, verify_proof
from faechain.sdk.light import cometbft as cb
from faechain.sdk.trust import TrustedHeader, VerificationError

Hasher = Callable[[bytes], bytes]


@dataclass
class SyncedBlock:
    """One block as the member keeps it, every part checked (see the module docstring)."""

    height: int
    header: Header
    header_bytes: bytes
    block_hash: bytes
    txs: list[tuple[int, bytes, bytes, bytes]]  # visible: (idx, hash, envelope, receipt)
    withheld: list[tuple[int, bytes, bytes]]  # (idx, hash, receipt hash)
    events: list[tuple[int, int, str, str, bytes]]  # (idx, n, contract, type, data)
    writes: dict[bytes, bytes | None]  # proven values; None for a deleted key or one hidden from now on
    receipts: list[Receipt] = field(default_factory=list)  # of the visible transactions
    end_events: list[dict[str, Any]] = field(default_factory=list)  # the end-of-block events it may see
    end_block_hash: bytes | None = None  # the end-of-block record's hash (a results-root leaf)
    end_block_whole: bool = False  # whether `end_events` are all of the block's
    revealed: dict[bytes, bytes | None] = field(default_factory=dict)  # made (un)readable, not written
    hidden: set[bytes] = field(default_factory=set)  # written, and no longer the organisation's to read


def _bad(height: int, what: str, code: str = "not_proven") -> VerificationError:
    return VerificationError(f"block {height} as the validator sent it: {what}", code)


def _hex(value: Any, height: int, what: str) -> bytes:
    if not isinstance(value, str):
        raise _bad(height, f"{what} is not hex")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise _bad(height, f"{what} is not hex") from None


def _proof(doc: Any, height: int) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise _bad(height, "a value's proof is not an object")
    siblings = doc.get("siblings")
    leaf = doc.get("leaf")
    if not isinstance(siblings, list) or not (leaf is None or isinstance(leaf, list)):
        raise _bad(height, "a value's proof is malformed")
    return {"siblings": [_hex(s, height, "a proof sibling") for s in siblings],
            "leaf": None if leaf is None else [_hex(x, height, "a proof leaf") for x in leaf]}


def check_block(doc: Any, height: int, trusted: TrustedHeader, *, chain_id: str, hasher: Hasher, prev: bytes,
                ties: cb.Ties | None = None) -> SyncedBlock:
    """`doc` (GET /v1/sync/{height}) checked against `trusted` (block `height` as signatures
    establish it), the member's own previous block hash `prev` and, on CometBFT, `ties`
    (what the signed headers fix of block `height`, with its data_hash)."""
    h = height
    header, header_bytes, block_hash = _signed_header(doc, h, trusted, chain_id, hasher)
    if header.prev != prev:
        raise _bad(h, "its header does not follow the member's previous block", "bad_header")
    if doc.get("block_hash") != block_hash.hex():
        raise _bad(h, "the block hash is not its header's hash")
    if ties is not None and ties.time_ms != header.time:
        raise _bad(h, f"its time {header.time} is not the signed header's {ties.time_ms}", "bad_header")

    raw_txs = doc.get("txs")
    if not isinstance(raw_txs, list):
        raise _bad(h, "txs is not a list")
    tx_ids: list[bytes] = []
    receipt_hashes: list[bytes] = []
    leaves: list[bytes] = []
    visible: list[tuple[int, bytes, bytes, bytes]] = []
    withheld: list[tuple[int, bytes, bytes]] = []
    receipts: list[Receipt] = []
    want_events: dict[int, list[tuple[str, str, bytes]]] = {}
    for i, t in enumerate(raw_txs):
        if not isinstance(t, dict) or t.get("index") != i:
            raise _bad(h, f"transaction {i} is missing or out of order")
        tx_hash = _hex(t.get("hash"), h, f"transaction {i}'s hash")
        receipt_hash = _hex(t.get("receipt_hash"), h, f"transaction {i}'s receipt hash")
        leaf = _hex(t.get("leaf"), h, f"transaction {i}'s leaf")
        if t.get("withheld") is True:
            withheld.append((i, tx_hash, receipt_hash))
        else:
            envelope = _hex(t.get("envelope"), h, f"transaction {i}'s envelope")
            receipt_raw = _hex(t.get("receipt"), h, f"transaction {i}'s receipt")
            try:
                body_hash = decode_tx(envelope, hasher).hash
            except TxError:
                body_hash = hasher(envelope)
            if body_hash != tx_hash or hashlib.sha256(envelope).digest() != leaf:
                raise _bad(h, f"transaction {i}'s envelope does not hash to its hash")
            if hasher(receipt_raw) != receipt_hash:
                raise _bad(h, f"transaction {i}'s receipt does not hash to its receipt hash")
            try:
                rec = decode(receipt_raw)
            except EncodingError:
                raise _bad(h, f"transaction {i}'s receipt does not decode") from None
            if type(rec) is not dict or rec.get("tx") != tx_hash or rec.get("height") != h or rec.get("index") != i:
                raise _bad(h, f"transaction {i}'s receipt names another transaction, height or index")
            want_events[i] = [(str(e.get("contract")), str(e.get("type")), encode(e.get("attrs"))) if type(e) is dict
                              else ("", "", b"") for e in (rec.get("events") or [])]
            visible.append((i, tx_hash, envelope, receipt_raw))
            receipts.append(Receipt.from_map(rec))
        tx_ids.append(tx_hash)
        receipt_hashes.append(receipt_hash)
        leaves.append(leaf)
    n = len(raw_txs)
    if merkle_root(hasher, tx_ids) != header.txs_root:
        raise _bad(h, "its transactions do not give the header's txs_root")
    if ties is not None and cb.merkle_root(leaves) != ties.data_hash:
        raise _bad(h, f"its transactions do not give CometBFT header {h}'s data_hash")
    end_hash = doc.get("end_block_hash")
    results = list(receipt_hashes)
    if end_hash is not None:
        results.append(_hex(end_hash, h, "the end-of-block hash"))
    if merkle_root(hasher, results) != header.results_root:
        raise _bad(h, "its receipts do not give the header's results_root")

    events: list[tuple[int, int, str, str, bytes]] = []
    got: dict[int, list[tuple[str, str, bytes]]] = {}
    raw_events = doc.get("events")
    if not isinstance(raw_events, list):
        raise _bad(h, "events is not a list")
    for ev in raw_events:
        if not isinstance(ev, dict) or not isinstance(ev.get("idx"), int) or not isinstance(ev.get("n"), int):
            raise _bad(h, "an event row is malformed")
        idx, k = ev["idx"], ev["n"]
        contract, type_ = ev.get("contract"), ev.get("type")
        if not isinstance(contract, str) or not isinstance(type_, str):
            raise _bad(h, "an event row is malformed")
        data = _hex(ev.get("data"), h, "an event's data")
        if idx != n and idx not in want_events:
            raise _bad(h, f"an event of transaction {idx}, which it does not show")
        got.setdefault(idx, []).append((contract, type_, data))
        events.append((idx, k, contract, type_, data))
    for i, want in want_events.items():
        if got.get(i, []) != want:
            raise _bad(h, f"transaction {i}'s events are not those in its receipt")
    end_rows = got.get(n, [])
    end_events = []
    for contract, type_, data in end_rows:
        try:
            end_events.append({"contract": contract, "type": type_, "attrs": decode(data)})
        except EncodingError:
            raise _bad(h, "an end-of-block event does not decode") from None
    if doc.get("end_block_whole") is True and end_events:  # it sees them all: they must be the whole record
        if end_hash is None or hasher(end_block_record(end_events)) != bytes.fromhex(end_hash):
            raise _bad(h, "its end-of-block events are not those the end-of-block hash commits to")

    writes = _proven(doc.get("writes"), doc.get("hidden"), h, trusted.app_hash, hasher)
    revealed = _proven(doc.get("revealed", []), doc.get("concealed", []), h, trusted.app_hash, hasher)
    if set(writes) & set(revealed):
        raise _bad(h, "a key is both written and only made readable")
    return SyncedBlock(h, header, header_bytes, block_hash, visible, withheld, events, writes, receipts, end_events,
                       None if end_hash is None else bytes.fromhex(end_hash), doc.get("end_block_whole") is True,
                       revealed, {bytes.fromhex(k) for k in doc["hidden"]})


def _proven(raw: Any, hidden: Any, h: int, app_hash: bytes, hasher: Hasher) -> dict[bytes, bytes | None]:
    """Values each proven against `app_hash`, and keys to forget (None)."""
    if not isinstance(raw, list) or not isinstance(hidden, list):
        raise _bad(h, "values or hidden keys are not a list")
    out: dict[bytes, bytes | None] = {}
    for w in raw:
        if not isinstance(w, dict):
            raise _bad(h, "a value is malformed")
        key = _hex(w.get("key"), h, "a key")
        value = None if w.get("value") is None else _hex(w.get("value"), h, "a value")
        try:
            ok = verify_proof(hasher, app_hash, key, value, _proof(w.get("proof"), h))
        except ProofError as exc:
            raise _bad(h, f"the proof of {key.decode('utf-8', 'replace')} is malformed: {exc}") from None
        if not ok:
            raise _bad(h, f"the value of {key.decode('utf-8', 'replace')} is not the one the signed app hash holds")
        out[key] = value
    for k in hidden:
        key = _hex(k, h, "a hidden key")
        if key in out:
            raise _bad(h, "a key is both shown and hidden")
        out[key] = None
    return out


def _signed_header(doc: Any, h: int, trusted: TrustedHeader, chain_id: str,
                   hasher: Hasher) -> tuple[Header, bytes, bytes]:
    """The header `doc` carries for block `h`, as (header, its bytes, its hash), if it is the one
    the validators signed: this chain and height, the signed app hash (and, where signed whole,
    the signed block hash)."""
    if not isinstance(doc, dict) or doc.get("height") != h:
        raise _bad(h, "it is not the block asked for")
    header_bytes = _hex(doc.get("header"), h, "the header")
    try:
        header = Header.decode(header_bytes)
    except Exception:  # noqa: BLE001 - any malformed header is one not proven
        raise _bad(h, "the header does not decode") from None
    block_hash = header.hash(hasher)
    if header.chain != chain_id or header.height != h:
        raise _bad(h, f"the header is of chain {header.chain!r} height {header.height}")
    if header.app_hash != trusted.app_hash:
        raise _bad(h, f"its app hash {header.app_hash.hex()} is not the one the validators signed "
                   f"({trusted.app_hash.hex()})", "bad_header")
    if trusted.block_hash and trusted.block_hash != block_hash:
        raise _bad(h, "its header is not the signed header", "bad_header")
    return header, header_bytes, block_hash


def check_snapshot_page(doc: Any, height: int, trusted: TrustedHeader, *, chain_id: str, hasher: Hasher,
                        values: dict[bytes, bytes]) -> Header:
    """A page of `GET /v1/snapshot/{height}` checked against `trusted` (block `height` as signatures
    establish it): its header carries the signed app hash, and each value's proof leads to it.
    The proven values are added to `values`; the header is returned."""
    header, _, _ = _signed_header(doc, height, trusted, chain_id, hasher)
    raw = doc.get("values")
    if not isinstance(raw, list) or any(not isinstance(w, dict) or w.get("value") is None for w in raw):
        raise _bad(height, "a state value is malformed")
    for key, value in _proven(raw, [], height, trusted.app_hash, hasher).items():
        assert value is not None  # checked above: a snapshot lists live values only
        values[key] = value
    return header
