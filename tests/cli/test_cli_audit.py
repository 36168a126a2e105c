"""`fae audit`: history and export through a running node's API (CSV with its manifest beside
it, ZIP, XLSX), verify against the node's database (read-only, beside the running node), a
tampered file (exit 1), a CSV without its manifest (exit 2), reindex."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import os

import pytest

from faechain.cli.main import main
from faechain.devnet.demo import Samples, create_demo, demo_org_ids
from faechain.devnet.samples import receivables as receivables_demo
from faechain.ledger import audit
from faechain.node.testing import NodeThread, free_port

ORGS = demo_org_ids()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("auditcli"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0, verify_workers=0)
    nt.start()
    node = nt.node
    samples = Samples(node.submit_as, lambda d: hashlib.sha256(d).hexdigest(), ORGS,
                      now=lambda: node.engine.now_ms() // 1000)
    ids = receivables_demo.seed(samples)
    yield home, node, ids, nt
    nt.stop()


def test_history_needs_the_regulator_or_the_exchange(running, capsys):
    home, _, ids, _ = running
    assert main(["audit", "history", "--home", home, "--as", "regulator", ids["tier3"], "--all"]) == 0
    items = json.loads(capsys.readouterr().out)
    # the registry agent's attestation names the piece: it is part of the piece's history
    assert [i["method"] for i in items] == ["transfer", "request_financing", "attest_registration", "fund"]
    assert main(["audit", "history", "--home", home, "--as", "regulator", ids["tier3"], "--limit", "2"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert len(page["items"]) == 2 and page["next"]
    assert main(["audit", "history", "--home", home, "--as", "supplier1", ids["tier3"]]) == 1
    assert "forbidden" in capsys.readouterr().err


@pytest.mark.parametrize("suffix, fmt", [(".csv", []), (".xlsx", []), (".zip", []), (".dat", ["--format", "xlsx"])])
def test_export_then_verify(running, tmp_path, capsys, suffix, fmt):
    home, node, ids, _ = running
    out = str(tmp_path / f"trail{suffix}")
    assert main(["audit", "export", "--home", home, "--as", "regulator", "--ref", ids["root"], *fmt, "-o", out]) == 0
    capsys.readouterr()
    data = open(out, "rb").read()
    assert data.startswith(b"PK") == (suffix != ".csv")
    manifest = open(tmp_path / "trail.meta.csv", "rb").read() if suffix == ".csv" else None
    assert os.path.exists(tmp_path / "trail.meta.csv") == (suffix == ".csv")
    exp = audit.read_export(data, manifest)
    assert exp.meta["exported_by"] == ORGS["regulator"]
    assert main(["audit", "verify", "--home", home, out]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"{len(exp.rows)} rows verified against blocks 0..{exp.meta['to_height']}"


def test_the_csv_rows_alone_go_to_standard_output(running, capsysbinary):
    home, _, ids, _ = running
    assert main(["audit", "export", "--home", home, "--as", "regulator", "--ref", ids["root"], "-o", "-"]) == 0
    out = capsysbinary.readouterr().out
    rows = list(csv.reader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == audit.HEADERS and len(rows) > 3 and not out.startswith(b"PK")


def test_a_tampered_file_fails_verification(running, tmp_path, capsys):
    home, node, ids, _ = running
    out = str(tmp_path / "trail.csv")
    assert main(["audit", "export", "--home", home, "--as", "exchange", "--org", ORGS["supplier1"],
                 "--format", "csv", "-o", out]) == 0
    capsys.readouterr()
    data = open(out, "rb").read()
    exp = audit.read_export(data, open(tmp_path / "trail.meta.csv", "rb").read())
    row = exp.rows[1]
    bad = data.replace(row["tx_hash"].encode(), b"ff" * 32, 1)
    assert bad != data
    open(out, "wb").write(bad)
    assert main(["audit", "verify", "--home", home, out]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("FAILED: row 2: ") and "tx_hash" in printed
    assert main(["audit", "verify", "--home", home, "--json", out]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["bad_row"] == 2


def test_usage_errors(running, tmp_path, capsys):
    home, _, ids, _ = running
    with pytest.raises(SystemExit) as exc:
        main(["audit", "export", "--home", home, "--ref", "a1b", "--org", "x1y", "-o", "f"])
    assert exc.value.code == 2
    assert main(["audit", "verify", "--home", home, str(tmp_path / "missing.csv")]) == 2
    not_export = tmp_path / "other.csv"
    not_export.write_text("a,b\n1,2\n")
    capsys.readouterr()
    assert main(["audit", "verify", "--home", home, str(not_export)]) == 2  # no manifest beside it
    assert "other.meta.csv is missing" in capsys.readouterr().err
    assert main(["audit", "verify", "--home", home, "--meta", str(not_export), str(not_export)]) == 1
    assert "manifest" in capsys.readouterr().out


def test_reindex_check_then_rebuild(running, capsys):
    home, node, _, nt = running
    assert main(["audit", "reindex", "--home", home, "--check"]) == 0
    assert capsys.readouterr().out.startswith("ok: the history index matches")
    nt.stop()  # last: a rebuild wants the node stopped
    node.store.close()
    gc.collect()
    assert main(["audit", "reindex", "--home", home]) == 0
    assert capsys.readouterr().out.startswith("ok: history index rebuilt: ")
    assert main(["audit", "reindex", "--home", home, "--check"]) == 0
