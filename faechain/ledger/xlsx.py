"""A small Office Open XML spreadsheet (XLSX) writer and reader, standard library only.

Enough for the audit-trail export: a workbook of named sheets whose cells are text
(inline strings, never formulas), integers, date-times (`DateTime`: a date number shown
as yyyy-mm-dd hh:mm:ss) or amounts of money (`Money`: fen shown as 元, #,##0.00); a
sheet may have its header row in bold and frozen. The reader also understands what a
spreadsheet program writes when it saves such a file again (shared strings, numbers,
formula results, its own styles), so an export that went through Excel can still be verified.

    data = write_workbook([("audit", [["height", "tx_hash"], [12, "ab12…"]]), ("meta", [...])])
    sheets = read_workbook(data)          # {"audit": [["height", "tx_hash"], ["12", "ab12…"]], ...}

Cells read back as text (integers as their decimal digits, a cell whose number format is
a date as "YYYY-MM-DD HH:MM:SS"). Text a worksheet cannot
hold (XML-illegal control characters, and a literal `_xHHHH_`) is written with the
format's own `_xHHHH_` escape and unescaped on reading. A cell holds at most
`MAX_CELL` characters (Excel's limit); the writer refuses longer text, callers cut it.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from faechain.core.errors import FaeError


@dataclass(frozen=True)
class DateTime:
    """A wall-clock date and time, `seconds` since 1970-01-01 00:00:00 of the zone it is shown in
    (the caller adds the zone's offset); written as a spreadsheet date number."""

    seconds: int


@dataclass(frozen=True)
class Money:
    """An amount in hundredths (fen), written as the decimal number of units (元) with two
    decimals and shown with thousands separators."""

    cents: int


Cell = str | int | DateTime | Money | None  # what a worksheet cell holds when written

MAX_CELL = 32_767
MAX_ROWS = 1_048_576
MAX_UNCOMPRESSED = 1 << 30  # refuse to read more than 1 GiB out of one archive

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EPOCH_SERIAL = 25569  # the spreadsheet date number of 1970-01-01 (days since 1899-12-30)
DAY_S = 86_400
STYLE_DATETIME, STYLE_MONEY, STYLE_HEADER = 1, 2, 3  # cellXfs indexes in _STYLES
DATE_FORMAT_ID = 164  # our custom number format: yyyy-mm-dd hh:mm:ss
BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})

_ILLEGAL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")  # \r too: parsers drop it
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


class XlsxError(FaeError, ValueError):
    """The bytes are not a workbook this reader understands."""

    code = "bad_workbook"


def _escape_text(text: str) -> str:
    """XML-escaped cell text, with XML-illegal characters as `_xHHHH_` (and a literal
    `_` that would start such an escape as `_x005F_`)."""
    text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return escape(text)


def _unescape_text(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def column_name(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + (ord(ch) - 64)
        else:
            break
    return n - 1


def _sheet_xml(rows: Iterable[Sequence[Cell]], widths: list[int] | None, freeze_header: bool) -> bytes:
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
    out.write(f'<worksheet xmlns="{NS}" xmlns:r="{NS_R}">')
    if freeze_header:
        out.write('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                  'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
    if widths:
        out.write("<cols>")
        for i, w in enumerate(widths):
            out.write(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>')
        out.write("</cols>")
    out.write("<sheetData>")
    for r, row in enumerate(rows, start=1):
        if r > MAX_ROWS:
            raise XlsxError(f"a worksheet holds at most {MAX_ROWS} rows")
        out.write(f'<row r="{r}">')
        for c, value in enumerate(row):
            ref = f"{column_name(c)}{r}"
            if value is None or value == "":
                continue
            if type(value) is DateTime:
                out.write(f'<c r="{ref}" s="{STYLE_DATETIME}"><v>{date_number(value.seconds)}</v></c>')
                continue
            if type(value) is Money:
                out.write(f'<c r="{ref}" s="{STYLE_MONEY}"><v>{money_number(value.cents)}</v></c>')
                continue
            if type(value) is int and -(2**53) < value < 2**53:
                out.write(f'<c r="{ref}"><v>{value}</v></c>')
                continue
            text = str(value)
            if len(text) > MAX_CELL:
                raise XlsxError(f"cell {ref} has {len(text)} characters; a cell holds at most {MAX_CELL}")
            style = f' s="{STYLE_HEADER}"' if freeze_header and r == 1 else ""
            out.write(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_escape_text(text)}</t></is>'
                      '</c>')
        out.write("</row>")
    out.write("</sheetData></worksheet>")
    return out.getvalue().encode("utf-8")


def date_number(seconds: int) -> str:
    """Wall-clock seconds since 1970 as a spreadsheet date number (days since 1899-12-30),
    exact to well under a millisecond: integer arithmetic, no float."""
    days, secs = divmod(seconds, DAY_S)
    serial = EPOCH_SERIAL + days
    if not secs:
        return str(serial)
    return f"{serial}.{secs * 10**10 // DAY_S:010d}"


def money_number(cents: int) -> str:
    """Hundredths as the decimal number of units: 123456 -> "1234.56" (exact)."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


# cellXfs: 0 general, 1 date-time, 2 money (#,##0.00, built-in 4), 3 bold (header row)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{NS}">'
    f'<numFmts count="1"><numFmt numFmtId="{DATE_FORMAT_ID}" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    f'<xf numFmtId="{DATE_FORMAT_ID}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def write_workbook(sheets: list[tuple[str, Iterable[Sequence[Cell]]]], widths: dict[str, list[int]] | None = None,
                   freeze_header: tuple[str, ...] = ()) -> bytes:
    """An XLSX file with the given sheets (name, rows); cells are str or int (or None)."""
    if not sheets:
        raise XlsxError("a workbook needs at least one sheet")
    widths = widths or {}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG_R}">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        sheet_entries = "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(sheets, start=1)
        )
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{NS}" xmlns:r="{NS_R}"><sheets>{sheet_entries}</sheets></workbook>'))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        rels += (f'<Relationship Id="rId{len(sheets) + 1}" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/styles" Target="styles.xml"/>')
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG_R}">{rels}</Relationships>'))
        z.writestr("xl/styles.xml", _STYLES)
        for i, (name, rows) in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(rows, widths.get(name), name in freeze_header))
    return buf.getvalue()


# -- reading ------------------------------------------------------------------------------------
def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _read(z: zipfile.ZipFile, name: str, budget: list[int]) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise XlsxError(f"the workbook has no part {name}") from None
    budget[0] -= info.file_size
    if budget[0] < 0:
        raise XlsxError("the workbook unpacks to more than the reader allows")
    with z.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise XlsxError(f"part {name} is larger than its directory entry says")
    return data


def _text_of(el: ET.Element) -> str:
    """The text of a shared or inline string: its <t>, or its rich-text runs' <t>s."""
    parts = []
    for t in el.iter(_q("t")):
        parts.append(t.text or "")
    return _unescape_text("".join(parts))


def _number_text(v: str) -> str:
    try:
        if re.fullmatch(r"-?[0-9]+", v):
            return str(int(v))
        f = float(v)
        if f.is_integer() and abs(f) < 2**63:
            return str(int(f))
        return v
    except ValueError:
        return v


def _is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date or time (y, d, h or s outside quotes and [..])."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code).lower()
    return any(ch in bare for ch in "ydhs")


def _date_styles(z: zipfile.ZipFile, budget: list[int]) -> set[int]:
    """The cellXfs indexes whose number format is a date (from xl/styles.xml, if any)."""
    if "xl/styles.xml" not in z.namelist():
        return set()
    try:
        root = ET.fromstring(_read(z, "xl/styles.xml", budget))
    except ET.ParseError as exc:
        raise XlsxError(f"malformed styles: {exc}") from None
    dates = set(BUILTIN_DATE_FORMATS)
    fmts = root.find(_q("numFmts"))
    for f in (fmts if fmts is not None else []):
        try:
            if _is_date_format(f.get("formatCode", "")):
                dates.add(int(f.get("numFmtId", "-1")))
        except ValueError:
            continue
    xfs = root.find(_q("cellXfs"))
    out = set()
    for i, xf in enumerate(xfs if xfs is not None else []):
        try:
            if int(xf.get("numFmtId", "0")) in dates:
                out.add(i)
        except ValueError:
            continue
    return out


def date_text(number: str) -> str:
    """A spreadsheet date number as "YYYY-MM-DD HH:MM:SS" (to the nearest second); the
    number itself if it is none."""
    try:
        seconds = int(((Decimal(number) - EPOCH_SERIAL) * DAY_S).to_integral_value(ROUND_HALF_EVEN))
        dt = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=seconds)
    except (InvalidOperation, ValueError, OverflowError):
        return number
    return f"{dt:%Y-%m-%d %H:%M:%S}"


def read_workbook(data: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of an XLSX file, by name, as rows of text cells (trailing empty cells
    dropped, missing cells as "")."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise XlsxError(f"not an XLSX file: {exc}") from None
    budget = [MAX_UNCOMPRESSED]
    with z:
        try:
            wb = ET.fromstring(_read(z, "xl/workbook.xml", budget))
            rels_xml = ET.fromstring(_read(z, "xl/_rels/workbook.xml.rels", budget))
        except ET.ParseError as exc:
            raise XlsxError(f"malformed workbook: {exc}") from None
        targets: dict[str | None, str] = {}  # relationship id -> part name
        for rel in rels_xml:
            target = rel.get("Target", "")
            if target.startswith("/"):
                target = target[1:]
            elif not target.startswith("xl/"):
                target = "xl/" + target
            targets[rel.get("Id")] = target
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            try:
                sst = ET.fromstring(_read(z, "xl/sharedStrings.xml", budget))
            except ET.ParseError as exc:
                raise XlsxError(f"malformed shared strings: {exc}") from None
            shared = [_text_of(si) for si in sst.findall(_q("si"))]
        date_styles = _date_styles(z, budget)
        out: dict[str, list[list[str]]] = {}
        sheets_el = wb.find(_q("sheets"))
        for sheet in (sheets_el if sheets_el is not None else []):
            name = sheet.get("name", "")
            part = targets.get(sheet.get(f"{{{NS_R}}}id"))
            if part is None:
                raise XlsxError(f"sheet {name!r} has no part")
            try:
                root = ET.fromstring(_read(z, part, budget))
            except ET.ParseError as exc:
                raise XlsxError(f"malformed sheet {name!r}: {exc}") from None
            rows: list[list[str]] = []
            data_el = root.find(_q("sheetData"))
            for row in (data_el if data_el is not None else []):
                r = row.get("r")
                if r is not None:
                    while len(rows) < int(r) - 1:
                        rows.append([])
                cells: list[str] = []
                for c in row.findall(_q("c")):
                    ref = c.get("r")
                    col = _column_index(ref) if ref else len(cells)
                    while len(cells) < col:
                        cells.append("")
                    t = c.get("t", "n")
                    v = c.find(_q("v"))
                    if t == "inlineStr":
                        is_el = c.find(_q("is"))
                        text = _text_of(is_el) if is_el is not None else ""
                    elif t == "s":
                        try:
                            text = shared[int(v.text)] if v is not None and v.text is not None else ""
                        except (ValueError, IndexError):
                            raise XlsxError(f"cell {ref} names a shared string that does not exist") from None
                    elif t in ("str", "e"):
                        text = _unescape_text(v.text or "") if v is not None else ""
                    elif t == "b":
                        text = "TRUE" if v is not None and v.text == "1" else "FALSE"
                    elif v is not None and c.get("s", "0").isdigit() and int(c.get("s", "0")) in date_styles:
                        text = date_text(v.text or "")
                    else:
                        text = _number_text(v.text or "") if v is not None else ""
                    cells.append(text)
                while cells and cells[-1] == "":
                    cells.pop()
                rows.append(cells)
            out[name] = rows
    return out
