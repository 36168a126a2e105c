"""Offline re-verification of a node's ledger: `verify_chain(store, genesis)`.

Trusts nothing the node derived; re-checks, for every height from 0 to the head:

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
  the header's app hash;
* height 0: the header and the state rows are exactly what the genesis document
  produces (re-run in a scratch database);
* the stored head (`meta.head`) names the last block.

It stops at the FIRST bad height and says why. Nothing is written: all reads run in
one read transaction, so a consistent snapshot is checked even beside a running node.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from faechain.crypto import certs
from faechain.crypto.suite import SuiteError, get_suite
from faechain.ledger.block import Header, end_block_record
from faechain.ledger.encoding import EncodingError, decode, encode
from faechain.ledger.merkle import merkle_root
from faechain.ledger.smt import EMPTY, SparseMerkleTree
from faechain.ledger.tx import Tx, TxError, decode_tx

# Receipt codes given before the signer was authenticated (decode, envelope, replay,
# signer and signature checks). Every other code means the signature verified and the
# transaction's hash was spent in the replay guard.
UNAUTHENTICATED_CODES = frozenset(
    {
        "bad_encoding", "too_large", "wrong_chain", "tx_expired", "unknown_contract", "unknown_method",
        "replay", "revoked", "unknown_signer", "bad_certificate", "not_member", "bad_signature",
    }
)
UNDECODABLE_CODES = frozenset({"bad_encoding", "too_large"})
RECEIPT_FIELDS = frozenset({"tx", "height", "index", "code", "message", "result", "events"})
CERT_PREFIX = b"membership/cert/"


@dataclass
class VerifyReport:
    ok: bool
    blocks: int  # blocks that verified (height 0 .. first bad - 1, or all of them)
    first_bad_height: int | None = None
    reason: str = ""
    txs: int = 0  # transactions checked in the verified blocks
    head: int = -1  # the stored head height (-1 if none is recorded)

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.blocks} blocks, {self.txs} transactions verified"
        return f"block {self.first_bad_height}: {self.reason}"


class _Bad(Exception):
    """The block under check is bad; the message says why."""


class _NoNodes:
    def get_node(self, node_hash: bytes) -> bytes | None:
        return None


class _Grouped:
    """Rows of a query ordered by height (first column), handed out one height at a time."""

    def __init__(self, rows: Iterator[tuple]):
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, height: int) -> list[tuple]:
        """The rows at `height`; rows at lower heights (never asked for) are skipped."""
        out = []
        while self._next is not None and self._next[0] <= height:
            if self._next[0] == height:
                out.append(self._next[1:])
            self._next = next(self._rows, None)
        return out


def verify_chain(store: Any, genesis: Any, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Re-check the whole chain in `store` against `genesis`; report the first bad height.

    `store` is a `faechain.ledger.storage.Store` (only its read connection is used);
    `genesis` the chain's `Genesis`. `progress(height)` is called after each good block.
    """
    conn: sqlite3.Connection = store.read
    began = False
    if not conn.in_transaction:
        conn.execute("BEGIN")
        began = True
    try:
        return _Verifier(conn, genesis, progress).run()
    finally:
        if began and conn.in_transaction:
            conn.execute("ROLLBACK")


class _Verifier:
    def __init__(self, conn: sqlite3.Connection, genesis: Any, progress: Callable[[int], None] | None):
        self.conn = conn
        self.genesis = genesis
        self.progress = progress
        self.suite = get_suite(genesis.suite)
        self.hash = self.suite.hash
        self.tree = SparseMerkleTree(self.hash, _NoNodes())
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
                return self._report(0, 0, f"the stored head record is malformed: {exc}", -1)
        head_height = head["height"] if head is not None else -1
        last = head_height
        for sql in ("SELECT MAX(height) FROM blocks", "SELECT MAX(height) FROM txs", "SELECT MAX(height) FROM kv",
                    "SELECT MAX(height) FROM events", "SELECT MAX(height) FROM tx_by_hash"):
            m = _one(c, sql)
            if m is not None and m > last:
                last = m
        if last < 0:
            return self._report(0, 0, "the ledger is empty: no genesis block", -1)

        blocks = _Grouped(c.execute("SELECT height, hash, header FROM blocks ORDER BY height"))
        txs = _Grouped(c.execute("SELECT height, idx, hash, envelope, receipt FROM txs ORDER BY height, idx"))
        kv = _Grouped(c.execute("SELECT height, key, value FROM kv ORDER BY height, key"))
        events = _Grouped(c.execute("SELECT height, idx, n, contract, type, data FROM events ORDER BY height, idx, n"))
        spent = _Grouped(c.execute("SELECT height, idx, hash, expires FROM tx_by_hash ORDER BY height, idx"))

        prev: Header | None = None
        prev_hash = b""
        for height in range(last + 1):
            try:
                if height > head_height:
                    raise _Bad("block data beyond the recorded head" if head_height >= 0
                               else "no head is recorded (meta 'head' missing)")
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
                self._check_txs(height, header, tx_rows, ev_rows, spent_rows, kv_rows)
                self._check_state(header, kv_rows)
                if height == head_height:
                    self._check_head(head, header, block_hash)
            except _Bad as exc:
                return self._report(height, height, str(exc), head_height)
            prev, prev_hash = header, block_hash
            if self.progress is not None:
                self.progress(height)
        return VerifyReport(True, last + 1, None, "", self.txs_checked, head_height)

    def _report(self, blocks: int, bad: int, reason: str, head: int) -> VerifyReport:
        return VerifyReport(False, blocks, bad, reason, self.txs_checked, head)

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
            raise _Bad("the stored head record does not match this block")

    # -- genesis ----------------------------------------------------------------------
    def _check_genesis(self, header_bytes: bytes, tx_rows, kv_rows, ev_rows, spent_rows) -> None:
        stored = _one(self.conn, "SELECT v FROM meta WHERE k='genesis'")
        if stored != encode(self.genesis.canonical()):
            raise _Bad("the stored genesis document differs from the one given")
        if tx_rows or ev_rows or spent_rows:
            raise _Bad("the genesis block has transactions or events")
        want_header, want_kv = _genesis_block(self.genesis)
        if header_bytes != want_header:
            raise _Bad("genesis header differs from the one the genesis document produces")
        if [tuple(r) for r in kv_rows] != want_kv:
            raise _Bad("genesis state differs from the state the genesis document produces")

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
                raise _Bad(f"transaction index {expected_idx} is missing")
            where = f"transaction {idx}"
            try:
                receipt = decode(receipt_bytes)
            except EncodingError as exc:
                raise _Bad(f"{where}: receipt does not decode: {exc}") from None
            if type(receipt) is not dict or receipt.keys() != RECEIPT_FIELDS:
                raise _Bad(f"{where}: receipt does not have the receipt fields")
            if receipt["tx"] != tx_hash or receipt["height"] != height or receipt["index"] != idx:
                raise _Bad(f"{where}: receipt names another transaction, height or index")
            code = receipt["code"]
            if type(code) is not str or type(receipt["events"]) is not list:
                raise _Bad(f"{where}: receipt code or events malformed")
            try:
                tx = decode_tx(envelope, self.hash)
            except TxError:
                tx = None
            if tx is None:
                if code not in UNDECODABLE_CODES:
                    raise _Bad(f"{where}: envelope does not decode but its receipt says {code!r}")
                if tx_hash != self.hash(envelope):
                    raise _Bad(f"{where}: stored hash is not the hash of the undecodable bytes")
            else:
                if code in UNDECODABLE_CODES:
                    raise _Bad(f"{where}: envelope decodes but its receipt says {code!r}")
                if tx_hash != tx.hash:
                    raise _Bad(f"{where}: stored hash is not hash(body)")
                if code not in UNAUTHENTICATED_CODES:
                    self._check_signature(where, tx, must_verify=True)
                    want_spent.append((idx, tx_hash, tx.expires))
                elif code == "bad_signature":
                    self._check_signature(where, tx, must_verify=False)
            for n, ev in enumerate(receipt["events"]):
                if type(ev) is not dict or ev.keys() != {"contract", "type", "attrs"}:
                    raise _Bad(f"{where}: receipt event {n} malformed")
                want_events.append((idx, n, ev["contract"], ev["type"], encode(ev["attrs"])))
            hashes.append(tx_hash)
            receipt_hashes.append(self.hash(receipt_bytes))
        if merkle_root(self.hash, hashes) != header.txs_root:
            raise _Bad("txs_root does not match the stored transactions")
        # events of the contracts' end_block hooks sit after the last transaction and
        # add one results-root leaf (see Application._end_block)
        end_rows = [tuple(r) for r in ev_rows if r[0] == len(tx_rows)]
        if end_rows:
            try:
                end_events = [{"contract": c, "type": t, "attrs": decode(d)} for _, _, c, t, d in end_rows]
            except EncodingError as exc:
                raise _Bad(f"end-of-block event does not decode: {exc}") from None
            receipt_hashes.append(self.hash(end_block_record(end_events)))
            want_events.extend((len(tx_rows), n, ev["contract"], ev["type"], encode(ev["attrs"]))
                               for n, ev in enumerate(end_events))
        if merkle_root(self.hash, receipt_hashes) != header.results_root:
            raise _Bad("results_root does not match the stored receipts")
        if [tuple(r) for r in ev_rows] != want_events:
            raise _Bad("stored events differ from the events in the receipts")
        if [tuple(r) for r in spent_rows] != want_spent:
            raise _Bad("replay-guard rows differ from the authenticated transactions")
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
        except (SuiteError, certs.CertificateError, TypeError):
            return None
        return None

    def _check_signature(self, where: str, tx: Tx, must_verify: bool) -> None:
        key = self._public_key(tx)
        if key is None:
            if must_verify:
                raise _Bad(f"{where}: the signer's public key is neither registered nor attached")
            return
        good = key.verify(tx.signature, tx.sign_bytes)
        if must_verify and not good:
            raise _Bad(f"{where}: the signature does not verify")
        if not must_verify and good:
            raise _Bad(f"{where}: the receipt says bad_signature but the signature verifies")

    # -- state --------------------------------------------------------------------------
    def _check_state(self, header: Header, kv_rows) -> None:
        h = self.hash
        changes = {h(k): (h(v) if v is not None else None) for k, v in kv_rows}
        if len(changes) != len(kv_rows):
            raise _Bad("two state keys hash alike")
        self.root = self.tree.update(self.root, changes)
        if self.root != header.app_hash:
            raise _Bad("app_hash does not match the state written by this block")
        self._compact()

    def _compact(self) -> None:
        """Drop tree nodes no longer reachable from the current root (bounded memory)."""
        pending = self.tree.pending
        if len(pending) < 4 * self.live_nodes + 100_000:
            return
        live: dict[bytes, bytes] = {}
        stack = [self.root]
        while stack:
            node_hash = stack.pop()
            if node_hash == EMPTY or node_hash in live:
                continue
            enc = pending[node_hash]
            live[node_hash] = enc
            if enc[0] == 1:
                stack.append(enc[1:33])
                stack.append(enc[33:65])
        self.tree.pending = live
        self.live_nodes = len(live)


def _one(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> Any:
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def _genesis_block(genesis: Any) -> tuple[bytes, list[tuple[bytes, bytes | None]]]:
    """(header bytes, sorted kv rows) of height 0 as a fresh node computes them."""
    from faechain.application import Application  # late: the application imports the ledger
    from faechain.ledger.storage import Store

    with tempfile.TemporaryDirectory(prefix="fae-verify-") as tmp:
        store = Store(os.path.join(tmp, "genesis.db"), synchronous="OFF")
        try:
            Application(store, genesis)
            header = store.block(0)[1]
            rows = store.read.execute("SELECT key, value FROM kv WHERE height=0 ORDER BY key").fetchall()
        finally:
            store.read.close()
            store.close()
    return header, [tuple(r) for r in rows]
