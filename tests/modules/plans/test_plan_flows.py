"""A debt financing plan from draft to close, and its disclosure schedule."""

from __future__ import annotations

from tests.modules.plans.plan_support import DAY, YUAN, doc_hash
from tests.modules.receivables.pay_support import payments, pending_instructions


def test_a_plan_from_draft_to_close(p):
    o = p.o
    plan, (vid, inv) = p.pooled(1_000_000 * YUAN, vouchers=1, invoice=300_000 * YUAN)
    rec = p.plan(plan)
    assert rec["status"] == "DRAFT" and rec["sponsor"] == o["supplier1"]
    assert rec["assets"] == [f"voucher:{vid}", f"invoice:{inv}"]
    assert rec["pooled"] == (1_000_000 * YUAN + 1) + 300_000 * YUAN  # the voucher is size + 1 fen
    # pooled assets are locked in receivables: neither can move, be financed or back a voucher
    assert p.rcv.v(vid)["locked_by"] == "plans"
    assert p.rcv.get(f"invoice/{inv}")["locked_by"] == "plans"
    p.rcv.rejected("supplier1", "transfer", "invalid_state", id=vid, to=o["supplier2"], amount=1)

    item = p.ok("underwriter", "file", plan=plan)["initial_disclosure"]
    assert p.plan(plan)["status"] == "FILED"
    contract_doc = p.doc(plan, "pool purchase contract", who="supplier1", kind="contract", asset=f"voucher:{vid}")
    circular = p.doc(plan, "offering circular", kind="prospectus")
    p.rejected("exchange", "approve", "invalid_state", plan=plan, approval_no="BFAE-1", opens=p.c.now,
               closes=p.c.now + 5 * DAY)  # the initial disclosure is not out yet
    assert p.ok("underwriter", "publish", plan=plan, item=item, summary="offering circular and pool",
                documents=[circular, contract_doc]) == {"plan": plan, "item": item, "late": False}
    p.ok("exchange", "approve", plan=plan, approval_no="BFAE-1", opens=p.c.now, closes=p.c.now + 5 * DAY)
    assert p.plan(plan)["status"] == "LISTED"

    p.ok("investor1", "subscribe", plan=plan, amount=600_000 * YUAN)
    p.ok("investor2", "subscribe", plan=plan, amount=300_000 * YUAN)
    p.ok("investor2", "subscribe", plan=plan, amount=100_000 * YUAN)  # adds to the first
    assert p.get(f"holding/{plan}/{o['investor2']}")["subscribed"] == 400_000 * YUAN
    res = p.ok("underwriter", "establish", plan=plan)  # fully subscribed: no need to wait for the window
    assert res["issued"] == 1_000_000 * YUAN
    rec = p.plan(plan)
    assert rec["status"] == "ESTABLISHED" and rec["holders"] == sorted([o["investor1"], o["investor2"]])
    assert rec["instructions"] == [[i, o["supplier1"], a] for i, a in
                                   sorted([(o["investor1"], 600_000 * YUAN), (o["investor2"], 400_000 * YUAN)])]
    periodic = [d for d in p.scan(f"disclosure/{plan}/").values() if d["kind"] == "periodic"]
    assert len(periodic) == 2 and periodic[-1]["title"] == "final report"  # 180-day term, 90-day reports
    p.rejected("underwriter", "pay", "unauthorized", plan=plan, kind="coupon", amount=1, bank_ref="X")
    p.rejected("bank", "pay", "invalid_state", plan=plan, kind="coupon", amount=1, bank_ref="X")  # not funded yet
    p.ok("bank", "confirm_funding", plan=plan, bank_ref="CCB-FUND-0001")
    assert p.plan(plan)["status"] == "OUTSTANDING"

    # the servicer records a collection on the invoice; the voucher's payment records itself
    p.ok("factor", "record_cash_flow", plan=plan, payer=o["core"], payee=o["supplier1"], amount=300_000 * YUAN,
         value_date=p.c.now - 60, bank_ref="CCB-20261201-01", asset=f"invoice:{inv}")
    p.c.advance(120 * DAY)
    amount = p.rcv.v(vid)["amount"]
    paid = p.rcv.tx("bank", "confirm_payment", root=vid, amount=amount, bank_ref="CCB-MAT-0001")
    assert paid.ok, paid
    p.c.block([])  # end_block instructs the piece; nothing is collected until the rail pays it
    [ins] = pending_instructions(p.rcv)
    assert ins["payee"] == o["supplier1"] and ins["amount"] == amount
    assert [f["source"] for f in p.scan(f"cashflow/{plan}/").values()] == ["servicer"]
    assert payments(p.rcv).ok("bank", "confirm", results=[[ins["id"], "PAID", "CCB-MAT-0001"]])["paid"] == 1
    flows = p.scan(f"cashflow/{plan}/")
    assert [f["source"] for f in flows.values()] == ["servicer", "settlement"]
    auto = flows[f"cashflow/{plan}/000002"]
    assert auto == auto | {"asset": f"voucher:{vid}", "amount": amount, "payer": o["core"],
                           "payee": o["supplier1"], "bank_ref": f"CCB-MAT-0001/{vid}"}
    assert p.plan(plan)["collected"] == 300_000 * YUAN + amount

    coupon = p.ok("bank", "pay", plan=plan, kind="coupon", amount=22_191_79, bank_ref="CCB-CPN-1")
    alloc = p.get(f"payment/{plan}/{coupon['payment']:04d}")["allocations"]
    assert sum(a for _, a in alloc) == 22_191_79
    assert dict(alloc) == {o["investor1"]: 13_315_07, o["investor2"]: 8_876_72}  # 60:40, to the fen
    # the coupon reaches each investor through the rail: one clearing instruction each, paid when confirmed
    legs = p.get(f"payment/{plan}/{coupon['payment']:04d}")["legs"]
    assert [(payee, fen, status) for payee, fen, _, status in legs] == [
        (o["investor1"], 13_315_07, "PENDING"), (o["investor2"], 8_876_72, "PENDING")]
    leg_ins = [payments(p.rcv).get(f"instruction/{i}") for _, _, i, _ in legs]
    sponsor = p.plan(plan)["sponsor"]
    assert {(x["payer"], x["rail"], x["ref"]) for x in leg_ins} == {
        (sponsor, o["bank"], f"plan:{plan}/{coupon['payment']}")}
    r = payments(p.rcv).tx("bank", "confirm", results=[[legs[0][2], "PAID", "CCB-CPN-1-A"]])
    assert [e["attrs"]["investor"] for e in r.events if e["type"] == "PlanPaymentLegPaid"] == [o["investor1"]]
    assert [leg[3] for leg in p.get(f"payment/{plan}/{coupon['payment']:04d}")["legs"]] == ["PAID", "PENDING"]
    p.rejected("bank", "pay", "duplicate", plan=plan, kind="coupon", amount=1, bank_ref="CCB-CPN-1")
    p.rejected("bank", "pay", "limit_exceeded", plan=plan, kind="principal", amount=1_000_000 * YUAN + 1,
               bank_ref="CCB-PRN-X")
    p.ok("bank", "pay", plan=plan, kind="principal", amount=400_000 * YUAN, bank_ref="CCB-PRN-1")
    assert p.get(f"holding/{plan}/{o['investor1']}")["principal"] == 360_000 * YUAN
    res = p.ok("bank", "pay", plan=plan, kind="principal", amount=600_000 * YUAN, bank_ref="CCB-PRN-2")
    assert res["status"] == "REDEEMED" and res["outstanding"] == 0
    p.rejected("supplier1", "close", "unauthorized", plan=plan)
    p.ok("underwriter", "close", plan=plan, reason="redeemed in full")
    assert p.plan(plan)["status"] == "CLOSED"
    # the invoice is free again; the paid voucher only loses its lock mark
    assert p.rcv.get(f"invoice/{inv}")["locked_by"] is None
    assert p.rcv.v(vid)["locked_by"] is None and p.rcv.v(vid)["status"] == "PAID"
    assert p.get(f"asset/invoice:{inv}")["released_at"] is not None


def test_an_unpublished_disclosure_becomes_overdue_and_raises_an_event(p):
    plan, _ = p.pooled()
    item = p.ok("underwriter", "file", plan=plan)["initial_disclosure"]
    due = p.get(f"disclosure/{plan}/{item:04d}")["due"]
    p.c.advance(due - p.c.now - 1)
    res = p.c.block([])
    assert not [e for e in res.end_events if e["type"] == "DisclosureOverdue"]
    assert p.get(f"disclosure/{plan}/{item:04d}")["status"] == "SCHEDULED"
    res = p.c.block([])  # block time now passes the due time
    overdue = [e["attrs"] for e in res.end_events if e["type"] == "DisclosureOverdue"]
    assert overdue == [dict(plan=plan, item=item, kind="initial", title=p.get(f"disclosure/{plan}/{item:04d}")["title"],
                            due=due, sponsor=p.o["supplier1"], underwriter=p.o["underwriter"])]
    assert p.get(f"disclosure/{plan}/{item:04d}")["status"] == "OVERDUE"
    assert [d["n"] for d in p.q("disclosures", as_="regulator", status="OVERDUE")] == [item]
    assert p.q("disclosures", as_="investor1", status="OVERDUE") == []  # a filed plan is not offered yet
    assert not [e for e in p.c.block([]).end_events if e["type"] == "DisclosureOverdue"]  # raised once
    res = p.ok("underwriter", "publish", plan=plan, item=item, summary="late, but here")
    assert res["late"] is True
    assert p.get(f"disclosure/{plan}/{item:04d}")["status"] == "PUBLISHED"


def test_overdue_marking_catches_up_over_days_without_blocks(p):
    plan, _ = p.pooled()
    first = p.ok("underwriter", "file", plan=plan)["initial_disclosure"]
    second = p.ok("underwriter", "schedule_disclosure", plan=plan, kind="major_event", title="pool change",
                  due=p.c.now + 3 * DAY)["item"]
    p.c.advance(20 * DAY)
    res = p.c.block([])
    assert sorted(e["attrs"]["item"] for e in res.end_events if e["type"] == "DisclosureOverdue") == [first, second]
    # the days that are over are settled and forgotten; the cursor stands on today
    assert p.scan("due/") == {}
    assert p.get("cursor") == (p.c.now - 1 + 8 * 3600) // DAY


def test_published_disclosures_are_never_edited_a_correction_supersedes(p):
    plan, _ = p.pooled()
    item = p.ok("underwriter", "file", plan=plan)["initial_disclosure"]
    old_doc = p.doc(plan, "circular v1", kind="prospectus")
    p.ok("underwriter", "publish", plan=plan, item=item, summary="v1", documents=[old_doc])
    before = p.get(f"disclosure/{plan}/{item:04d}")
    p.rejected("underwriter", "publish", "invalid_state", plan=plan, item=item, summary="v1 edited")
    new_doc = p.doc(plan, "circular v2", kind="prospectus", supersedes=old_doc)
    assert p.get(f"doc/{old_doc}")["superseded_by"] == new_doc
    p.rejected("underwriter", "correct", "invalid_state", plan=plan, item=item, summary="v2", reason="typo",
               documents=[old_doc])  # a superseded document cannot back a new disclosure
    n = p.ok("underwriter", "correct", plan=plan, item=item, summary="v2", reason="typo in the coupon",
             documents=[new_doc])["item"]
    old, new = p.get(f"disclosure/{plan}/{item:04d}"), p.get(f"disclosure/{plan}/{n:04d}")
    assert old == before | {"status": "SUPERSEDED", "superseded_by": n}  # only the supersession mark changes
    assert new["supersedes"] == item and new["status"] == "PUBLISHED" and new["summary"] == "v2"
    p.rejected("underwriter", "correct", "invalid_state", plan=plan, item=item, summary="v3", reason="again")
    # the exchange approves on the current initial disclosure, the correction
    p.ok("exchange", "approve", plan=plan, approval_no="BFAE-9", opens=p.c.now, closes=p.c.now + DAY)


def test_default_schedules_a_major_event_and_payments_continue(p):
    plan, _ = p.outstanding(size=100_000 * YUAN)
    res = p.ok("factor", "declare_default", plan=plan, reason="core enterprise missed payment")
    rec = p.plan(plan)
    assert rec["status"] == "DEFAULTED" and rec["default"]["by"] == p.o["factor"]
    item = p.get(f"disclosure/{plan}/{res['disclosure']:04d}")
    assert item["kind"] == "major_event" and item["due"] == p.c.now - 1 + 2 * DAY
    p.ok("bank", "pay", plan=plan, kind="principal", amount=30_000 * YUAN, bank_ref="RECOVERY-1")
    assert p.plan(plan)["status"] == "DEFAULTED"  # recoveries do not redeem a defaulted plan
    p.ok("exchange", "close", plan=plan, reason="recovery finished")


def test_a_withdrawn_plan_releases_its_pool(p):
    plan, (vid,) = p.pooled()
    p.ok("underwriter", "file", plan=plan)
    p.ok("exchange", "return_filing", plan=plan, reason="coverage documents missing")
    assert p.plan(plan)["status"] == "DRAFT"
    p.ok("supplier1", "unpool", plan=plan, asset=f"voucher:{vid}")
    assert p.plan(plan)["pooled"] == 0 and p.rcv.v(vid)["locked_by"] is None
    p.ok("supplier1", "pool", plan=plan, vouchers=[vid])  # a released asset can be pooled again
    p.ok("underwriter", "close", plan=plan, reason="withdrawn")
    assert p.rcv.v(vid)["locked_by"] is None
    other = p.draft()
    p.ok("supplier1", "pool", plan=other, vouchers=[vid])


def test_documents_follow_the_plan_parties(p):
    plan, _ = p.outstanding(size=100_000 * YUAN)
    h = p.doc(plan, "bank statement 2026-12", who="factor", kind="bank_statement")
    for who in ("investor1", "regulator", "exchange", "underwriter", "supplier1"):
        assert p.q("vault_document", as_=who, hash=h)["hash"] == h, who
    for who in ("investor3", "supplier2", "bank2"):
        try:
            p.q("vault_document", as_=who, hash=h)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", None) == "not_found", (who, exc)  # as an unknown hash: existence unsaid
        else:
            raise AssertionError(f"{who} may not read a document of a plan it is not party to")
    assert p.q("vault_upload", as_="factor", subject=plan, hash=h) == {"plan": plan}
    for who in ("investor1", "regulator", "supplier2"):
        try:
            p.q("vault_upload", as_=who, subject=plan, hash=h)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", None) == "unauthorized"
        else:
            raise AssertionError(f"{who} may not upload documents of the plan")
    assert doc_hash("bank statement 2026-12") == h
