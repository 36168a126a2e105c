"""The audit export's files: how rows and their description (the *manifest*) are written as
CSV, a ZIP of two CSVs, or XLSX, and read back (`read_export`) for verification.

    CSV      the rows alone: a UTF-8 text (with a byte-order mark, so spreadsheet programs
             read the Chinese), one header line of bilingual column names and one line per
             record, nothing else: `pandas.read_csv(path)` and any spreadsheet take it as is.
    manifest <name>.meta.csv: what the rows are (format, chain, filter, height range, the last
             block's hash, app hash and time, who exported them and when), how many rows the
             data file holds and the SHA-256 of its bytes; columns key, label, value.
    ZIP      both, as <name>.csv and <name>.meta.csv (what the console and `fae audit export
             -o x.csv` fetch: one download that can be checked whole).
    XLSX     the rows in the first sheet (header row bold and frozen, times as date cells shown
             yyyy-mm-dd hh:mm:ss, amounts in 元 as numbers shown #,##0.00), the manifest in the
             second sheet; a cell longer than Excel's 32,767 characters is cut and ends with
             `TRUNCATED` (arguments are still checked through `args_sha256`).

In CSV, text cells that a spreadsheet could take for a formula (starting with = + - @, a
tab or a CR) or that start with an apostrophe get one apostrophe in front, which the reader
removes; number and date columns never need it.

Files of format `faechain-audit/1` (CSV with leading `#meta` rows and a final `#end` line,
or XLSX with sheets `audit` and `meta`) are still read, so an old export still verifies.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

from faechain.core.errors import FaeError
from faechain.ledger import audit_columns as cols
from faechain.ledger import xlsx

TRUNCATED = "…[truncated]"
CSV_GUARD = ("=", "+", "-", "@", "\t", "\r", "'")
XLSX_MAGIC = b"PK\x03\x04"
SHEET_ROWS, SHEET_META = "审计记录 audit", "导出信息 meta"
META_SUFFIX = ".meta.csv"
MAX_ZIP_MEMBER = 1 << 30  # refuse to unpack a data file larger than 1 GiB from a ZIP

# format 1 (read only)
FORMAT_V1 = "faechain-audit/1"
COLUMNS_V1 = ("height", "block_hash", "block_time", "block_time_ms", "index", "kind", "tx_hash", "signer_org",
              "signer_cert", "contract", "method", "args", "args_sha256", "code", "message", "events")
INT_COLUMNS_V1 = frozenset({"height", "block_time_ms", "index"})

Meta = list[tuple[str, Any]]  # (key, value) in order


class ExportError(FaeError, ValueError):
    """The file is not a faechain audit export (or is damaged)."""

    code = "bad_export"


def _guard(text: str) -> str:
    return "'" + text if text.startswith(CSV_GUARD) else text


def _unguard(text: str) -> str:
    return text[1:] if text.startswith("'") else text


# -- writing -------------------------------------------------------------------------------------
class CsvWriter:
    """The data CSV piece by piece (for streaming): `start`, then `rows` per batch. Counts the
    rows and hashes the bytes it hands out, for the manifest (`count`, `sha256`)."""

    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.w = csv.writer(self.buf, lineterminator="\r\n")
        self.count = 0
        self.hash = hashlib.sha256()

    def _take(self) -> bytes:
        data = self.buf.getvalue().encode("utf-8")
        self.buf.seek(0)
        self.buf.truncate()
        self.hash.update(data)
        return data

    def start(self) -> bytes:
        self.buf.write("\ufeff")
        self.w.writerow(cols.HEADERS)
        return self._take()

    def rows(self, rows: Iterable[dict[str, Any]]) -> bytes:
        for row in rows:
            self.w.writerow([row[c] if c in cols.NUMBER_COLUMNS else _guard(row[c]) for c in cols.COLUMNS])
            self.count += 1
        return self._take()

    @property
    def sha256(self) -> str:
        return self.hash.hexdigest()


def manifest_bytes(meta: Meta) -> bytes:
    """The manifest CSV: a header, then one line per key: key, bilingual label, value."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(cols.META_HEADER)
    for k, v in meta:
        w.writerow([k, cols.meta_label(k), _guard(str(v))])
    return buf.getvalue().encode("utf-8")


def csv_bytes(batches: Iterable[list[dict[str, Any]]]) -> tuple[bytes, int, str]:
    """The data CSV whole: (bytes, rows, SHA-256 hex)."""
    w = CsvWriter()
    parts = [w.start(), *(w.rows(b) for b in batches)]
    return b"".join(parts), w.count, w.sha256


def write_zip(out: BinaryIO, name: str, meta: Meta, batches: Iterable[list[dict[str, Any]]]) -> int:
    """<name>.csv and <name>.meta.csv into a ZIP written to `out` (rows streamed, not held in
    memory); the manifest gains rows, data_file and data_sha256. Returns the row count."""
    w = CsvWriter()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open(f"{name}.csv", "w", force_zip64=True) as f:
            f.write(w.start())
            for batch in batches:
                f.write(w.rows(batch))
        full = [*meta, ("rows", w.count), ("data_file", f"{name}.csv"), ("data_sha256", w.sha256)]
        z.writestr(f"{name}{META_SUFFIX}", manifest_bytes(full))
    return w.count


def zip_bytes(name: str, meta: Meta, batches: Iterable[list[dict[str, Any]]]) -> bytes:
    buf = io.BytesIO()
    write_zip(buf, name, meta, batches)
    return buf.getvalue()


def _cut(text: str) -> str:
    if len(text) <= xlsx.MAX_CELL:
        return text
    return text[: xlsx.MAX_CELL - len(TRUNCATED)] + TRUNCATED


def _xlsx_cell(row: dict[str, Any], c: str) -> xlsx.Cell:
    if c == "block_time":
        return xlsx.DateTime(row["block_time_ms"] // 1000 + cols.CHINA_OFFSET_S)
    if c == "amount_yuan":
        return xlsx.Money(row["amount_fen"]) if row["amount_fen"] != "" else ""
    value = row[c]
    if c in cols.INT_COLUMNS:
        return int(value) if value != "" else ""
    return _cut(str(value))


def xlsx_bytes(meta: Meta, batches: Iterable[list[dict[str, Any]]]) -> bytes:
    """The workbook: the rows (first sheet), the manifest with the row count (second)."""
    rows: list[list[xlsx.Cell]] = [list(cols.HEADERS)]
    for batch in batches:
        rows.extend([_xlsx_cell(row, c) for c in cols.COLUMNS] for row in batch)
    full = [*meta, ("rows", len(rows) - 1)]
    meta_rows = [list(cols.META_HEADER), *([k, cols.meta_label(k), v] for k, v in full)]
    return xlsx.write_workbook([(SHEET_ROWS, rows), (SHEET_META, meta_rows)],
                               widths={SHEET_ROWS: cols.WIDTHS, SHEET_META: [18, 44, 70]},
                               freeze_header=(SHEET_ROWS, SHEET_META))


# -- reading back --------------------------------------------------------------------------------
@dataclass
class Export:
    format: str  # "csv" or "xlsx"
    meta: dict[str, str]
    rows: list[dict[str, str]]
    declared_rows: int | None  # what the file says it holds (None: it does not say)
    version: int = 2  # 1: format faechain-audit/1 (no readable columns)
    data_sha256: str | None = None  # a CSV data file's actual SHA-256 (to hold against the manifest's)


def read_export(data: bytes, manifest: bytes | None = None) -> Export:
    """Parse an export: XLSX, a ZIP of data and manifest, or a data CSV with its manifest
    (told apart by their bytes); a format-1 file reads as before."""
    if data.startswith(XLSX_MAGIC):
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise ExportError(f"not an XLSX or ZIP file: {exc}") from None
        with z:
            names = z.namelist()
            if "xl/workbook.xml" in names:
                return _read_xlsx(data)
            return _read_zip(z, names)
    text = _text(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.startswith("#meta"):
        return _read_csv_v1(text)
    if manifest is None:
        raise ExportError("a CSV export is checked with its manifest (<name>.meta.csv, or the ZIP that holds "
                          "both): give the manifest too")
    return _read_csv(data, manifest)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"not UTF-8 text: {exc}") from None


def _read_zip(z: zipfile.ZipFile, names: list[str]) -> Export:
    metas = [n for n in names if n.endswith(META_SUFFIX)]
    datas = [n for n in names if n.endswith(".csv") and not n.endswith(META_SUFFIX)]
    if len(metas) != 1 or len(datas) != 1:
        raise ExportError("a ZIP export holds one <name>.csv and one <name>.meta.csv")
    parts = []
    for n in (datas[0], metas[0]):
        if z.getinfo(n).file_size > MAX_ZIP_MEMBER:
            raise ExportError(f"{n} unpacks to more than the reader allows")
        parts.append(z.read(n))
    return _read_csv(parts[0], parts[1])


def _manifest(data: bytes) -> dict[str, str]:
    meta: dict[str, str] = {}
    rows = list(csv.reader(io.StringIO(_text(data), newline="")))
    if not rows or tuple(rows[0]) != cols.META_HEADER:
        raise ExportError(f"the manifest's header is not {','.join(cols.META_HEADER)}")
    for cells in rows[1:]:
        if cells and cells[0]:
            meta[cells[0]] = _unguard(cells[2]) if len(cells) > 2 else ""
    return meta


def _declared(meta: dict[str, str], where: str) -> int | None:
    declared = meta.pop("rows", None)
    try:
        return int(declared) if declared is not None else None
    except ValueError:
        raise ExportError(f"the {where}'s row count is not a number") from None


def _rows_from(table: list[list[str]], columns: tuple[str, ...], raw: frozenset[str]) -> list[dict[str, str]]:
    out = []
    for cells in table:
        if not any(cells):
            continue
        if len(cells) > len(columns):
            raise ExportError(f"a row has {len(cells)} cells; an export has {len(columns)} columns")
        cells = list(cells) + [""] * (len(columns) - len(cells))
        out.append({c: (v if c in raw else _unguard(v)) for c, v in zip(columns, cells, strict=True)})
    return out


def _check(meta: dict[str, str], header: list[str] | None, fmt: str, headers: tuple[str, ...]) -> None:
    if meta.get("format") != fmt:
        raise ExportError(f"not a faechain audit export of format {fmt} (format: {meta.get('format')!r})")
    if header is None or tuple(header) != headers:
        raise ExportError(f"the header row is not {','.join(headers)}")


def _read_csv(data: bytes, manifest: bytes) -> Export:
    meta = _manifest(manifest)
    table = list(csv.reader(io.StringIO(_text(data), newline="")))
    header = table[0] if table else None
    _check(meta, header, cols.FORMAT, cols.HEADERS)
    declared = _declared(meta, "manifest")
    rows = _rows_from(table[1:], cols.COLUMNS, cols.NUMBER_COLUMNS)
    return Export("csv", meta, rows, declared, 2, hashlib.sha256(data).hexdigest())


def _read_xlsx(data: bytes) -> Export:
    try:
        sheets = xlsx.read_workbook(data)
    except xlsx.XlsxError as exc:
        raise ExportError(str(exc)) from None
    if "audit" in sheets and "meta" in sheets:
        return _read_xlsx_v1(sheets)
    if SHEET_ROWS not in sheets or SHEET_META not in sheets:
        raise ExportError(f"an XLSX export has the sheets {SHEET_ROWS!r} and {SHEET_META!r}")
    meta = {cells[0]: (cells[2] if len(cells) > 2 else "") for cells in sheets[SHEET_META][1:] if cells and cells[0]}
    table = sheets[SHEET_ROWS]
    _check(meta, table[0] if table else None, cols.FORMAT, cols.HEADERS)
    declared = _declared(meta, "meta sheet")
    return Export("xlsx", meta, _rows_from(table[1:], cols.COLUMNS, frozenset(cols.COLUMNS)), declared)


def _read_csv_v1(text: str) -> Export:
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
            if any(cells):
                header = cells
            continue
        table.append(cells)
    _check(meta, header, FORMAT_V1, COLUMNS_V1)
    return Export("csv", meta, _rows_from(table, COLUMNS_V1, INT_COLUMNS_V1), declared, 1)


def _read_xlsx_v1(sheets: dict[str, list[list[str]]]) -> Export:
    meta = {cells[0]: (cells[1] if len(cells) > 1 else "") for cells in sheets["meta"][1:] if cells and cells[0]}
    table = sheets["audit"]
    _check(meta, table[0] if table else None, FORMAT_V1, COLUMNS_V1)
    declared = _declared(meta, "meta sheet")
    return Export("xlsx", meta, _rows_from(table[1:], COLUMNS_V1, frozenset(COLUMNS_V1)), declared, 1)
