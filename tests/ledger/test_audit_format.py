"""The export file formats on their own: the XLSX writer/reader (escapes, numbers, what a
spreadsheet program writes back), and CSV rows that a spreadsheet could take for formulas."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faechain.ledger import audit, xlsx


@given(st.lists(st.lists(st.one_of(st.text(max_size=40), st.integers(-(2**52), 2**52)), max_size=5), max_size=6))
def test_xlsx_round_trip(rows):
    data = xlsx.write_workbook([("s", rows), ("t", [["k", "v"]])])
    back = xlsx.read_workbook(data)
    assert list(back) == ["s", "t"]
    want = []
    for row in rows:
        cells = ["" if v is None else str(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        want.append(cells)
    assert back["s"] == want


def test_xlsx_escapes():
    tricky = ["a\x01b", "_x0041_", "cr\r\nlf", "<&>\"'", "\ttab", "中文"]
    back = xlsx.read_workbook(xlsx.write_workbook([("s", [tricky])]))
    assert back["s"] == [tricky]


def test_xlsx_refuses_an_oversize_cell():
    with pytest.raises(xlsx.XlsxError):
        xlsx.write_workbook([("s", [["x" * (xlsx.MAX_CELL + 1)]])])


def test_xlsx_reads_shared_strings_numbers_and_gaps():
    """What a spreadsheet program writes when it saves the file again."""
    ns = xlsx.NS
    sheet = (f'<worksheet xmlns="{ns}"><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
             '<row r="3"><c r="A3"><v>1.795748507484E12</v></c><c r="B3" t="str"><v>f</v></c>'
             '<c r="D3"><v>12</v></c></row></sheetData></worksheet>')
    shared = (f'<sst xmlns="{ns}"><si><t>plain</t></si><si><r><t>ri</t></r><r><t>ch</t></r></si></sst>')
    workbook = (f'<workbook xmlns="{ns}" xmlns:r="{xlsx.NS_R}"><sheets>'
                '<sheet name="audit" sheetId="1" r:id="rId7"/></sheets></workbook>')
    rels = (f'<Relationships xmlns="{xlsx.NS_PKG_R}"><Relationship Id="rId7" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="/xl/worksheets/other.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/sharedStrings.xml", shared)
        z.writestr("xl/worksheets/other.xml", sheet)
    assert xlsx.read_workbook(buf.getvalue()) == {
        "audit": [["plain", "", "rich"], [], ["1795748507484", "f", "", "12"]]}


def test_not_a_workbook():
    with pytest.raises(xlsx.XlsxError):
        xlsx.read_workbook(b"PK\x03\x04 not really")


ROW = {"height": 3, "block_hash": "ab" * 32, "block_time": "2026-01-01T00:00:00.000Z", "block_time_ms": 1,
       "index": 0, "kind": "tx", "tx_hash": "cd" * 32, "signer_org": "=HYPERLINK(1)", "signer_cert": "ef" * 32,
       "contract": "+c", "method": "-m", "args": '{"a":"=1"}', "args_sha256": "00", "code": "@x",
       "message": "'quoted", "events": "[]"}


def test_csv_cells_a_spreadsheet_would_run_are_guarded_and_read_back():
    meta = [("format", audit.FORMAT), ("chain_id", "c"), ("from_height", 0), ("to_height", 3)]
    data = audit.csv_bytes(meta, [[ROW]])
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "'+c" in text and "''quoted" in text
    assert not any(line.startswith(("=", "+", "-", "@")) for line in text.splitlines())
    exp = audit.read_export(data)
    assert exp.rows == [{k: str(v) for k, v in ROW.items()}]
    assert exp.declared_rows == 1 and exp.meta["chain_id"] == "c"


def test_long_xlsx_cells_are_cut_with_a_mark():
    long_args = '{"a":"' + "x" * 40_000 + '"}'
    data = audit.xlsx_bytes([("format", audit.FORMAT)], [[{**ROW, "args": long_args}]])
    exp = audit.read_export(data)
    cell = exp.rows[0]["args"]
    assert len(cell) == xlsx.MAX_CELL and cell.endswith(audit.TRUNCATED)
    assert long_args.startswith(cell[: -len(audit.TRUNCATED)])
