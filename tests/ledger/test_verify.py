"""verify_chain: a clean chain verifies; each kind of tampering names its block."""

from __future__ import annotations

import dataclasses

import pytest

from faechain.core.encoding import decode, encode
from faechain.identity.ca import sign_revocation
from faechain.node.verify import VerifyReport, verify_chain


def flip(data: bytes, pos: int = -1) -> bytes:
    b = bytearray(data)
    b[pos] ^= 0x01
    return bytes(b)


@pytest.fixture
def built(chain):
    """Six blocks (0..5) exercising every kind of receipt verify_chain reasons about."""
    c = chain
    inv = c.org_ids["investor"]
    good = c.sign("exchange", "membership", "set_attributes", {"org_id": inv, "attributes": {"qualified": True}})
    r1 = c.block([
        good,
        c.sign("bank", "membership", "set_attributes", {"org_id": inv, "attributes": {"x": 1}}),  # unauthorized
        b"\x00garbage",
    ])
    assert [r.code for r in r1.receipts] == ["ok", "unauthorized", "bad_encoding"]
    bob = c.new_identity("bank", "bob")
    bad_sig_env = decode(c.sign("exchange", "membership", "set_attributes", {"org_id": inv, "attributes": {"y": 2}}))
    bad_sig_env[2] = flip(bad_sig_env[2], 0)
    zed = c.new_identity("bank", "zed")
    zed_rev = sign_revocation(c.ca("bank"), c.chain_id, zed.cert_id, "never joined")
    r2 = c.block([
        c.sign(bob, "membership", "revoke", {"org_id": c.org_ids["bank"], "cert_id": zed.cert_id,
                                             "reason": "never joined",
                                             "ca_signature": bytes.fromhex(zed_rev["ca_signature"])}),  # registers bob
        encode(bad_sig_env),
    ])
    assert [r.code for r in r2.receipts] == ["ok", "bad_signature"]
    r3 = c.block([
        c.sign(bob, "membership", "set_attributes", {"org_id": inv, "attributes": {"z": 4}}, attach_cert=False),
        good,
    ])
    assert [r.code for r in r3.receipts] == ["unauthorized", "replay"]
    rev = sign_revocation(c.ca("bank"), c.chain_id, bob.cert_id, "left the bank")
    r4 = c.block([
        c.sign("exchange", "membership", "revoke", {"org_id": c.org_ids["bank"], "cert_id": bob.cert_id,
                                                    "reason": "left the bank",
                                                    "ca_signature": bytes.fromhex(rev["ca_signature"])}),
        c.sign(bob, "membership", "set_attributes", {"org_id": inv, "attributes": {"z": 5}}, attach_cert=False),
    ])
    assert [r.code for r in r4.receipts] == ["ok", "revoked"]
    c.block([])
    assert c.app.height == 5
    return c


def check_bad(chain, height: int, words: str = "", genesis=None) -> VerifyReport:
    report = verify_chain(chain.store, genesis or chain.genesis)
    assert not report.ok, report
    assert report.first_bad_height == height, report
    assert report.blocks == height
    assert words in report.reason, report
    return report


def sql(chain, statement: str, *args):
    chain.store.write.execute(statement, args)


def test_clean_chain_verifies(built):
    report = verify_chain(built.store, built.genesis)
    assert report.ok, report
    assert report.blocks == 6 and report.head == 5 and report.first_bad_height is None
    assert report.txs == 9
    assert str(report).startswith("ok: 6 blocks")


def test_fresh_chain_verifies(chain):
    report = verify_chain(chain.store, chain.genesis)
    assert report.ok and report.blocks == 1, report


def test_progress_callback(built):
    seen = []
    assert verify_chain(built.store, built.genesis, progress=seen.append).ok
    assert seen == [0, 1, 2, 3, 4, 5]


def test_reopened_chain_keeps_verifying(built):
    built.reopen()
    built.run("exchange", "membership", "set_attributes", {"org_id": built.org_ids["bank"], "attributes": {"a": 1}})
    assert verify_chain(built.store, built.genesis).ok


@pytest.mark.parametrize("height", [0, 2, 5])
def test_flipped_header_byte(built, height):
    header = built.store.block(height)[1]
    sql(built, "UPDATE blocks SET header=? WHERE height=?", flip(header), height)
    check_bad(built, height, "header")


def test_header_rehashed_breaks_the_next_link(built):
    """Tamper a header and fix its stored hash: the child's prev link catches it."""
    h = decode(built.store.block(2)[1])
    h["time"] += 1
    new = encode(h)
    sql(built, "UPDATE blocks SET header=?, hash=? WHERE height=2", new, built.app.hash(new))
    check_bad(built, 3, "prev")


@pytest.mark.parametrize("height,idx", [(1, 0), (2, 0), (3, 0), (4, 0)])
def test_flipped_signature(built, height, idx):
    env = built.store.block_txs(height)[idx][2]
    e = decode(env)
    e[2] = flip(e[2], 5)
    sql(built, "UPDATE txs SET envelope=? WHERE height=? AND idx=?", encode(e), height, idx)
    check_bad(built, height, "signature")


def test_flipped_envelope_body_byte(built):
    env = built.store.block_txs(1)[0][2]
    e = decode(env)
    e[1] = flip(e[1], -3)  # inside the body: decodes no more or changes the hash
    sql(built, "UPDATE txs SET envelope=? WHERE height=1 AND idx=0", encode(e))
    check_bad(built, 1)


def test_signature_of_a_rejected_tx_is_not_required(built):
    """A bad_signature receipt whose signature is made valid is itself a lie."""
    rows = built.store.block_txs(2)
    env = decode(rows[1][2])
    env[2] = built.ids["exchange"].key.sign(b"faechain/tx/v1\x00" + env[1])
    sql(built, "UPDATE txs SET envelope=? WHERE height=2 AND idx=1", encode(env))
    check_bad(built, 2, "bad_signature")


@pytest.mark.parametrize("height,idx", [(1, 0), (1, 2), (3, 1), (4, 1)])
def test_flipped_receipt_byte(built, height, idx):
    rec = built.store.block_txs(height)[idx][3]
    sql(built, "UPDATE txs SET receipt=? WHERE height=? AND idx=?", flip(rec, -1), height, idx)
    check_bad(built, height)


def test_receipt_code_changed(built):
    rec = decode(built.store.block_txs(1)[1][3])
    rec["code"] = "ok"
    sql(built, "UPDATE txs SET receipt=? WHERE height=1 AND idx=1", encode(rec))
    check_bad(built, 1, "results_root")


def test_flipped_stored_tx_hash(built):
    h = built.store.block_txs(3)[0][1]
    sql(built, "UPDATE txs SET hash=? WHERE height=3 AND idx=0", flip(h))
    check_bad(built, 3)


def test_deleted_tx_row(built):
    sql(built, "DELETE FROM txs WHERE height=4 AND idx=1")
    check_bad(built, 4)


@pytest.mark.parametrize("height", [0, 1, 2, 4])
def test_flipped_kv_value(built, height):
    key, value = built.store.read.execute(
        "SELECT key, value FROM kv WHERE height=? AND value IS NOT NULL ORDER BY key LIMIT 1", (height,)).fetchone()
    sql(built, "UPDATE kv SET value=? WHERE key=? AND height=?", flip(value), key, height)
    check_bad(built, height)


def test_extra_kv_row(built):
    sql(built, "INSERT INTO kv VALUES (?,?,?)", b"membership/org/X", 3, b"\xa0")
    check_bad(built, 3, "app_hash")


@pytest.mark.parametrize("height", [1, 3, 5])
def test_deleted_block_row(built, height):
    sql(built, "DELETE FROM blocks WHERE height=?", height)
    check_bad(built, height, "missing")


def test_deleted_genesis_block(built):
    sql(built, "DELETE FROM blocks WHERE height=0")
    check_bad(built, 0, "missing")


def test_event_row_tampered(built):
    sql(built, "UPDATE events SET type='Forged' WHERE height=4")
    check_bad(built, 4, "events")


def test_replay_guard_row_removed(built):
    tx_hash = built.store.block_txs(2)[0][1]
    sql(built, "DELETE FROM tx_by_hash WHERE hash=?", tx_hash)
    check_bad(built, 2, "replay")


def test_head_record_mismatch(built):
    head = decode(built.store.meta("head"))
    head["app_hash"] = bytes(32)
    built.store.put_meta({"head": encode(head)})
    check_bad(built, 5, "head")


def test_rows_beyond_head(built):
    sql(built, "INSERT INTO kv VALUES (?,?,?)", b"membership/x", 9, b"\x01")
    check_bad(built, 6, "beyond")


def test_other_genesis_document(built):
    other = dataclasses.replace(built.genesis, genesis_time=built.genesis.genesis_time + 1)
    check_bad(built, 0, "genesis", genesis=other)


def test_genesis_state_row_deleted(built):
    """Height 0's state must be exactly what the genesis document produces."""
    key = built.store.read.execute("SELECT key FROM kv WHERE height=0 ORDER BY key LIMIT 1").fetchone()[0]
    sql(built, "DELETE FROM kv WHERE key=? AND height=0", key)
    check_bad(built, 0, "genesis state")


def test_empty_ledger(tmp_path, chain):
    from faechain.ledger.storage import Store

    empty = Store(str(tmp_path / "empty.db"))
    report = verify_chain(empty, chain.genesis)
    assert not report.ok and report.first_bad_height == 0 and "empty" in report.reason
    empty.close()


def test_verify_beside_a_running_node(chain, engine):
    """verify_chain reads one snapshot: blocks committed meanwhile never make it fail."""
    import threading

    stop = threading.Event()

    def traffic():
        i = 0
        while not stop.is_set():
            subs = [engine.submit(chain.sign("exchange", "membership", "set_attributes",
                                             {"org_id": chain.org_ids["bank"], "attributes": {"i": i + j}},
                                             now_ms=engine.now_ms()), wait=False) for j in range(20)]
            assert all(s.check.ok for s in subs)
            i += 20
            stop.wait(0.01)

    t = threading.Thread(target=traffic)
    t.start()
    try:
        reports = []
        for _ in range(5):
            reports.append(verify_chain(chain.store, chain.genesis))
            stop.wait(0.05)
    finally:
        stop.set()
        t.join(timeout=30)
    assert all(r.ok for r in reports), [str(r) for r in reports if not r.ok]
    assert reports[-1].blocks > 1


# -- end_block hooks: their events add one results-root leaf ---------------------------------

from faechain.contracts.runtime import REGISTRY, Contract, register  # noqa: E402


class Ticker(Contract):
    """Test-only: every end_block writes a counter and emits a Tick (every third block two)."""

    name = "ticker_test"

    def end_block(self, ctx) -> None:
        n = (ctx.state.get("n") or 0) + 1
        ctx.state.put("n", n)
        ctx.emit("Tick", n=n, height=ctx.height)
        if n % 3 == 0:
            ctx.emit("Third", n=n)


@pytest.fixture
def ticking(make_chain):
    register(Ticker)
    try:
        c = make_chain()
        for i in range(4):
            c.block([c.sign("exchange", "membership", "set_attributes",
                            {"org_id": c.org_ids["bank"], "attributes": {"i": i}})] if i % 2 else [])
        yield c
    finally:
        REGISTRY.pop(Ticker.name, None)


def end_rows(chain, height):
    n = len(chain.store.block_txs(height))
    return chain.store.read.execute("SELECT idx, n, contract, type, data FROM events WHERE height=? AND idx=?",
                                    (height, n)).fetchall()


def test_end_block_events_verify(ticking):
    assert [r[3] for r in end_rows(ticking, 3)] == ["Tick", "Third"]
    assert verify_chain(ticking.store, ticking.genesis).ok


def test_end_block_event_tampered(ticking):
    idx, n, contract, type_, data = end_rows(ticking, 2)[0]
    sql(ticking, "UPDATE events SET data=? WHERE height=2 AND idx=? AND n=?", encode({"n": 99, "height": 2}), idx, n)
    check_bad(ticking, 2, "results_root")


def test_end_block_event_deleted(ticking):
    idx = end_rows(ticking, 3)[0][0]
    sql(ticking, "DELETE FROM events WHERE height=3 AND idx=? AND n=1", idx)
    check_bad(ticking, 3)


def test_end_block_events_all_deleted(ticking):
    sql(ticking, "DELETE FROM events WHERE height=1")
    check_bad(ticking, 1, "results_root")


def test_end_block_event_added(ticking):
    idx = end_rows(ticking, 4)[0][0]
    sql(ticking, "INSERT INTO events VALUES (?,?,?,?,?,?)", 4, idx, 5, "ticker_test", "Forged", encode({}))
    check_bad(ticking, 4)


def test_end_block_state_tampered(ticking):
    sql(ticking, "UPDATE kv SET value=? WHERE key=? AND height=3", encode(42), b"ticker_test/n")
    check_bad(ticking, 3, "app_hash")
