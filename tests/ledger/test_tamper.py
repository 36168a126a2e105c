"""Tamper detection by `fae verify` (its library function `verify_home`): flip any byte of
any table's rows, of the raw database file or of a vault file, or truncate a file, and the
report names the damaged item (table and height, index or key) — never "ok" for changed
data, never a traceback.

One small ledger is built per module (the demo consortium: transactions with events, a
refused one, a plan with a document in the vault and one registered but never uploaded);
each example works on a fresh copy of its data.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import shutil
import sqlite3
import tempfile

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from faechain.cli.verify import verify_home
from faechain.devnet.demo import MEMBERS, create_demo, demo_org_id
from faechain.ledger.integrity import HeadMark
from faechain.node.config import NodeConfig, paths
from faechain.node.node import Node

# bounded for the suite; FAE_TAMPER_EXAMPLES=500 for a longer hunt
EXAMPLES = settings(max_examples=int(os.environ.get("FAE_TAMPER_EXAMPLES", "12")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def org(name: str) -> str:
    return demo_org_id([m.name for m in MEMBERS].index(name) + 1)


DOC = b"%PDF-1.4 offering circular of the Tianhe receivables plan\n" * 40


def build_home(home: str, blocks: int = 3) -> dict:
    """A small ledger in `home`: what it holds, for the tests to aim at."""
    create_demo(home)
    config = dataclasses.replace(NodeConfig.load(home), verify_workers=0)
    node = Node(home, config)
    node.engine.start()
    try:
        for i in range(blocks):
            r = node.submit_as("exchange", "membership", "set_attributes",
                               {"org_id": org("investor4"), "attributes": {"round": i}})
            assert r.ok, r
        r = node.submit_as("bank", "membership", "set_attributes", {"org_id": org("investor4"), "attributes": {}})
        assert r.code == "unauthorized", r
        r = node.submit_as("supplier1", "plans", "create", {
            "name": "Tianhe receivables plan", "underwriter": org("underwriter"), "servicer": org("factor"),
            "settlement_bank": org("bank"), "size": 10_000_000, "coupon_bps": 450, "term_days": 180})
        assert r.ok, r
        plan = r.result["plan"]
        stored = node.app.hash(DOC).hex()
        node.vault.put(stored, DOC)
        absent = node.app.hash(b"never uploaded").hex()
        for h in (stored, absent):
            r = node.submit_as("supplier1", "plans", "register_document", {
                "plan": plan, "hash": h, "kind": "report", "name": f"doc {h[:8]}", "size": len(DOC)})
            assert r.ok, r
        height = node.app.height
    finally:
        node.close()
    del node
    gc.collect()  # the node's per-thread readers close; the last one checkpoints the WAL
    return {"height": height, "stored_doc": stored, "absent_doc": absent}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("tamper") / "home")
    info = build_home(home)
    assert verify_home(home).ok
    return home, info


def clone(template_home: str, dst: str) -> str:
    """A copy of the template's node home (its data and vault; the wallet is not needed)."""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    for name in ("genesis.json", "config.json", "block_signer_key.pem"):  # the key: the node signs headers
        shutil.copy(os.path.join(template_home, name), dst)
    for name in ("data", "vault"):
        shutil.copytree(os.path.join(template_home, name), os.path.join(dst, name))
    return dst


@pytest.fixture
def scratch():
    with tempfile.TemporaryDirectory(prefix="fae-tamper-") as tmp:
        yield os.path.join(tmp, "home")


def db_of(home: str) -> str:
    return paths(home)["db"]


# -- flipping a byte of one row -----------------------------------------------------------------
# the tables a flip is reported under (a flipped receipt or end-of-block event can only be
# narrowed to "txs/events": the header commits to them together)
TABLES = {
    "blocks": {"blocks"},
    "txs": {"txs", "txs/events"},
    "tx_by_hash": {"tx_by_hash"},
    "events": {"events", "txs/events"},
    "kv": {"kv"},
    "nodes": {"nodes"},
    "meta": {"meta"},
    "idx": {"idx"},
    "history_tx": {"history_tx"},
    "history": {"history"},
}
DERIVED = {"idx", "history_tx", "history"}


def columns(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[str]]:
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    cols = [r[1] for r in info]
    pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    return cols, pk


def flip_row(db: str, table: str, row: int, column: int, offset: int, mask: int) -> dict | None:
    """Flip one byte of one column of one row of `table` (through SQL, keeping the column's
    type: blob, text or integer); None when the flip would break a key constraint."""
    conn = sqlite3.connect(db)
    try:
        cols, pk = columns(conn, table)
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {', '.join(pk)}").fetchall()
        assert rows, f"{table} is empty"
        values = rows[row % len(rows)]
        col = column % len(cols)
        old = values[col]
        where = " AND ".join(f"{k}=?" for k in pk)
        key = [values[cols.index(k)] for k in pk]
        expr = "?"
        if isinstance(old, int):
            raw = bytearray(old.to_bytes(8, "big", signed=True))
            raw[offset % 8] ^= mask
            new = int.from_bytes(raw, "big", signed=True)
        else:
            if isinstance(old, str):
                old, expr = old.encode(), "CAST(? AS TEXT)"  # raw bytes as TEXT: may be invalid UTF-8
            raw = bytearray(old if old is not None else b"\x00")
            raw[offset % len(raw)] ^= mask
            new = bytes(raw)
        try:
            cur = conn.execute(f"UPDATE {table} SET {cols[col]}={expr} WHERE {where}", [new, *key])
        except sqlite3.IntegrityError:
            return None
        assert cur.rowcount == 1
        conn.commit()
        return {"table": table, "column": cols[col], "key": key, "old": old, "new": new}
    finally:
        conn.close()


def assert_names(report, tables: set[str], flipped) -> None:
    assert not report.ok, f"verify says ok after {flipped}"
    first = report.first
    assert first is not None, (flipped, report.findings)
    assert first.table in tables, f"{flipped}: reported {first}"
    assert first.where or first.table == "meta", f"{flipped}: no row named in {first}"
    assert first.check
    if flipped["table"] in DERIVED:
        assert first.kind == "derived" and report.derived_only, first
    elif not (flipped["table"] == "meta" and flipped["key"] == ["history_version"]):
        assert first.kind == "damaged", first


@pytest.mark.parametrize("table", sorted(TABLES))
@EXAMPLES
@given(row=st.integers(0, 10_000), column=st.integers(0, 10), offset=st.integers(0, 1 << 20),
       mask=st.integers(1, 255))
def test_a_flipped_byte_in_any_row_is_named(template, scratch, table, row, column, offset, mask):
    home = clone(template[0], scratch)
    flipped = flip_row(db_of(home), table, row, column, offset, mask)
    assume(flipped is not None)
    if flipped["table"] == "meta" and flipped["key"] == ["history_version"]:
        expect = {"meta"}  # the history index's version: derived (the node re-indexes on open)
    else:
        expect = TABLES[table]
    assert_names(verify_home(home), expect, flipped)


def test_each_table_names_its_row_precisely(template, scratch):
    """Deterministic cases: the exact row and check for one flip per table."""
    cases = []
    for table in ("blocks", "txs", "events", "kv", "tx_by_hash"):
        home = clone(template[0], scratch)
        conn = sqlite3.connect(db_of(home))
        height = conn.execute(f"SELECT MAX(height) FROM {table} WHERE height > 0").fetchone()[0]
        conn.close()
        col = {"blocks": 2, "txs": 4, "events": 5, "kv": 2, "tx_by_hash": 3}[table]
        cols, pk = columns(sqlite3.connect(db_of(home)), table)
        conn = sqlite3.connect(db_of(home))
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {', '.join(pk)}").fetchall()
        conn.close()
        index = next(i for i, r in enumerate(rows) if r[cols.index("height")] == height)
        flipped = flip_row(db_of(home), table, index, col, 3, 0x10)
        report = verify_home(home)
        assert_names(report, TABLES[table], flipped)
        assert report.first.height == height, report.first
        assert f"height {height}" in report.first.where, report.first
        cases.append(str(report.first))
    assert len(cases) == 5


@pytest.mark.parametrize("table", ["txs", "events", "kv", "tx_by_hash"])  # blocks: an INTEGER PRIMARY KEY
@pytest.mark.parametrize("height", [b"\x07", "seven"])
def test_a_height_that_is_not_a_number_is_named(template, scratch, table, height):
    """A flipped byte can turn a row's height into text or a blob (SQLite keeps whatever type a
    record's header says): `fae verify` names the table, it does not crash comparing them."""
    home = clone(template[0], scratch)
    conn = sqlite3.connect(db_of(home))
    conn.execute(f"UPDATE {table} SET height=? WHERE height=(SELECT MAX(height) FROM {table})", (height,))
    conn.commit()
    conn.close()
    report = verify_home(home)
    assert not report.ok and report.first.table == table, report.first
    assert "not a number" in report.first.check or "not a number" in str(report.first), report.first


def test_flipped_kv_value_names_the_key(template, scratch):
    home = clone(template[0], scratch)
    conn = sqlite3.connect(db_of(home))
    key, height, value = next(r for r in conn.execute("SELECT key, height, value FROM kv ORDER BY height")
                              if r[0].startswith(b"plans/plan/") and r[2] is not None)
    conn.execute("UPDATE kv SET value=? WHERE key=? AND height=?", (value[:-1] + bytes([value[-1] ^ 1]), key, height))
    conn.commit()
    conn.close()
    report = verify_home(home)
    assert not report.ok
    assert report.first.table == "kv" and report.first.height == height
    assert report.first.where == f"key {key.decode()} at height {height}"
    assert "app_hash" in report.first.check


def test_flipped_merkle_node_names_the_node(template, scratch):
    home = clone(template[0], scratch)
    conn = sqlite3.connect(db_of(home))
    node_hash, enc = conn.execute("SELECT hash, enc FROM nodes ORDER BY hash LIMIT 1 OFFSET 7").fetchone()
    conn.execute("UPDATE nodes SET enc=? WHERE hash=?", (enc[:40] + bytes([enc[40] ^ 4]) + enc[41:], node_hash))
    conn.commit()
    conn.close()
    report = verify_home(home)
    assert not report.ok and report.first.table == "nodes"
    assert report.first.where == f"node {node_hash.hex()}" and "hash to its address" in report.first.check


def test_derived_data_is_reported_as_derived_and_repaired(template, scratch, capsys):
    from faechain.cli.main import main

    home = clone(template[0], scratch)
    conn = sqlite3.connect(db_of(home))
    conn.execute("UPDATE history_tx SET method='forged' WHERE height=(SELECT MAX(height) FROM history_tx)")
    row = conn.execute("SELECT kind, field, value, key FROM idx LIMIT 1").fetchone()
    conn.execute("DELETE FROM idx WHERE kind=? AND field=? AND value=? AND key=?", row)
    conn.commit()
    conn.close()
    report = verify_home(home)
    assert not report.ok and report.derived_only
    assert {f.table for f in report.findings if f.kind == "derived"} == {"history_tx", "idx"}
    assert main(["verify", "--home", home]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED: derived data: history_tx height") and "--repair-derived" in out
    assert main(["verify", "--home", home, "--repair-derived"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt:" in out and "ok: derived data rebuilt and verified" in out
    assert verify_home(home).ok


def test_repair_derived_refuses_a_damaged_chain(template, scratch, capsys):
    from faechain.cli.main import main

    home = clone(template[0], scratch)
    flip_row(db_of(home), "txs", 0, 3, 5, 1)  # an envelope
    assert main(["verify", "--home", home, "--repair-derived"]) == 1
    captured = capsys.readouterr()
    assert "derived data is rebuilt only from verified blocks" in captured.err


# -- the raw file ------------------------------------------------------------------------------------
def dump(db: str) -> dict:
    """Every row of every table, as SQLite reads it now."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.text_factory = bytes
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def template_dump(template):
    return dump(db_of(template[0]))


@EXAMPLES
@given(offset=st.integers(0, 1 << 30), mask=st.integers(1, 255))
def test_a_flipped_byte_anywhere_in_the_file_is_found_or_harmless(template, template_dump, scratch, offset, mask):
    """A flip in unused space (free pages, slack, reserved header bytes) changes nothing;
    any other flip is reported — and no flip makes verify crash."""
    home = clone(template[0], scratch)
    db = db_of(home)
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        f.seek(offset % size)
        byte = f.read(1)[0]
        f.seek(offset % size)
        f.write(bytes([byte ^ mask]))
    report = verify_home(home)
    if report.ok:
        try:
            now = dump(db)
        except sqlite3.DatabaseError as exc:
            pytest.fail(f"verify says ok but SQLite cannot read the file: {exc}")
        assert now == template_dump, f"verify says ok but the flip at {offset % size} changed the data"
    else:
        assert report.first is not None and report.first.check


@EXAMPLES
@given(cut=st.integers(0, 1 << 30))
def test_a_truncated_database_file_gives_a_clear_report(template, scratch, cut):
    home = clone(template[0], scratch)
    db = db_of(home)
    size = os.path.getsize(db)
    os.truncate(db, cut % size)
    report = verify_home(home)
    assert not report.ok
    assert report.first.table in {"file", *TABLES}, report.first
    assert report.first.check


def test_truncated_to_nothing_and_to_part_of_a_page(template, scratch, capsys):
    from faechain.cli.main import main

    for cut, words in ((0, "empty (0 bytes)"), (4096 * 3 + 17, "truncated")):
        home = clone(template[0], scratch)
        os.truncate(db_of(home), cut)
        report = verify_home(home)
        assert not report.ok and report.first.table == "file" and words in report.first.check, report.first
        assert main(["verify", "--home", home]) == 1
        out = capsys.readouterr().out
        assert out.startswith(f"FAILED: file {db_of(home)}") and "restore" in out and "backup" in out


def test_lost_blocks_at_the_end_are_named_by_the_head_mark(template, scratch, capsys):
    """A truncated write-ahead log (or an older copy put back) leaves a consistent ledger
    that ends early: the head mark says what was committed."""
    from faechain.cli.main import main

    home = clone(template[0], scratch)
    height = template[1]["height"]
    mark = HeadMark(db_of(home))
    assert mark.read()[0] == height
    mark.write(height + 2, bytes(32))  # as if two more blocks had been committed and lost
    report = verify_home(home)
    assert not report.ok
    assert report.first.table == "meta" and report.first.where == "head" and report.first.height == height + 1
    assert f"committed blocks up to height {height + 2}" in report.first.check
    assert main(["verify", "--home", home]) == 1
    assert "committed blocks were lost" in capsys.readouterr().out


def test_wal_truncation_loses_the_last_blocks_and_is_reported(tmp_path):
    """A real write-ahead log cut short: SQLite keeps the transactions before the cut."""
    home = str(tmp_path / "home")
    create_demo(home)
    node = Node(home, dataclasses.replace(NodeConfig.load(home), verify_workers=0))
    node.engine.start()
    for i in range(4):
        assert node.submit_as("exchange", "membership", "set_attributes",
                              {"org_id": org("investor4"), "attributes": {"i": i}}).ok
    height = node.app.height
    node.engine.stop()
    db = db_of(home)
    copy = str(tmp_path / "copy")
    clone(home, copy)  # the files as they are while the node is up: the WAL not yet checkpointed
    node.close()
    wal = db_of(copy) + "-wal"
    if os.path.exists(db_of(copy) + "-shm"):
        os.remove(db_of(copy) + "-shm")
    assert os.path.getsize(wal) > 32 + 4120
    os.truncate(wal, os.path.getsize(wal) - 4120 * 3 - 100)  # the last transactions and part of a frame
    report = verify_home(copy)
    assert not report.ok
    assert report.first.table == "meta" and f"up to height {height}" in report.first.check, report.first
    assert any(f.kind == "note" and "ends inside a frame" in f.check for f in report.findings)
    assert db  # the original is untouched
    assert verify_home(home).ok


# -- the vault ---------------------------------------------------------------------------------------
def vault_file(home: str, h: str) -> str:
    return os.path.join(paths(home)["vault"], h[:2], h)


@EXAMPLES
@given(offset=st.integers(0, 1 << 20), mask=st.integers(1, 255), truncate=st.booleans())
def test_a_damaged_vault_file_is_named(template, scratch, offset, mask, truncate):
    home = clone(template[0], scratch)
    path = vault_file(home, template[1]["stored_doc"])
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if truncate:
        data = data[: offset % len(data)]
    else:
        data[offset % len(data)] ^= mask
    with open(path, "wb") as f:
        f.write(data)
    report = verify_home(home)
    assert not report.ok
    assert report.first.table == "vault" and report.first.where == path, report.first
    assert report.first.kind == "damaged" and "no longer hash" in report.first.check
    assert report.ledger.ok  # the ledger itself is fine


def test_a_registered_document_not_held_is_missing_not_damaged(template, scratch, capsys):
    from faechain.cli.main import main

    home = clone(template[0], scratch)
    report = verify_home(home)
    assert report.ok
    missing = [f for f in report.findings if f.kind == "missing"]
    assert [f.where for f in missing] == [template[1]["absent_doc"]]
    assert report.vault.checked == 1 and not report.vault.damaged
    os.remove(vault_file(home, template[1]["stored_doc"]))
    report = verify_home(home)
    assert report.ok
    assert sorted(f.where for f in report.findings if f.kind == "missing") == sorted(
        [template[1]["absent_doc"], template[1]["stored_doc"]])
    assert main(["verify", "--home", home]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok:") and "missing: vault" in out


def test_json_report(template, scratch, capsys):
    import json

    from faechain.cli.main import main

    home = clone(template[0], scratch)
    flip_row(db_of(home), "kv", 3, 2, 1, 0x80)
    assert main(["verify", "--home", home, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["first"]["table"] == "kv" and doc["first"]["kind"] == "damaged"
    assert "restore" in doc["recovery"]
