"""Offline re-verification of a node's ledger.

`verify_chain(store, genesis)` trusts nothing the node derived; it re-checks, for every
height from 0 to the head:

* the block row exists, its header decodes canonically and hashes to the stored hash,
  and names this chain and this height; block time never goes backwards;
* `prev` links: height 0 points at hash(canonical genesis), every later header at the
  hash of the header before it;
* every transaction: the envelope decodes (or, if its receipt says it did not, really
  does not), its stored hash is hash(body), its receipt decodes canonically and names
  this transaction, height and index; the signature verifies with the signer's public
  key (from the registered `membership/cert/<hex>` record, else the attached
  certificate) whenever the receipt says the signer was authenticated;
* `txs_root` and `results_root` recomputed from the stored hashes and receipts;
* the event rows and the replay-guard rows (`tx_by_hash`) are exactly those the
  receipts imply;
* `app_hash`: that height's `kv` rows applied to an in-memory sparse Merkle tree give
  the header's app hash; when they do not, the stored Merkle tree of that app hash
  names the `kv` row that differs (or the node that is damaged);
* the Merkle nodes the block's state needs (`nodes`) are stored, byte for byte;
* height 0: the header and the state rows are exactly what the genesis document
  produces (re-run in a scratch database);
* the stored head (`meta.head`) names the last block.

It stops at the FIRST bad height and says which table and row failed which check.
`verify_store` adds what is not per block: SQLite's `integrity_check`, rows at impossible
heights, node rows that do not hash to their address, the head mark (blocks lost from
the end), and the derived data (the history index and the query index `idx`), which
is reported as derived and rebuildable (`repair_derived`). Nothing is written: all
reads run in one read transaction, so a consistent snapshot is checked even beside a
running node.

Why one file (over 500 lines): one replay: each check reads the state the earlier checks
built (registered keys, the Merkle tree, the replay guard).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from faechain.core.block import Header, end_block_record
from faechain.core.encoding import EncodingError, decode, decode_trusted, encode
from faechain.core.errors import UNAUTHENTICATED_CODES, UNDECODABLE_CODES
from faechain.core.merkle import merkle_root
from faechain.core.tx import Tx, TxError, decode_tx
from faechain.crypto import certs
from faechain.crypto.suite import SuiteError, get_suite
from faechain.ledger.integrity import READ_ERRORS, HeadMark, StorageDamaged, is_corruption, key_text, quick_check
from faechain.ledger.smt import EMPTY, LEAF, SparseMerkleTree

# Receipt codes given before the signer was authenticated (decode, envelope, replay,
# signer and signature checks). Every other code means the signature verified and the
# transaction's hash was spent in the replay guard.
RECEIPT_FIELDS = frozenset({"tx", "height", "index", "code", "message", "result", "events"})
CERT_PREFIX = b"membership/cert/"
HEIGHT_TABLES = ("blocks", "txs", "tx_by_hash", "events", "kv", "history_tx", "history")
DERIVED_TABLES = frozenset({"idx", "history_tx", "history"})

DAMAGED, DERIVED, NOTE = "damaged", "derived", "note"


@dataclass
class Finding:
    """One thing wrong (or worth knowing): `table` and `where` (height, index, key) name
    the item, `check` says what failed. kind: damaged | derived (rebuildable) | note."""

    table: str
    where: str
    check: str
    height: int | None = None
    kind: str = DAMAGED

    @property
    def item(self) -> str:
        return f"{self.table} {self.where}".strip()

    def __str__(self) -> str:
        return f"{self.item}: {self.check}"


@dataclass
class VerifyReport:
    ok: bool
    blocks: int  # blocks that verified (height 0 .. first bad - 1, or all of them)
    first_bad_height: int | None = None
    reason: str = ""  # what failed, for the first damaged item
    txs: int = 0  # transactions checked in the verified blocks
    head: int = -1  # the stored head height (-1 if none is recorded)
    table: str | None = None  # the table of the first damaged item
    where: str = ""  # its row: height, index, key
    findings: list[Finding] = field(default_factory=list)  # damaged first, then derived, then notes

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.blocks} blocks, {self.txs} transactions verified"
        first = self.first
        if first is None:
            return f"block {self.first_bad_height}: {self.reason}"
        prefix = f"block {first.height}: " if first.height is not None else ""
        return f"{prefix}{first}"

    @property
    def first(self) -> Finding | None:
        """The first damaged item (else the first derived one)."""
        for kind in (DAMAGED, DERIVED):
            for f in self.findings:
                if f.kind == kind:
                    return f
        return None

    @property
    def derived_only(self) -> bool:
        """Only derived, rebuildable data is wrong (`repair_derived` fixes it)."""
        kinds = {f.kind for f in self.findings}
        return DERIVED in kinds and DAMAGED not in kinds

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
        if finding.kind in (DAMAGED, DERIVED):
            was_ok, self.ok = self.ok, False
            if was_ok or (finding.kind == DAMAGED and self.table in DERIVED_TABLES):
                self.table, self.where, self.reason = finding.table, finding.where, finding.check
                if finding.height is not None and self.first_bad_height is None:
                    self.first_bad_height = finding.height
        self.findings.sort(key=lambda f: {DAMAGED: 0, DERIVED: 1}.get(f.kind, 2))


class _Bad(Exception):
    """The block under check is bad: which table and row, and why."""

    def __init__(self, check: str, table: str = "blocks", where: str | None = None):
        super().__init__(check)
        self.check = check
        self.table = table
        self.where = where


class _Nodes:
    """The verifier's own nodes (computed in memory: trusted)."""

    def __init__(self) -> None:
        self.known: dict[bytes, bytes] = {}

    def get_node(self, node_hash: bytes) -> bytes | None:
        return self.known.get(node_hash)


class _DbNodes:
    """The node store as it is on disk (the tree checks every node read from it)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def get_node(self, node_hash: bytes) -> bytes | None:
        row = self.conn.execute("SELECT enc FROM nodes WHERE hash=?", (node_hash,)).fetchone()
        return row[0] if row else None


class _Grouped:
    """Rows of a query ordered by height (first column), handed out one height at a time.
    A row SQLite cannot read (a damaged page) is reported as damage to `table`."""

    def __init__(self, rows: Iterator[tuple], table: str = ""):
        self.table = table
        self._rows = iter(rows)
        self._next = self._step(None)

    def _step(self, height: int | None):
        try:
            return next(self._rows, None)
        except READ_ERRORS as exc:
            if not is_corruption(exc):
                raise
            after = f" after height {height}" if height is not None else ""
            raise _Bad(f"SQLite cannot read the table's rows{after}: {exc}", self.table) from None

    def take(self, height: int) -> list[tuple]:
        """The rows at `height`; rows at lower heights (never asked for) are skipped."""
        out = []
        while self._next is not None and self._next[0] <= height:
            if self._next[0] == height:
                out.append(self._next[1:])
            self._next = self._step(height)
        return out


def _lenient_text(raw: bytes) -> str:
    """TEXT columns as stored, even when damage left them invalid UTF-8 (they then compare
    unequal instead of failing the read)."""
    return raw.decode("utf-8", "surrogateescape")


def verify_chain(store: Any, genesis: Any, progress: Callable[[int], None] | None = None, *,
                 nodes: bool = True) -> VerifyReport:
    """Re-check the whole chain in `store` against `genesis`; report the first bad height.

    `store` is a `faechain.ledger.storage.Store` (only its read connection is used);
    `genesis` the chain's `Genesis`. `progress(height)` is called after each good block.
    `nodes=False` skips the check of the stored Merkle nodes (the state is still
    recomputed from the `kv` rows).
    """
    conn: sqlite3.Connection = store.read
    began = False
    text_factory = conn.text_factory
    conn.text_factory = _lenient_text
    try:
        if not conn.in_transaction:
            conn.execute("BEGIN")
            began = True
        return _Verifier(conn, genesis, progress, nodes).run()
    finally:
        if began and conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.text_factory = text_factory


class _Verifier:
    def __init__(self, conn: sqlite3.Connection, genesis: Any, progress: Callable[[int], None] | None,
                 check_nodes: bool = True):
        self.conn = conn
        self.genesis = genesis
        self.progress = progress
        self.check_nodes = check_nodes
        self.suite = get_suite(genesis.suite)
        self.hash = self.suite.hash
        self.nodes = _Nodes()
        self.tree = SparseMerkleTree(self.hash, self.nodes, source_checks=True)  # computed here
        self.root = EMPTY
        self.live_nodes = 0
        self.cert_keys: dict[bytes, bytes | None] = {}  # signer id -> registered public key
        self.txs_checked = 0

    # -- driver ---------------------------------------------------------------------
    def run(self) -> VerifyReport:
        c = self.conn
        head_raw = _one(c, "SELECT v FROM meta WHERE k='head'")
        head = None
        if head_raw is not None:
            try:
                head = decode(head_raw)
                if type(head) is not dict or type(head.get("height")) is not int:
                    raise EncodingError("head record is not a map with a height")
            except EncodingError as exc:
                return self._report(0, 0, _Bad(f"the stored head record is malformed: {exc}", "meta", "head"), -1,
                                    at_height=False)
        head_height = head["height"] if head is not None else -1
        last = head_height
        for table in HEIGHT_TABLES[:5]:
            m = _one(c, f"SELECT MAX(height) FROM {table}")
            if m is not None and type(m) is not int:  # SQLite sorts a text or blob above every number
                return self._report(0, 0, _Bad(f"a row whose height is not a number ({m!r:.40})", table, "height"),
                                    head_height)
            if m is not None and m > last:
                last = m
            low = _one(c, f"SELECT MIN(height) FROM {table}")
            if low is not None and low < 0:
                return self._report(0, 0, _Bad(f"a row at height {low}, below the genesis block", table,
                                               f"height {low}"), head_height)
        if last < 0:
            return self._report(0, 0, _Bad("the ledger is empty: no genesis block", "meta", "head"), -1)

        try:
            blocks = _Grouped(c.execute("SELECT height, hash, header FROM blocks ORDER BY height"), "blocks")
            txs = _Grouped(c.execute("SELECT height, idx, hash, envelope, receipt FROM txs ORDER BY height, idx"),
                           "txs")
            kv = _Grouped(c.execute("SELECT height, key, value FROM kv ORDER BY height, key"), "kv")
            events = _Grouped(c.execute("SELECT height, idx, n, contract, type, data FROM events "
                                        "ORDER BY height, idx, n"), "events")
            spent = _Grouped(c.execute("SELECT height, idx, hash, expires FROM tx_by_hash ORDER BY height, idx"),
                             "tx_by_hash")
        except _Bad as exc:
            return self._report(0, 0, exc, head_height)

        prev: Header | None = None
        prev_hash = b""
        for height in range(last + 1):
            try:
                if height > head_height:
                    raise _Bad("block data beyond the recorded head" if head_height >= 0
                               else "no head is recorded (meta 'head' missing)",
                               *self._beyond(height, head_height))
                rows = blocks.take(height)
                if not rows:
                    raise _Bad("block is missing")
                block_hash, header_bytes = rows[0]
                header = self._check_header(height, block_hash, header_bytes, prev, prev_hash)
                tx_rows = txs.take(height)
                kv_rows = kv.take(height)
                ev_rows = events.take(height)
                spent_rows = spent.take(height)
                if height == 0:
                    self._check_genesis(header_bytes, tx_rows, kv_rows, ev_rows, spent_rows)
                # the state first: a signer's key registered by this block comes from its kv rows
                self._check_state(height, header, prev, kv_rows)
                self._check_txs(height, header, tx_rows, ev_rows, spent_rows, kv_rows)
                if head is not None and height == head_height:  # (head_height is -1 without a head)
                    self._check_head(head, header, block_hash)
            except _Bad as exc:
                return self._report(height, height, exc, head_height)
            except READ_ERRORS as exc:
                if not is_corruption(exc):
                    raise
                return self._report(height, height, _Bad(f"SQLite cannot read this block's rows: {exc}", "file"),
                                    head_height)
            except Exception as exc:  # noqa: BLE001 - damaged bytes must give a report, never a traceback
                return self._report(height, height, _Bad(f"cannot be checked: {type(exc).__name__}: {exc}"),
                                    head_height)
            prev, prev_hash = header, block_hash
            if self.progress is not None:
                self.progress(height)
        return VerifyReport(True, last + 1, None, "", self.txs_checked, head_height)

    def _beyond(self, height: int, head_height: int) -> tuple[str, str]:
        """(table, where) of the first row at `height`, past the recorded head."""
        if head_height < 0:
            return "meta", "head"
        for table in HEIGHT_TABLES[:5]:
            if _one(self.conn, f"SELECT 1 FROM {table} WHERE height=? LIMIT 1", (height,)) is not None:
                return table, f"height {height}"
        return "blocks", f"height {height}"

    def _report(self, blocks: int, bad: int, exc: _Bad, head: int, at_height: bool = True) -> VerifyReport:
        where = exc.where if exc.where is not None else f"height {bad}"
        report = VerifyReport(False, blocks, bad, exc.check, self.txs_checked, head, exc.table, where)
        report.findings.append(Finding(exc.table, where, exc.check, bad if at_height else None))
        return report

    # -- headers ----------------------------------------------------------------------
    def _check_header(self, height: int, block_hash: bytes, header_bytes: bytes, prev: Header | None,
                      prev_hash: bytes) -> Header:
        try:
            fields = decode(header_bytes)
            header = Header(**fields)
        except (EncodingError, TypeError) as exc:
            raise _Bad(f"header does not decode: {exc}") from None
        if header.encode() != header_bytes:
            raise _Bad("header is not canonical")
        if self.hash(header_bytes) != block_hash:
            raise _Bad("header does not hash to the stored block hash")
        if header.chain != self.genesis.chain_id:
            raise _Bad(f"header names chain {header.chain!r}, not {self.genesis.chain_id!r}")
        if header.height != height:
            raise _Bad(f"header says height {header.height}")
        for name in ("prev", "txs_root", "results_root", "app_hash"):
            value = getattr(header, name)
            if type(value) is not bytes or len(value) != 32:
                raise _Bad(f"header field {name} is not a 32-byte hash")
        if type(header.time) is not int or type(header.proposer) is not bytes:
            raise _Bad("header time or proposer has the wrong type")
        if height == 0:
            genesis_hash = self.hash(encode(self.genesis.canonical()))
            if header.prev != genesis_hash:
                raise _Bad("genesis header does not point at hash(canonical genesis document)")
        else:
            if header.prev != prev_hash:
                raise _Bad(f"prev does not link to the hash of block {height - 1}")
            if prev is not None and header.time < prev.time:
                raise _Bad("block time goes backwards")
        return header

    def _check_head(self, head: dict, header: Header, block_hash: bytes) -> None:
        if head.get("block_hash") != block_hash or head.get("app_hash") != header.app_hash \
                or head.get("time") != header.time:
            raise _Bad("the stored head record does not match this block", "meta", "head")

    # -- genesis ----------------------------------------------------------------------
    def _check_genesis(self, header_bytes: bytes, tx_rows, kv_rows, ev_rows, spent_rows) -> None:
        stored = _one(self.conn, "SELECT v FROM meta WHERE k='genesis'")
        if stored != encode(self.genesis.canonical()):
            raise _Bad("the stored genesis document differs from the one given", "meta", "genesis")
        if tx_rows or ev_rows or spent_rows:
            table = "txs" if tx_rows else "events" if ev_rows else "tx_by_hash"
            raise _Bad("the genesis block has transactions or events", table)
        want_header, want_kv = _genesis_block(self.genesis)
        if header_bytes != want_header:
            raise _Bad("genesis header differs from the one the genesis document produces")
        got = [tuple(r) for r in kv_rows]
        if got != want_kv:
            where, what = _first_difference(got, want_kv, lambda r: f"key {key_text(r[0])} at height 0")
            raise _Bad(f"genesis state differs from the state the genesis document produces ({what})", "kv", where)

    # -- transactions -----------------------------------------------------------------
    def _check_txs(self, height: int, header: Header, tx_rows, ev_rows, spent_rows, kv_rows) -> None:
        # public keys registered by this block are usable by its own transactions
        for key, value in kv_rows:
            if key.startswith(CERT_PREFIX):
                self._note_cert(key, value)
        want_events, want_spent = [], []
        hashes, receipt_hashes = [], []
        for expected_idx, (idx, tx_hash, envelope, receipt_bytes) in enumerate(tx_rows):
            if idx != expected_idx:
                raise _Bad(f"transaction index {expected_idx} is missing", "txs",
                           f"height {height} index {expected_idx}")
            where = f"transaction {idx}"
            row = f"height {height} index {idx}"
            try:
                receipt = decode(receipt_bytes)
            except EncodingError as exc:
                raise _Bad(f"{where}: receipt does not decode: {exc}", "txs", row) from None
            if type(receipt) is not dict or receipt.keys() != RECEIPT_FIELDS:
                raise _Bad(f"{where}: receipt does not have the receipt fields", "txs", row)
            if receipt["tx"] != tx_hash or receipt["height"] != height or receipt["index"] != idx:
                raise _Bad(f"{where}: receipt names another transaction, height or index "
                           "(or the stored transaction hash is damaged)", "txs", row)
            code = receipt["code"]
            if type(code) is not str or type(receipt["events"]) is not list:
                raise _Bad(f"{where}: receipt code or events malformed", "txs", row)
            try:
                tx = decode_tx(envelope, self.hash)
            except TxError:
                tx = None
            if tx is None:
                if code not in UNDECODABLE_CODES:
                    raise _Bad(f"{where}: envelope does not decode but its receipt says {code!r}", "txs", row)
                if tx_hash != self.hash(envelope):
                    raise _Bad(f"{where}: stored hash is not the hash of the undecodable bytes", "txs", row)
            else:
                if code in UNDECODABLE_CODES:
                    raise _Bad(f"{where}: envelope decodes but its receipt says {code!r}", "txs", row)
                if tx_hash != tx.hash:
                    raise _Bad(f"{where}: stored hash is not hash(body)", "txs", row)
                if tx.cert is not None and code != "bad_certificate" and self.hash(tx.cert) != tx.signer:
                    # the header commits to the body only; an attached certificate is the signer's own
                    # (the signer id is its hash): the chain refuses another when it registers a signer,
                    # and faechain clients never attach another (docs/integrity.md)
                    raise _Bad(f"{where}: the attached certificate does not hash to the signer id", "txs", row)
                if code not in UNAUTHENTICATED_CODES:
                    self._check_signature(where, row, tx, must_verify=True)
                    want_spent.append((idx, tx_hash, tx.expires))
                elif code == "bad_signature":
                    self._check_signature(where, row, tx, must_verify=False)
            for n, ev in enumerate(receipt["events"]):
                if type(ev) is not dict or ev.keys() != {"contract", "type", "attrs"}:
                    raise _Bad(f"{where}: receipt event {n} malformed", "txs", row)
                want_events.append((idx, n, ev["contract"], ev["type"], encode(ev["attrs"])))
            hashes.append(tx_hash)
            receipt_hashes.append(self.hash(receipt_bytes))
        if merkle_root(self.hash, hashes) != header.txs_root:
            raise _Bad("txs_root does not match the stored transactions", "txs")
        # events of the contracts' end_block hooks sit after the last transaction and
        # add one results-root leaf (see faechain.chain.execution.Executor.execute)
        n_txs = len(tx_rows)
        end_rows = [tuple(r) for r in ev_rows if r[0] == n_txs]
        end_where = f"height {height} index {n_txs}"
        if end_rows:
            try:
                end_events = [{"contract": c, "type": t, "attrs": decode(d)} for _, _, c, t, d in end_rows]
                receipt_hashes.append(self.hash(end_block_record(end_events)))
            except (EncodingError, ValueError) as exc:
                raise _Bad(f"end-of-block event does not decode: {exc}", "events", end_where) from None
            want_events.extend((n_txs, n, ev["contract"], ev["type"], encode(ev["attrs"]))
                               for n, ev in enumerate(end_events))
        if merkle_root(self.hash, receipt_hashes) != header.results_root:
            if end_rows:
                raise _Bad("results_root does not match the stored receipts and end-of-block events: a receipt "
                           f"of this block or one of its end-of-block events ({end_where}) was altered",
                           "txs/events")
            raise _Bad("results_root does not match the stored receipts: one of this block's receipts was "
                       "altered (the header commits to them as a whole)", "txs")
        got_events = [tuple(r) for r in ev_rows]
        if got_events != want_events:
            where, what = _first_difference(got_events, want_events,
                                            lambda r: f"height {height} index {r[0]} n {r[1]}")
            raise _Bad(f"stored events differ from the events in the receipts ({what})", "events", where)
        got_spent = [tuple(r) for r in spent_rows]
        if got_spent != want_spent:
            where, what = _first_difference(got_spent, want_spent, lambda r: f"height {height} index {r[0]}")
            raise _Bad(f"replay-guard rows differ from the authenticated transactions ({what})", "tx_by_hash", where)
        self.txs_checked += len(tx_rows)

    def _note_cert(self, key: bytes, value: bytes | None) -> None:
        signer_hex = key[len(CERT_PREFIX):].decode(errors="replace")
        try:
            signer = bytes.fromhex(signer_hex)
        except ValueError:
            return
        pub = None
        if value is not None:
            try:
                rec = decode(value)
                pub = rec.get("public_key") if type(rec) is dict else None
            except EncodingError:
                pub = None
        if pub is not None or signer not in self.cert_keys:
            self.cert_keys[signer] = pub

    def _public_key(self, tx: Tx):
        raw = self.cert_keys.get(tx.signer)
        try:
            if raw is not None:
                return self.suite.public_key(raw)
            if tx.cert is not None and self.hash(tx.cert) == tx.signer:
                return certs.public_key(self.suite, tx.cert)
        except (SuiteError, certs.CertificateError, TypeError, ValueError):
            return None
        return None

    def _check_signature(self, where: str, row: str, tx: Tx, must_verify: bool) -> None:
        key = self._public_key(tx)
        if key is None:
            if must_verify:
                raise _Bad(f"{where}: the signer's public key is neither registered nor attached", "txs", row)
            return
        good = key.verify(tx.signature, tx.sign_bytes)
        if must_verify and not good:
            raise _Bad(f"{where}: the signature does not verify", "txs", row)
        if not must_verify and good:
            raise _Bad(f"{where}: the receipt says bad_signature but the signature verifies", "txs", row)

    # -- state --------------------------------------------------------------------------
    def _check_state(self, height: int, header: Header, prev: Header | None, kv_rows) -> None:
        h = self.hash
        changes = {h(k): (h(v) if v is not None else None) for k, v in kv_rows}
        if len(changes) != len(kv_rows):
            raise _Bad("two state keys hash alike", "kv")
        before = self.root
        self.tree.pending = {}
        self.root = self.tree.update(self.root, changes)
        new_nodes = self.tree.pending
        self.tree.pending = {}
        self.nodes.known.update(new_nodes)
        if self.root != header.app_hash:
            raise self._locate_state_damage(height, header, before, kv_rows)
        if self.check_nodes:
            self._check_stored_nodes(height, new_nodes)
        self._compact()

    def _locate_state_damage(self, height: int, header: Header, before: bytes, kv_rows) -> _Bad:
        """The app hash the header commits to differs from the one the kv rows give: ask
        the stored Merkle tree of that app hash which row differs."""
        h = self.hash
        stored = SparseMerkleTree(h, _DbNodes(self.conn))
        try:
            for key, value in kv_rows:
                got, _, _ = stored.lookup(header.app_hash, h(key))
                want = None if value is None else h(value)
                if got != want:
                    what = ("its value is not the one this block committed" if got is not None and want is not None
                            else "this block's state does not hold the key" if got is None
                            else "a deletion is recorded but this block's state holds the key")
                    return _Bad(f"{what} (app_hash mismatch)", "kv", f"key {key_text(key)} at height {height}")
            written = {h(k) for k, _ in kv_rows}
            missing = sorted(_changed_leaves(stored, before, header.app_hash) - written)
            if missing:
                return _Bad(f"a state row is missing: key hash {missing[0].hex()} changed in the app_hash this block "
                            "committed, but no kv row of this height records it", "kv", f"height {height}")
        except StorageDamaged as exc:
            return _Bad(f"{exc.check} (app_hash of block {height} cannot be rebuilt from the kv rows, and the stored "
                        "tree is damaged too)", exc.table, exc.where)
        return _Bad("app_hash does not match the state written by this block", "kv")

    def _check_stored_nodes(self, height: int, new_nodes: dict[bytes, bytes]) -> None:
        """The nodes this block's state added must be in the node store, byte for byte."""
        hashes = list(new_nodes)
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            marks = ",".join("?" * len(chunk))
            stored = dict(self.conn.execute(f"SELECT hash, enc FROM nodes WHERE hash IN ({marks})", chunk).fetchall())
            for node_hash in chunk:
                enc = stored.get(node_hash)
                if enc is None:
                    raise _Bad(f"missing from the node store: block {height}'s state tree (app_hash) needs it",
                               "nodes", f"node {node_hash.hex()}")
                if enc != new_nodes[node_hash]:
                    raise _Bad(f"its bytes are not the node block {height} wrote: they no longer hash to its address",
                               "nodes", f"node {node_hash.hex()}")

    def _compact(self) -> None:
        """Drop tree nodes no longer reachable from the current root (bounded memory)."""
        known = self.nodes.known
        if len(known) < 4 * self.live_nodes + 100_000:
            return
        live: dict[bytes, bytes] = {}
        stack = [self.root]
        while stack:
            node_hash = stack.pop()
            if node_hash == EMPTY or node_hash in live:
                continue
            enc = known[node_hash]
            live[node_hash] = enc
            if enc[0] == 1:
                stack.append(enc[1:33])
                stack.append(enc[33:65])
        self.nodes.known = live
        self.live_nodes = len(live)


def _changed_leaves(tree: SparseMerkleTree, a: bytes, b: bytes) -> set[bytes]:
    """Key hashes whose leaf differs between the trees of roots `a` and `b` (equal
    subtrees are skipped, so the walk is as large as the change)."""
    if a == b:
        return set()
    ea = tree.node(a) if a != EMPTY else None
    eb = tree.node(b) if b != EMPTY else None
    if ea is None or eb is None or ea[0] == LEAF or eb[0] == LEAF:
        la = dict(tree.iter_leaves(a))
        lb = dict(tree.iter_leaves(b))
        return {k for k in la.keys() | lb.keys() if la.get(k) != lb.get(k)}
    return _changed_leaves(tree, ea[1:33], eb[1:33]) | _changed_leaves(tree, ea[33:65], eb[33:65])


def _first_difference(got: list, want: list, where: Callable[[tuple], str]) -> tuple[str, str]:
    """(where, what) of the first row that differs between stored and expected rows."""
    for i in range(max(len(got), len(want))):
        if i >= len(got):
            return where(want[i]), "a row is missing"
        if i >= len(want):
            return where(got[i]), "an unexpected row"
        if got[i] != want[i]:
            if got[i][:2] == want[i][:2] or len(got) == len(want):
                return where(got[i]), "the row differs"
            return where(got[i]), "the row is not the expected one"
    return "", "the rows differ"


def _one(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> Any:
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def _genesis_block(genesis: Any) -> tuple[bytes, list[tuple[bytes, bytes | None]]]:
    """(header bytes, sorted kv rows) of height 0 as a fresh node computes them."""
    from faechain.chain.application import Application  # late: the application imports the ledger
    from faechain.ledger.storage import Store

    with tempfile.TemporaryDirectory(prefix="fae-verify-") as tmp:
        store = Store(os.path.join(tmp, "genesis.db"), synchronous="OFF")
        try:
            Application(store, genesis)
            block = store.block(0)
            if block is None:
                raise RuntimeError("the application stored no genesis block")
            header = block[1]
            rows = store.read.execute("SELECT key, value FROM kv WHERE height=0 ORDER BY key").fetchall()
        finally:
            store.read.close()
            store.close()
    return header, [tuple(r) for r in rows]


# -- everything else in the database ---------------------------------------------------------------
def verify_store(store: Any, genesis: Any, *, derived: bool = True, mark: HeadMark | None = None,
                 engine: str | None = None, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """`verify_chain` and what is not per block: SQLite's integrity_check, node rows that do
    not hash to their address, the head `mark` (`<db>.head`: blocks lost from the end)
    and, with `derived`, the history and query indexes. Findings come damaged first, then
    derived (rebuildable), then notes. A file SQLite cannot read gives a `file` finding."""
    conn: sqlite3.Connection = store.read
    # The head mark is written after each commit, so reading it *before* the snapshot opens
    # means the snapshot's head is at least the marked height even while a node commits.
    marked = mark.read() if mark is not None else None
    began = False
    try:
        if not conn.in_transaction:
            conn.execute("BEGIN")  # one snapshot for every check below (WAL: readers see one state)
            began = True
        return _verify_snapshot(store, conn, genesis, derived, mark, marked, engine, progress)
    finally:
        if began and conn.in_transaction:
            conn.execute("ROLLBACK")


def _verify_snapshot(store: Any, conn: sqlite3.Connection, genesis: Any, derived: bool, mark: HeadMark | None,
                     marked: tuple[int, bytes] | None, engine: str | None,
                     progress: Callable[[int], None] | None) -> VerifyReport:
    try:
        problems = quick_check(conn, full=True)
    except READ_ERRORS as exc:
        if not is_corruption(exc):
            raise
        return damaged_database(store.path, exc)
    try:
        report = verify_chain(store, genesis, progress)
    except READ_ERRORS as exc:
        if not is_corruption(exc):
            raise
        report = damaged_database(store.path, exc)
    for table, message in problems:
        report.add(Finding(table or "file", "", f"SQLite's integrity_check: {message}"))
    try:
        if report.ok:
            _check_node_rows(conn, get_suite(genesis.suite).hash, report)
        if mark is not None and marked is not None:
            _check_mark(conn, mark, marked, report, engine)
        if derived and report.ok:
            for finding in check_derived(store, genesis):
                report.add(finding)
    except READ_ERRORS as exc:
        if not is_corruption(exc):
            raise
        report.add(damaged_database(store.path, exc).findings[0])
    return report


def _check_node_rows(conn: sqlite3.Connection, hasher: Callable[[bytes], bytes], report: VerifyReport) -> None:
    """Every stored node must hash to its address (nodes no root needs included)."""
    for node_hash, enc in conn.execute("SELECT hash, enc FROM nodes"):
        if type(enc) is not bytes or hasher(enc) != node_hash:
            report.add(Finding("nodes", f"node {node_hash.hex() if type(node_hash) is bytes else node_hash!r}",
                               "its bytes do not hash to its address (a damaged Merkle node row)"))
            return


def _check_mark(conn: sqlite3.Connection, mark: HeadMark, marked: tuple[int, bytes], report: VerifyReport,
                engine: str | None) -> None:
    """Blocks lost from the end: the ledger must reach the height the node marked (read
    before the snapshot) and hold the block it marked there."""
    height, block_hash = marked
    if height > report.head:
        what = (f"the ledger ends at height {report.head}" if report.head >= 0 else "the ledger is empty") + \
            f" but this node had committed blocks up to height {height} ({mark.path})"
        if engine == "cometbft":
            report.add(Finding("meta", "head", f"{what}: CometBFT replays the missing blocks from its block store "
                                               "when the node starts", kind=NOTE))
        else:
            report.add(Finding("meta", "head", f"{what}: committed blocks were lost (a truncated write-ahead log, "
                                               "or an older copy of the database put back; if you restored a backup "
                                               f"on purpose, delete {mark.path} to accept its head)", report.head + 1))
        return
    stored = _one(conn, "SELECT hash FROM blocks WHERE height=?", (height,))
    if stored is not None and stored != block_hash:
        report.add(Finding("blocks", f"height {height}", f"not the block this node committed at that height "
                                                         f"(its hash is in {mark.path})", height))


# -- derived data: the history index and the query index --------------------------------------------
def check_derived(store: Any, genesis: Any, limit: int = 1) -> list[Finding]:
    """Differences between the stored derived tables (history_tx, history, idx, the
    history version) and what the verified blocks and state give; each is rebuildable."""
    from faechain.ledger import history as _history
    from faechain.ledger.storage import HISTORY_META

    out: list[Finding] = []
    conn = store.read
    version = _one(conn, "SELECT v FROM meta WHERE k=?", (HISTORY_META,))
    if version != _history.HISTORY_VERSION:
        out.append(Finding("meta", HISTORY_META, f"the history index version is {version!r}, not "
                           f"{_history.HISTORY_VERSION!r} (the node re-indexes when it opens the database)",
                           kind=DERIVED))
    text_factory = conn.text_factory
    conn.text_factory = _lenient_text
    try:
        stored_tx, stored_refs = store.history_rows()
        want_tx, want_refs = [], []
        for h in list(store.all_heights()):
            t, r = store.compute_history(h)
            want_tx.extend(t)
            want_refs.extend(r)
        want_refs.sort()
        for table, got, want, where in (
            ("history_tx", stored_tx, [tuple(r) for r in want_tx], lambda r: f"height {r[0]} index {r[1]}"),
            ("history", stored_refs, [tuple(r) for r in want_refs],
             lambda r: f"ref {r[0]!r} height {r[1]} index {r[2]}"),
            ("idx", _stored_index(conn), expected_index(store),
             lambda r: f"{r[0]} {r[1]}={r[2]!r} key {key_text(r[3])}"),
        ):
            if got != want:
                row, what = _set_difference(got, want, where)
                out.append(Finding(table, row, f"{what} (derived data, rebuildable)", kind=DERIVED))
    finally:
        conn.text_factory = text_factory
    return out


def _set_difference(got: list, want: list, where: Callable[[tuple], str]) -> tuple[str, str]:
    extra = sorted(set(got) - set(want), key=repr)
    missing = sorted(set(want) - set(got), key=repr)
    if extra:
        also = f" ({len(missing)} missing)" if missing else ""
        return where(extra[0]), f"a row that the blocks and state do not give{also}"
    if missing:
        return where(missing[0]), "a row is missing"
    return "", "the rows are out of order or duplicated"


def _stored_index(conn: sqlite3.Connection) -> list[tuple]:
    return [tuple(r) for r in conn.execute("SELECT kind, field, value, key FROM idx ORDER BY kind, field, value, key")]


def expected_index(store: Any) -> list[tuple]:
    """The query index rows the latest state gives (what faechain.chain.persistence keeps)."""
    from faechain.chain.application import load_contracts

    contracts = {name: cls() for name, cls in load_contracts().items()}
    rows: set[tuple[str, str, str, bytes]] = set()
    live = store.read.execute(
        """SELECT key, value FROM kv AS a WHERE height=(SELECT MAX(height) FROM kv AS b WHERE b.key=a.key)
           AND value IS NOT NULL""")
    for key, value in live:
        try:
            parts = key.decode().split("/", 2)
        except UnicodeDecodeError:
            continue
        if len(parts) < 3:
            continue
        contract = contracts.get(parts[0])
        if contract is None or parts[1] not in contract.indexes:
            continue
        kind = f"{parts[0]}/{parts[1]}"
        rows.update((kind, f, v, key) for f, v in contract.index_rows(parts[1], decode_trusted(value)))
    return sorted(rows)


def repair_derived(store: Any) -> dict[str, int]:
    """Rebuild the history index and the query index from the blocks and the latest
    state (a writable `Store`; run it only on a chain `verify_chain` passes)."""
    records, refs = store.rebuild_history()
    rows = expected_index(store)
    store.replace_index(rows)
    return {"history_records": records, "history_refs": refs, "index_rows": len(rows)}


def damaged_database(path: str, exc: BaseException) -> VerifyReport:
    """The report for a database SQLite cannot read at all."""
    from faechain.ledger.integrity import file_damage

    damage = file_damage(path, exc) if is_corruption(exc) else StorageDamaged("file", path, f"cannot read it: {exc}")
    report = VerifyReport(False, 0, None, damage.check, table="file", where=path)
    report.findings.append(Finding("file", path, damage.check))
    return report
