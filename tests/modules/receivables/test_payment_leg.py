"""The payment leg (issue 20, docs/outside-world.md): the rail confirms what the payer paid, the
chain instructs one payment per piece pro rata, and a piece is paid only by its own instruction's
confirmation. Short payments leave each remainder owed; instalments, early payment and recourse.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.modules.driver import Driver
from tests.modules.receivables.pay_support import confirm_all, owed, payments, pending_instructions, settle
from tests.modules.receivables.rcv_support import DAY, Rcv


def events(res, type_: str) -> list[dict]:
    evs = res.events if hasattr(res, "events") else res
    return [e["attrs"] for e in evs if e["type"] == type_]


def three_pieces(r, amount=10_001, days=30, **issue):
    """A root split supplier1 -> supplier2 -> supplier3: three live pieces."""
    vid = r.issue(amount, days=days, settlement_bank=r.o["bank"], **issue)
    p2, rest1 = r.transfer("supplier1", vid, "supplier2", amount * 3 // 10)
    p3, rest2 = r.transfer("supplier2", p2, "supplier3", amount // 10)
    return vid, {rest1: r.v(rest1)["amount"], rest2: r.v(rest2)["amount"], p3: r.v(p3)["amount"]}


def at_maturity(r, vid):
    r.c.clock = r.v(vid)["maturity"] * 1000


def test_a_piece_is_paid_only_by_its_own_confirmation(r):
    o = r.o
    vid, pieces = three_pieces(r, 1_000_000_00)
    payments(r).ok("supplier2", "register_account", rail=o["bank"], account="6222-0200-0001")
    at_maturity(r, vid)
    res = r.c.block([r.c.sign("bank", "receivables", "confirm_payment",
                              dict(root=vid, amount=1_000_000_00, bank_ref="CCB-1"))])
    assert res.receipts[0].ok, res.receipts[0].message
    # one instruction per live piece, at the end of the same block: holder, amount, account
    instructed = events(res.end_events, "ClearingInstructed")
    assert sorted((i["payee"], i["amount"]) for i in instructed) == sorted(
        (r.v(p)["holder"], a) for p, a in pieces.items())
    by_payee = {i["payee"]: i for i in instructed}
    assert by_payee[o["supplier2"]]["account"] == "6222-0200-0001"
    assert by_payee[o["supplier1"]]["account"] is None  # none registered: the rail will report FAILED
    assert {i["rail"] for i in instructed} == {o["bank"]} and {i["payer"] for i in instructed} == {o["core"]}
    assert r.get(f"root/{vid}")["status"] == "CLEARING"
    assert all(r.v(p)["status"] == "ACTIVE" and r.v(p)["pending"] == a for p, a in pieces.items())
    # the rail confirms one: only that piece is paid
    first = pending_instructions(r)[0]
    piece = first["ref"].split(":")[1]
    payments(r).rejected("bank2", "confirm", "unauthorized", results=[[first["id"], "PAID", "X"]])
    payments(r).rejected("bank", "confirm", "bad_request", results=[[first["id"], "DONE", "X"]])
    payments(r).rejected("bank", "confirm", "duplicate", results=[[first["id"], "PAID", "X"]] * 2)
    rec = payments(r).tx("bank", "confirm", results=[[first["id"], "PAID", "CCB-P-1"]])
    assert rec.ok, rec.message
    assert events(rec, "PiecePaid")[0]["voucher"] == piece
    assert r.v(piece)["status"] == "PAID" and r.v(piece)["paid"] == pieces[piece]
    others = [p for p in pieces if p != piece]
    assert all(r.v(p)["status"] == "ACTIVE" for p in others)
    assert r.get(f"root/{vid}")["status"] == "CLEARING"
    payments(r).rejected("bank", "confirm", "invalid_state", results=[[first["id"], "PAID", "again"]])
    # a batch is all or nothing: one bad row refuses every row
    rest = pending_instructions(r)
    payments(r).rejected("bank", "confirm", "invalid_state",
                         results=[[rest[0]["id"], "PAID", "A"], [first["id"], "PAID", "B"]])
    # FAILED keeps the money with the rail; the payee fixes its account and retries
    failing = next(i for i in rest if i["account"] is None)
    payments(r).ok("bank", "confirm", results=[[failing["id"], "FAILED", "no account registered"]])
    assert payments(r).get(f"instruction/{failing['id']}")["status"] == "FAILED"
    payee = next(n for n, org in o.items() if org == failing["payee"])
    payments(r).rejected("supplier3" if payee != "supplier3" else "supplier2", "retry", "unauthorized",
                         instruction=failing["id"])
    payments(r).ok(payee, "register_account", rail=o["bank"], account="6222-0200-0009")
    payments(r).ok(payee, "retry", instruction=failing["id"])
    assert payments(r).get(f"instruction/{failing['id']}")["account"] == "6222-0200-0009"
    confirm_all(r)
    assert all(r.v(p)["status"] == "PAID" for p in pieces)
    root = r.get(f"root/{vid}")
    assert root["status"] == "PAID" and root["paid_total"] == 1_000_000_00 and owed(r, vid) == 0
    assert r.get(f"core/{o['core']}")["open"] == 0


def test_a_short_payment_leaves_each_remainder_owed_pro_rata_to_the_fen(r):
    vid, pieces = three_pieces(r, 10_001)
    at_maturity(r, vid)
    settle(r, vid, 7_777)
    # a rail repeating its notice (a restart) cannot count the same money twice
    r.rejected("bank", "confirm_payment", "duplicate", root=vid, amount=1, bank_ref=f"REF-{vid}-1")
    paid = {p: r.v(p)["paid"] for p in pieces}
    assert sum(paid.values()) == 7_777
    for p, face in pieces.items():  # each share within one fen of the exact pro-rata share
        assert abs(paid[p] * 10_001 - face * 7_777) < 10_001
        v = r.v(p)
        assert v["status"] == "ACTIVE" and v["amount"] - v["paid"] == face - paid[p]
    root = r.get(f"root/{vid}")
    assert root["status"] == "OVERDUE" and owed(r, vid) == 10_001 - 7_777
    # the regulator hears of it: a short_payment alert on the root, the unpaid fen in the evidence
    alerts = [a for a in Driver(r.c, "supervision").scan("alert/").values() if a["rule"] == "short_payment"]
    assert [(a["subject"], a["evidence"]["unpaid"]) for a in alerts] == [(f"voucher:{vid}", 10_001 - 7_777)]
    view = r.q("voucher", as_="supplier3", id=next(p for p in pieces if r.v(p)["holder"] == r.o["supplier3"]))
    assert view["voucher"]["status"] == "OVERDUE"
    # a second round pays the remainders, pro rata again; then every piece is paid at its face
    settle(r, vid, 10_001 - 7_777)
    assert all(r.v(p)["status"] == "PAID" and r.v(p)["paid"] == face for p, face in pieces.items())
    assert r.get(f"root/{vid}")["status"] == "PAID"
    r.rejected("bank", "confirm_payment", "invalid_state", root=vid, amount=1, bank_ref="again")


def test_instalments_pay_every_piece_in_part_and_what_is_owed_moves(r):
    o = r.o
    inv = r.invoice(9_000_00)
    vid = r.ok("core", "issue", to=o["supplier1"], amount=9_000_00, maturity=r.c.now + 90 * DAY,
               invoices=[[inv, 9_000_00]], contract_hash="ab" * 32, settlement_bank=o["bank"])["voucher"]
    maturity = r.v(vid)["maturity"]
    bad = [[r.c.now + 30 * DAY, 3_000_00], [maturity, 5_000_00]]
    r.rejected("core", "schedule_instalments", "bad_request", root=vid, instalments=bad)
    r.rejected("supplier1", "schedule_instalments", "unauthorized", root=vid,
               instalments=[[maturity, 9_000_00]])
    first_due = r.c.now + 30 * DAY
    r.ok("core", "schedule_instalments", root=vid, instalments=[[first_due, 3_000_00], [maturity, 6_000_00]])
    r.ok("supplier1", "accept", id=vid)
    r.rejected("core", "schedule_instalments", "invalid_state", root=vid, instalments=[[maturity, 9_000_00]])
    p2, rest = r.transfer("supplier1", vid, "supplier2", 3_000_00)
    # nothing is due before the first instalment
    r.rejected("bank", "confirm_payment", "invalid_state", root=vid, amount=3_000_00, bank_ref="I-0")
    r.c.clock = first_due * 1000
    res = r.c.block([])
    assert [e["amount"] for e in events(res.end_events, "PaymentDue")] == [3_000_00]
    r.rejected("bank", "confirm_payment", "limit_exceeded", root=vid, amount=3_000_01, bank_ref="I-1")
    settle(r, vid, 3_000_00)
    assert r.v(p2)["paid"] == 1_000_00 and r.v(rest)["paid"] == 2_000_00
    assert r.get(f"root/{vid}")["status"] == "ACTIVE"
    # a partly paid piece moves what is still owed on it
    moved, left = r.transfer("supplier2", p2, "supplier3", 1_500_00)
    assert r.v(moved)["amount"] == 1_500_00 and r.v(left)["amount"] == 500_00
    r.rejected("supplier2", "transfer", "limit_exceeded", id=left, to=o["supplier3"], amount=500_01)
    r.c.clock = maturity * 1000
    settle(r, vid, 6_000_00)
    assert r.get(f"root/{vid}")["status"] == "PAID"
    assert sum(r.v(p)["paid"] for p in (moved, left, rest)) + r.v(p2)["paid"] == 9_000_00


def test_early_payment_at_a_discount(r):
    o = r.o
    vid, pieces = three_pieces(r, 3_650_000_00, days=100)
    r.rejected("supplier1", "offer_early_payment", "unauthorized", root=vid, rate_bps=365, until=r.c.now + DAY)
    r.ok("core", "offer_early_payment", root=vid, rate_bps=365, until=r.c.now + 10 * DAY)
    p3 = next(p for p in pieces if r.v(p)["holder"] == o["supplier3"])
    res = r.ok("supplier3", "accept_early_payment", id=p3)
    days = 100
    face = pieces[p3]
    assert res["discount"] == face * 365 * days // (10_000 * 365) and res["advance"] == face - res["discount"]
    assert r.v(p3)["pending"] == face
    r.rejected("supplier3", "transfer", "invalid_state", id=p3, to=o["supplier2"], amount=1)
    [ins] = confirm_all(r)
    assert ins["amount"] == res["advance"] and ins["payee"] == o["supplier3"] and ins["payer"] == o["core"]
    assert r.v(p3)["status"] == "PAID" and r.v(p3)["paid"] == res["advance"]
    # the rest is paid at maturity; the root is PAID with the discount forgiven
    at_maturity(r, vid)
    r.rejected("bank", "confirm_payment", "limit_exceeded", root=vid, amount=3_650_000_00 - face + 1, bank_ref="X")
    settle(r, vid)
    root = r.get(f"root/{vid}")
    assert root["status"] == "PAID" and root["discounts"] == res["discount"]
    assert root["paid_total"] + root["discounts"] == 3_650_000_00
    assert r.get(f"core/{o['core']}")["open"] == 0


def test_recourse_the_previous_holder_pays_and_takes_over_the_claim(r):
    o = r.o
    vid = r.issue(1_000_00, days=10, settlement_bank=o["bank"])
    res = r.ok("supplier1", "transfer", id=vid, to=o["supplier2"], amount=600_00, recourse=True)
    piece = res["voucher"]
    assert r.v(piece)["recourse"] == o["supplier1"]
    # before maturity, or without recourse, there is nothing to claim
    r.rejected("supplier2", "claim_recourse", "invalid_state", id=piece)
    at_maturity(r, vid)
    settle(r, vid, 500_00)  # a short payment
    r.c.advance(DAY)
    r.c.block([])
    assert r.get(f"root/{vid}")["status"] == "OVERDUE"
    r.rejected("supplier1", "claim_recourse", "invalid_state", id=res["remainder"])  # no recourse on it
    r.rejected("supplier1", "claim_recourse", "unauthorized", id=piece)
    left = r.v(piece)["amount"] - r.v(piece)["paid"]
    claim = r.ok("supplier2", "claim_recourse", id=piece)
    assert claim["amount"] == left
    [ins] = confirm_all(r)
    assert (ins["payer"], ins["payee"], ins["amount"]) == (o["supplier1"], o["supplier2"], left)
    v = r.v(piece)
    assert v["status"] == "TRANSFERRED" and v["recourse_paid"] == left
    back = r.v(v["children"][0])
    assert back["holder"] == o["supplier1"] and back["amount"] == left and back["status"] == "ACTIVE"
    # the payer still owes it, now to supplier1: a later round pays supplier1
    settle(r, vid)
    assert r.v(back["id"])["status"] == "PAID" and r.get(f"root/{vid}")["status"] == "PAID"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(splits=st.lists(st.tuples(st.integers(1, 99), st.booleans()), min_size=0, max_size=4),
       instalment=st.integers(0, 99),
       rounds=st.lists(st.integers(1, 10_000), min_size=1, max_size=3),
       confirm_every=st.booleans(), claim=st.booleans())
def test_value_is_conserved_through_partial_payments_recourse_and_instalments(demo_chain, splits, instalment, rounds,
                                                                               confirm_every, claim):
    """Whatever the splits (with or without recourse), an instalment, short rounds and recourse claims:
    every fen the rail confirmed for the payer reached exactly one piece; the payer's debt is the face
    less what it paid, to the fen, and recourse moves it between holders without changing it; every
    fen a previous holder paid by recourse reached the holder that claimed it."""
    r = Rcv(demo_chain)
    if not r.get(f"line/{r.o['core']}/{r.o['bank']}"):
        r.line(10_000_000_00)
    amount = 100_003
    core = r.get(f"core/{r.o['core']}")
    open_before = core["open"] if core else 0
    vid = r.issue(amount, days=5, settlement_bank=r.o["bank"], accept=False)
    maturity = r.v(vid)["maturity"]
    first = amount * instalment // 100
    if first:  # a first instalment two days before maturity, the rest at maturity
        r.ok("core", "schedule_instalments", root=vid, instalments=[[maturity - 2 * DAY, first],
                                                                     [maturity, amount - first]])
    r.ok("supplier1", "accept", id=vid)
    piece, holder = vid, "supplier1"
    for pct, recourse in splits:
        nxt = "supplier2" if holder != "supplier2" else "supplier3"
        share = max(1, (r.v(piece)["amount"] * pct) // 100)
        if share >= r.v(piece)["amount"]:
            continue
        piece = r.ok(holder, "transfer", id=piece, to=r.o[nxt], amount=share, recourse=recourse)["voucher"]
        holder = nxt
    confirmed = 0
    if first:
        r.c.clock = (maturity - 2 * DAY) * 1000
        settle(r, vid, first)
        confirmed += first
    at_maturity(r, vid)
    for fen in rounds:
        left = owed(r, vid)
        if left == 0:
            break
        pay = min(fen, left)
        r.ok("bank", "confirm_payment", root=vid, amount=pay, bank_ref=f"R-{vid}-{confirmed}-{pay}")
        while r.get(f"root/{vid}").get("round"):
            r.c.block([])
        if confirm_every:
            confirm_all(r)
        confirmed += pay
    confirm_all(r)
    recourse_cash = 0
    if claim and owed(r, vid):  # past maturity, short: each holder with recourse claims its remainder
        r.c.advance(DAY)
        r.c.block([])
        for v in list(r.scan("voucher/").values()):
            if v["root"] == vid and not v["children"] and v.get("recourse") and v["status"] != "PAID":
                who = next(n for n, org in r.o.items() if org == v["holder"])
                recourse_cash += r.ok(who, "claim_recourse", id=v["id"])["amount"]
        paid_by_recourse = confirm_all(r)
        assert sum(i["amount"] for i in paid_by_recourse) == recourse_cash
    pieces = [v for v in r.scan("voucher/").values() if v["root"] == vid]
    leaves = [v for v in pieces if not v["children"]]
    paid = sum(v.get("paid", 0) for v in pieces)  # a consumed piece keeps what it was paid before
    assert paid == confirmed == r.get(f"root/{vid}")["paid_total"]
    assert sum(v.get("recourse_paid", 0) for v in pieces) == recourse_cash
    assert sum(v["amount"] - v.get("paid", 0) for v in leaves if v["status"] != "PAID") == amount - paid \
        == owed(r, vid)
    assert all(0 <= v.get("paid", 0) <= v["amount"] for v in pieces)
    assert (r.get(f"root/{vid}")["status"] == "PAID") == (paid == amount)
    assert r.get(f"core/{r.o['core']}")["open"] == open_before + amount - paid
