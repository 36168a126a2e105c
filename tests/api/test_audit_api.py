"""Regulator views through a real node's API: the history of a voucher and of an
organisation (a rejected transaction included), paging, access (regulator and exchange
only), and audit-trail exports (CSV, the ZIP of CSV and manifest, XLSX) that people read —
bilingual headers, China time, 元, organisation names — and that verify against the node's
blocks while tampered copies, the readable columns included, do not."""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import re
import zipfile

import pytest

from faechain.api import server
from faechain.api.openapi import build_document
from faechain.core.wire import HEADER_CERT, b64encode
from faechain.devnet.demo import Samples, create_demo, demo_org_ids
from faechain.devnet.samples import receivables as receivables_demo
from faechain.ledger import audit, audit_columns, audit_files, xlsx
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import ApiError, Client, Identity

ORGS = demo_org_ids()
DAY = 86_400


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("auditnode"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0, verify_workers=0)
    nt.start()
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def ids(node) -> dict:
    samples = Samples(node.submit_as, lambda d: hashlib.sha256(d).hexdigest(), ORGS,
                      now=lambda: node.engine.now_ms() // 1000)
    out = receivables_demo.seed(samples)
    now = node.engine.now_ms() // 1000
    r = node.submit_as("core", "receivables", "issue", {
        "to": ORGS["supplier1"], "amount": 100, "maturity": now + 30 * DAY,
        "invoices": [["011002600111-04512876", 100]], "contract_hash": "ab" * 32})
    assert r.code == "limit_exceeded", r
    out["rejected"] = r.tx_hash.hex()
    return out


@pytest.fixture(scope="module")
def client(node):
    def get(name: str) -> Client:
        return Client(node.url, identity=Identity.load(node.home, name))

    return get


def raw_get(node, identity: Identity, path: str) -> tuple[int, dict, bytes]:
    """A signed GET returning (status, headers, body)."""
    c = Client(node.url, identity=identity)
    headers = c._auth_headers(identity, "GET", path, b"")
    headers[HEADER_CERT] = b64encode(identity.cert)
    conn = http.client.HTTPConnection(node.config.host, node.config.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# -- history -------------------------------------------------------------------------------------
def test_history_of_a_voucher_through_transfer_and_financing(node, ids, client):
    doc = client("regulator").history(ids["tier3"])
    assert doc["ref"] == ids["tier3"] and doc["next"] is None and doc["height"] >= 1
    items = doc["items"]
    assert [(i["method"], i["code"], i["signer_org"]) for i in items] == [
        ("transfer", "ok", ORGS["supplier2"]),
        ("request_financing", "ok", ORGS["supplier3"]),
        ("attest_registration", "ok", ORGS["registry"]),  # the registry agent's attestation names the piece
        ("fund", "ok", ORGS["factor"]),
    ]
    first = items[0]
    assert first["result"]["voucher"] == ids["tier3"] and first["via"] == ["result", "events"]
    assert first["events"][0]["type"] == "VoucherTransferred"
    # every item is where it says it is
    reg = client("regulator")
    for item in items:
        block = reg.block(item["height"])
        assert block["hash"] == item["block_hash"] and block["header"]["time"] == item["block_time"]
        tx = reg.tx(item["tx_hash"])
        assert (tx["height"], tx["index"], tx["signer"]) == (item["height"], item["index"], item["signer_cert"])
        assert tx["args"] == item["args"]


def test_a_rejected_transaction_is_in_the_signers_history(ids, client):
    items = list(client("exchange").history_all(ORGS["core"]))
    rejected = [i for i in items if i["tx_hash"] == ids["rejected"]]
    assert len(rejected) == 1
    item = rejected[0]
    assert (item["method"], item["code"], item["signer_org"], item["via"]) == \
        ("issue", "limit_exceeded", ORGS["core"], ["signer"])
    assert "undrawn" in item["message"] and item["events"] == [] and item["result"] is None
    # what names the core without its signature: the bank's credit line to it
    grant = [i for i in items if i["method"] == "grant_credit"]
    assert grant and grant[0]["signer_org"] == ORGS["bank"] and "args" in grant[0]["via"]


def test_history_pages(ids, client):
    reg = client("regulator")
    whole = reg.history(ORGS["supplier1"], limit=1000)["items"]
    assert len(whole) >= 6
    pages, after = [], None
    while True:
        doc = reg.history(ORGS["supplier1"], limit=2, after=after)
        assert len(doc["items"]) <= 2
        pages.extend(doc["items"])
        after = doc["next"]
        if after is None:
            break
        assert after == f"{doc['items'][-1]['height']}:{doc['items'][-1]['index']}"
    assert pages == whole
    keys = [(i["height"], i["index"]) for i in whole]
    assert keys == sorted(set(keys))  # oldest first, no repeats
    for bad in ({"after": "12"}, {"after": "a:b"}, {"limit": 0}, {"limit": 1001}):
        with pytest.raises(ApiError) as err:
            reg.history(ORGS["supplier1"], **bad)
        assert err.value.code == "bad_request" and err.value.status == 400
    with pytest.raises(ApiError) as err:
        reg.history("")
    assert err.value.code == "bad_request"
    assert reg.history("no-such-ref-0")["items"] == []


def test_a_freeze_is_in_the_assets_history(node, ids, client):
    """The freeze registry names assets as `voucher:<id>`: the voucher's own history has it."""
    r = node.submit_as("regulator", "supervision", "freeze", {"asset": f"voucher:{ids['financed']}",
                                                             "reason": "on-site inspection"})
    assert r.ok, r
    items = client("regulator").history(ids["financed"])["items"]
    assert [(i["contract"], i["method"]) for i in items][-1] == ("supervision", "freeze")
    assert items[-1]["signer_org"] == ORGS["regulator"] and "args" in items[-1]["via"]
    assert [i["method"] for i in items][0] == "fund"  # where the piece came from
    regulator = [i["method"] for i in client("exchange").history(ORGS["regulator"])["items"]]
    assert "freeze" in regulator  # every regulator action is on its own record too


@pytest.mark.parametrize("name", ["supplier1", "bank", "investor1", "core"])
def test_other_members_are_forbidden(node, ids, client, name):
    c = client(name)
    with pytest.raises(ApiError) as err:
        c.history(ORGS[name])
    assert (err.value.code, err.value.status) == ("forbidden", 403)
    with pytest.raises(ApiError) as err:
        c.audit_export(org=ORGS[name])
    assert (err.value.code, err.value.status) == ("forbidden", 403)


def test_anonymous_reads_are_refused_where_the_node_wants_signatures(node):
    with Client(node.url) as anon:
        with pytest.raises(ApiError) as err:
            anon.history(ORGS["core"])
        assert err.value.status == 401


# -- export and verification -------------------------------------------------------------------
def unzip(data: bytes) -> tuple[bytes, bytes]:
    """(data CSV, manifest) of a ZIP export."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        [meta] = [n for n in z.namelist() if n.endswith(".meta.csv")]
        [rows] = [n for n in z.namelist() if n != meta]
        return z.read(rows), z.read(meta)


def test_zip_export_round_trips_through_verify(node, ids, client):
    data = client("regulator").audit_export(ref=ids["root"], format="zip")
    exp = audit.read_export(data)
    assert exp.format == "csv" and exp.meta["ref"] == ids["root"] and exp.meta["chain_id"] == node.app.chain_id
    assert exp.meta["exported_by"] == ORGS["regulator"] and exp.meta["exported_by_name"]
    assert [r["method"] for r in exp.rows][:3] == ["issue", "accept", "transfer"]
    assert exp.declared_rows == len(exp.rows)
    row = exp.rows[0]
    assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d", row["block_time"]), row["block_time"]
    assert row["block_time"] == audit_columns.china_time(int(row["block_time_ms"]))
    assert row["signer_org"] == ORGS["core"] and row["signer_name"] and row["signer_name"] != ORGS["core"]
    assert int(row["amount_fen"]) > 0 and row["amount_yuan"] == audit_columns.yuan_text(int(row["amount_fen"]))
    assert row["amount_field"] == "args.amount" and f"({ORGS['supplier1']})" in row["parties"]
    assert row["args_sha256"] == hashlib.sha256(row["args"].encode()).hexdigest()
    report = audit.verify_export(node.store, data, node.genesis)
    assert report.ok and not report.notes, report
    assert str(report) == f"{len(exp.rows)} rows verified against blocks 0..{exp.meta['to_height']}"
    rows, manifest = unzip(data)
    assert audit.verify_export(node.store, rows, node.genesis, manifest=manifest).ok  # the two files apart


def test_xlsx_export_round_trips_through_verify(node, ids, client):
    status, headers, data = raw_get(node, Identity.load(node.home, "exchange"),
                                    f"/v1/audit/export?format=xlsx&org={ORGS['supplier1']}")
    assert status == 200
    assert headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert headers["content-disposition"].startswith("attachment; filename=") and ".xlsx" in headers[
        "content-disposition"]
    sheets = xlsx.read_workbook(data)
    assert list(sheets) == [audit_files.SHEET_ROWS, audit_files.SHEET_META]
    assert tuple(sheets[audit_files.SHEET_ROWS][0]) == audit.HEADERS
    exp = audit.read_export(data)
    assert exp.rows and all(r["signer_org"] == ORGS["supplier1"] for r in exp.rows)
    assert {r["signer_name"] for r in exp.rows} == {exp.meta["org_name"]} and exp.meta["org_name"]
    assert {"register_invoice", "accept", "transfer"} <= {r["method"] for r in exp.rows}
    report = audit.verify_export(node.store, data, node.genesis)
    assert report.ok, report
    assert report.rows == len(exp.rows) == exp.declared_rows


def test_csv_is_streamed_as_the_table_alone(node, ids):
    status, headers, data = raw_get(node, Identity.load(node.home, "regulator"),
                                    f"/v1/audit/export?format=csv&ref={ids['tier3']}&from_height=9")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(table[0]) == list(audit.HEADERS)  # no meta lines before or after: any CSV reader takes it
    assert [r["方法 / Method"] for r in table] == ["request_financing", "attest_registration", "fund"]  # the
    # transfer lies below 9
    to_height = max(int(r["区块高度 / Height"]) for r in table)
    assert headers["content-disposition"].startswith(
        f'attachment; filename="audit-{node.app.chain_id}-{ids["tier3"]}-9-')
    assert int(headers["content-disposition"].rsplit("-", 1)[1].split(".")[0]) >= to_height
    assert [r["金额（元）/ Amount (yuan)"] for r in table] == ["1200000.00", "1200000.00", "1200000.00"]


def test_a_zip_is_sent_whole_with_its_name(node, ids):
    status, headers, data = raw_get(node, Identity.load(node.home, "regulator"),
                                    f"/v1/audit/export?format=zip&ref={ids['tier3']}")
    assert status == 200 and headers["content-type"] == "application/zip"
    assert int(headers["content-length"]) == len(data)
    stem = headers["content-disposition"].split('filename="')[1].rstrip('"')[:-4]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == [f"{stem}.csv", f"{stem}.meta.csv"]
    assert audit.verify_export(node.store, data, node.genesis).ok


def test_an_export_of_everything_in_a_range(node, ids, client):
    data = client("regulator").audit_export(from_height=1, to_height=8, format="zip")
    exp = audit.read_export(data)
    heights = [int(r["height"]) for r in exp.rows]
    assert heights and min(heights) >= 1 and max(heights) <= 8
    n = sum(node.store.tx_count(h) for h in range(1, 9))
    assert len([r for r in exp.rows if r["kind"] == "tx"]) == n
    assert audit.verify_export(node.store, data, node.genesis).ok


def _rewrite(data: bytes, edit) -> bytes:
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    edit(rows)
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def _tamper_csv(data: bytes, row_no: int, column: str, value: str) -> bytes:
    return _rewrite(data, lambda rows: rows[row_no].__setitem__(audit.COLUMNS.index(column), value))


@pytest.mark.parametrize("column, value, says", [
    ("signer_org", ORGS["supplier2"], "signer_org"),
    ("code", "ok", "code"),
    ("tx_hash", "00" * 32, "tx_hash"),
    ("block_hash", "11" * 32, "block_hash"),
    ("signer_cert", "22" * 32, "signer_cert"),
    ("args", '{"amount":1,"id":"V-1-0-1","to":"x"}', "args"),
    ("message", "all fine", "message"),
    ("events", '[{"attrs":{},"contract":"receivables","type":"VoucherIssued"}]', "events"),
    ("block_time_ms", "1", "block_time_ms"),
    ("index", "3", "no transaction at index 3"),
    # what a person reads is checked too
    ("block_time", "2020-01-01 00:00:00", "block_time"),
    ("signer_name", "Someone Else Ltd.", "signer_name"),
    ("amount_yuan", "999.00", "amount_yuan"),
    ("amount_fen", "99900", "amount_fen"),
    ("parties", "Nobody (91110000MA0000099X)", "parties"),
])
def test_a_tampered_row_is_reported(node, ids, client, column, value, says):
    rows, manifest = unzip(client("regulator").audit_export(org=ORGS["core"], format="zip"))
    exp = audit.read_export(rows, manifest)
    target = next(n for n, r in enumerate(exp.rows, start=1) if r["code"] == "limit_exceeded")
    bad = _tamper_csv(rows, target, column, value)
    report = audit.verify_export(node.store, bad, node.genesis, manifest=manifest)
    assert not report.ok and report.bad_row == target, report
    assert says in report.reason
    assert str(report).startswith(f"row {target}: ")


def test_a_row_left_out_or_a_cut_file_is_reported(node, ids, client):
    rows, manifest = unzip(client("regulator").audit_export(ref=ids["root"], format="zip"))
    n = len(audit.read_export(rows, manifest).rows)
    dropped = _rewrite(rows, lambda r: r.pop(2))
    report = audit.verify_export(node.store, dropped, node.genesis, manifest=manifest)
    assert not report.ok and "holds" in report.reason  # the manifest says one more
    fixed_count = manifest.replace(f",{n}\r\n".encode(), f",{n - 1}\r\n".encode())
    assert fixed_count != manifest
    report = audit.verify_export(node.store, dropped, node.genesis, manifest=fixed_count)
    assert not report.ok and "missing from the file" in report.reason
    cut = rows[: rows.rindex(b"\r\n", 0, len(rows) - 2) + 2]  # the last row lost
    report = audit.verify_export(node.store, cut, node.genesis, manifest=manifest)
    assert not report.ok and "truncated" in report.reason


def test_a_data_file_saved_again_gets_a_note(node, ids, client):
    rows, manifest = unzip(client("regulator").audit_export(ref=ids["root"], format="zip"))
    resaved = rows.replace(b"\r\n", b"\n")  # the same cells, other bytes
    report = audit.verify_export(node.store, resaved, node.genesis, manifest=manifest)
    assert report.ok and any("SHA-256" in note for note in report.notes), report


def test_meta_that_disagree_with_the_chain_are_reported(node, ids, client):
    rows, manifest = unzip(client("regulator").audit_export(ref=ids["root"], format="zip"))
    meta = audit.read_export(rows, manifest).meta
    for key, value, says in [("to_app_hash", "33" * 32, "app hash"), ("to_block_hash", "44" * 32, "hash"),
                             ("chain_id", "another-chain", "chain")]:
        bad = manifest.replace(f",{meta[key]}\r\n".encode(), f",{value}\r\n".encode())
        assert bad != manifest
        report = audit.verify_export(node.store, rows, node.genesis, manifest=bad)
        assert not report.ok and says in report.reason, (key, report)


def test_a_tampered_xlsx_is_reported(node, ids, client):
    data = client("regulator").audit_export(ref=ids["tier3"], format="xlsx")
    sheets = xlsx.read_workbook(data)
    for column, value in [("signer_org", ORGS["supplier1"]), ("amount_yuan", "1.5"),
                          ("block_time", "2020-01-01 00:00:00")]:
        table = [list(r) for r in sheets[audit_files.SHEET_ROWS]]
        table[2][audit.COLUMNS.index(column)] = value
        bad = xlsx.write_workbook([(audit_files.SHEET_ROWS, table), (audit_files.SHEET_META,
                                                                      sheets[audit_files.SHEET_META])])
        report = audit.verify_export(node.store, bad, node.genesis)
        assert not report.ok and report.bad_row == 2 and column in report.reason, (column, report)


def test_export_parameters(node, ids, client):
    reg = client("regulator")
    for params, code in [({"format": "pdf"}, "bad_request"), ({"format": "json"}, "bad_request"),
                         ({"ref": "x1y", "org": ORGS["core"]}, "bad_request"),
                         ({"to_height": 10 ** 9}, "not_found"), ({"from_height": 5, "to_height": 4}, "bad_request")]:
        with pytest.raises(ApiError) as err:
            reg.audit_export(**params)
        assert err.value.code == code, params


def test_xlsx_beyond_the_row_limit_is_refused(node, ids, client, monkeypatch):
    from faechain.api import audit as api_audit

    monkeypatch.setattr(api_audit, "MAX_XLSX_ROWS", 2)
    with pytest.raises(ApiError) as err:
        client("regulator").audit_export(ref=ids["root"], format="xlsx")
    assert (err.value.code, err.value.status) == ("too_large", 413)
    assert client("regulator").audit_export(ref=ids["root"], format="csv")  # CSV has no such limit
    assert audit.read_export(client("regulator").audit_export(ref=ids["root"], format="zip")).rows  # nor ZIP


# -- documentation -------------------------------------------------------------------------------
def test_the_route_list_in_the_server_docstring_matches_the_openapi_document():
    """The /v1/ routes the server's docstring lists are those /openapi.json documents."""
    listed = {(m, p) for m, p in re.findall(r"^\s{4}(GET|POST|PUT|DELETE)\s+(/\S*)", server.__doc__, re.M)
              if p.startswith("/v1/")}
    paths = build_document("0")["paths"]
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops if p.startswith("/v1/")}
    assert ("GET", "/v1/history") in listed and ("GET", "/v1/audit/export") in listed
    assert listed == documented


def test_an_open_dev_node_serves_anonymous_readers_too(tmp_path):
    """`fae demo --open` (open_reads): an unsigned reader reads the history as before; without it, an
    unsigned reader of a dev node is a non-member, refused 401 (docs/confidentiality.md)."""
    home = str(tmp_path / "anon")
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=True, heartbeat=1.0, verify_workers=0)
    nt.start()
    try:
        r = nt.node.submit_as("supplier1", "receivables", "register_invoice", {
            "code": "011002600999", "number": "00000001", "seller": ORGS["supplier1"], "buyer": ORGS["core"],
            "amount": 100, "date": nt.node.engine.now_ms() // 1000 - DAY, "doc_hash": "cd" * 32})
        assert r.ok, r
        with Client(nt.node.url) as anon:
            with pytest.raises(ApiError) as refused:
                anon.history("011002600999-00000001")
            assert (refused.value.code, refused.value.status) == ("unauthenticated", 401)
        nt.node.config.open_reads = True
        with Client(nt.node.url) as anon:
            [item] = anon.history("011002600999-00000001")["items"]
            assert (item["method"], item["signer_org"]) == ("register_invoice", ORGS["supplier1"])
            data = anon.audit_export(ref="011002600999-00000001", format="zip")
        assert audit.verify_export(nt.node.store, data, nt.node.genesis).ok
        # a signed reader is still held to its role
        with Client(nt.node.url, identity=Identity.load(home, "supplier1")) as member:
            with pytest.raises(ApiError) as err:
                member.history(ORGS["supplier1"])
            assert err.value.code == "forbidden"
    finally:
        nt.stop()
