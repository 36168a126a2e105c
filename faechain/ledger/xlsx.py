"""A small Office Open XML spreadsheet (XLSX) writer and reader, standard library only.

Enough for the audit-trail export: a workbook of named sheets whose cells are text
(inline strings, never formulas) or integers; the reader also understands what a
spreadsheet program writes when it saves such a file again (shared strings, numbers,
formula results), so an export that went through Excel can still be verified.

    data = write_workbook([("audit", [["height", "tx_hash"], [12, "ab12…"]]), ("meta", [...])])
    sheets = read_workbook(data)          # {"audit": [["height", "tx_hash"], ["12", "ab12…"]], ...}

Cells read back as text (integers as their decimal digits). Text a worksheet cannot
hold (XML-illegal control characters, and a literal `_xHHHH_`) is written with the
format's own `_xHHHH_` escape and unescaped on reading. A cell holds at most
`MAX_CELL` characters (Excel's limit); the writer refuses longer text, callers cut it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from faechain.core.errors import FaeError

Cell = str | int | None  # what a worksheet cell holds when written

MAX_CELL = 32_767
MAX_ROWS = 1_048_576
MAX_UNCOMPRESSED = 1 << 30  # refuse to read more than 1 GiB out of one archive

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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
            if type(value) is int and -(2**53) < value < 2**53:
                out.write(f'<c r="{ref}"><v>{value}</v></c>')
                continue
            text = str(value)
            if len(text) > MAX_CELL:
                raise XlsxError(f"cell {ref} has {len(text)} characters; a cell holds at most {MAX_CELL}")
            out.write(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_escape_text(text)}</t></is></c>')
        out.write("</row>")
    out.write("</sheetData></worksheet>")
    return out.getvalue().encode("utf-8")


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
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
                    else:
                        text = _number_text(v.text or "") if v is not None else ""
                    cells.append(text)
                while cells and cells[-1] == "":
                    cells.pop()
                rows.append(cells)
            out[name] = rows
    return out
