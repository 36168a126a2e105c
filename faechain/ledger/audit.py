"""The audit trail: the history index's records rendered for a regulator, exported as CSV
or XLSX, and verified row by row against a node's stored blocks.

A *record* is one committed transaction (successful or rejected) or one block's
end-block events (index = the block's number of transactions). `record(store, h, i)`
gives everything about it: block hash and time, transaction hash, signer organisation
and certificate id, contract, method, arguments, receipt code and message, result and
events.

An export is one row per record, oldest first, with the columns of
`faechain.ledger.audit_columns` (format `faechain-audit/2`: bilingual headers, China-time
block times, the main amount in 元 beside its fen, organisation names beside their codes,
then the machine columns: hashes, canonical JSON of the arguments and events, unix ms), and
a description of itself, the *manifest* (`export_meta`): the format, the chain id, the
filter (`ref` or `org`), the height range, the block hash, app hash and time of the range's
last block, who exported it and when, so a reader can hold the file against any member's
node. The files (CSV with its manifest beside it or in one ZIP, or XLSX with the manifest
in its second sheet) are written and read by `faechain.ledger.audit_files`.

`verify_export(store, data, genesis)` re-reads every row against the stored blocks:
the block at that height has that hash (and its header hashes to it), that block time
and the export's chain; the transaction at that index has that hash, which is hash(its
signed body) and is in the header's transaction root; its receipt (in the results
root) has that code, message and events; the signer certificate and contract, method
and arguments are those of the signed body; the organisation is the certificate's; the
readable columns (time, names, amount, organisations named) are what the record gives.
End-block rows carry exactly the block's end-block events. The meta's last block
must match the node's, rows must be in order, inside the range, and as many as the
manifest says; and, where the node has the history index, no record of the filter and
range may be missing. A data CSV whose bytes differ from the manifest's SHA-256 though
every row checks out (saved again by a spreadsheet program) gets a note.

Why one file (over 500 lines): an export's rows and their row-by-row verification must
agree on how each column is derived from a record, so they are defined together.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from faechain.core.block import Header, end_block_record
from faechain.core.encoding import decode_trusted
from faechain.core.errors import UNAUTHENTICATED_CODES, UNDECODABLE_CODES
from faechain.core.merkle import merkle_root
from faechain.ledger import audit_columns as cols
from faechain.ledger import history as _history
from faechain.ledger import xlsx
from faechain.ledger.audit_files import TRUNCATED as TRUNCATED  # the files' API, re-exported for callers
from faechain.ledger.audit_files import CsvWriter as CsvWriter
from faechain.ledger.audit_files import Export as Export
from faechain.ledger.audit_files import ExportError as ExportError
from faechain.ledger.audit_files import csv_bytes as csv_bytes
from faechain.ledger.audit_files import manifest_bytes as manifest_bytes
from faechain.ledger.audit_files import read_export as read_export
from faechain.ledger.audit_files import write_zip as write_zip
from faechain.ledger.audit_files import xlsx_bytes as xlsx_bytes
from faechain.ledger.audit_files import zip_bytes as zip_bytes

if TYPE_CHECKING:
    from faechain.core.genesis import Genesis
    from faechain.ledger.storage import Store

Record = dict[str, Any]  # one record of the history, as `record` reads it (see the module doc)
Row = dict[str, str]  # one row of an export file as read back, by column

FORMAT = cols.FORMAT
COLUMNS = cols.COLUMNS
HEADERS = cols.HEADERS
MAX_XLSX_ROWS = 100_000


def jsonable(value: Any) -> Any:
    """A copy of a stored value with every bytes as lowercase hex (as the API renders it)."""
    t = type(value)
    if t is bytes:
        return value.hex()
    if t is dict:
        return {k: jsonable(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [jsonable(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces, bytes as lowercase hex (what rows hold)."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iso_time(ms: int) -> str:
    """Unix milliseconds as ISO 8601 UTC, e.g. 2026-04-17T08:30:00.123Z."""
    dt = _dt.datetime.fromtimestamp(ms // 1000, tz=_dt.UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


class Headers:
    """Block hash and decoded header by height, cached (an export reads each block often)."""

    def __init__(self, store: Store, size: int = 256) -> None:
        self.store = store
        self.size = size
        self.cache: dict[int, tuple[bytes, Header, bytes] | None] = {}

    def get(self, height: int) -> tuple[bytes, Header, bytes] | None:
        """(block hash, header, header bytes) or None."""
        if height in self.cache:
            return self.cache[height]
        row = self.store.block(height)
        value = (row[0], Header.decode(row[1]), row[1]) if row else None
        if len(self.cache) >= self.size:
            self.cache.pop(next(iter(self.cache)))
        self.cache[height] = value
        return value


def _authenticated(code: str, body: dict[str, Any] | None) -> bool:
    return body is not None and bool(code) and code not in UNAUTHENTICATED_CODES


def _signer_org(store: Store, height: int, body: dict[str, Any] | None, code: str,
                resolver: _history.OrgResolver) -> str:
    if body is None or not _authenticated(code, body) or type(body.get("signer")) is not bytes:
        return ""
    return resolver.org(body["signer"], body.get("_cert"), lambda key: store.get_value(key, height))


def _events(items: Any) -> list[Any]:
    return items if type(items) is list else []


def record(store: Store, height: int, idx: int, headers: Headers | None = None,
           resolver: _history.OrgResolver | None = None) -> Record | None:
    """Everything about one record (see the module doc), or None if there is none.

    Values are as stored (bytes stay bytes); `jsonable` renders them for JSON.
    """
    headers = headers or Headers(store)
    blk = headers.get(height)
    if blk is None:
        return None
    block_hash, header, _ = blk
    base = {"height": height, "index": idx, "block_hash": block_hash, "block_time": header.time}
    tx = store.tx_at(height, idx)
    if tx is None:
        if idx != store.tx_count(height):
            return None
        end = store.events_at(height, idx)
        if not end:
            return None
        events = [{"contract": c, "type": t, "attrs": decode_trusted(d)} for c, t, d in end]
        return {**base, "kind": _history.KIND_END, "tx_hash": b"", "signer_org": "", "signer_cert": b"",
                "contract": "", "method": "", "args": None, "code": "", "message": "", "result": None,
                "events": events}
    tx_hash, envelope, receipt_bytes = tx
    receipt = decode_trusted(receipt_bytes)
    body = _history.decode_envelope(envelope)
    code = receipt.get("code", "")
    indexed = store.history_record(height, idx)
    if indexed is not None:
        org = indexed[2]
    else:
        org = _signer_org(store, height, body, code, resolver or _history.OrgResolver())
    signer = body.get("signer") if body is not None and type(body.get("signer")) is bytes else b""
    return {**base, "kind": _history.KIND_TX, "tx_hash": tx_hash, "signer_org": org, "signer_cert": signer,
            "contract": body.get("contract", "") if body else "", "method": body.get("method", "") if body else "",
            "args": body.get("args") if body else None, "code": code, "message": receipt.get("message", ""),
            "result": receipt.get("result"), "events": _events(receipt.get("events"))}


def record_json(rec: Record, via: list[str] | None = None) -> dict[str, Any]:
    """A record as the history API renders it (bytes as hex)."""
    out = {
        "height": rec["height"], "index": rec["index"], "kind": rec["kind"],
        "tx_hash": rec["tx_hash"].hex(), "block_hash": rec["block_hash"].hex(), "block_time": rec["block_time"],
        "signer_org": rec["signer_org"], "signer_cert": rec["signer_cert"].hex(),
        "contract": rec["contract"], "method": rec["method"], "args": jsonable(rec["args"]),
        "code": rec["code"], "message": rec["message"], "result": jsonable(rec["result"]),
        "events": jsonable(rec["events"]),
    }
    if via is not None:
        out["via"] = via
    return out


def export_row(rec: Record, names: cols.Names) -> dict[str, Any]:
    """A record as one export row (text and integers, keyed by column); `names` gives an
    organisation's registered name by its code (`audit_columns.OrgNames`)."""
    is_tx = rec["kind"] == _history.KIND_TX
    args = canonical_json(rec["args"]) if is_tx and rec["args"] is not None else ""
    return {
        "height": rec["height"], "index": rec["index"], "kind": rec["kind"],
        "signer_org": rec["signer_org"], "contract": rec["contract"], "method": rec["method"],
        "code": rec["code"], "message": rec["message"],
        "tx_hash": rec["tx_hash"].hex(), "block_hash": rec["block_hash"].hex(), "signer_cert": rec["signer_cert"].hex(),
        "args": args, "args_sha256": sha256_hex(args) if args else "", "events": canonical_json(rec["events"]),
        "block_time_ms": rec["block_time"],
        **cols.readable(rec, names),
    }


def org_names(store: Store, height: int) -> cols.OrgNames:
    """Organisation names as the export of heights ..`height` shows them."""
    return cols.OrgNames(store.get_value, height, decode_trusted)


# -- selecting and exporting ---------------------------------------------------------------------
@dataclass
class Selection:
    """What an export covers: the records naming `ref`, or signed by `org`, or all of them,
    in heights from_height..to_height."""

    from_height: int
    to_height: int
    ref: str | None = None
    org: str | None = None

    def keys(self, store: Store, batch: int = 1000) -> Iterator[list[tuple[int, int]]]:
        """(height, idx) of the selected records, oldest first, in batches."""
        after = (-1, -1)
        while True:
            if self.ref is not None:
                rows = [(h, i) for h, i, _ in store.history_find(self.ref, after, batch, self.from_height,
                                                                 self.to_height)]
            elif self.org is not None:
                rows = store.history_by_org(self.org, after, batch, self.from_height, self.to_height)
            else:
                rows = store.history_all(after, batch, self.from_height, self.to_height)
            rows = [(h, i) for h, i in rows]  # plain tuples, whatever rows SQLite handed out
            if not rows:
                return
            yield rows
            if len(rows) < batch:
                return
            after = rows[-1]

    def count(self, store: Store) -> int:
        return store.history_count(self.ref, self.org, self.from_height, self.to_height)


def export_meta(store: Store, sel: Selection, chain_id: str, exported_at_ms: int | None = None,
                exported_by: str | None = None) -> list[tuple[str, Any]]:
    """The export's manifest (the last block of its range included; `rows` and, for CSV, the
    data file's hash are added by the writer, `audit_files`)."""
    row = store.block(sel.to_height)
    if row is None:
        raise ValueError(f"height {sel.to_height} is not committed")
    header = Header.decode(row[1])
    names = org_names(store, sel.to_height)
    meta: list[tuple[str, Any]] = [
        ("format", FORMAT), ("chain_id", chain_id), ("ref", sel.ref or ""), ("org", sel.org or ""),
    ]
    if sel.org:
        meta.append(("org_name", names(sel.org)))
    meta += [
        ("from_height", sel.from_height), ("to_height", sel.to_height),
        ("to_block_hash", row[0].hex()), ("to_app_hash", header.app_hash.hex()),
        ("to_block_time", cols.china_time(header.time)), ("to_block_time_ms", header.time),
        ("time_zone", cols.ZONE),
    ]
    if exported_by is not None:
        meta += [("exported_by", exported_by), ("exported_by_name", names(exported_by))]
    if exported_at_ms is not None:
        meta.append(("exported_at", cols.china_time(exported_at_ms)))
    return meta


def export_rows(store: Store, sel: Selection, batch: int = 500) -> Iterator[list[dict[str, Any]]]:
    """The export's rows in batches (each batch is read in one go: call from a worker)."""
    headers = Headers(store)
    resolver = _history.OrgResolver()
    names = org_names(store, sel.to_height)
    for keys in sel.keys(store, batch):
        out = []
        for h, i in keys:
            rec = record(store, h, i, headers, resolver)
            if rec is not None:
                out.append(export_row(rec, names))
        yield out


# -- verifying against the chain -----------------------------------------------------------------
@dataclass
class AuditReport:
    ok: bool
    rows: int  # rows checked (all of them when ok)
    from_height: int | None = None
    to_height: int | None = None
    bad_row: int | None = None  # 1-based data row number of the first mismatch
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.ok:
            return f"{self.rows} rows verified against blocks {self.from_height}..{self.to_height}"
        where = f"row {self.bad_row}: " if self.bad_row is not None else ""
        return f"{where}{self.reason}"


class _Mismatch(Exception):
    pass


def _int(row: Row, col: str) -> int:
    try:
        return int(row[col])
    except (TypeError, ValueError):
        raise _Mismatch(f"{col} {row[col]!r} is not an integer") from None


def _same_text(col: str, got: str, want: str, allow_cut: bool) -> None:
    if got == want:
        return
    if allow_cut and got.endswith(TRUNCATED) and len(want) > xlsx.MAX_CELL and want.startswith(
            got[: -len(TRUNCATED)]):
        return
    shown = got if len(got) <= 80 else got[:77] + "..."
    wanted = want if len(want) <= 80 else want[:77] + "..."
    raise _Mismatch(f"{col} is {shown!r}, the chain says {wanted!r}")


def _same_amount(got: str, want: str, numeric: bool) -> None:
    """The amount in 元: the same text (CSV), or the same number (XLSX: a spreadsheet writes
    1000000.00 as 1000000, and a very large amount to a double's precision)."""
    if got == want or not numeric or not got or not want:
        _same_text("amount_yuan", got, want, False)
        return
    try:
        diff, size = abs(Decimal(got) - Decimal(want)), abs(Decimal(want))
    except InvalidOperation:
        raise _Mismatch(f"amount_yuan {got!r} is not a number") from None
    if diff > size * Decimal("1e-15"):
        raise _Mismatch(f"amount_yuan is {got!r}, the chain says {want!r}")


class _Checker:
    def __init__(self, store: Store, hasher: Callable[[bytes], bytes] | None, chain_id: str, cut: bool,
                 version: int = 2, names: cols.Names | None = None) -> None:
        self.store = store
        self.hasher = hasher
        self.chain_id = chain_id
        self.cut = cut  # cells may be truncated, numbers and dates come back as a spreadsheet writes them (XLSX)
        self.version = version  # 1: a format-1 file (ISO UTC times, no readable columns)
        self.names = names or (lambda code: "")
        self.headers = Headers(store)
        self.roots_ok: dict[int, str | None] = {}
        self.resolver = _history.OrgResolver()

    def block(self, height: int) -> tuple[bytes, Header, bytes]:
        blk = self.headers.get(height)
        if blk is None:
            raise _Mismatch(f"the node has no block at height {height}")
        block_hash, header, header_bytes = blk
        if self.hasher is not None and self.hasher(header_bytes) != block_hash:
            raise _Mismatch(f"the node's block {height} does not hash to its stored hash")
        if header.chain != self.chain_id:
            raise _Mismatch(f"block {height} belongs to chain {header.chain!r}, not {self.chain_id!r}")
        return blk

    def roots(self, height: int, header: Header) -> None:
        """The block's stored transactions and receipts are those its header commits to."""
        if self.hasher is None:
            return
        if height not in self.roots_ok:
            txs = self.store.block_txs(height)
            problem = None
            if merkle_root(self.hasher, [t[1] for t in txs]) != header.txs_root:
                problem = f"block {height}'s transactions do not match its transaction root"
            else:
                leaves = [self.hasher(t[3]) for t in txs]
                end = self.store.events_at(height, len(txs))
                if end:
                    events = [{"contract": c, "type": t, "attrs": decode_trusted(d)} for c, t, d in end]
                    leaves.append(self.hasher(end_block_record(events)))
                if merkle_root(self.hasher, leaves) != header.results_root:
                    problem = f"block {height}'s receipts do not match its results root"
            self.roots_ok[height] = problem
        if self.roots_ok[height] is not None:
            raise _Mismatch(self.roots_ok[height])

    def row(self, row: Row) -> tuple[int, int]:
        height, idx = _int(row, "height"), _int(row, "index")
        block_hash, header, _ = self.block(height)
        _same_text("block_hash", row["block_hash"], block_hash.hex(), False)
        if _int(row, "block_time_ms") != header.time:
            raise _Mismatch(f"block_time_ms is {row['block_time_ms']}, the block's time is {header.time}")
        if self.version == 1:
            _same_text("block_time", row["block_time"], iso_time(header.time), False)
        self.roots(height, header)
        if row["kind"] == _history.KIND_END:
            rec = self.end_row(row, height, idx)
        elif row["kind"] == _history.KIND_TX:
            rec = self.tx_row(row, height, idx)
        else:
            raise _Mismatch(f"kind {row['kind']!r} is neither tx nor end_block")
        if self.version >= 2:
            self.readable(row, {**rec, "block_time": header.time})
        return height, idx

    def readable(self, row: Row, rec: Record) -> None:
        """The columns a person reads are what the (checked) record gives."""
        want = cols.readable(rec, self.names)
        for c in cols.READABLE:
            if c == "amount_yuan":
                _same_amount(row[c], want[c], self.cut)
            else:
                _same_text(c, row[c], str(want[c]), False)

    def end_row(self, row: Row, height: int, idx: int) -> Record:
        n = self.store.tx_count(height)
        if idx != n:
            raise _Mismatch(f"an end_block row's index must be the block's transaction count {n}")
        end = self.store.events_at(height, idx)
        if not end:
            raise _Mismatch(f"block {height} has no end-block events")
        for col in ("tx_hash", "signer_org", "signer_cert", "contract", "method", "args", "args_sha256", "code",
                    "message"):
            if row[col] != "":
                raise _Mismatch(f"an end_block row has no {col}")
        events = [{"contract": c, "type": t, "attrs": decode_trusted(d)} for c, t, d in end]
        _same_text("events", row["events"], canonical_json(events), self.cut)
        return {"kind": _history.KIND_END, "args": None, "events": events, "signer_org": ""}

    def tx_row(self, row: Row, height: int, idx: int) -> Record:
        tx = self.store.tx_at(height, idx)
        if tx is None:
            raise _Mismatch(f"block {height} has no transaction at index {idx}")
        tx_hash, envelope, receipt_bytes = tx
        _same_text("tx_hash", row["tx_hash"], tx_hash.hex(), False)
        receipt = decode_trusted(receipt_bytes)
        code = receipt.get("code", "")
        body = _history.decode_envelope(envelope)
        if self.hasher is not None:
            if code in UNDECODABLE_CODES or body is None:
                signed = envelope
            else:
                signed = decode_trusted(envelope)[1]
            if self.hasher(signed) != tx_hash:
                raise _Mismatch("the stored transaction's signed body does not hash to its hash")
        if receipt.get("tx") != tx_hash or receipt.get("height") != height or receipt.get("index") != idx:
            raise _Mismatch("the stored receipt names another transaction")
        stated = body.get("signer") if body is not None else None
        signer = stated if type(stated) is bytes else b""
        _same_text("signer_cert", row["signer_cert"], signer.hex(), False)
        org = _signer_org(self.store, height, body, code, self.resolver)
        _same_text("signer_org", row["signer_org"], org, False)
        _same_text("contract", row["contract"], body.get("contract", "") if body else "", False)
        _same_text("method", row["method"], body.get("method", "") if body else "", False)
        args = canonical_json(body.get("args")) if body is not None else ""
        _same_text("args_sha256", row["args_sha256"], sha256_hex(args) if args else "", False)
        _same_text("args", row["args"], args, self.cut)
        _same_text("code", row["code"], code, False)
        _same_text("message", row["message"], receipt.get("message", ""), self.cut)
        events = _events(receipt.get("events"))
        _same_text("events", row["events"], canonical_json(events), self.cut)
        return {"kind": _history.KIND_TX, "args": body.get("args") if body else None, "events": events,
                "signer_org": org}


def verify_export(store: Store, data: bytes, genesis: Genesis | None = None, *,
                  hasher: Callable[[bytes], bytes] | None = None, complete: bool = True,
                  manifest: bytes | None = None) -> AuditReport:
    """Check an export file against `store`'s blocks (see the module doc): an XLSX or ZIP
    export, or a data CSV with its `manifest` (a format-1 CSV carries its own meta).

    `genesis` (a `Genesis`) names the chain and its hash function; without it the
    chain id is taken from the file and `hasher`, if given, is used for the hash checks
    (without either, hashes are compared as stored but not recomputed).
    """
    try:
        exp = read_export(data, manifest)
    except ExportError as exc:
        return AuditReport(False, 0, reason=str(exc))
    meta = exp.meta
    if genesis is not None:
        from faechain.crypto.suite import get_suite

        hasher = get_suite(genesis.suite).hash
        if meta.get("chain_id") != genesis.chain_id:
            return AuditReport(False, 0, reason=f"the export is of chain {meta.get('chain_id')!r}, "
                                                f"this node's is {genesis.chain_id!r}")
    try:
        lo, hi = int(meta.get("from_height", "")), int(meta.get("to_height", ""))
    except ValueError:
        return AuditReport(False, 0, reason="the export's meta have no height range")
    report = AuditReport(False, 0, lo, hi)
    checker = _Checker(store, hasher, meta.get("chain_id", ""), exp.format == "xlsx", exp.version,
                       org_names(store, hi))
    try:
        last_hash, last_header, _ = checker.block(hi)
    except _Mismatch as exc:
        report.reason = f"the export's last block: {exc}"
        return report
    if meta.get("to_block_hash") != last_hash.hex():
        report.reason = (f"the export says block {hi} has hash {meta.get('to_block_hash')}, "
                         f"the node's is {last_hash.hex()}")
        return report
    if meta.get("to_app_hash") != last_header.app_hash.hex():
        report.reason = (f"the export says the app hash at {hi} is {meta.get('to_app_hash')}, "
                         f"the node's is {last_header.app_hash.hex()}")
        return report
    prev = (-1, -1)
    seen: list[tuple[int, int]] = []
    for n, row in enumerate(exp.rows, start=1):
        try:
            key = checker.row(row)
            if not lo <= key[0] <= hi:
                raise _Mismatch(f"height {key[0]} lies outside the export's range {lo}..{hi}")
            if key <= prev:
                raise _Mismatch("rows are not in order of (height, index), or a row is repeated")
        except _Mismatch as exc:
            report.bad_row = n
            report.rows = n - 1
            report.reason = f"(height {row.get('height')}, index {row.get('index')}) {exc}"
            return report
        prev = key
        seen.append(key)
    report.rows = len(exp.rows)
    if exp.declared_rows is None:
        report.reason = "the file does not say how many rows it holds (truncated?)"
        return report
    if exp.declared_rows != len(exp.rows):
        report.reason = f"the file says it holds {exp.declared_rows} rows but has {len(exp.rows)} (truncated?)"
        return report
    if complete:
        missing = _missing(store, meta, lo, hi, seen)
        if isinstance(missing, str):
            report.notes.append(missing)
        elif missing:
            h, i = missing[0]
            report.reason = (f"{len(missing)} record(s) of this export's filter and range are missing from the "
                             f"file, the first at height {h}, index {i}")
            return report
    stated = meta.get("data_sha256")
    if exp.data_sha256 is not None and stated and stated != exp.data_sha256:
        report.notes.append("the data file's bytes are not those the manifest's SHA-256 names (saved again, "
                            "e.g. by a spreadsheet program?); every row was checked against the chain")
    report.ok = True
    return report


def _missing(store: Store, meta: dict[str, str], lo: int, hi: int,
             seen: list[tuple[int, int]]) -> list[tuple[int, int]] | str:
    """Records the node's history index holds for the export's filter that the file lacks
    (a note instead when this node has no history index)."""
    sel = Selection(lo, hi, meta.get("ref") or None, meta.get("org") or None)
    try:
        want = [k for batch in sel.keys(store, 5000) for k in batch]
    except Exception as exc:  # noqa: BLE001 - e.g. an old database opened read-only
        return f"completeness not checked: this node has no history index ({exc})"
    have = set(seen)
    return [k for k in want if k not in have]
