"""The history index: the reference rule, rows written with each block, the same rows when
rebuilt from the blocks or migrated into a database that never had them, end-block
records, and a damaged index found by `check_history`."""

from __future__ import annotations

import gc
import hashlib
import sqlite3
import time

import pytest

from faechain.core.encoding import encode
from faechain.devnet.demo import Samples, create_demo, demo_org_ids
from faechain.devnet.samples import receivables as receivables_demo
from faechain.ledger import history
from faechain.ledger.storage import HISTORY_META, BlockWrite, Store
from faechain.node.config import NodeConfig
from faechain.node.node import Node

ORGS = demo_org_ids()
DAY = 86_400


# -- the rule ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "V-12-0-3", "P-4-0-1", "A-9-1-1", "F-9-0-1", "011002600111-04512876", "91110000MA0000005X",
    "ZDW-2026-110105-000731", "a1b", "f" * 63 + "0", "x" * 127 + "1",
])
def test_reference_like(value):
    assert history.is_ref(value)


@pytest.mark.parametrize("value", [
    "V1", "ACTIVE", "coupon", "receivables", "reused invoice 0001", "tab\t1", "new\nline1",
    "0" * 65, "ab" * 40, "x" * 128 + "1", 12345, b"V-12-0-3", None, True,
])
def test_not_reference_like(value):
    assert not history.is_ref(value)


def test_parts_of_composite_references():
    refs = history._Refs(64)
    refs.walk({"asset": "voucher:V-5-0-1", "loan": "91110000MA0000009X/L-2024-001", "holding":
               "holding:R-3-0-1/senior/91110000MA0000010X", "reason": "order 2026/17 of court"}, history.HOW_ARGS)
    assert list(refs.found) == ["voucher:V-5-0-1", "V-5-0-1", "91110000MA0000009X/L-2024-001",
                                "91110000MA0000009X", "L-2024-001", "holding:R-3-0-1/senior/91110000MA0000010X",
                                "R-3-0-1", "91110000MA0000010X"]


def _receipt(code: str, events=(), result=None) -> bytes:
    return encode({"tx": b"h" * 32, "height": 1, "index": 0, "code": code, "message": "", "result": result,
                   "events": list(events)})


def _envelope(args: dict, signer: bytes = b"s" * 32) -> bytes:
    body = encode({"chain": "c", "signer": signer, "contract": "receivables", "method": "transfer", "args": args,
                   "nonce": 1, "expires": 10})
    return encode([1, body, b"sig", None])


def _lookup_org(org: str):
    record = encode({"org_id": org})
    return lambda key: record if key.startswith(b"membership/cert/") else None


def test_block_rows_order_cap_and_flags():
    args = {"id": "V-1-0-1", "to": "91110000MA0000006X", "note": "free text 1",
            "more": [f"R-{i}" for i in range(100)]}
    events = [{"contract": "receivables", "type": "VoucherTransferred",
               "attrs": {"voucher": "V-1-0-1", "piece": "V-2-0-1", "status": "ACTIVE"}}]
    txs = [(0, b"h" * 32, _envelope(args), _receipt("ok", events, {"voucher": "V-2-0-1"}))]
    tx_rows, ref_rows = history.block_rows(2, txs, [], _lookup_org("91110000MA0000005X"), history.OrgResolver())
    assert tx_rows == [(2, 0, "tx", b"s" * 32, "91110000MA0000005X", "receivables", "transfer", "ok")]
    refs = {ref: how for ref, _, _, how in ref_rows}
    assert len(refs) == history.MAX_TX_REFS
    assert refs["91110000MA0000005X"] == history.HOW_SIGNER
    assert refs["V-1-0-1"] == history.HOW_ARGS | history.HOW_EVENTS  # named in both: flags OR
    assert refs["91110000MA0000006X"] == history.HOW_ARGS
    assert "free text 1" not in refs and "ACTIVE" not in refs
    # the cap drops the last-seen references first: the result's and the events' new ids here
    assert "V-2-0-1" not in refs and "R-0" in refs


def test_rejected_but_authenticated_is_indexed_unauthenticated_is_not():
    lookup = _lookup_org("91110000MA0000005X")
    txs = [
        (0, b"a" * 32, _envelope({"id": "V-1-0-1"}), _receipt("invalid_state")),
        (1, b"b" * 32, _envelope({"id": "V-1-0-1"}), _receipt("bad_signature")),
        (2, b"c" * 32, b"\xff garbage", _receipt("bad_encoding")),
        (3, b"d" * 32, b"env", b"rec"),  # nothing decodes: still a row, never an exception
    ]
    end = [("receivables", "VoucherOverdue", encode({"root": "V-1-0-1", "payer": "91110000MA0000003X"}))]
    tx_rows, ref_rows = history.block_rows(5, txs, end, lookup, history.OrgResolver())
    assert [r[:2] + r[4:5] + r[7:] for r in tx_rows] == [
        (5, 0, "91110000MA0000005X", "invalid_state"), (5, 1, "", "bad_signature"), (5, 2, "", "bad_encoding"),
        (5, 3, "", ""), (5, 4, "", "ok")]
    assert tx_rows[-1][2] == "end_block"
    assert sorted((r, i) for r, _, i, _ in ref_rows) == [
        ("91110000MA0000003X", 4), ("91110000MA0000005X", 0), ("V-1-0-1", 0), ("V-1-0-1", 4)]


def test_store_commit_writes_history_and_garbage_never_fails_a_commit(tmp_path):
    store = Store(str(tmp_path / "chain.db"))
    try:
        w = BlockWrite(height=0, block_hash=b"\x00" * 32, header=b"h0", app_hash=bytes(32),
                       txs=[(0, b"h" * 32, b"env", b"rec")], executed=[], events=[], values={}, nodes={},
                       index_del=[], index_add=[], meta={"head": b"0"})
        store.commit(w)
        assert store.history_record(0, 0) == ("tx", b"", "", "", "", "")
        assert store.meta(HISTORY_META) == history.HISTORY_VERSION
    finally:
        store.close()


# -- on a real chain -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A demo node (in-process, no API) with the receivables sample, a rejected issue and a
    voucher that lapses in an end-block; yields (node, ids)."""
    home = str(tmp_path_factory.mktemp("history"))
    create_demo(home)
    cfg = NodeConfig.load(home)
    cfg.verify_workers = 0
    node = Node(home, cfg)
    node.engine.start()
    try:
        samples = Samples(node.submit_as, lambda d: hashlib.sha256(d).hexdigest(), ORGS,
                          now=lambda: node.engine.now_ms() // 1000)
        ids = receivables_demo.seed(samples)
        now = node.engine.now_ms() // 1000
        # the same invoice again: over its face amount, refused, on the ledger all the same
        r = node.submit_as("core", "receivables", "issue", {
            "to": ORGS["supplier1"], "amount": 100, "maturity": now + 30 * DAY,
            "invoices": [["011002600111-04512876", 100]], "contract_hash": "ab" * 32})
        assert r.code == "limit_exceeded", r
        ids["rejected"] = r.tx_hash
        # the pending voucher is never accepted: it lapses at maturity (an end-block event)
        # (each block catches up at most 31 days, so step through them)
        for _ in range(4):
            h0 = node.app.height
            node.engine.advance_time(25 * DAY)
            deadline = time.monotonic() + 20
            while node.app.height <= h0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert node.app.height > h0
        ids["head"] = node.app.height
        yield node, ids
    finally:
        node.engine.stop()
        node.store.close()


def _methods(store, ref):
    out = []
    for h, i, how in store.history_find(ref):
        kind, _signer, org, contract, method, code = store.history_record(h, i)
        out.append((kind, org, contract, method, code, history.how_names(how)))
    return out


def test_a_voucher_through_transfer_and_financing(chain):
    node, ids = chain
    got = _methods(node.store, ids["tier3"])
    assert [(m, code) for _, _, _, m, code, _ in got] == [
        ("transfer", "ok"), ("request_financing", "ok"), ("attest_registration", "ok"), ("fund", "ok")]
    transfer, request, _attested, fund = got  # the registry agent's attestation names the piece
    assert transfer[1] == ORGS["supplier2"] and transfer[5] == ["result", "events"]  # created there
    assert request[1] == ORGS["supplier3"] and "args" in request[5]
    assert fund[1] == ORGS["factor"] and fund[5] == ["events"]
    root = _methods(node.store, ids["root"])
    assert [m for _, _, _, m, _, _ in root][:3] == ["issue", "accept", "transfer"]


def test_a_rejected_transaction_is_in_its_signers_history(chain):
    node, ids = chain
    rows = node.store.history_find(ORGS["core"])
    found = [(h, i) for h, i, _ in rows if node.store.tx_at(h, i) is not None
             and node.store.tx_at(h, i)[0] == ids["rejected"]]
    assert len(found) == 1
    h, i = found[0]
    assert node.store.history_record(h, i)[2:] == (ORGS["core"], "receivables", "issue", "limit_exceeded")
    # and in the invoice's history, beside the issues that drew on it
    inv = [node.store.history_record(h2, i2)[4:] for h2, i2, _ in node.store.history_find("011002600111-04512876")]
    assert ("issue", "limit_exceeded") in inv and ("register_invoice", "ok") in inv


def test_end_block_events_are_records_at_index_n_txs(chain):
    node, ids = chain
    lapsed = [(h, i) for h, i, how in node.store.history_find(ids["pending"])
              if node.store.history_record(h, i)[0] == "end_block"]
    assert len(lapsed) == 1
    h, i = lapsed[0]
    assert i == node.store.tx_count(h)
    assert any(t == "VoucherLapsed" for _, t, _ in node.store.events_at(h, i))
    assert ORGS["core2"] in [r for r, _ in node.store.history_refs(h, i)]  # the payer named by the event


def test_rebuild_gives_the_same_rows(chain):
    node, _ = chain
    before = node.store.history_rows()
    assert len(before[0]) > 15 and len(before[1]) > 30
    assert node.store.check_history() == []
    records, refs = node.store.rebuild_history()
    assert (records, refs) == (len(before[0]), len(before[1]))
    assert node.store.history_rows() == before


def test_a_database_without_the_index_gets_it_when_opened(chain, tmp_path):
    node, _ = chain
    before = node.store.history_rows()
    copy = str(tmp_path / "old.db")
    src = sqlite3.connect(node.store.path)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    # what a database written before the history index looks like
    dst.executescript("DROP TABLE history; DROP TABLE history_tx;")
    dst.execute("DELETE FROM meta WHERE k=?", (HISTORY_META,))
    dst.commit()
    dst.close()
    store = Store(copy)
    try:
        assert store.history_rows() == before
        assert store.meta(HISTORY_META) == history.HISTORY_VERSION
    finally:
        store.close()
        gc.collect()


def test_a_damaged_index_is_found_and_rebuilt(chain, tmp_path):
    node, ids = chain
    copy = str(tmp_path / "damaged.db")
    src = sqlite3.connect(node.store.path)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("DELETE FROM history WHERE ref=?", (ids["tier3"],))
    dst.execute("UPDATE history_tx SET org='91110000FORGED000X' WHERE idx=0 AND height=(SELECT MIN(height) "
                "FROM history_tx WHERE height > 0)")
    dst.commit()
    dst.close()
    store = Store(copy)
    try:
        problems = store.check_history()
        assert len(problems) == 2 and "history_tx differs" in problems[0] and ids["tier3"] in problems[1]
        store.rebuild_history()
        assert store.check_history() == []
        assert store.history_rows() == node.store.history_rows()
    finally:
        store.close()
        gc.collect()
