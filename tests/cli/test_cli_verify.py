"""`fae verify` on a ledger made in-process: ok, then tampered (exit 1, first bad block)."""

from __future__ import annotations

import gc
import os
import sqlite3

from faechain.cli.main import main
from faechain.devnet.demo import MEMBERS, create_demo, demo_org_id
from faechain.node.node import Node

INVESTOR4_ORG = demo_org_id([m.name for m in MEMBERS].index("investor4") + 1)


def make_ledger(home: str, n: int = 3) -> int:
    create_demo(home)
    node = Node(home)
    node.engine.start()
    try:
        for i in range(n):
            r = node.submit_as("exchange", "membership", "set_attributes",
                               {"org_id": INVESTOR4_ORG, "attributes": {"round": i}})
            assert r.ok, r
        return node.app.height
    finally:
        node.engine.stop()
        node.store.close()


def test_verify_ok_then_tampered(tmp_path, capsys):
    home = str(tmp_path / "demo")
    height = make_ledger(home)
    db = os.path.join(home, "data", "chain.db")
    gc.collect()  # close the node's per-thread reader connections (the last one checkpoints)
    before = os.stat(db).st_mtime_ns
    assert main(["verify", "--home", home]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: {height + 1} blocks verified")
    assert os.stat(db).st_mtime_ns == before  # read-only

    # tamper with the state written by the last block
    conn = sqlite3.connect(db)
    key = f"membership/org/{INVESTOR4_ORG}".encode()
    cur = conn.execute("UPDATE kv SET value=? WHERE key=? AND height=?", (b"\xa0", key, height))
    assert cur.rowcount == 1
    conn.commit()
    conn.close()
    assert main(["verify", "--home", home]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"FAILED: block {height}:") and "app_hash" in out


def test_verify_beside_missing_ledger(tmp_path, capsys):
    home = str(tmp_path / "demo")
    create_demo(home)
    assert main(["verify", "--home", home]) == 2
    assert "no ledger" in capsys.readouterr().err
