"""Durable storage: one SQLite database per node, one SQLite transaction per block.

Why SQLite: it is embedded (nothing to install or run), its write-ahead log makes
a transaction atomic and durable across `kill -9` and power loss
(`synchronous=FULL`), and it gives the query index the secondary indexes and
range scans that listings need. A block, its transactions, receipts, events, the
new state values, the new Merkle nodes, the index rows and the new head are
written in *one* SQLite transaction: after a crash either all of a block is there
or none of it, and a block is reported committed only after that transaction is
durable. See BENCHMARKS.md for the measured cost.

Tables:
    meta(k, v)                     head height, head block hash, app hash, genesis
    blocks(height, hash, header)   headers
    txs(height, idx, hash, envelope, receipt)   every transaction in every block
    tx_by_hash(hash, height, idx, expires)  authenticated transactions by hash (replay guard)
    events(height, idx, n, contract, type, data)
    kv(key, height, value)         every version of every state value (NULL = deleted)
    nodes(hash, enc)               content-addressed sparse Merkle tree nodes
    idx(kind, field, value, key)   query index for listings, rebuilt from kv
    history_tx(height, idx, ...)   history index: every transaction's signer organisation,
    history(ref, height, idx, how) contract, method, code, and the references it names;
                                   derived from blocks (see faechain.ledger.history)
    header_signatures(height, signer, signature)   the block signer's signature of each
                                   header (solo chains whose genesis declares a signer),
                                   written in the block's own transaction
    withheld(height, idx, hash, receipt_hash)   a member node's record of the transactions
                                   of a block its organisation may not see (empty on a
                                   validator, which holds every transaction in `txs`)
    member_blocks(height, end_block_hash, end_block_whole)   a member node's record of each
                                   block's end-of-block hash, and whether it holds every one
                                   of its end-of-block events (a validator computes both)
    revealed(key, height)          a member node's `kv` rows that are not writes: records a
                                   block made readable (or unreadable) to its organisation

Why one file (over 500 lines): every table is written by the one SQLite transaction of
`Store.commit`; its readers and that writer share the schema, the caches and the caches'
coherence rule.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faechain.ledger import history as _history
from faechain.ledger.served import group_events
from faechain.ledger.smt import check_node

if TYPE_CHECKING:
    from faechain.ledger.served import BlockChecker

log = logging.getLogger("faechain.storage")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY, hash BLOB NOT NULL, header BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS blocks_by_hash ON blocks (hash);
CREATE TABLE IF NOT EXISTS txs (
    height INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    envelope BLOB NOT NULL, receipt BLOB NOT NULL, PRIMARY KEY (height, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tx_by_hash (
    hash BLOB PRIMARY KEY, height INTEGER NOT NULL, idx INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tx_by_expiry ON tx_by_hash (expires);
CREATE TABLE IF NOT EXISTS events (
    height INTEGER NOT NULL, idx INTEGER NOT NULL, n INTEGER NOT NULL,
    contract TEXT NOT NULL, type TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (height, idx, n)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_type ON events (contract, type, height);
CREATE TABLE IF NOT EXISTS kv (
    key BLOB NOT NULL, height INTEGER NOT NULL, value BLOB, PRIMARY KEY (key, height)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes (hash BLOB PRIMARY KEY, enc BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idx (
    kind TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, key BLOB NOT NULL,
    PRIMARY KEY (kind, field, value, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_tx (
    height INTEGER NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, signer BLOB NOT NULL,
    org TEXT NOT NULL, contract TEXT NOT NULL, method TEXT NOT NULL, code TEXT NOT NULL,
    PRIMARY KEY (height, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_tx_by_org ON history_tx (org, height, idx);
CREATE TABLE IF NOT EXISTS history (
    ref TEXT NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL, how INTEGER NOT NULL,
    PRIMARY KEY (ref, height, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS header_signatures (
    height INTEGER PRIMARY KEY, signer BLOB NOT NULL, signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS kv_by_height ON kv (height);
CREATE TABLE IF NOT EXISTS withheld (
    height INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, receipt_hash BLOB NOT NULL,
    PRIMARY KEY (height, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS withheld_by_hash ON withheld (hash);
CREATE TABLE IF NOT EXISTS member_blocks (
    height INTEGER PRIMARY KEY, end_block_hash BLOB, end_block_whole INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revealed (
    key BLOB NOT NULL, height INTEGER NOT NULL, PRIMARY KEY (key, height)) WITHOUT ROWID;
"""
HISTORY_META = "history_version"


@dataclass(frozen=True)
class HeaderSignature:
    """The block signer's signature of one header: `signer` is its raw public key,
    `signature` is over `faechain.core.block.header_signing_bytes(chain, height, block hash)`.
    Stored as the node made it; a member checks it against the key in its own genesis."""

    signer: bytes
    signature: bytes


@dataclass
class BlockWrite:
    """Everything one block adds to storage, written atomically by `Store.commit`."""

    height: int
    block_hash: bytes
    header: bytes
    app_hash: bytes
    txs: list[tuple[int, bytes, bytes, bytes]]  # (idx, hash, envelope, receipt)
    executed: list[tuple[bytes, int, int]]  # (hash, idx, expires) for tx_by_hash
    events: list[tuple[int, int, str, str, bytes]]  # (idx, n, contract, type, data)
    values: dict[bytes, bytes | None]
    nodes: dict[bytes, bytes]
    index_del: list[tuple[str, str, str, bytes]]
    index_add: list[tuple[str, str, str, bytes]]
    meta: dict[str, bytes]
    # the block signer's signature of this header, written in the same transaction so that
    # a committed block is never without it (None: the chain's headers are unsigned)
    signature: HeaderSignature | None = None
    # a member node's block: the transactions its organisation may not see, as (idx, hash,
    # receipt hash) — what lets it still check the block's roots (faechain.member)
    withheld: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    # a member node's block: (end-of-block hash or None, whether it holds all its end-of-block
    # events), and the keys of `values` that the block did not write but made (un)readable to it
    end_block: tuple[bytes | None, bool] | None = None
    revealed: list[bytes] = field(default_factory=list)


NODE_CACHE_MAX = 250_000  # Merkle nodes kept in memory (most recently written or read)
VALUE_CACHE_MAX = 250_000  # latest values kept in memory


def _trim(cache: dict[Any, Any], limit: int) -> None:
    """Forget the oldest quarter of a cache grown past `limit` (dicts keep insertion order).

    The caches are only ever a shortcut to SQLite, so forgetting is always safe; without
    a bound a long-running node would keep every Merkle node it ever wrote.
    """
    if len(cache) > limit:
        for key in list(itertools.islice(cache, len(cache) - limit * 3 // 4)):
            cache.pop(key, None)


class Store:
    """SQLite-backed ledger storage with bounded in-memory caches of the hot data."""

    # Latest-value cache coherence: a reader fills the cache only if no block committed
    # since it began its read (else it could leave a value older than that block's).
    _cache_lock = threading.Lock()
    _generation = 0
    # Set by faechain.node.startup.open_ledger: check_value(key, height, value) checks a
    # value read from `kv` (written at `height`) against that block's Merkle leaf and raises
    # StorageDamaged. Cached values came from such reads or from commits; not re-checked.
    check_value: Callable[[bytes, int, bytes | None], None] | None = None
    # set by verify_nodes_with: nodes read from disk are checked against their address
    _node_hasher: Callable[[bytes], bytes] | None = None
    # Set by open_ledger too: every header, transaction, receipt and event row read by the
    # methods below is checked against its block (faechain.ledger.served.BlockChecker).
    check_rows: BlockChecker | None = None
    recovery: str | None = None  # how to recover this node, for the StorageDamaged those checks raise

    def __init__(self, path: str, *, synchronous: str = "FULL"):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._local = threading.local()
        self._sync = synchronous
        self.write = self._connect()
        self.write.executescript(SCHEMA)
        self._node_cache: dict[bytes, bytes] = {}
        self._value_cache: dict[bytes, bytes | None] = {}
        self._lock = threading.Lock()
        self._orgs = _history.OrgResolver()
        if self.meta(HISTORY_META) != _history.HISTORY_VERSION:
            # a database from before the history index (or indexed under another rule)
            self.rebuild_history()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._sync}")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    @property
    def read(self) -> sqlite3.Connection:
        """One reader connection per thread (WAL lets readers run beside the writer)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close the writer and this thread's reader (other threads' readers close with
        their threads' ends, or when the store is collected)."""
        self.write.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- meta -----------------------------------------------------------------
    def meta(self, key: str) -> bytes | None:
        row = self.read.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return row[0] if row else None

    # -- state ------------------------------------------------------------------
    def verify_nodes_with(self, hasher: Callable[[bytes], bytes]) -> bool:
        """Check every Merkle node read from disk (once: only checked or committed nodes are
        cached) against its address; called by the SparseMerkleTree reading from this store."""
        self._node_hasher = hasher
        return True

    def get_node(self, node_hash: bytes) -> bytes | None:
        enc = self._node_cache.get(node_hash)
        if enc is None:
            row = self.read.execute("SELECT enc FROM nodes WHERE hash=?", (node_hash,)).fetchone()
            if row is None:
                return None
            enc = row[0]
            if self._node_hasher is not None:
                check_node(self._node_hasher, node_hash, enc, self.recovery)
            with self._cache_lock:
                self._node_cache[node_hash] = enc
                _trim(self._node_cache, NODE_CACHE_MAX)
        return enc

    def get_value(self, key: bytes, height: int | None = None) -> bytes | None:
        """Latest value of key, or its value as of `height`."""
        if height is None:
            try:
                return self._value_cache[key]
            except KeyError:
                pass
            generation = self._generation
            row = self.read.execute(
                "SELECT value, height FROM kv WHERE key=? ORDER BY height DESC LIMIT 1", (key,)
            ).fetchone()
            value = row[0] if row else None
            if row and self.check_value is not None:
                self.check_value(key, row[1], value)
            with self._cache_lock:
                if generation == self._generation:
                    self._value_cache[key] = value
                    _trim(self._value_cache, VALUE_CACHE_MAX)
            return value
        row = self.read.execute(
            "SELECT value, height FROM kv WHERE key=? AND height<=? ORDER BY height DESC LIMIT 1", (key, height)
        ).fetchone()
        if row and self.check_value is not None:
            self.check_value(key, row[1], row[0])
        return row[0] if row else None

    def history(self, key: bytes) -> list[tuple[int, bytes | None]]:
        rows = self.read.execute("SELECT height, value FROM kv WHERE key=? ORDER BY height", (key,)).fetchall()
        if self.check_value is not None:
            for at, value in rows:
                self.check_value(key, at, value)
        return rows

    def scan_prefix(self, prefix: bytes, height: int | None = None, limit: int = 1000) -> Iterator[tuple[bytes, bytes]]:
        """Live (key, value) pairs whose key starts with prefix, in key order."""
        h = height if height is not None else 2**62
        end = prefix[:-1] + bytes([prefix[-1] + 1]) if prefix and prefix[-1] < 255 else prefix + b"\xff" * 8
        rows = self.read.execute(
            """SELECT key, value, height FROM kv AS a WHERE key>=? AND key<? AND height=(
                   SELECT MAX(height) FROM kv AS b WHERE b.key=a.key AND b.height<=?)
               AND value IS NOT NULL ORDER BY key LIMIT ?""",
            (prefix, end, h, limit),
        )
        check = self.check_value
        for key, value, at in rows:
            if check is not None:
                check(key, at, value)
            yield key, value

    def live_after(self, after: bytes, height: int, limit: int) -> list[tuple[bytes, bytes]]:
        """Live (key, value) pairs as of `height` whose key sorts after `after`, in key order: the
        whole state, a page at a time (a member node's checkpoint, faechain.api.sync)."""
        rows: list[tuple[bytes, bytes]] = self.read.execute(
            """SELECT key, value FROM kv AS a WHERE key>? AND height=(
                   SELECT MAX(height) FROM kv AS b WHERE b.key=a.key AND b.height<=?)
               AND value IS NOT NULL ORDER BY key LIMIT ?""", (after, height, limit)).fetchall()
        return rows

    def has_tx(self, tx_hash: bytes) -> bool:
        return self.read.execute("SELECT 1 FROM tx_by_hash WHERE hash=?", (tx_hash,)).fetchone() is not None

    def unexpired_txs(self, now_ms: int) -> list[tuple[bytes, int]]:
        """(hash, expires) of executed transactions still inside their validity window."""
        return self.read.execute("SELECT hash, expires FROM tx_by_hash WHERE expires >= ?", (now_ms,)).fetchall()

    # -- blocks and transactions -----------------------------------------------------
    def block(self, height: int) -> tuple[bytes, bytes] | None:
        """(block hash, header) of block `height`."""
        row = self.read.execute("SELECT hash, header FROM blocks WHERE height=?", (height,)).fetchone()
        if row is None:
            return None
        if self.check_rows is not None:
            self.check_rows.header(height, row[0], row[1])
        return (row[0], row[1])

    def block_txs(self, height: int) -> list[tuple[int, bytes, bytes, bytes]]:
        """(index, hash, envelope, receipt) of every transaction of block `height`."""
        rows: list[tuple[int, bytes, bytes, bytes]] = self.read.execute(
            "SELECT idx, hash, envelope, receipt FROM txs WHERE height=? ORDER BY idx", (height,)
        ).fetchall()
        if self.check_rows is not None:
            if len(rows) != len(self.check_rows.block(height).txs):
                self.check_rows.damaged_count(height)
            for idx, tx_hash, envelope, receipt in rows:
                self.check_rows.tx(height, idx, tx_hash, envelope, receipt)
        return rows

    def header_signature(self, height: int) -> HeaderSignature | None:
        """The block signer's signature of block `height`'s header, None if it has none. Not
        checked here: whoever relies on it verifies it against the key in its genesis."""
        row = self.read.execute("SELECT signer, signature FROM header_signatures WHERE height=?",
                                (height,)).fetchone()
        return HeaderSignature(row[0], row[1]) if row else None

    def unsigned_heights(self) -> list[int]:
        """Committed heights without a header signature (block 0, which the application
        commits before any engine runs, on a chain whose blocks are signed)."""
        return [h for (h,) in self.read.execute(
            "SELECT height FROM blocks WHERE height NOT IN (SELECT height FROM header_signatures) ORDER BY height")]

    def put_header_signature(self, height: int, signature: HeaderSignature) -> None:
        """Record the signature of an already committed header (see `unsigned_heights`);
        one that is there already is kept."""
        with self._lock:
            self.write.execute("INSERT OR IGNORE INTO header_signatures VALUES (?,?,?)",
                               (height, signature.signer, signature.signature))

    def tx(self, tx_hash: bytes) -> tuple[int, int, bytes, bytes] | None:
        row = self.read.execute(
            """SELECT t.height, t.idx, t.envelope, t.receipt FROM tx_by_hash h
               JOIN txs t ON t.height=h.height AND t.idx=h.idx WHERE h.hash=?""",
            (tx_hash,),
        ).fetchone()
        if row is None:
            return None
        if self.check_rows is not None:
            self.check_rows.tx(row[0], row[1], tx_hash, row[2], row[3])
        return (row[0], row[1], row[2], row[3])

    def tx_at(self, height: int, idx: int) -> tuple[bytes, bytes, bytes] | None:
        """(hash, envelope, receipt) of the transaction at (height, idx)."""
        row = self.read.execute(
            "SELECT hash, envelope, receipt FROM txs WHERE height=? AND idx=?", (height, idx)
        ).fetchone()
        if row is None:
            return None
        if self.check_rows is not None:
            self.check_rows.tx(height, idx, row[0], row[1], row[2])
        return (row[0], row[1], row[2])

    def tx_count(self, height: int) -> int:
        """How many transactions block `height` has (on a member node, withheld ones too)."""
        count: int = self.read.execute(
            "SELECT (SELECT COUNT(*) FROM txs WHERE height=?) + (SELECT COUNT(*) FROM withheld WHERE height=?)",
            (height, height)).fetchone()[0]
        return count

    def withheld_txs(self, height: int) -> list[tuple[int, bytes, bytes]]:
        """(index, hash, receipt hash) of block `height`'s transactions this member node's
        organisation may not see (none on a validator)."""
        rows: list[tuple[int, bytes, bytes]] = self.read.execute(
            "SELECT idx, hash, receipt_hash FROM withheld WHERE height=? ORDER BY idx", (height,)).fetchall()
        return rows

    def withheld_tx(self, tx_hash: bytes) -> tuple[int, int, bytes] | None:
        """(height, index, receipt hash) of a transaction a member node holds only the hash of."""
        row = self.read.execute("SELECT height, idx, receipt_hash FROM withheld WHERE hash=?", (tx_hash,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def member_block(self, height: int) -> tuple[bytes | None, bool] | None:
        """A member node's (end-of-block hash, holds every end-of-block event) of block `height`;
        None on a validator (its end-of-block events are all in `events`)."""
        row = self.read.execute("SELECT end_block_hash, end_block_whole FROM member_blocks WHERE height=?",
                                (height,)).fetchone()
        return None if row is None else (row[0], bool(row[1]))

    def was_revealed(self, key: bytes) -> bool:
        """Whether a member node holds a version of `key` it was sent as made readable, not written:
        its history here is not the key's history."""
        return self.read.execute("SELECT 1 FROM revealed WHERE key=? LIMIT 1", (key,)).fetchone() is not None

    def writes_at(self, height: int) -> list[tuple[bytes, bytes | None]]:
        """(key, value or None when deleted) of every state value block `height` wrote, in key
        order: what a member node is sent of it, filtered by its read rules (faechain.api.sync)."""
        rows: list[tuple[bytes, bytes | None]] = self.read.execute(
            "SELECT key, value FROM kv WHERE height=? ORDER BY key", (height,)).fetchall()
        return rows

    def events_at(self, height: int, idx: int) -> list[tuple[str, str, bytes]]:
        """(contract, type, attrs) of the events recorded at (height, idx), in order."""
        rows: list[tuple[str, str, bytes]] = self.read.execute(
            "SELECT contract, type, data FROM events WHERE height=? AND idx=? ORDER BY n", (height, idx)
        ).fetchall()
        if self.check_rows is not None:
            self.check_rows.events(height, idx, rows)
        return rows

    def events_between(self, first: int, last: int) -> list[tuple[int, int, int, str, str, bytes]]:
        """Every event row of blocks first..last, in order."""
        rows: list[tuple[int, int, int, str, str, bytes]] = self.read.execute(
            "SELECT height, idx, n, contract, type, data FROM events WHERE height BETWEEN ? AND ? "
            "ORDER BY height, idx, n",
            (first, last),
        ).fetchall()
        if self.check_rows is not None:
            for (height, idx), events in group_events(rows).items():
                self.check_rows.events(height, idx, events)
        return rows

    # -- query index ---------------------------------------------------------------
    def index_find(self, kind: str, field: str, value: str, limit: int = 1000, after: bytes = b"") -> list[bytes]:
        rows = self.read.execute(
            "SELECT key FROM idx WHERE kind=? AND field=? AND value=? AND key>? ORDER BY key LIMIT ?",
            (kind, field, value, after, limit),
        ).fetchall()
        return [r[0] for r in rows]

    # -- history index -------------------------------------------------------------------
    def history_find(self, ref: str, after: tuple[int, int] = (-1, -1), limit: int = 1000,
                     from_height: int = 0, to_height: int | None = None) -> list[tuple[int, int, int]]:
        """(height, idx, how) of the records naming `ref`, oldest first, after `after`."""
        hi = to_height if to_height is not None else 2**62
        return self.read.execute(
            """SELECT height, idx, how FROM history WHERE ref=? AND (height, idx) > (?, ?)
               AND height BETWEEN ? AND ? ORDER BY height, idx LIMIT ?""",
            (ref, after[0], after[1], from_height, hi, limit),
        ).fetchall()

    def history_by_org(self, org: str, after: tuple[int, int] = (-1, -1), limit: int = 1000,
                       from_height: int = 0, to_height: int | None = None) -> list[tuple[int, int]]:
        """(height, idx) of the transactions signed by organisation `org`, oldest first."""
        hi = to_height if to_height is not None else 2**62
        return self.read.execute(
            """SELECT height, idx FROM history_tx WHERE org=? AND (height, idx) > (?, ?)
               AND height BETWEEN ? AND ? ORDER BY height, idx LIMIT ?""",
            (org, after[0], after[1], from_height, hi, limit),
        ).fetchall()

    def history_all(self, after: tuple[int, int] = (-1, -1), limit: int = 1000,
                    from_height: int = 0, to_height: int | None = None) -> list[tuple[int, int]]:
        """(height, idx) of every indexed record (transactions and end-block records)."""
        hi = to_height if to_height is not None else 2**62
        return self.read.execute(
            """SELECT height, idx FROM history_tx WHERE (height, idx) > (?, ?)
               AND height BETWEEN ? AND ? ORDER BY height, idx LIMIT ?""",
            (after[0], after[1], from_height, hi, limit),
        ).fetchall()

    def history_count(self, ref: str | None = None, org: str | None = None, from_height: int = 0,
                      to_height: int | None = None) -> int:
        hi = to_height if to_height is not None else 2**62
        args: tuple[str, ...]
        if ref is not None:
            sql, args = "SELECT COUNT(*) FROM history WHERE ref=? AND height BETWEEN ? AND ?", (ref,)
        elif org is not None:
            sql, args = "SELECT COUNT(*) FROM history_tx WHERE org=? AND height BETWEEN ? AND ?", (org,)
        else:
            sql, args = "SELECT COUNT(*) FROM history_tx WHERE height BETWEEN ? AND ?", ()
        count: int = self.read.execute(sql, (*args, from_height, hi)).fetchone()[0]
        return count

    def history_record(self, height: int, idx: int) -> tuple[str, bytes, str, str, str, str] | None:
        """(kind, signer, org, contract, method, code) of one indexed record."""
        row = self.read.execute(
            "SELECT kind, signer, org, contract, method, code FROM history_tx WHERE height=? AND idx=?",
            (height, idx),
        ).fetchone()
        return tuple(row) if row else None

    def history_refs(self, height: int, idx: int) -> list[tuple[str, int]]:
        """(ref, how) of one record, in ref order."""
        return self.read.execute(
            "SELECT ref, how FROM history WHERE height=? AND idx=? ORDER BY ref", (height, idx)
        ).fetchall()

    def history_rows(self) -> tuple[list[_history.TxRow], list[_history.RefRow]]:
        """Every row of the history index (history_tx rows, history rows), in key order."""
        conn = self.read
        txs = conn.execute("SELECT * FROM history_tx ORDER BY height, idx").fetchall()
        refs = conn.execute("SELECT ref, height, idx, how FROM history ORDER BY ref, height, idx").fetchall()
        return [tuple(r) for r in txs], [tuple(r) for r in refs]

    def compute_history(self, height: int,
                        conn: sqlite3.Connection | None = None) -> tuple[list[_history.TxRow], list[_history.RefRow]]:
        """The history rows of a stored block, derived afresh from its transactions,
        receipts and events (what `rebuild_history` writes for it)."""
        conn = conn or self.read
        txs = conn.execute(
            "SELECT idx, hash, envelope, receipt FROM txs WHERE height=? ORDER BY idx", (height,)
        ).fetchall()
        end = conn.execute(
            "SELECT contract, type, data FROM events WHERE height=? AND idx=? ORDER BY n", (height, len(txs))
        ).fetchall()
        orgs = self.__dict__.setdefault("_orgs", _history.OrgResolver())  # also for stores opened read-only
        return _history.block_rows(height, txs, end, lambda key: self.get_value(key, height), orgs)

    def rebuild_history(self) -> tuple[int, int]:
        """Drop and re-derive the whole history index from the stored blocks, in one
        SQLite transaction; returns (records, references) written. The node should not
        be committing meanwhile (it would wait for this transaction)."""
        c = self.write
        records = refs = 0
        with self._lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("DELETE FROM history_tx")
                c.execute("DELETE FROM history")
                heights = [h for (h,) in c.execute("SELECT height FROM blocks ORDER BY height").fetchall()]
                for h in heights:
                    tx_rows, ref_rows = self.compute_history(h, c)
                    c.executemany("INSERT OR REPLACE INTO history_tx VALUES (?,?,?,?,?,?,?,?)", tx_rows)
                    c.executemany("INSERT OR REPLACE INTO history VALUES (?,?,?,?)", ref_rows)
                    records += len(tx_rows)
                    refs += len(ref_rows)
                c.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (HISTORY_META, _history.HISTORY_VERSION))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        if heights:
            log.info("history index rebuilt: %d records, %d references over %d blocks", records, refs, len(heights))
        return records, refs

    def check_history(self) -> list[str]:
        """Differences between the stored history index and one derived afresh from the
        blocks (empty when they agree)."""
        stored_tx, stored_refs = self.history_rows()
        want_tx, want_refs = [], []
        for h in list(self.all_heights()):
            t, r = self.compute_history(h)
            want_tx.extend(t)
            want_refs.extend(r)
        want_refs.sort()
        problems = []
        if stored_tx != want_tx:
            extra = sorted(set(stored_tx) - set(want_tx))[:3]
            missing = sorted(set(want_tx) - set(stored_tx))[:3]
            problems.append(f"history_tx differs: missing {missing}, unexpected {extra}")
        if stored_refs != want_refs:
            unexpected = sorted(set(stored_refs) - set(want_refs))[:3]
            absent = sorted(set(want_refs) - set(stored_refs))[:3]
            problems.append(f"history differs: missing {absent}, unexpected {unexpected}")
        return problems

    def _history_write(self, w: BlockWrite) -> tuple[list[_history.TxRow], list[_history.RefRow], dict[str, bytes]]:
        """The history rows of a block being committed; a failure never stops the commit:
        the index is marked stale instead (re-derived when the database is next opened)."""
        n = len(w.txs)
        end = [(ct, ty, data) for idx, _n, ct, ty, data in w.events if idx == n]

        def lookup(key: bytes) -> bytes | None:
            return w.values[key] if key in w.values else self.get_value(key)

        try:
            tx_rows, ref_rows = _history.block_rows(w.height, w.txs, end, lookup, self._orgs)
            return tx_rows, ref_rows, {}
        except Exception:  # derived data must not halt the chain (logged with its traceback)
            log.exception("history index of block %d failed; it will be rebuilt on the next open", w.height)
            return [], [], {HISTORY_META: b"stale"}

    # -- the atomic write --------------------------------------------------------------
    def commit(self, w: BlockWrite) -> None:
        """Write one block and everything it changed, atomically and durably."""
        c = self.write
        hist_tx, hist_refs, hist_meta = self._history_write(w)
        with self._lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("INSERT INTO blocks VALUES (?,?,?)", (w.height, w.block_hash, w.header))
                c.executemany(
                    "INSERT INTO txs VALUES (?,?,?,?,?)",
                    [(w.height, idx, h, env, rec) for idx, h, env, rec in w.txs],
                )
                c.executemany(
                    "INSERT INTO tx_by_hash VALUES (?,?,?,?)", [(h, w.height, idx, e) for h, idx, e in w.executed]
                )
                c.executemany(
                    "INSERT INTO events VALUES (?,?,?,?,?,?)",
                    [(w.height, idx, n, ct, ty, data) for idx, n, ct, ty, data in w.events],
                )
                c.executemany(
                    "INSERT INTO kv VALUES (?,?,?)", [(k, w.height, v) for k, v in w.values.items()]
                )
                c.executemany("INSERT OR IGNORE INTO nodes VALUES (?,?)", w.nodes.items())
                c.executemany("DELETE FROM idx WHERE kind=? AND field=? AND value=? AND key=?", w.index_del)
                c.executemany("INSERT OR IGNORE INTO idx VALUES (?,?,?,?)", w.index_add)
                c.executemany("INSERT OR REPLACE INTO history_tx VALUES (?,?,?,?,?,?,?,?)", hist_tx)
                c.executemany("INSERT OR REPLACE INTO history VALUES (?,?,?,?)", hist_refs)
                c.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", {**w.meta, **hist_meta}.items())
                c.executemany("INSERT INTO withheld VALUES (?,?,?,?)",
                              [(w.height, idx, h, rh) for idx, h, rh in w.withheld])
                if w.end_block is not None:
                    c.execute("INSERT INTO member_blocks VALUES (?,?,?)",
                              (w.height, w.end_block[0], int(w.end_block[1])))
                c.executemany("INSERT INTO revealed VALUES (?,?)", [(k, w.height) for k in w.revealed])
                if w.signature is not None:
                    c.execute("INSERT INTO header_signatures VALUES (?,?,?)",
                              (w.height, w.signature.signer, w.signature.signature))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        with self._cache_lock:
            self._node_cache.update(w.nodes)
            self._value_cache.update(w.values)
            _trim(self._node_cache, NODE_CACHE_MAX)
            _trim(self._value_cache, VALUE_CACHE_MAX)
            self._generation += 1

    def put_meta(self, items: dict[str, bytes]) -> None:
        with self._lock:
            self.write.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", items.items())

    def replace_index(self, rows: Iterable[tuple[str, str, str, bytes]]) -> None:
        """Replace the whole query index with `rows` (kind, field, value, key), in one SQLite
        transaction: `fae verify --repair` rebuilding it from the latest state."""
        c = self.write
        with self._lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                c.execute("DELETE FROM idx")
                c.executemany("INSERT INTO idx VALUES (?,?,?,?)", rows)
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def all_heights(self) -> Iterable[int]:
        for (h,) in self.read.execute("SELECT height FROM blocks ORDER BY height"):
            yield h
