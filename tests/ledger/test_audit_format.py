"""The export file formats on their own: the XLSX writer/reader (escapes, numbers, date and
money cells, what a spreadsheet program writes back), the data CSV (the table alone, cells a
spreadsheet could take for formulas guarded), its manifest and the ZIP of both, the readable
columns (China time, 元 from fen exactly, organisation names), and real readers (openpyxl,
pandas) where they are installed."""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import importlib.util
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faechain.ledger import audit, audit_columns, audit_files, xlsx


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


ROW = {"height": 3, "index": 0, "block_time": "2026-01-01 08:00:00", "kind": "tx", "signer_org": "=HYPERLINK(1)",
       "signer_name": "-name", "contract": "+c", "method": "-m", "amount_yuan": "1234.56", "amount_fen": 123456,
       "amount_field": "args.amount", "parties": "@x", "code": "@x", "message": "'quoted", "tx_hash": "cd" * 32,
       "block_hash": "ab" * 32, "signer_cert": "ef" * 32, "args": '{"a":"=1"}', "args_sha256": "00", "events": "[]",
       "block_time_ms": 1_767_225_600_000}
META = [("format", audit.FORMAT), ("chain_id", "c"), ("from_height", 0), ("to_height", 3)]


def test_the_data_csv_is_the_table_alone_and_cells_a_spreadsheet_would_run_are_guarded():
    data, n, digest = audit.csv_bytes([[ROW]])
    text = data.decode("utf-8-sig")
    lines = text.splitlines()
    assert n == 1 and len(lines) == 2 and digest == hashlib.sha256(data).hexdigest()
    assert next(csv.reader([lines[0]])) == list(audit_columns.HEADERS)  # bilingual headers, nothing before
    assert "'=HYPERLINK(1)" in text and "'+c" in text and "''quoted" in text and "'-name" in text
    assert ",1234.56,123456," in text  # numbers are never guarded
    assert not any(line.startswith(("=", "+", "-", "@", "#")) for line in lines)
    exp = audit.read_export(data, audit.manifest_bytes([*META, ("rows", 1), ("data_sha256", digest)]))
    assert exp.rows == [{k: str(v) for k, v in ROW.items()}]
    assert exp.declared_rows == 1 and exp.meta["chain_id"] == "c" and exp.data_sha256 == digest


def test_a_data_csv_needs_its_manifest():
    data, _, _ = audit.csv_bytes([[ROW]])
    with pytest.raises(audit.ExportError, match="manifest"):
        audit.read_export(data)


def test_a_zip_holds_the_rows_and_their_manifest():
    data = audit.zip_bytes("audit-c-all-0-3", META, [[ROW], [ROW]])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == ["audit-c-all-0-3.csv", "audit-c-all-0-3.meta.csv"]
        rows = z.read("audit-c-all-0-3.csv")
        manifest = z.read("audit-c-all-0-3.meta.csv").decode("utf-8-sig")
    assert manifest.splitlines()[0] == "键 / Key,项目 / Item,值 / Value"
    assert "rows,记录条数 / Rows,2" in manifest and f"data_sha256,{audit_columns.META_LABELS['data_sha256']}," \
        f"{hashlib.sha256(rows).hexdigest()}" in manifest
    exp = audit.read_export(data)
    assert exp.format == "csv" and exp.declared_rows == 2 and len(exp.rows) == 2


def test_long_xlsx_cells_are_cut_with_a_mark():
    long_args = '{"a":"' + "x" * 40_000 + '"}'
    data = audit.xlsx_bytes(META, [[{**ROW, "args": long_args}]])
    exp = audit.read_export(data)
    cell = exp.rows[0]["args"]
    assert len(cell) == xlsx.MAX_CELL and cell.endswith(audit.TRUNCATED)
    assert long_args.startswith(cell[: -len(audit.TRUNCATED)])


def test_xlsx_times_are_date_cells_and_amounts_numbers_in_yuan():
    data = audit.xlsx_bytes(META, [[ROW]])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert 'formatCode="yyyy-mm-dd hh:mm:ss"' in styles
    # 2026-01-01 08:00:00 China time is serial 46023 + 1/3 (days since 1899-12-30)
    assert f'<c r="C2" s="{xlsx.STYLE_DATETIME}"><v>46023.3333333333</v></c>' in sheet
    assert f'<c r="I2" s="{xlsx.STYLE_MONEY}"><v>1234.56</v></c>' in sheet
    row = audit.read_export(data).rows[0]
    assert row["block_time"] == "2026-01-01 08:00:00" and row["amount_yuan"] == "1234.56"
    assert row["amount_fen"] == "123456"
    meta = xlsx.read_workbook(data)[audit_files.SHEET_META]
    assert meta[0] == list(audit_columns.META_HEADER) and ["rows", "记录条数 / Rows", "1"] in meta


@pytest.mark.parametrize("fen, text", [(0, "0.00"), (1, "0.01"), (1234, "12.34"), (100, "1.00"),
                                       (500_000_000, "5000000.00"), (-5, "-0.05"),
                                       (9_223_372_036_854_775_807, "92233720368547758.07")])
def test_yuan_text_is_exact(fen, text):
    assert audit_columns.yuan_text(fen) == text == xlsx.money_number(fen)


@given(st.integers(0, 4_102_444_800))  # 1970 .. 2100, in seconds
def test_date_numbers_round_trip_to_the_second(seconds):
    want = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=seconds)
    assert xlsx.date_text(xlsx.date_number(seconds)) == f"{want:%Y-%m-%d %H:%M:%S}"


def test_china_time():
    assert audit_columns.china_time(0) == "1970-01-01 08:00:00"
    assert audit_columns.china_time(1_767_196_799_999) == "2025-12-31 23:59:59"  # 15:59:59.999 UTC
    assert audit_columns.china_time(1_767_196_800_000) == "2026-01-01 00:00:00"


NAMES = {"91110000MA0000003X": "Huaxin Chemical", "91110000MA0000005X": "Tianhe Materials"}.get


def _rec(**kw):
    return {"kind": "tx", "args": None, "events": [], "signer_org": "", "block_time": 0, **kw}


def test_the_main_amount_comes_from_the_arguments_then_the_events():
    assert audit_columns.main_amount(_rec(args={"amount": 120, "rate_bps": 580})) == ("args.amount", 120)
    funded = [{"contract": "receivables", "type": "FinancingFunded", "attrs": {"advance": 117, "amount": 120}}]
    assert audit_columns.main_amount(_rec(args={"financing": "F-1"}, events=funded)) == ("FinancingFunded.amount", 120)
    assert audit_columns.main_amount(_rec(args={"id": "V-1", "size": 167})) is None  # a document's size is no money
    assert audit_columns.main_amount(_rec(args={"amount": True})) is None
    end = [{"type": "VoucherOverdue", "attrs": {"amount": 7}}]
    assert audit_columns.main_amount(_rec(kind="end_block", events=end)) == ("VoucherOverdue.amount", 7)


def test_readable_columns_name_organisations_beside_their_codes():
    rec = _rec(signer_org="91110000MA0000005X", block_time=1_767_196_800_000,
               args={"amount": 30000000, "to": "91110000MA0000003X", "other": ["91110000MA0000099X"]},
               events=[{"type": "VoucherTransferred", "attrs": {"sender": "91110000MA0000005X"}}])
    assert audit_columns.readable(rec, lambda c: NAMES(c) or "") == {
        "block_time": "2026-01-01 00:00:00", "signer_name": "Tianhe Materials", "amount_yuan": "300000.00",
        "amount_fen": 30000000, "amount_field": "args.amount",
        "parties": "91110000MA0000099X; Huaxin Chemical (91110000MA0000003X)"}


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="openpyxl is not installed")
def test_a_real_reader_opens_the_workbook():
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(audit.xlsx_bytes(META, [[ROW]])))
    rows, meta = wb.worksheets
    assert [c.value for c in rows[1]] == list(audit_columns.HEADERS)
    assert rows["C2"].value == _dt.datetime(2026, 1, 1, 8, 0) and rows["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert rows["I2"].value == 1234.56 and rows["I2"].number_format == "#,##0.00" and rows["J2"].value == 123456
    assert rows.freeze_panes == "A2" and meta["C2"].value == audit.FORMAT


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas is not installed")
def test_pandas_reads_the_data_csv_as_is():
    import pandas

    data, _, _ = audit.csv_bytes([[ROW], [{**ROW, "amount_yuan": "", "amount_fen": ""}]])
    df = pandas.read_csv(io.BytesIO(data))
    assert list(df.columns) == list(audit_columns.HEADERS) and len(df) == 2
    assert df["金额（元）/ Amount (yuan)"][0] == 1234.56 and df["区块高度 / Height"][1] == 3
    times = pandas.to_datetime(df["区块时间（北京时间 UTC+8）/ Block time (China, UTC+8)"])
    assert str(times[0]) == "2026-01-01 08:00:00"


def test_an_export_of_format_1_still_reads():
    v1 = ("\ufeff#meta,format,faechain-audit/1\r\n#meta,chain_id,c\r\n" + ",".join(audit_files.COLUMNS_V1) +
          "\r\n3,ab,2026-01-01T00:00:00.000Z,1,0,tx,cd,'=x,ef,c,m,{},00,ok,,[]\r\n#end,rows,1\r\n").encode()
    exp = audit.read_export(v1)
    assert exp.version == 1 and exp.declared_rows == 1 and exp.rows[0]["signer_org"] == "=x"
