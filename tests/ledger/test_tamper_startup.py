"""A node refuses to start from damaged storage (with how to recover), and a running node
that finds damage fails the request with 500 `storage_damaged` and stops taking
transactions instead of answering wrongly."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
import tempfile

import pytest
from test_tamper import build_home, clone, db_of, org

from faechain.chain.engine import EngineError
from faechain.core.encoding import decode
from faechain.core.genesis import Genesis
from faechain.ledger.integrity import HeadMark, StorageDamaged, check_startup
from faechain.ledger.smt import EMPTY, LEAF
from faechain.ledger.storage import Store
from faechain.node.config import NodeConfig, paths
from faechain.node.node import Node
from faechain.node.startup import open_ledger
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import ApiError, Client, Identity
from tests.sdk.lying_proxy import HonestHeaders


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("startup") / "home")
    info = build_home(home)
    return home, info


@pytest.fixture
def home(template):
    with tempfile.TemporaryDirectory(prefix="fae-startup-") as tmp:
        dst = clone(template[0], os.path.join(tmp, "home"))
        for name in ("wallet", "ca"):  # the node signs as wallet identities in some tests
            os.symlink(os.path.join(template[0], name), os.path.join(dst, name))
        yield dst


def config(home: str, **kw) -> NodeConfig:
    return dataclasses.replace(NodeConfig.load(home), verify_workers=0, **kw)


def sql(home: str, statement: str, *args) -> int:
    conn = sqlite3.connect(db_of(home))
    try:
        n = conn.execute(statement, args).rowcount
        conn.commit()
        return n
    finally:
        conn.close()


def one(home: str, statement: str, *args):
    conn = sqlite3.connect(db_of(home))
    try:
        return conn.execute(statement, args).fetchone()
    finally:
        conn.close()


def flipped(data: bytes, at: int = -1, mask: int = 1) -> bytes:
    b = bytearray(data)
    b[at] ^= mask
    return bytes(b)


def head(home: str) -> dict:
    return decode(one(home, "SELECT v FROM meta WHERE k='head'")[0])


def refuses(home: str, table: str, words: str = "") -> StorageDamaged:
    with pytest.raises(StorageDamaged) as info:
        Node(home, config(home))
    exc = info.value
    assert exc.table == table, exc
    assert words in exc.check, exc
    text = str(exc)
    assert text.startswith(f"damaged storage: {table}")
    assert "restore" in text and "backup" in text and os.path.join(home, "data") in text
    return exc


# -- a clean start ----------------------------------------------------------------------------------
def test_a_clean_ledger_starts_and_keeps_its_head_mark(home, template):
    node = Node(home, config(home))
    try:
        assert node.app.height == template[1]["height"]
        assert HeadMark(db_of(home)).read() == (node.app.height, node.app.block_hash)
        assert node.store.check_value is not None  # values read from disk are checked from now on
        node.engine.start()
        r = node.submit_as("exchange", "membership", "set_attributes",
                           {"org_id": org("investor4"), "attributes": {"after": 1}})
        assert r.ok
        assert HeadMark(db_of(home)).read() == (node.app.height, node.app.block_hash)
    finally:
        node.close()


def test_the_startup_check_is_cheap(home):
    genesis = Genesis.load(paths(home)["genesis"])
    store = Store(db_of(home))
    try:
        report = check_startup(store, genesis, mark=HeadMark(db_of(home)))
    finally:
        store.close()
    assert report.height > 0 and report.values_checked > 0
    assert report.seconds < 2.0, report  # milliseconds here; the figures are in docs/integrity.md


# -- damage the startup check finds --------------------------------------------------------------------
def test_head_block_header_flipped(home):
    h = head(home)["height"]
    header = one(home, "SELECT header FROM blocks WHERE height=?", h)[0]
    sql(home, "UPDATE blocks SET header=? WHERE height=?", flipped(header, 20), h)
    exc = refuses(home, "blocks")
    assert exc.where == f"height {h}" and exc.height == h


def test_previous_block_header_flipped(home):
    h = head(home)["height"] - 1
    header = one(home, "SELECT header FROM blocks WHERE height=?", h)[0]
    sql(home, "UPDATE blocks SET header=? WHERE height=?", flipped(header, 40), h)
    assert refuses(home, "blocks").where == f"height {h}"


def test_head_receipt_flipped(home):
    h = head(home)["height"]
    idx, receipt = one(home, "SELECT idx, receipt FROM txs WHERE height=? ORDER BY idx LIMIT 1", h)
    sql(home, "UPDATE txs SET receipt=? WHERE height=? AND idx=?", flipped(receipt, -2), h, idx)
    assert refuses(home, "txs").height == h


def test_value_written_by_the_head_block_flipped(home):
    h = head(home)["height"]
    key, value = one(home, "SELECT key, value FROM kv WHERE height=? AND value IS NOT NULL LIMIT 1", h)
    sql(home, "UPDATE kv SET value=? WHERE key=? AND height=?", flipped(value, 7), key, h)
    exc = refuses(home, "kv", "Merkle leaf")
    assert exc.where == f"key {key.decode()} at height {h}"


def test_root_merkle_node_flipped(home):
    root = head(home)["app_hash"]
    enc = one(home, "SELECT enc FROM nodes WHERE hash=?", root)[0]
    sql(home, "UPDATE nodes SET enc=? WHERE hash=?", flipped(enc, 10), root)
    assert refuses(home, "nodes", "hash to its address").where == f"node {root.hex()}"


def test_root_merkle_node_missing(home):
    sql(home, "DELETE FROM nodes WHERE hash=?", head(home)["app_hash"])
    refuses(home, "nodes", "missing")


def test_head_record_flipped(home):
    raw = one(home, "SELECT v FROM meta WHERE k='head'")[0]
    sql(home, "UPDATE meta SET v=? WHERE k='head'", flipped(raw, 12, 0x20))
    refuses(home, "meta")


def test_genesis_record_flipped(home):
    raw = one(home, "SELECT v FROM meta WHERE k='genesis'")[0]
    sql(home, "UPDATE meta SET v=? WHERE k='genesis'", flipped(raw, 300))
    assert refuses(home, "meta", "genesis").where == "genesis"


def test_a_damaged_btree_page_fails_quick_check(home):
    db = db_of(home)
    root = one(home, "SELECT rootpage FROM sqlite_master WHERE name='kv'")[0]
    with open(db, "r+b") as f:
        f.seek((root - 1) * 4096)
        kind = f.read(1)[0]
        f.seek((root - 1) * 4096)
        f.write(bytes([kind ^ 0x07]))  # no valid b-tree page type
    exc = refuses(home, "kv")
    assert "quick_check" in exc.check or "cannot read" in exc.check


@pytest.mark.parametrize("cut", [0, 50, 4096 * 2, -4096, -1])
def test_a_truncated_database_file(home, cut):
    db = db_of(home)
    size = os.path.getsize(db)
    os.truncate(db, cut if cut >= 0 else size + cut)
    exc = refuses(home, "file")
    assert "truncated" in exc.check or "malformed" in exc.check, exc


def test_blocks_lost_from_the_end(home):
    """A truncated write-ahead log or an older copy put back: the ledger ends below the
    height this node had committed (the head mark)."""
    h = head(home)["height"]
    HeadMark(db_of(home)).write(h + 3, bytes(32))
    exc = refuses(home, "meta", f"committed blocks up to height {h + 3}")
    assert "delete" in exc.check  # how to accept a backup restored on purpose


def test_a_rewritten_block_at_the_mark(home):
    h = head(home)["height"]
    HeadMark(db_of(home)).write(h - 1, bytes(32))
    assert refuses(home, "blocks", "not the block this node committed").where == f"height {h - 1}"


def test_under_cometbft_the_advice_is_to_let_cometbft_replay(home):
    h = head(home)["height"]
    header = one(home, "SELECT header FROM blocks WHERE height=?", h)[0]
    sql(home, "UPDATE blocks SET header=? WHERE height=?", flipped(header, 20), h)
    genesis = Genesis.load(paths(home)["genesis"])
    with pytest.raises(StorageDamaged) as info:
        open_ledger(db_of(home), genesis, engine="cometbft", home=home)
    text = str(info.value)
    assert f"move {os.path.join(home, 'data')} aside" in text and "CometBFT re-executes every block" in text


def test_under_cometbft_lost_blocks_are_replayed_not_refused(home):
    """CometBFT's handshake replays the blocks the application lacks: only a note."""
    h = head(home)["height"]
    HeadMark(db_of(home)).write(h + 3, bytes(32))
    genesis = Genesis.load(paths(home)["genesis"])
    store, app = open_ledger(db_of(home), genesis, engine="cometbft", home=home)
    try:
        assert app.height == h
    finally:
        store.close()


# -- the command line --------------------------------------------------------------------------------
def _fae(*args: str) -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "fae")
    return [script, *args] if os.path.exists(script) else [sys.executable, "-m", "faechain", *args]


@pytest.mark.parametrize("command", ["node", "demo"])
def test_fae_refuses_to_start_a_damaged_node(home, command):
    h = head(home)["height"]
    key, value = one(home, "SELECT key, value FROM kv WHERE height=? AND value IS NOT NULL LIMIT 1", h)
    sql(home, "UPDATE kv SET value=? WHERE key=? AND height=?", flipped(value, 3), key, h)
    args = (["node", "start", "--home", home] if command == "node" else
            ["demo", "--home", home, "--port", str(free_port()), "--no-browser", "--empty"])
    proc = subprocess.run(_fae(*args), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert f"damaged storage: kv key {key.decode()} at height {h}" in proc.stderr
    assert "restore" in proc.stderr and "backup" in proc.stderr


# -- damage found while serving ----------------------------------------------------------------------
def _path_nodes(home: str, root: bytes, key_hash: bytes) -> list[bytes]:
    """The hashes of the Merkle nodes from `root` down to the leaf `key_hash` ends at."""
    conn = sqlite3.connect(db_of(home))
    out, node, depth = [], root, 0
    try:
        while node != EMPTY:
            out.append(node)
            enc = conn.execute("SELECT enc FROM nodes WHERE hash=?", (node,)).fetchone()[0]
            if enc[0] == LEAF:
                break
            bit = (key_hash[depth >> 3] >> (7 - (depth & 7))) & 1
            node = enc[33:65] if bit else enc[1:33]
            depth += 1
    finally:
        conn.close()
    return out


def test_a_running_node_refuses_to_answer_from_a_damaged_merkle_node(home):
    nt = NodeThread(home, config(home, port=free_port(), heartbeat=3600.0))
    node = nt.start()
    try:
        ident = Identity.load(home, "exchange")
        client = Client(node.url, identity=ident, timeout=20, trust=HonestHeaders(node.url, ident))
        good = client.prove(f"membership/org/{org('investor1')}")
        assert good["verified"]
        # a key whose leaf this process has not read yet (not in the node cache)
        h = node.app.height
        root = node.app.app_hash
        target = None
        for name in ("investor3", "investor2", "core2", "amc", "rating", "lawfirm", "registrar", "bank2"):
            key = f"membership/org/{org(name)}"
            leaf = _path_nodes(home, root, node.app.hash(key.encode()))[-1]
            if leaf not in node.store._node_cache:
                target = key, leaf
                break
        assert target is not None, "every candidate leaf is cached already"
        key, leaf = target
        enc = one(home, "SELECT enc FROM nodes WHERE hash=?", leaf)[0]
        assert sql(home, "UPDATE nodes SET enc=? WHERE hash=?", flipped(enc, 50), leaf) == 1
        with pytest.raises(ApiError) as info:
            client.prove(key)
        assert info.value.status == 500 and info.value.code == "storage_damaged", info.value
        assert f"node {leaf.hex()}" in info.value.message
        # the node stops taking transactions and says so
        with pytest.raises(ApiError) as info:
            client.submit(ident, "membership", "set_attributes", org_id=org("investor4"), attributes={"late": 1})
        assert info.value.code == "unavailable", info.value
        status, doc = client._call("GET", "/healthz")
        assert status == 503 and doc["ok"] is False
        assert node.app.height == h  # nothing committed after the damage was found
        assert node.app.damaged is not None and "storage" in str(node.app.damaged)
    finally:
        nt.stop()


def test_a_running_node_refuses_a_damaged_value(home):
    nt = NodeThread(home, config(home, port=free_port(), heartbeat=3600.0))
    node = nt.start()
    try:
        client = Client(node.url, identity=Identity.load(home, "regulator"), timeout=20)
        key = f"membership/org/{org('investor2')}".encode()
        height, value = one(home, "SELECT height, value FROM kv WHERE key=? ORDER BY height DESC LIMIT 1", key)
        assert sql(home, "UPDATE kv SET value=? WHERE key=? AND height=?", flipped(value, 30, 0x02), key, height) == 1
        for read in (lambda: client.state(key.decode()),
                     lambda: client.query("membership", "org", org_id=org("investor2"))):
            with pytest.raises(ApiError) as info:
                read()
            assert info.value.status == 500 and info.value.code == "storage_damaged"
            assert f"kv key {key.decode()} at height {height}" in info.value.message
    finally:
        nt.stop()


def test_damage_read_while_executing_a_block_stops_block_production(home):
    """A transaction that reads a damaged value: the block is not committed (no
    `internal_error` receipt from a contract that never failed), the engine stops."""
    node = Node(home, config(home, heartbeat=3600.0))
    try:
        key = f"membership/org/{org('investor4')}".encode()
        height, value = one(home, "SELECT height, value FROM kv WHERE key=? ORDER BY height DESC LIMIT 1", key)
        sql(home, "UPDATE kv SET value=? WHERE key=? AND height=?", flipped(value, 30, 0x02), key, height)
        h = node.app.height
        node.engine.start()
        with pytest.raises(EngineError):
            node.submit_as("exchange", "membership", "set_attributes",
                           {"org_id": org("investor4"), "attributes": {"x": 1}})
        assert node.app.height == h
        assert isinstance(node.engine.error, StorageDamaged)
        assert node.engine.error.table == "kv" and "restore" in str(node.engine.error)
        assert os.path.join(home, "data") in str(node.engine.error)  # this node's own recovery advice
    finally:
        node.close()
