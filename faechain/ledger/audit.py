"""The audit trail: the history index's records rendered for a regulator, exported as CSV
or XLSX, and verified row by row against a node's stored blocks.

A *record* is one committed transaction (successful or rejected) or one block's
end-block events (index = the block's number of transactions). `record(store, h, i)`
gives everything about it: block hash and time, transaction hash, signer organisation
and certificate id, contract, method, arguments, receipt code and message, result and
events.

An export is one row per record, oldest first, with the columns `COLUMNS`:

    height, block_hash, block_time (ISO 8601 UTC), block_time_ms (unix ms), index,
    kind ("tx" | "end_block"), tx_hash, signer_org, signer_cert, contract, method,
    args (canonical JSON: keys sorted, no spaces, bytes as hex), args_sha256 (SHA-256
    of that JSON's UTF-8), code, message, events (canonical JSON of the receipt's
    events, [{contract, type, attrs}])

and a description of itself (`meta`): the format, the chain id, the filter (`ref` or
`org`), the height range, and the block hash, app hash and time of the range's last
block, so a reader can hold the file against any member's node. In CSV (UTF-8 with a
byte-order mark) the meta are leading rows `#meta,<key>,<value>` and the file ends with
`#end,rows,<N>`; text cells that a spreadsheet could take for a formula (starting with
= + - @, a tab or a CR) or that start with an apostrophe get one apostrophe in front,
which the reader removes. In XLSX the rows are the sheet `audit` and the meta (with
`rows`) the last sheet, `meta`; a cell longer than Excel's 32,767 characters is cut
and ends with `TRUNCATED` (arguments are still checked through `args_sha256`).

`verify_export(store, data, genesis)` re-reads every row against the stored blocks:
the block at that height has that hash (and its header hashes to it), that block time
and the export's chain; the transaction at that index has that hash, which is hash(its
signed body) and is in the header's transaction root; its receipt (in the results
root) has that code, message and events; the signer certificate and contract, method
and arguments are those of the signed body; the organisation is the certificate's.
End-block rows carry exactly the block's end-block events. The meta's last block
must match the node's, rows must be in order, inside the range, and as many as the
file says; and, where the node has the history index, no record of the filter and
range may be missing.

Why one file (over 500 lines): an export and its row-by-row verification must agree on
the columns and how each is rendered, so they are defined together.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faechain.core.block import Header, end_block_record
from faechain.core.encoding import decode_trusted
from faechain.core.errors import UNAUTHENTICATED_CODES, UNDECODABLE_CODES, FaeError
from faechain.core.merkle import merkle_root
from faechain.ledger import history as _history
from faechain.ledger import xlsx

if TYPE_CHECKING:
    from faechain.core.genesis import Genesis
    from faechain.ledger.storage import Store

Record = dict[str, Any]  # one record of the history, as `record` reads it (see the module doc)
Row = dict[str, str]  # one row of an export file as read back, by column

FORMAT = "faechain-audit/1"
COLUMNS = ("height", "block_hash", "block_time", "block_time_ms", "index", "kind", "tx_hash", "signer_org",
           "signer_cert", "contract", "method", "args", "args_sha256", "code", "message", "events")
INT_COLUMNS = frozenset({"height", "block_time_ms", "index"})
WIDTHS = [8, 20, 24, 15, 6, 9, 20, 20, 20, 12, 18, 60, 20, 12, 30, 60]
MAX_XLSX_ROWS = 100_000
TRUNCATED = "…[truncated]"
CSV_GUARD = ("=", "+", "-", "@", "\t", "\r", "'")
XLSX_MAGIC = b"PK\x03\x04"


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


def export_row(rec: Record) -> dict[str, Any]:
    """A record as one export row (text and integers, keyed by column)."""
    is_tx = rec["kind"] == _history.KIND_TX
    args = canonical_json(rec["args"]) if is_tx and rec["args"] is not None else ""
    return {
        "height": rec["height"], "block_hash": rec["block_hash"].hex(), "block_time": iso_time(rec["block_time"]),
        "block_time_ms": rec["block_time"], "index": rec["index"], "kind": rec["kind"],
        "tx_hash": rec["tx_hash"].hex(), "signer_org": rec["signer_org"], "signer_cert": rec["signer_cert"].hex(),
        "contract": rec["contract"], "method": rec["method"], "args": args,
        "args_sha256": sha256_hex(args) if args else "", "code": rec["code"], "message": rec["message"],
        "events": canonical_json(rec["events"]),
    }


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


def export_meta(store: Store, sel: Selection, chain_id: str,
                exported_at_ms: int | None = None) -> list[tuple[str, Any]]:
    """The export's description (the last block of its range included)."""
    row = store.block(sel.to_height)
    if row is None:
        raise ValueError(f"height {sel.to_height} is not committed")
    header = Header.decode(row[1])
    meta: list[tuple[str, Any]] = [
        ("format", FORMAT), ("chain_id", chain_id), ("ref", sel.ref or ""), ("org", sel.org or ""),
        ("from_height", sel.from_height), ("to_height", sel.to_height),
        ("to_block_hash", row[0].hex()), ("to_app_hash", header.app_hash.hex()),
        ("to_block_time", iso_time(header.time)),
    ]
    if exported_at_ms is not None:
        meta.append(("exported_at", iso_time(exported_at_ms)))
    return meta


def export_rows(store: Store, sel: Selection, batch: int = 500) -> Iterator[list[dict[str, Any]]]:
    """The export's rows in batches (each batch is read in one go: call from a worker)."""
    headers = Headers(store)
    resolver = _history.OrgResolver()
    for keys in sel.keys(store, batch):
        out = []
        for h, i in keys:
            rec = record(store, h, i, headers, resolver)
            if rec is not None:
                out.append(export_row(rec))
        yield out


def _guard(text: str) -> str:
    return "'" + text if text.startswith(CSV_GUARD) else text


def _unguard(text: str) -> str:
    return text[1:] if text.startswith("'") else text


class CsvWriter:
    """Builds the CSV text piece by piece (for streaming): `start`, `rows`, `end`."""

    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.w = csv.writer(self.buf, lineterminator="\r\n")
        self.count = 0

    def _take(self) -> str:
        text = self.buf.getvalue()
        self.buf.seek(0)
        self.buf.truncate()
        return text

    def start(self, meta: list[tuple[str, Any]]) -> str:
        self.buf.write("\ufeff")
        for k, v in meta:
            self.w.writerow(["#meta", k, _guard(str(v))])
        self.w.writerow(COLUMNS)
        return self._take()

    def rows(self, rows: Iterable[dict[str, Any]]) -> str:
        for row in rows:
            self.w.writerow([row[c] if c in INT_COLUMNS else _guard(row[c]) for c in COLUMNS])
            self.count += 1
        return self._take()

    def end(self) -> str:
        self.w.writerow(["#end", "rows", self.count])
        return self._take()


def csv_bytes(meta: list[tuple[str, Any]], batches: Iterable[list[dict[str, Any]]]) -> bytes:
    w = CsvWriter()
    parts = [w.start(meta)]
    parts.extend(w.rows(b) for b in batches)
    parts.append(w.end())
    return "".join(parts).encode("utf-8")


def _cell(text: str) -> str:
    if len(text) <= xlsx.MAX_CELL:
        return text
    return text[: xlsx.MAX_CELL - len(TRUNCATED)] + TRUNCATED


def xlsx_bytes(meta: list[tuple[str, Any]], batches: Iterable[list[dict[str, Any]]]) -> bytes:
    rows: list[list[xlsx.Cell]] = [list(COLUMNS)]
    for batch in batches:
        for row in batch:
            rows.append([row[c] if c in INT_COLUMNS else _cell(row[c]) for c in COLUMNS])
    meta_rows = [["key", "value"], *([k, v] for k, v in meta), ["rows", len(rows) - 1]]
    return xlsx.write_workbook([("audit", rows), ("meta", meta_rows)], widths={"audit": WIDTHS, "meta": [16, 70]},
                               freeze_header=("audit",))


# -- reading an export back ----------------------------------------------------------------------
class ExportError(FaeError, ValueError):
    """The file is not a faechain audit export (or is damaged)."""

    code = "bad_export"


@dataclass
class Export:
    format: str  # "csv" or "xlsx"
    meta: dict[str, str]
    rows: list[dict[str, str]]
    declared_rows: int | None  # what the file says it holds (None: it does not say)


def read_export(data: bytes) -> Export:
    """Parse an export file (CSV or XLSX, told apart by their first bytes)."""
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)


def _rows_from(table: list[list[str]], unguard: bool) -> list[dict[str, str]]:
    out = []
    for cells in table:
        if not any(cells):
            continue
        cells = list(cells) + [""] * (len(COLUMNS) - len(cells))
        if len(cells) > len(COLUMNS):
            raise ExportError(f"a row has {len(cells)} cells; an export has {len(COLUMNS)} columns")
        out.append({c: (_unguard(v) if unguard and c not in INT_COLUMNS else v)
                    for c, v in zip(COLUMNS, cells, strict=True)})
    return out


def _read_csv(data: bytes) -> Export:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"not UTF-8 text: {exc}") from None
    meta: dict[str, str] = {}
    declared = None
    header = None
    table: list[list[str]] = []
    for cells in csv.reader(io.StringIO(text, newline="")):
        if cells and cells[0] == "#meta" and header is None:
            if len(cells) >= 3:
                meta[cells[1]] = _unguard(cells[2])
            continue
        if cells and cells[0] == "#end":
            if len(cells) >= 3 and cells[1] == "rows":
                try:
                    declared = int(cells[2])
                except ValueError:
                    raise ExportError("the end line's row count is not a number") from None
            continue
        if header is None:
            if not any(cells):
                continue
            header = cells
            continue
        table.append(cells)
    _check_header(header, meta)
    return Export("csv", meta, _rows_from(table, unguard=True), declared)


def _read_xlsx(data: bytes) -> Export:
    try:
        sheets = xlsx.read_workbook(data)
    except xlsx.XlsxError as exc:
        raise ExportError(str(exc)) from None
    if "audit" not in sheets or "meta" not in sheets:
        raise ExportError("an XLSX export has the sheets 'audit' and 'meta'")
    meta = {}
    for cells in sheets["meta"][1:]:
        if len(cells) >= 1 and cells[0]:
            meta[cells[0]] = cells[1] if len(cells) > 1 else ""
    table = sheets["audit"]
    header = table[0] if table else None
    _check_header(header, meta)
    declared = meta.pop("rows", None)
    try:
        declared_rows = int(declared) if declared is not None else None
    except ValueError:
        raise ExportError("the meta sheet's row count is not a number") from None
    return Export("xlsx", meta, _rows_from(table[1:], unguard=False), declared_rows)


def _check_header(header: list[str] | None, meta: dict[str, str]) -> None:
    if meta.get("format") != FORMAT:
        raise ExportError(f"not a faechain audit export of format {FORMAT} (format: {meta.get('format')!r})")
    if header is None or tuple(header) != COLUMNS:
        raise ExportError(f"the header row is not {','.join(COLUMNS)}")


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


class _Checker:
    def __init__(self, store: Store, hasher: Callable[[bytes], bytes] | None, chain_id: str, cut: bool) -> None:
        self.store = store
        self.hasher = hasher
        self.chain_id = chain_id
        self.cut = cut  # cells may be truncated (XLSX)
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
        _same_text("block_time", row["block_time"], iso_time(header.time), False)
        self.roots(height, header)
        if row["kind"] == _history.KIND_END:
            self.end_row(row, height, idx)
        elif row["kind"] == _history.KIND_TX:
            self.tx_row(row, height, idx)
        else:
            raise _Mismatch(f"kind {row['kind']!r} is neither tx nor end_block")
        return height, idx

    def end_row(self, row: Row, height: int, idx: int) -> None:
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

    def tx_row(self, row: Row, height: int, idx: int) -> None:
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
        _same_text("events", row["events"], canonical_json(_events(receipt.get("events"))), self.cut)


def verify_export(store: Store, data: bytes, genesis: Genesis | None = None, *,
                  hasher: Callable[[bytes], bytes] | None = None, complete: bool = True) -> AuditReport:
    """Check an export file against `store`'s blocks (see the module doc).

    `genesis` (a `Genesis`) names the chain and its hash function; without it the
    chain id is taken from the file and `hasher`, if given, is used for the hash checks
    (without either, hashes are compared as stored but not recomputed).
    """
    try:
        exp = read_export(data)
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
    checker = _Checker(store, hasher, meta.get("chain_id", ""), exp.format == "xlsx")
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
