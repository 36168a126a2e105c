"""A revenue-sharing product from draft to close: rating, subscription, register, automatic
collections, the waterfall, negotiated transfers."""

from __future__ import annotations

from tests.modules.products.product_support import DAY, TWO_TRANCHES, YUAN, H
from tests.modules.receivables.pay_support import payments, pending_instructions


def test_a_product_from_origination_to_close(p):
    o = p.o
    pid, (vid,) = p.draft()
    rec = p.product(pid)
    assert rec["status"] == "DRAFT" and rec["underlying_amount"] == 1_000_000 * YUAN
    assert p.rcv.v(vid)["locked_by"] == "products"
    p.ok("rating", "rate", product=pid, grade="AA", outlook="stable", report_hash=H)
    p.ok("factor", "file", product=pid)
    p.ok("exchange", "approve", product=pid, approval_no="TJFAE-2026-31", opens=p.c.now, closes=p.c.now + 5 * DAY)
    p.ok("investor1", "subscribe", product=pid, tranche="senior", amount=500_000 * YUAN)
    p.ok("investor2", "subscribe", product=pid, tranche="senior", amount=300_000 * YUAN)
    p.ok("investor3", "subscribe", product=pid, tranche="sub", amount=200_000 * YUAN)
    assert p.ok("registrar", "establish", product=pid)["status"] == "ESTABLISHED"
    assert p.holding(pid, "senior", "investor1")["units"] == 500_000 * YUAN
    p.ok("bank", "confirm_funding", product=pid, bank_ref="CCB-F-1")
    p.ok("rating", "rate", product=pid, grade="AA-", outlook="negative", report_hash="ff" * 32)  # a re-rating
    assert [r["grade"] for r in p.product(pid)["ratings"]] == ["AA", "AA-"]

    # the underlying voucher is paid: the product is credited inside the rail's confirmation of its piece
    p.c.advance(90 * DAY)
    root = p.rcv.v(vid)["root"]
    r = p.rcv.tx("bank", "confirm_payment", root=root, amount=1_000_000 * YUAN, bank_ref="CCB-MAT-9")
    assert r.ok, r
    p.c.block([])  # end_block instructs the piece
    assert p.product(pid)["collected"] == 0  # not until the rail confirms the piece's instruction
    [ins] = pending_instructions(p.rcv)
    r = payments(p.rcv).tx("bank", "confirm", results=[[ins["id"], "PAID", "CCB-MAT-9"]])
    assert r.ok, r
    assert [e["type"] for e in r.events if e["contract"] == "products"] == ["CollectionCredited"]
    assert p.product(pid)["collected"] == 1_000_000 * YUAN

    p.rejected("registrar", "distribute", "limit_exceeded", product=pid, amount=1_000_000 * YUAN + 1)
    p.rejected("investor1", "distribute", "unauthorized", product=pid)
    d = p.ok("registrar", "distribute", product=pid)
    assert d["amount"] == 1_000_000 * YUAN
    dist = p.get(f"distribution/{pid}/0001")
    steps = {(s["step"], s.get("tranche")): s for s in dist["steps"]}
    days = dist["days"]
    assert days == 90
    fees = 1_000_000 * YUAN * 50 * days // (10_000 * 365)
    senior_interest = 800_000 * YUAN * 500 * days // (10_000 * 365)
    assert steps[("fees", None)]["paid"] == fees
    assert steps[("interest", "senior")]["paid"] == senior_interest
    assert steps[("principal", "senior")]["paid"] == 800_000 * YUAN
    assert steps[("interest", "sub")]["paid"] == 0
    assert steps[("principal", "sub")]["paid"] == 200_000 * YUAN - fees - senior_interest  # runs out here
    assert steps[("residual", "sub")]["paid"] == 0
    assert sum(s["paid"] for s in dist["steps"]) == 1_000_000 * YUAN
    # the money reaches each payee through the rail: the originator's fees and one leg per holder
    legs = {payee: fen for payee, fen, _, _ in dist["legs"]}
    assert sum(legs.values()) == 1_000_000 * YUAN and legs[rec_originator(p, pid)] == fees
    pending = [i for i in pending_instructions(p.rcv) if i["ref"] == f"product:{pid}/1"]
    assert sorted((i["payee"], i["amount"]) for i in pending) == sorted(legs.items())
    r = payments(p.rcv).tx("bank", "confirm", results=[[i["id"], "PAID", f"CCB-D-{i['id']}"] for i in pending])
    assert len([e for e in r.events if e["type"] == "DistributionLegPaid"]) == len(legs)
    assert {leg[3] for leg in p.get(f"distribution/{pid}/0001")["legs"]} == {"PAID"}
    interest = dict(steps[("interest", "senior")]["allocations"])
    assert interest == {o["investor1"]: senior_interest * 5 // 8 + (senior_interest * 5 % 8 >= 4),
                        o["investor2"]: senior_interest - (senior_interest * 5 // 8 + (senior_interest * 5 % 8 >= 4))}
    assert p.holding(pid, "senior", "investor1")["received"] == interest[o["investor1"]] + 500_000 * YUAN
    rec = p.product(pid)
    assert [t["outstanding"] for t in rec["tranches"]] == [0, fees + senior_interest]
    p.rejected("registrar", "distribute", "bad_request", product=pid)  # nothing left to distribute
    p.c.advance(90 * DAY)
    p.ok("registrar", "mature", product=pid)
    p.ok("registrar", "close", product=pid)
    assert p.product(pid)["status"] == "CLOSED" and p.rcv.v(vid)["locked_by"] is None


def test_an_undersubscribed_product_fails_and_refunds_everyone(p):
    pid, (vid,) = p.open_()
    p.ok("investor1", "subscribe", product=pid, tranche="senior", amount=800_000 * YUAN)
    p.ok("investor3", "subscribe", product=pid, tranche="sub", amount=150_000 * YUAN)
    p.rejected("registrar", "establish", "invalid_state", product=pid)  # the window is still open
    p.c.advance(10 * DAY)
    assert p.ok("registrar", "establish", product=pid)["status"] == "FAILED"
    rec = p.product(pid)
    assert sorted(map(tuple, rec["refunds"])) == sorted([(p.o["investor1"], "senior", 800_000 * YUAN),
                                                         (p.o["investor3"], "sub", 150_000 * YUAN)])
    assert rec["holders"] == [] and p.rcv.v(vid)["locked_by"] is None


def test_negotiated_transfers_need_both_parties_the_registrar_and_five_days(p):
    o = p.o
    pid, _ = p.outstanding()
    tid = p.ok("investor1", "propose_transfer", product=pid, tranche="senior", buyer=o["investor3"],
               units=200_000 * YUAN, price=201_000 * YUAN)["transfer"]
    p.rejected("investor2", "accept_transfer", "unauthorized", transfer=tid)
    p.rejected("registrar", "register_transfer", "invalid_state", transfer=tid)  # the buyer has not signed
    p.ok("investor3", "accept_transfer", transfer=tid)
    p.rejected("investor1", "register_transfer", "unauthorized", transfer=tid)
    p.rejected("registrar", "register_transfer", "invalid_state", transfer=tid)  # held < 5 days
    p.c.advance(5 * DAY)
    p.ok("registrar", "register_transfer", transfer=tid)
    assert p.holding(pid, "senior", "investor1")["units"] == 300_000 * YUAN
    assert p.holding(pid, "senior", "investor3")["units"] == 200_000 * YUAN
    assert p.get(f"transfer/{tid}")["price"] == 201_000 * YUAN
    # the buyer must now hold it five days before reselling
    t2 = p.ok("investor3", "propose_transfer", product=pid, tranche="senior", buyer=o["investor1"],
              units=200_000 * YUAN, price=1)["transfer"]
    p.ok("investor1", "accept_transfer", transfer=t2)
    p.rejected("registrar", "register_transfer", "invalid_state", transfer=t2)
    p.c.advance(5 * DAY)
    p.ok("registrar", "register_transfer", transfer=t2)
    # a transfer leaving the seller below the minimum ticket is refused
    t3 = p.ok("investor1", "propose_transfer", product=pid, tranche="senior", buyer=o["investor2"],
              units=450_000 * YUAN, price=1)["transfer"]
    p.ok("investor2", "accept_transfer", transfer=t3)
    p.rejected("registrar", "register_transfer", "invalid_state", transfer=t3)  # investor1 just bought more
    p.c.advance(5 * DAY)
    p.rejected("registrar", "register_transfer", "limit_exceeded", transfer=t3)
    p.ok("investor1", "cancel_transfer", transfer=t3)
    p.rejected("registrar", "register_transfer", "invalid_state", transfer=t3)


def test_at_most_200_holders(p, monkeypatch):
    from faechain.modules.products import rules

    monkeypatch.setattr(rules, "MAX_HOLDERS", 2)  # where add_holder reads it
    o = p.o
    pid, _ = p.open_()
    p.ok("investor1", "subscribe", product=pid, tranche="senior", amount=400_000 * YUAN)
    p.ok("investor2", "subscribe", product=pid, tranche="senior", amount=400_000 * YUAN)
    p.rejected("investor3", "subscribe", "limit_exceeded", product=pid, tranche="sub", amount=200_000 * YUAN)
    p.ok("investor2", "subscribe", product=pid, tranche="sub", amount=200_000 * YUAN)  # an existing holder
    p.ok("registrar", "establish", product=pid)
    p.ok("bank", "confirm_funding", product=pid, bank_ref="F")
    p.c.advance(5 * DAY)
    tid = p.ok("investor1", "propose_transfer", product=pid, tranche="senior", buyer=o["investor3"],
               units=200_000 * YUAN, price=1)["transfer"]
    p.ok("investor3", "accept_transfer", transfer=tid)
    p.rejected("registrar", "register_transfer", "limit_exceeded", transfer=tid)  # a third holder
    # selling out entirely makes room: the seller leaves the register
    whole = p.ok("investor1", "propose_transfer", product=pid, tranche="senior", buyer=o["investor3"],
                 units=400_000 * YUAN, price=1)["transfer"]
    p.ok("investor3", "accept_transfer", transfer=whole)
    p.ok("registrar", "register_transfer", transfer=whole)
    assert p.product(pid)["holders"] == sorted([o["investor2"], o["investor3"]])


def test_bad_input_changes_nothing(p):
    o = p.o
    base = dict(name="x", tranches=TWO_TRANCHES, registrar=o["registrar"], settlement_bank=o["bank"],
                min_ticket=100_000 * YUAN, term_days=180)
    p.rejected("bank", "create", "unauthorized", **base)  # only a factor originates
    for bad in (dict(tranches=[]), dict(tranches=[dict(TWO_TRANCHES[0], priority=2), TWO_TRANCHES[1]]),
                dict(tranches=[dict(TWO_TRANCHES[0], name="Senior!")]), dict(registrar=o["bank"]),
                dict(min_ticket=0), dict(term_days=10), dict(tranches=[{"name": "a"}])):
        code = "duplicate" if "priority" in str(bad) and len(bad["tranches"]) == 2 else "bad_request"
        p.rejected("factor", "create", code, **(base | bad))
    pid = p.ok("factor", "create", **base)["product"]
    # underlying must be financed, held by the originator and not locked elsewhere
    plain = p.rcv.issue(1_000 * YUAN)
    p.rejected("factor", "add_underlying", "invalid_state", product=pid, vouchers=[plain])
    fin = p.financed(1_000_000 * YUAN)
    p.rejected("supplier1", "add_underlying", "unauthorized", product=pid, vouchers=[fin])
    other = p.ok("factor", "create", **base)["product"]
    p.ok("factor", "add_underlying", product=other, vouchers=[fin])
    p.rejected("factor", "add_underlying", "invalid_state", product=pid, vouchers=[fin])  # already locked
    p.rejected("factor", "add_underlying", "not_found", product=pid, vouchers=["V-none"])
    # ratings only by a rating agency, and never of an empty product
    p.rejected("factor", "rate", "unauthorized", product=other, grade="AAA", outlook="stable", report_hash=H)
    p.rejected("rating", "rate", "invalid_state", product=pid, grade="AAA", outlook="stable", report_hash=H)
    p.rejected("rating", "rate", "bad_request", product=other, grade="A++", outlook="stable", report_hash=H)
    p.rejected("factor", "file", "invalid_state", product=other)  # not rated
    p.ok("rating", "rate", product=other, grade="A", outlook="stable", report_hash=H)
    p.ok("factor", "file", product=other)
    p.rejected("factor", "approve", "unauthorized", product=other, approval_no="A", opens=p.c.now,
               closes=p.c.now + DAY)
    p.ok("exchange", "approve", product=other, approval_no="A", opens=p.c.now, closes=p.c.now + DAY)
    p.rejected("investor4", "subscribe", "unauthorized", product=other, tranche="senior", amount=100_000 * YUAN)
    p.rejected("investor1", "subscribe", "limit_exceeded", product=other, tranche="senior", amount=99_999 * YUAN)
    p.rejected("investor1", "subscribe", "limit_exceeded", product=other, tranche="sub", amount=200_001 * YUAN)
    p.rejected("investor1", "subscribe", "not_found", product=other, tranche="mezz", amount=100_000 * YUAN)


def rec_originator(p, pid: str) -> str:
    return p.product(pid)["originator"]
