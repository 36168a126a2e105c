"""Clearing at scale: a root split into 3,000 live pieces is instructed over two blocks.

confirm_payment starts a round; `end_block` instructs at most CLEAR_BATCH (2,000)
pieces per block over all roots in a round, so the confirming block instructs 2,000
and the next one the remaining 1,000; the rail then confirms each piece's instruction
(500 to a transaction). The shares add up to the fen, each within one fen of the exact
pro-rata share; a short first round leaves each remainder owed and a second round pays
them; and the chain (end-block events included, through results_root) verifies afterwards.
"""

from __future__ import annotations

import time
from fractions import Fraction

import faechain.modules.receivables.end_block as end_block
from faechain.modules.receivables.records import LIVE
from faechain.node.verify import verify_chain
from tests.modules.receivables.pay_support import owed, pending_instructions
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


def instructed(res, r: Rcv) -> dict[str, int]:
    """{root: pieces instructed} from a block's end events (each instruction names its piece)."""
    out: dict[str, int] = {}
    for e in res.end_events:
        if e["type"] == "ClearingInstructed":
            root = r.v(e["attrs"]["ref"].removeprefix("voucher:"))["root"]
            out[root] = out.get(root, 0) + 1
    return out


def rounds_done(res) -> list[dict]:
    return [e["attrs"] for e in res.end_events if e["type"] == "RoundInstructed"]


def confirm_in_one_block(r: Rcv) -> list:
    """The rail confirms every PENDING instruction PAID, 500 a transaction, all in one block: the receipts."""
    todo = pending_instructions(r)
    res = r.c.block([r.c.sign("bank", "payments", "confirm",
                              dict(results=[[i["id"], "PAID", f"RAIL-{i['id']}"] for i in todo[at:at + 500]]))
                     for at in range(0, len(todo), 500)])
    assert all(x.ok for x in res.receipts), [(x.code, x.message) for x in res.receipts if not x.ok][:3]
    return res.receipts


def events(receipts, kind: str) -> list[dict]:
    return [e["attrs"] for x in receipts for e in x.events if e["type"] == kind]


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
    paid_amount = total - 12_345  # a short payment, so that most shares are not whole
    res = c.block([c.sign("bank", "receivables", "confirm_payment", dict(root=root, amount=paid_amount,
                                                                          bank_ref="CCB-SCALE"))])
    rec = res.receipts[0]
    assert rec.ok, rec.message
    assert rec.result == {"root": root, "round": 1}
    assert [e["attrs"] for e in rec.events if e["type"] == "PaymentConfirmed"] == [
        dict(root=root, amount=paid_amount, bank=o["bank"], bank_ref="CCB-SCALE", round=1)]
    assert instructed(res, r) == {root: CLEAR_BATCH} and not rounds_done(res)
    assert len(pending_instructions(r)) == CLEAR_BATCH
    assert r.get(f"root/{root}")["status"] == "CLEARING" and r.get(f"root/{root}")["round"] is not None
    assert r.get(f"core/{o['core']}")["open"] == open_before  # nothing is paid until the rail confirms
    assert not [v for v in r.scan("voucher/").values() if v["root"] == root and v.get("paid")]
    # the following block instructs the rest; in it, while the round is still being instructed, a
    # second confirmation is refused
    res = c.block([c.sign("bank", "receivables", "confirm_payment", dict(root=root, amount=1, bank_ref="AGAIN"))])
    assert [x.code for x in res.receipts] == ["invalid_state"]
    assert instructed(res, r) == {root: 3_000 - CLEAR_BATCH}
    assert rounds_done(res) == [dict(root=root, round=1, amount=paid_amount, pieces=3_000, instructed=paid_amount)]
    rootrec = r.get(f"root/{root}")
    assert rootrec["status"] == "CLEARING" and rootrec["round"] is None  # instructed, awaiting the rail
    assert rootrec["payment"]["paid_pieces"] == 3_000 and rootrec["payment"]["paid_total"] == paid_amount
    assert r.get("clearing") == []
    shares = {i["ref"].removeprefix("voucher:"): i["amount"] for i in pending_instructions(r)}
    assert set(shares) == set(live) and sum(shares.values()) == paid_amount
    for vid, share in shares.items():
        exact = Fraction(paid_amount * live[vid], total)
        assert abs(share - exact) < 1, (vid, share, exact)

    # the rail pays every piece its share: the root is short, OVERDUE, each remainder still owed
    receipts = confirm_in_one_block(r)
    assert len(events(receipts, "InstructionPaid")) == 3_000
    assert events(receipts, "PaymentShort") == [dict(root=root, payer=o["core"], unpaid=12_345,
                                                     collected=paid_amount)]
    assert not events(receipts, "RootPaid")
    pieces = {vid: v for vid, v in r.scan("voucher/").items() if v["root"] == root and v["status"] in LIVE | {"PAID"}}
    assert {v["id"]: v["paid"] for v in pieces.values()} == shares
    assert {v["id"] for v in pieces.values() if v["status"] == "PAID"} == {v for v in shares if shares[v] == live[v]}
    assert r.get(f"root/{root}")["status"] == "OVERDUE"
    assert r.get(f"core/{o['core']}")["open"] == open_before - paid_amount
    assert owed(r, root) == 12_345

    # a second round pays the remainders, pro rata again; the last confirmation pays the root
    res = c.block([c.sign("bank", "receivables", "confirm_payment", dict(root=root, amount=12_345, bank_ref="REST"))])
    assert res.receipts[0].result == {"root": root, "round": 2}
    while r.get(f"root/{root}")["round"]:
        c.block([])
    receipts = confirm_in_one_block(r)
    assert events(receipts, "RootPaid") == [dict(root=root, amount=total, paid_total=total, discounts=0, rounds=2)]
    rootrec = r.get(f"root/{root}")
    assert rootrec["status"] == "PAID" and rootrec["collected"] == rootrec["paid_total"] == total
    pieces = {vid: v for vid, v in r.scan("voucher/").items() if v["root"] == root and v["status"] in LIVE | {"PAID"}}
    assert {v["id"] for v in pieces.values()} == set(live)
    assert all(v["status"] == "PAID" and v["paid"] == v["amount"] for v in pieces.values())
    assert owed(r, root) == 0 and r.get("clearing") == []
    assert r.get(f"core/{o['core']}")["open"] == open_before - total

    report = verify_chain(c.store, c.genesis)
    assert report.ok, report
    assert time.process_time() - started < 90


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
    assert instructed(res, r) == {x: 8, y: 2}
    assert [e["root"] for e in rounds_done(res)] == [x]
    res = c.block([])
    assert instructed(res, r) == {y: 10}
    assert [e["root"] for e in rounds_done(res)] == [y]
    assert r.get("clearing") == []
    res = c.block([])
    assert not instructed(res, r) and not rounds_done(res)
    receipts = confirm_in_one_block(r)
    assert [e["root"] for e in events(receipts, "RootPaid")] == [x]
    assert r.get(f"root/{x}")["status"] == "PAID"
    assert r.get(f"root/{y}")["status"] == "OVERDUE"  # a fen short
    assert sum(v.get("paid", 0) for v in r.scan("voucher/").values() if v["root"] == y) == 1_999_99
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
