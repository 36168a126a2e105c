"""Clearing at scale: a root split into 3,000 live pieces is paid over two blocks.

confirm_payment records the payment; `end_block` pays at most CLEAR_BATCH (2,000)
pieces per block over all roots being cleared, so the confirming block pays 2,000
and the next one the remaining 1,000. The payouts add up to the fen, each within one
fen of the exact pro-rata share, and the chain (end-block events included, through
results_root) verifies afterwards.
"""

from __future__ import annotations

import time
from fractions import Fraction

import faechain.modules.receivables.end_block as end_block
from faechain.modules.receivables.records import LIVE
from faechain.node.verify import verify_chain
from tests.modules.receivables.rcv_support import DAY, Rcv

CLEAR_BATCH = end_block.CLEAR_BATCH
RECIPIENTS = ("supplier2", "supplier3", "factor", "bank", "bank2", "core2", "amc", "investor1", "investor2")


def split_many(r: Rcv, root: str, holder: str, n: int, per_block: int = 1000) -> dict[str, int]:
    """Split `n` pieces off `root`'s piece held by `holder`, `per_block` chained transfers per block.

    Transfer ids are deterministic (V-<height>-<tx index>-<n>: the moved piece is n=1,
    the remainder n=2), so each transfer in a block can name the remainder of the one
    before it. Returns {moved piece: amount}, and the final remainder under key "rest".
    """
    o, c = r.o, r.c
    pieces: dict[str, int] = {}
    current = root
    made = 0
    while made < n:
        k = min(per_block, n - made)
        height = c.app.height + 1
        txs, planned = [], []
        for i in range(k):
            amount = 1 + (made + i) * 7919 % 997  # 1 .. 997 fen, uneven so that rounding matters
            to = RECIPIENTS[(made + i) % len(RECIPIENTS)]
            txs.append(c.sign(holder, "receivables", "transfer", dict(id=current, to=o[to], amount=amount)))
            planned.append((f"V-{height}-{i}-1", amount))
            current = f"V-{height}-{i}-2"
        res = c.block(txs)
        bad = [(x.index, x.code, x.message) for x in res.receipts if not x.ok]
        assert not bad, bad[:3]
        pieces.update(planned)
        made += k
    pieces["rest"] = current
    return pieces


def test_clearing_3000_pieces(demo_chain):
    started = time.process_time()  # the CPU it costs: a busy machine's wall clock is no measure
    r = Rcv(demo_chain)
    r.warm()
    r.line(100_000_000_00)
    o, c = r.o, r.c
    total = 10_000_000_07
    root = r.issue(total, days=2)
    made = split_many(r, root, "supplier1", 2_999)
    rest = made.pop("rest")
    live = r.live(root)
    assert len(live) == 3_000 and sum(live.values()) == total
    assert live[rest] == total - sum(made.values())
    assert r.get(f"root/{root}")["live_count"] == 3_000
    open_before = r.get(f"core/{o['core']}")["open"]

    c.advance(2 * DAY)
    paid_amount = total - 12_345  # a partial payment, so that most shares are not whole
    res = c.block([c.sign("bank", "receivables", "confirm_payment", dict(root=root, amount=paid_amount,
                                                                          bank_ref="CCB-SCALE"))])
    rec = res.receipts[0]
    assert rec.ok, rec.message
    assert rec.result["pieces"] == 3_000
    progress = [e["attrs"] for e in res.end_events if e["type"] == "ClearingProgress"]
    assert progress and sum(p["paid"] for p in progress) == CLEAR_BATCH
    assert not [e for e in res.end_events if e["type"] == "RootPaid"]
    assert len(r.live(root)) == 3_000 - CLEAR_BATCH
    assert r.get(f"root/{root}")["status"] == "CLEARING"
    assert r.get(f"core/{o['core']}")["open"] == open_before - total
    paid_now = [v for v in r.scan("voucher/").values() if v["root"] == root and v["status"] == "PAID"]
    assert len(paid_now) == CLEAR_BATCH
    # the following block pays the rest; in it, while the root is still clearing, a second
    # confirmation is refused
    res = c.block([c.sign("bank", "receivables", "confirm_payment", dict(root=root, amount=1, bank_ref="AGAIN"))])
    assert [x.code for x in res.receipts] == ["invalid_state"]
    progress = [e["attrs"] for e in res.end_events if e["type"] == "ClearingProgress"]
    assert sum(p["paid"] for p in progress) == 3_000 - CLEAR_BATCH
    assert [e["attrs"] for e in res.end_events if e["type"] == "RootPaid"] == [
        dict(root=root, amount=paid_amount, pieces=3_000, paid_total=paid_amount)]
    assert r.get(f"root/{root}")["status"] == "PAID"
    rootrec = r.get(f"root/{root}")
    assert rootrec["payment"]["paid_pieces"] == 3_000 and rootrec["payment"]["paid_total"] == paid_amount
    assert r.live(root) == {}
    assert r.get("clearing") == []
    pieces = {vid: v for vid, v in r.scan("voucher/").items() if v["root"] == root}
    paid = {v["id"]: v for v in pieces.values() if v["status"] == "PAID"}
    assert len(paid) == 3_000
    assert sum(v["paid"] for v in paid.values()) == paid_amount
    for v in paid.values():
        exact = Fraction(paid_amount * v["amount"], total)
        assert abs(v["paid"] - exact) < 1, (v["id"], v["paid"], exact)
    assert set(paid) == set(live)
    assert not [v for v in pieces.values() if v["status"] in LIVE]

    report = verify_chain(c.store, c.genesis)
    assert report.ok, report
    assert time.process_time() - started < 60


def test_the_block_budget_is_shared_by_every_root_being_cleared(demo_chain, monkeypatch):
    """Two roots confirmed in the same block share one CLEAR_BATCH per block, oldest first."""
    monkeypatch.setattr(end_block, "CLEAR_BATCH", 10)
    r = Rcv(demo_chain)
    r.warm()
    r.line(100_000_000_00)
    c = r.c
    x = r.issue(1_000_00, days=1)
    y = r.issue(2_000_00, days=1)
    split_many(r, x, "supplier1", 7)  # 8 live pieces
    split_many(r, y, "supplier1", 11)  # 12 live pieces
    c.advance(DAY)
    res = c.block([c.sign("bank", "receivables", "confirm_payment", dict(root=x, amount=1_000_00, bank_ref="X")),
                   c.sign("bank", "receivables", "confirm_payment", dict(root=y, amount=1_999_99, bank_ref="Y"))])
    assert [rc.code for rc in res.receipts] == ["ok", "ok"]
    per_root = {e["attrs"]["root"]: e["attrs"]["paid"] for e in res.end_events if e["type"] == "ClearingProgress"}
    assert per_root == {x: 8, y: 2}
    assert [e["attrs"]["root"] for e in res.end_events if e["type"] == "RootPaid"] == [x]
    res = c.block([])
    assert {e["attrs"]["root"]: e["attrs"]["paid"] for e in res.end_events if e["type"] == "ClearingProgress"} == \
        {y: 10}
    assert r.get(f"root/{y}")["status"] == "PAID"
    assert sum(v["paid"] for v in r.scan("voucher/").values() if v["root"] == y and v["status"] == "PAID") == 1_999_99
    assert r.get("clearing") == []
    res = c.block([])
    assert not [e for e in res.end_events if e["type"] in ("ClearingProgress", "RootPaid")]
    assert verify_chain(c.store, c.genesis).ok


def test_verify_chain_accepts_a_contract_expired_rejection(demo_chain):
    r = Rcv(demo_chain)
    r.warm()
    r.line()
    vid = r.issue(1_000_00, days=1)
    r.c.advance(DAY)
    r.rejected("supplier1", "transfer", "expired", id=vid, to=r.o["supplier2"], amount=1)
    report = verify_chain(r.c.store, r.c.genesis)
    assert report.ok, report
