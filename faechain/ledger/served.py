"""Checked reads of blocks: a node serves a header, transaction, receipt or event only
after checking it against the header that commits to it.

State values are checked against their Merkle leaf as they are read (`ValueChecker` in
faechain.ledger.integrity). This module does the same for the block tables, which the
REST API, the event stream, the audit export and the console read:

  * a header must decode canonically, hash to its stored block hash, name this chain and
    its height, and be named by the chain after it: the next block's `prev` (or, for the
    head, the head record) is that hash. A single damaged header row, or a damaged hash
    column, therefore fails;
  * the rows of that block (its transactions, receipts and events) must give the header's
    `txs_root` and `results_root`: each transaction's stored hash is the hash of its
    envelope's body, each receipt names its transaction, height and index, and the event
    rows are exactly the events in the receipts (and the end-of-block record).

A block that passed is remembered as the digests of its rows (a few hundred bytes per
block, `max_blocks` of them), so serving one transaction of a checked block costs two
hashes, not a re-check of the block. A row that does not match raises `StorageDamaged`;
the API then fails the request with `storage_damaged` and halts the node, as it does for
damaged state (faechain.node.startup.halt).

What this does not cover: a forger who rewrites a block *consistently* (every row, its
header and every later header up to the head record) is not caught here — that needs the
chain re-verified against signed headers (`fae verify`, docs/integrity.md).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faechain.core.block import Header, end_block_record
from faechain.core.encoding import EncodingError, decode, encode
from faechain.core.merkle import merkle_root
from faechain.core.tx import TxError, decode_tx
from faechain.ledger.integrity import StorageDamaged

if TYPE_CHECKING:
    from faechain.ledger.storage import Store

Hasher = Callable[[bytes], bytes]
EventRow = tuple[str, str, bytes]  # (contract, type, attrs) in order


@dataclass(frozen=True)
class CheckedBlock:
    """What a checked block's rows hash to: each later read is compared with this."""

    block_hash: bytes
    header: bytes
    txs: tuple[tuple[bytes, bytes, bytes], ...]  # per index: (tx hash, hash(envelope), hash(receipt))
    events: tuple[bytes, ...]  # per index (one more for the end of block): hash of its event rows


def decode_header(hasher: Hasher, chain_id: str, height: int, block_hash: bytes, raw: bytes) -> Header:
    """The stored header of block `height`, after checking it is canonical, hashes to
    `block_hash` and names this chain and height; StorageDamaged otherwise."""
    where = f"height {height}"
    try:
        fields = decode(raw)
        if type(fields) is not dict:
            raise TypeError("not a map")
        header = Header(**fields)
    except (EncodingError, TypeError) as exc:
        raise StorageDamaged("blocks", where, f"the header does not decode: {exc}", height=height) from None
    if header.encode() != raw:
        raise StorageDamaged("blocks", where, "the header is not canonical", height=height)
    if hasher(raw) != block_hash:
        raise StorageDamaged("blocks", where, "the header does not hash to the stored block hash", height=height)
    if header.chain != chain_id or header.height != height:
        raise StorageDamaged("blocks", where, f"the header names chain {header.chain!r} height {header.height}",
                             height=height)
    for name in ("prev", "txs_root", "results_root", "app_hash"):
        value = getattr(header, name)
        if type(value) is not bytes or len(value) != 32:
            raise StorageDamaged("blocks", where, f"header field {name} is not a 32-byte hash", height=height)
    return header


def events_digest(hasher: Hasher, rows: Iterable[EventRow]) -> bytes:
    return hasher(encode([[c, t, d] for c, t, d in rows]))


def check_block_rows(conn: sqlite3.Connection, hasher: Hasher, height: int,
                     header: Header) -> tuple[list[tuple[bytes, bytes, bytes]], list[bytes]]:
    """Check block `height`'s transaction, receipt and event rows against its header;
    (per-index row digests, per-index event digests). StorageDamaged names the first bad row."""
    rows = conn.execute("SELECT idx, hash, envelope, receipt FROM txs WHERE height=? ORDER BY idx",
                        (height,)).fetchall()
    events: dict[int, list[EventRow]] = {}
    for idx, _n, contract, type_, data in conn.execute(
            "SELECT idx, n, contract, type, data FROM events WHERE height=? ORDER BY idx, n", (height,)):
        events.setdefault(idx, []).append((contract, type_, data))
    digests: list[tuple[bytes, bytes, bytes]] = []
    event_digests: list[bytes] = []
    tx_hashes, leaves = [], []
    for n, (idx, tx_hash, envelope, receipt) in enumerate(rows):
        where = f"height {height} index {idx}"
        if idx != n:
            raise StorageDamaged("txs", f"height {height} index {n}", "the transaction row is missing", height=height)
        try:
            rec = decode(receipt)
        except EncodingError as exc:
            raise StorageDamaged("txs", where, f"the receipt does not decode: {exc}", height=height) from None
        if type(rec) is not dict or rec.get("tx") != tx_hash or rec.get("height") != height or rec.get("index") != idx:
            raise StorageDamaged("txs", where, "the receipt names another transaction, height or index", height=height)
        try:
            body_hash = decode_tx(envelope, hasher).hash
        except TxError:
            body_hash = hasher(envelope)  # recorded as undecodable: hashed as it is
        if body_hash != tx_hash:
            raise StorageDamaged("txs", where, "the stored hash is not the hash of the envelope's body", height=height)
        receipt_hash = hasher(receipt)
        want = [(e.get("contract"), e.get("type"), encode(e.get("attrs"))) if type(e) is dict else None
                for e in (rec.get("events") or [])]
        got = events.pop(idx, [])
        if got != want:
            raise StorageDamaged("events", where, "the stored events differ from the events in the receipt",
                                 height=height)
        tx_hashes.append(tx_hash)
        leaves.append(receipt_hash)
        digests.append((tx_hash, hasher(envelope), receipt_hash))
        event_digests.append(events_digest(hasher, got))
    if merkle_root(hasher, tx_hashes) != header.txs_root:
        raise StorageDamaged("txs", f"height {height}", "the transactions do not give the header's txs_root",
                             height=height)
    end = events.pop(len(rows), [])
    if events:
        raise StorageDamaged("events", f"height {height} index {min(events)}",
                             "event rows of a transaction the block does not have", height=height)
    if end:
        try:
            leaves.append(hasher(end_block_record([{"contract": c, "type": t, "attrs": decode(d)} for c, t, d in end])))
        except EncodingError as exc:
            raise StorageDamaged("events", f"height {height} index {len(rows)}",
                                 f"an end-of-block event does not decode: {exc}", height=height) from None
    event_digests.append(events_digest(hasher, end))
    if merkle_root(hasher, leaves) != header.results_root:
        raise StorageDamaged("txs", f"height {height}", "the receipts and end-of-block events do not give the "
                             "header's results_root", height=height)
    return digests, event_digests


class BlockChecker:
    """`Store.check_rows`: every header, transaction and event row the store returns is
    checked against its block (see the module docstring)."""

    def __init__(self, store: Store, hasher: Hasher, chain_id: str, max_blocks: int = 1024) -> None:
        self.store = store
        self.hash = hasher
        self.chain_id = chain_id
        self.max_blocks = max_blocks
        self._checked: OrderedDict[int, CheckedBlock] = OrderedDict()
        self._lock = threading.Lock()  # readers run on many threads

    # -- the block --------------------------------------------------------------------------
    def block(self, height: int) -> CheckedBlock:
        """Block `height`, checked (remembered while it is among the last `max_blocks` used)."""
        with self._lock:
            done = self._checked.get(height)
            if done is not None:
                self._checked.move_to_end(height)
                return done
        conn = self.store.read
        row = conn.execute("SELECT hash, header FROM blocks WHERE height=?", (height,)).fetchone()
        if row is None:
            raise StorageDamaged("blocks", f"height {height}", "the block is missing", height=height)
        block_hash, raw = row
        header = decode_header(self.hash, self.chain_id, height, block_hash, raw)
        self._check_named(height, block_hash)
        digests, event_digests = check_block_rows(conn, self.hash, height, header)
        done = CheckedBlock(block_hash, raw, tuple(digests), tuple(event_digests))
        with self._lock:
            self._checked[height] = done
            while len(self._checked) > self.max_blocks:
                self._checked.popitem(last=False)
        return done

    def _check_named(self, height: int, block_hash: bytes) -> None:
        """The chain names this block by `block_hash`: the next header's prev, or the head record."""
        conn = self.store.read
        following = conn.execute("SELECT header FROM blocks WHERE height=?", (height + 1,)).fetchone()
        if following is None:
            head_raw = self.store.meta("head")
            head = decode(head_raw) if head_raw is not None else None
            if type(head) is dict and head.get("height") == height:
                if head.get("block_hash") != block_hash:
                    raise StorageDamaged("blocks", f"height {height}", "the head record names another hash for the "
                                         "head block", height=height)
                return
            # a block committed since the first read: it names this one
            following = conn.execute("SELECT header FROM blocks WHERE height=?", (height + 1,)).fetchone()
            if following is None:
                raise StorageDamaged("meta", "head", f"the head record does not name block {height}, the last "
                                     "stored block", height=height)
        try:
            prev = decode(following[0]).get("prev")
        except (EncodingError, AttributeError):
            prev = None
        if prev != block_hash:
            raise StorageDamaged("blocks", f"height {height}", f"the hash of block {height} is not the prev of block "
                                 f"{height + 1} (one of the two headers is damaged)", height=height)

    # -- the rows served ------------------------------------------------------------------------
    def header(self, height: int, block_hash: bytes, raw: bytes) -> None:
        done = self.block(height)
        if done.block_hash != block_hash or done.header != raw:
            self._forget(height)
            self.block(height)  # names the damage (or the row was rewritten by a reorganised write)
            raise StorageDamaged("blocks", f"height {height}", "the header changed after it was checked",
                                 height=height)

    def tx(self, height: int, idx: int, tx_hash: bytes, envelope: bytes, receipt: bytes) -> None:
        done = self.block(height)
        want = done.txs[idx] if 0 <= idx < len(done.txs) else None
        if want != (tx_hash, self.hash(envelope), self.hash(receipt)):
            self._forget(height)
            raise StorageDamaged("txs", f"height {height} index {idx}", "the transaction or its receipt differs "
                                 f"from what block {height} commits to", height=height)

    def events(self, height: int, idx: int, rows: list[EventRow]) -> None:
        done = self.block(height)
        want = done.events[idx] if 0 <= idx < len(done.events) else events_digest(self.hash, [])
        if events_digest(self.hash, rows) != want:
            self._forget(height)
            raise StorageDamaged("events", f"height {height} index {idx}", f"the events differ from what block "
                                 f"{height} commits to", height=height)

    def damaged_count(self, height: int) -> None:
        """The store read another number of transaction rows than the checked block has."""
        self._forget(height)
        self.block(height)  # names the missing or extra row
        raise StorageDamaged("txs", f"height {height}", f"the number of transactions differs from what block "
                             f"{height} commits to", height=height)

    def _forget(self, height: int) -> None:
        with self._lock:
            self._checked.pop(height, None)


def group_events(rows: Iterable[tuple[int, int, int, str, str, bytes]]) -> dict[tuple[int, int], list[EventRow]]:
    """events_between's rows by (height, index)."""
    out: dict[tuple[int, int], list[EventRow]] = {}
    for height, idx, _n, contract, type_, data in rows:
        out.setdefault((height, idx), []).append((contract, type_, data))
    return out
