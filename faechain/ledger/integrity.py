"""Tamper detection: what a node checks before it serves, and what it does when storage lies.

A node must never answer from damaged storage. `fae verify` (faechain.node.verify)
re-checks everything, but its cost grows with the chain, so a node does less at each
start and checks the rest as it reads:

At start (`faechain.node.startup.open_ledger`, called by `Node`; cheap whatever the chain's length):
  * SQLite's own `PRAGMA quick_check` (page structure, every b-tree; linear in the
    file size, about a second per few hundred MB);
  * the head record (`meta.head`) decodes and the stored genesis is genesis.json;
  * the head block: its header decodes canonically, hashes to the stored block hash and
    to the head record's, names this chain, height and app hash; its `prev` is the hash
    of the block before (itself checked the same way) or, at height 0, of the genesis
    document; the head block's transaction hashes, receipts and end-of-block events give
    its `txs_root` and `results_root`;
  * the state: the Merkle root node of the head's app hash is present and is what its
    hash addresses; every value written by the last block that wrote state, and a random
    sample of other keys' latest values, match their leaves under that root;
  * the head mark (`<db>.head`, written after every commit): a solo node whose ledger
    ends below the height it had already committed lost blocks (a truncated write-ahead
    log, an older copy put back) and refuses to start; a CometBFT node logs it, since
    CometBFT replays the missing blocks from its own block store at the handshake.

While serving, nothing is taken on trust from the disk:
  * every Merkle node read is re-hashed against its address (faechain.ledger.smt);
  * every state value read from the database (`kv`) by a query, a proof or a
    transaction (on a cache miss) is checked against the leaf of the block that wrote
    it (`ValueChecker`, installed as `Store.check_value`): the leaf holds hash(value);
  * every header, transaction, receipt and event row read through the store is checked
    against the block that commits to it (`faechain.ledger.served.BlockChecker`,
    installed as `Store.check_rows`).

Damage found while serving raises `StorageDamaged`: the request fails with 500
`storage_damaged`, `faechain.node.startup.halt()` stops the node accepting transactions (the solo engine
stops making blocks; under CometBFT the next FinalizeBlock fails, which stops
CometBFT) and logs how to recover. What these checks do not cover (a historical value
never read, a block rewritten together with every later header) is in docs/integrity.md.

Why one file (over 500 lines): the startup check, the on-read value check and the error
they raise are one promise (never answer from damaged storage) and share their helpers.
"""

from __future__ import annotations

import logging
import os
import random
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faechain.core.errors import FaeError

if TYPE_CHECKING:  # storage imports this module (StorageDamaged)
    from faechain.core.block import Header
    from faechain.core.genesis import Genesis
    from faechain.ledger.storage import Store

log = logging.getLogger("faechain.integrity")

CODE = "storage_damaged"
MARK_SUFFIX = ".head"
DEFAULT_SAMPLES = 32


# -- the error ------------------------------------------------------------------------------
class StorageDamaged(FaeError, RuntimeError):
    """Stored data is not what was committed. `table`, `where` (height, index or key) and
    `check` (what failed) name the first damaged item; `recovery` says what to do."""

    code = CODE

    def __init__(self, table: str, where: str, check: str, *, height: int | None = None,
                 recovery: str | None = None) -> None:
        self.table = table
        self.where = where
        self.check = check
        self.height = height
        self.recovery = recovery
        super().__init__(self._describe())

    @property
    def what(self) -> str:
        item = f"{self.table} {self.where}".strip()
        return f"{item}: {self.check}"

    def _describe(self) -> str:
        return f"damaged storage: {self.what}. {self.recovery or recovery_advice(None, None)}"

    def __str__(self) -> str:
        return self.message

    def with_recovery(self, text: str) -> StorageDamaged:
        """Say how to recover (known only where the node's home and engine are: the caller's)."""
        self.recovery = text
        self.message = self._describe()
        return self


class MissingNode(StorageDamaged, KeyError):
    """A Merkle node that a committed root needs is not in the node store."""

    def __init__(self, node_hash: bytes) -> None:
        super().__init__("nodes", f"node {node_hash.hex()}", "missing from the node store, although a committed "
                         "state root refers to it")


def key_text(key: bytes) -> str:
    """A state key for messages: its text when printable, else hex."""
    try:
        text = key.decode()
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return "0x" + key.hex()


def recovery_advice(home: str | None, engine: str | None) -> str:
    """How to recover, for this node's engine (both when it is not known)."""
    data = os.path.join(home, "data") if home else "<home>/data"
    backup = (f"restore {data} from a backup (copied while the node was stopped, "
              f"then check it with `fae verify --home {home or '<home>'}`)")
    cometbft = (f"stop this node, move {data} aside (keep it for inspection) and start the node again: "
                "its fresh ledger reports height 0 at the ABCI handshake and CometBFT re-executes every "
                "block from its own block store, then catches up from the other validators")
    if engine == "cometbft":
        return f"To recover: {cometbft}; or {backup}."
    if engine == "solo":
        return (f"To recover: {backup}. A solo node holds the only copy of its chain, so no peer can "
                "re-send its blocks.")
    return (f"To recover: on a CometBFT network, {cometbft}; a solo node can only {backup} "
            "(no peer holds its blocks).")


# -- SQLite's own check ---------------------------------------------------------------------------
def quick_check(conn: sqlite3.Connection, limit: int = 5, full: bool = False) -> list[tuple[str | None, str]]:
    """The problems `PRAGMA quick_check` (with `full`, `integrity_check`, which also holds
    every index against its table) reports, empty when it says ok; each with the table
    (or index) it is about when that can be told."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}({int(limit)})").fetchall()]
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        return _per_table(conn, pragma, exc)
    if rows == ["ok"]:
        return []
    out = []
    for line in rows:
        for part in str(line).splitlines():
            part = part.strip()
            if part and not part.startswith("*** in database"):
                out.append((table_of_message(conn, part), part))
    return out or [(None, str(rows))]


def _per_table(conn: sqlite3.Connection, pragma: str, exc: BaseException) -> list[tuple[str | None, str]]:
    """The check stopped on an unreadable page: run it table by table to name the table
    (re-raises `exc` when even the schema cannot be read)."""
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()]
    except READ_ERRORS:
        raise exc from None
    out: list[tuple[str | None, str]] = []
    for table in tables:
        try:
            rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}({table})").fetchall()]
        except READ_ERRORS as err:
            out.append((table, f"SQLite cannot read it: {err}"))
            continue
        out.extend((table, str(r)) for r in rows if r != "ok")
    return out or [(None, f"SQLite cannot read it: {exc}")]


def table_of_message(conn: sqlite3.Connection, message: str) -> str | None:
    """The table (or index) a quick_check message is about, when it can be told."""
    m = re.search(r"\bTree (\d+)", message)
    try:
        if m:
            row = conn.execute("SELECT name FROM sqlite_master WHERE rootpage=?", (int(m.group(1)),)).fetchone()
            if row:
                return str(row[0])
        m = re.search(r"\b[Pp]age (\d+)", message)
        if m:
            row = conn.execute("SELECT name FROM dbstat WHERE pageno=?", (int(m.group(1)),)).fetchone()
            if row:
                return str(row[0])
    except sqlite3.Error:
        pass
    return None


# what reading a damaged database file can raise (a damaged schema's text may not even decode)
READ_ERRORS = (sqlite3.DatabaseError, UnicodeDecodeError)


def is_corruption(exc: BaseException) -> bool:
    """SQLite says the file itself is damaged (not busy, locked or misused)."""
    if type(exc) is sqlite3.DatabaseError or isinstance(exc, UnicodeDecodeError):  # SQLITE_CORRUPT / NOTADB
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.Error) and ("malformed" in text or "not a database" in text)


def file_damage(path: str, exc: BaseException) -> StorageDamaged:
    reason = str(exc)
    if isinstance(exc, UnicodeDecodeError):
        reason = "the database schema (or a text SQLite reports) no longer decodes: damaged"
    return StorageDamaged("file", path, f"SQLite cannot read it: {reason}{size_note(path)}")


def size_note(path: str) -> str:
    """' (the file has N bytes; its header says M pages of P bytes)' when the header is readable."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError:
        return ""
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return f" (the file has {size} bytes and no SQLite header: truncated or overwritten)"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    if pages and size < pages * page:
        return f" (the file has {size} bytes; its header says {pages} pages of {page} bytes: truncated)"
    return f" (the file has {size} bytes)"


def wal_note(path: str) -> str | None:
    """A note when `<path>-wal` ends inside a frame: it was cut short (truncated), or the
    node stopped while writing it. SQLite then keeps the transactions before the cut and
    drops the rest, so the ledger may end below what the node had committed (the head
    mark tells)."""
    wal = path + "-wal"
    try:
        size = os.path.getsize(wal)
        with open(wal, "rb") as f:
            head = f.read(32)
    except OSError:
        return None
    if size == 0:
        return None
    if len(head) < 32 or int.from_bytes(head[:4], "big") not in (0x377F0682, 0x377F0683):
        return f"the write-ahead log {wal} has no valid header ({size} bytes): SQLite ignores it"
    page = int.from_bytes(head[8:12], "big")
    frame = 24 + page
    if page < 512 or (size - 32) % frame:
        return (f"the write-ahead log {wal} ends inside a frame ({size} bytes; frames of {frame}): it was truncated or "
                "the node stopped while writing it; what follows the last whole transaction is dropped")
    return None


def check_file(path: str) -> None:
    """Refuse a database file that cannot be a ledger before SQLite touches it (SQLite
    would take an empty file for a new, empty database)."""
    if not os.path.exists(path):
        return
    size = os.path.getsize(path)
    if size == 0:
        raise StorageDamaged("file", path, "the database file is empty (0 bytes): it was truncated")
    if size < 100:
        raise StorageDamaged("file", path, f"the database file has only {size} bytes: it was truncated")
    with open(path, "rb") as f:
        head = f.read(100)
    if not head.startswith(b"SQLite format 3\x00"):
        raise StorageDamaged("file", path, "the database file does not start with the SQLite header: "
                             "overwritten or damaged")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    wal = path + "-wal"
    if page >= 512 and size % page and not (os.path.exists(wal) and os.path.getsize(wal) > 32):
        # SQLite writes whole pages; only a checkpoint cut short by a power cut leaves a partial
        # last page, and then the write-ahead log still holds it
        raise StorageDamaged("file", path, f"the database file has {size} bytes, not a whole number of "
                             f"{page}-byte pages: it was truncated")


# -- the head mark ---------------------------------------------------------------------------------
class HeadMark:
    """`<db>.head`: the height and block hash this node last committed, rewritten in place
    after every commit (one small write, no fsync: it may lag the ledger after a power cut,
    never lead it). A ledger ending below its mark has lost committed blocks."""

    WIDTH = 20

    def __init__(self, db_path: str) -> None:
        self.path = db_path + MARK_SUFFIX

    def read(self) -> tuple[int, bytes] | None:
        """(height, block hash) or None when there is no readable mark."""
        try:
            with open(self.path, "rb") as f:
                text = f.read(200).decode("ascii")
            height, block_hash = text.split()
            return int(height), bytes.fromhex(block_hash)
        except (OSError, ValueError, UnicodeDecodeError):
            return None

    def write(self, height: int, block_hash: bytes) -> None:
        line = f"{height:0{self.WIDTH}d} {block_hash.hex()}\n".encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, line, 0)  # same length every time: the file is never half old, half new
            finally:
                os.close(fd)
        except OSError as exc:  # a safety net; never stop the chain over it
            log.warning("cannot write the head mark %s: %s", self.path, exc)

    def on_commit(self, result: Any) -> None:
        """An `Application.listeners` hook."""
        self.write(result.height, result.block_hash)


# -- values against their leaves -------------------------------------------------------------------
class ValueChecker:
    """`Store.check_value`: a state value read from `kv` must be what the Merkle leaf of the
    block that wrote it says (the leaf holds hash(key) and hash(value); a deletion, None,
    must be absent). A row that passed is remembered, bytes and all (within a budget of
    `max_bytes`): reading it again costs a comparison with those bytes instead of a hash
    and a tree walk, and a row damaged after its first read still fails the comparison
    and is then looked up again."""

    def __init__(self, store: Store, hasher: Callable[[bytes], bytes], max_roots: int = 4096,
                 max_bytes: int = 32 << 20) -> None:
        from faechain.ledger.smt import SparseMerkleTree

        self.store = store
        self.hash = hasher
        self.tree = SparseMerkleTree(hasher, store, source_checks=store.verify_nodes_with(hasher))
        self._roots: dict[int, bytes] = {}
        self._max_roots = max_roots
        self._good: dict[tuple[bytes, int], bytes | None] = {}  # (key, height) -> the value that checked out
        self._good_bytes = 0
        self._max_bytes = max_bytes

    def know_root(self, height: int, root: bytes) -> None:
        """Take `root` as block `height`'s app hash without reading its header (the caller
        has just checked it: the startup check, for the head)."""
        self._roots[height] = root

    def root(self, height: int) -> bytes:
        """Block `height`'s app hash, from its stored header (remembered)."""
        root = self._roots.get(height)
        if root is None:
            root = block_app_hash(self.store, self.hash, height)
            if len(self._roots) >= self._max_roots:
                self._roots.clear()
            self._roots[height] = root
        return root

    def __call__(self, key: bytes, height: int, value: bytes | None) -> None:
        row = (key, height)
        good = self._good.get(row, _UNSEEN)
        if good is not _UNSEEN and good == value:
            return
        want = None if value is None else self.hash(value)
        got, _, _ = self.tree.lookup(self.root(height), self.hash(key))
        if got != want:
            what = ("its value does not match the Merkle leaf" if got is not None and want is not None else
                    "it is stored but absent from the state" if got is None else
                    "a deletion is stored but the state still holds the key")
            raise StorageDamaged("kv", f"key {key_text(key)} at height {height}",
                                 f"{what} of the app hash block {height} committed", height=height,
                                 recovery=self.store.recovery)
        size = len(key) + (len(value) if value is not None else 0) + 64
        if self._good_bytes + size > self._max_bytes:
            self._good.clear()
            self._good_bytes = 0
        self._good[row] = value
        self._good_bytes += size


_UNSEEN = object()


def block_app_hash(store: Store, hasher: Callable[[bytes], bytes], height: int) -> bytes:
    """The app hash in block `height`'s header, after checking the header against its hash."""
    from faechain.core.block import Header
    from faechain.core.encoding import EncodingError

    row = store.block(height)
    if row is None:
        raise StorageDamaged("blocks", f"height {height}", "the block is missing, although state was written at "
                             "that height", height=height)
    block_hash, header = row
    if hasher(header) != block_hash:
        raise StorageDamaged("blocks", f"height {height}", "the header does not hash to the stored block hash",
                             height=height)
    try:
        return Header.decode(header).app_hash
    except (EncodingError, TypeError) as exc:
        raise StorageDamaged("blocks", f"height {height}", f"the header does not decode: {exc}",
                             height=height) from None


# -- the startup check ---------------------------------------------------------------------------
@dataclass
class StartupReport:
    height: int = -1
    seconds: float = 0.0
    quick_check_seconds: float = 0.0
    values_checked: int = 0
    notes: list[str] = field(default_factory=list)


def check_startup(store: Store, genesis: Genesis, *, mark: HeadMark | None = None, engine: str | None = None,
                  samples: int = DEFAULT_SAMPLES, rng: random.Random | None = None) -> StartupReport:
    """Raise StorageDamaged unless the ledger in `store` is fit to serve (see the module
    docstring for what is checked). Reads only."""
    started = time.perf_counter()
    report = StartupReport()
    conn = store.read
    try:
        problems = quick_check(conn)
        report.quick_check_seconds = time.perf_counter() - started
        if problems:
            raise StorageDamaged(problems[0][0] or "file", store.path if problems[0][0] is None else "",
                                 "SQLite's quick_check failed: " + "; ".join(m for _, m in problems[:3]))
        began = not conn.in_transaction
        if began:
            conn.execute("BEGIN")
        try:
            _check_ledger(store, conn, genesis, report, mark, engine, samples, rng or random.Random())
        finally:
            if began and conn.in_transaction:
                conn.execute("ROLLBACK")
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        if is_corruption(exc):
            raise file_damage(store.path, exc) from None
        raise
    report.seconds = time.perf_counter() - started
    return report


def _check_ledger(store: Store, conn: sqlite3.Connection, genesis: Genesis, report: StartupReport,
                  mark: HeadMark | None, engine: str | None, samples: int, rng: random.Random) -> None:
    from faechain.core.encoding import EncodingError, decode, encode
    from faechain.crypto.suite import get_suite

    hasher = get_suite(genesis.suite).hash
    head_raw = _one(conn, "SELECT v FROM meta WHERE k='head'")
    marked = mark.read() if mark is not None else None
    if head_raw is None:
        if _one(conn, "SELECT 1 FROM blocks LIMIT 1") is not None:
            raise StorageDamaged("meta", "head", "the head record is missing although blocks are stored")
        if mark is not None and marked is not None:
            _lost_blocks(-1, marked, mark, engine, report)
        return  # a new ledger: the node writes genesis
    try:
        head = decode(head_raw)
        if not (type(head) is dict and type(head.get("height")) is int and head["height"] >= 0
                and type(head.get("block_hash")) is bytes and type(head.get("app_hash")) is bytes
                and type(head.get("time")) is int):
            raise EncodingError("not a map of height, app_hash, block_hash and time")
    except EncodingError as exc:
        raise StorageDamaged("meta", "head", f"the head record does not decode: {exc}") from None
    height = head["height"]
    report.height = height
    if _one(conn, "SELECT v FROM meta WHERE k='genesis'") != encode(genesis.canonical()):
        raise StorageDamaged("meta", "genesis", "the stored genesis record differs from genesis.json "
                             "(damaged, or this database belongs to another chain)", height=0)
    beyond = _one(conn, "SELECT MAX(height) FROM blocks")
    if beyond is not None and beyond > height:
        raise StorageDamaged("blocks", f"height {beyond}", f"a block beyond the recorded head ({height})",
                             height=beyond)
    header = _check_header(conn, hasher, genesis, height, head)
    _check_head_txs(conn, hasher, height, header)
    _check_state(store, conn, hasher, height, header.app_hash, report, samples, rng)
    if mark is not None and marked is not None:
        mark_height, mark_hash = marked
        if mark_height > height:
            _lost_blocks(height, marked, mark, engine, report)
        else:
            row = conn.execute("SELECT hash FROM blocks WHERE height=?", (mark_height,)).fetchone()
            if row is None or row[0] != mark_hash:
                raise StorageDamaged("blocks", f"height {mark_height}", "not the block this node committed at that "
                                     f"height (its hash is in {mark.path})", height=mark_height)


def _lost_blocks(height: int, marked: tuple[int, bytes], mark: HeadMark, engine: str | None,
                 report: StartupReport) -> None:
    what = (f"the ledger ends at height {height}" if height >= 0 else "the ledger is empty") + \
        f" but this node had committed blocks up to height {marked[0]} ({mark.path})"
    if engine == "cometbft":
        note = f"{what}: CometBFT replays the missing blocks from its block store at the handshake"
        log.warning("%s", note)
        report.notes.append(note)
        return
    raise StorageDamaged("meta", "head", f"{what}: committed blocks were lost (a truncated write-ahead log, or "
                         "an older copy of the database put back; if you restored a backup on purpose, delete "
                         f"{mark.path} to accept its head)", height=height + 1)


def _check_header(conn: sqlite3.Connection, hasher: Callable[[bytes], bytes], genesis: Genesis, height: int,
                  head: dict[str, Any]) -> Header:
    from faechain.core.encoding import encode

    header = _decode_block(conn, hasher, genesis, height)
    block_hash = _one(conn, "SELECT hash FROM blocks WHERE height=?", (height,))
    if block_hash != head["block_hash"] or header.app_hash != head["app_hash"] or header.time != head["time"]:
        raise StorageDamaged("meta", "head", f"the head record does not match block {height}", height=height)
    if height == 0:
        if header.prev != hasher(encode(genesis.canonical())):
            raise StorageDamaged("blocks", "height 0", "the genesis header does not point at hash(genesis document)",
                                 height=0)
    else:
        _decode_block(conn, hasher, genesis, height - 1)
        prev_hash = _one(conn, "SELECT hash FROM blocks WHERE height=?", (height - 1,))
        if header.prev != prev_hash:
            raise StorageDamaged("blocks", f"height {height}", f"prev does not link to the hash of block {height - 1}",
                                 height=height)
    return header


def _decode_block(conn: sqlite3.Connection, hasher: Callable[[bytes], bytes], genesis: Genesis,
                  height: int) -> Header:
    from faechain.ledger.served import decode_header

    row = conn.execute("SELECT hash, header FROM blocks WHERE height=?", (height,)).fetchone()
    if row is None:
        raise StorageDamaged("blocks", f"height {height}", "the block is missing", height=height)
    return decode_header(hasher, genesis.chain_id, height, row[0], row[1])


def _check_head_txs(conn: sqlite3.Connection, hasher: Callable[[bytes], bytes], height: int,
                    header: Header) -> None:
    from faechain.ledger.served import check_block_rows

    check_block_rows(conn, hasher, height, header)


def _check_state(store: Store, conn: sqlite3.Connection, hasher: Callable[[bytes], bytes], height: int,
                 app_hash: bytes, report: StartupReport, samples: int,
                 rng: random.Random) -> None:
    from faechain.ledger.smt import EMPTY, SparseMerkleTree

    tree = SparseMerkleTree(hasher, store, source_checks=store.verify_nodes_with(hasher))
    if app_hash != EMPTY:
        tree.node(app_hash)  # present, and the bytes its hash addresses
    check = ValueChecker(store, hasher)
    # what the last block that wrote state wrote (the head, or before a run of empty blocks):
    # every one of those values is still the latest, so it must be under the head's root
    last = _one(conn, "SELECT MAX(height) FROM kv")
    if last is not None:
        check.know_root(last, app_hash if last == height else check.root(last))
        for key, value in conn.execute("SELECT key, value FROM kv WHERE height=?", (last,)):
            got, _, _ = tree.lookup(app_hash, hasher(key))
            if got != (None if value is None else hasher(value)):
                check(key, last, value)  # names the row (raises), unless it is the newer root that is wrong
                raise StorageDamaged("kv", f"key {key_text(key)} at height {last}", "the latest value does not "
                                     f"match its Merkle leaf under the head's app hash (height {height})", height=last)
            report.values_checked += 1
    # and a sample of other keys' latest values, against the head's root
    lo = _one(conn, "SELECT MIN(key) FROM kv")
    hi = _one(conn, "SELECT MAX(key) FROM kv")
    if lo is None or samples <= 0:
        return
    a, b = int.from_bytes(lo[:8].ljust(8, b"\0"), "big"), int.from_bytes(hi[:8].ljust(8, b"\0"), "big")
    seen = set()
    for _ in range(samples):
        probe = rng.randint(a, max(a, b)).to_bytes(8, "big")
        row = conn.execute("SELECT key FROM kv WHERE key>=? ORDER BY key LIMIT 1", (probe,)).fetchone()
        if row is None or row[0] in seen:
            continue
        seen.add(row[0])
        latest = conn.execute("SELECT value FROM kv WHERE key=? ORDER BY height DESC LIMIT 1", (row[0],)).fetchone()
        got, _, _ = tree.lookup(app_hash, hasher(row[0]))
        want = None if latest[0] is None else hasher(latest[0])
        if got != want:
            last = _one(conn, "SELECT MAX(height) FROM kv WHERE key=?", (row[0],))
            raise StorageDamaged("kv", f"key {key_text(row[0])} at height {last}",
                                 f"its latest value does not match its Merkle leaf under the head's app hash "
                                 f"(height {height})", height=last)
        report.values_checked += 1


def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None
