"""Every rejection of the plans contract: a stable code, a message, nothing changed."""

from __future__ import annotations

import pytest

from tests.modules.plans.plan_support import DAY, YUAN, doc_hash


def test_an_asset_sits_in_one_plan_only(p):
    o = p.o
    plan, (vid,) = p.pooled()
    other = p.draft()
    p.rejected("supplier1", "pool", "duplicate", plan=plan, vouchers=[vid])
    p.rejected("supplier1", "pool", "duplicate", plan=other, vouchers=[vid])
    inv = p.rcv.invoice(50_000 * YUAN)
    p.rejected("supplier1", "pool", "duplicate", plan=other, invoices=[inv, inv])  # the same invoice twice
    p.ok("supplier1", "pool", plan=other, invoices=[inv])
    p.rejected("supplier1", "pool", "duplicate", plan=plan, invoices=[inv])
    # a pooled invoice cannot back a voucher, so it cannot be financed through one either
    p.rcv.rejected("core", "issue", "invalid_state", to=o["supplier1"], amount=100, maturity=p.c.now + 30 * DAY,
                   invoices=[[inv, 100]], contract_hash="ab" * 32)
    # a voucher with a financing request, or someone else's, cannot be pooled
    busy = p.voucher(10_000 * YUAN)
    p.rcv.ok("supplier1", "request_financing", id=busy, funder=o["factor"], amount=10_000 * YUAN, rate_bps=500)
    p.rejected("supplier1", "pool", "invalid_state", plan=other, vouchers=[busy])
    theirs = p.voucher(10_000 * YUAN, holder="supplier2")
    p.rejected("supplier1", "pool", "unauthorized", plan=other, vouchers=[theirs])
    p.rejected("supplier2", "pool", "unauthorized", plan=other, vouchers=[theirs])  # not its sponsor
    p.rejected("supplier1", "pool", "not_found", plan=other, vouchers=["V-no-such"])
    p.rejected("supplier1", "pool", "bad_request", plan=other)
    # a financed voucher with the plan's lock cannot be financed again
    p.rcv.rejected("supplier1", "request_financing", "invalid_state", id=vid, funder=o["factor"], amount=1,
                   rate_bps=500)


def test_creating_a_plan_checks_roles_and_terms(p):
    o = p.o
    base = dict(name="x", underwriter=o["underwriter"], servicer=o["factor"], settlement_bank=o["bank"],
                size=100 * YUAN, coupon_bps=450, term_days=180)
    p.rejected("investor1", "create", "unauthorized", **base)
    p.rejected("regulator", "create", "unauthorized", **base)
    for bad, code in [(dict(size=0), "bad_request"), (dict(size=-5), "bad_request"),
                      (dict(coupon_bps=10_001), "bad_request"), (dict(term_days=0), "bad_request"),
                      (dict(term_days=5000), "bad_request"), (dict(name=""), "bad_request"),
                      (dict(coverage_bps=9_999), "bad_request"), (dict(min_ticket=101 * YUAN), "bad_request"),
                      (dict(settlement_bank=o["bank2"]), "bad_request"),  # not a settlement bank
                      (dict(underwriter=o["investor1"]), "bad_request"),
                      (dict(servicer="91110000MA9999999X"), "not_found"),
                      (dict(size=2**63), "bad_request"), (dict(size="100"), "bad_request")]:
        p.rejected("supplier1", "create", code, **(base | bad))


def test_filing_needs_coverage_and_the_underwriter(p):
    plan, _ = p.pooled(1_000_000 * YUAN, coverage_bps=12_000)  # 1,000,000.01 pooled; 1,200,000 needed
    p.rejected("supplier1", "file", "unauthorized", plan=plan)
    p.rejected("underwriter", "file", "limit_exceeded", plan=plan)
    p.ok("supplier1", "pool", plan=plan, vouchers=[p.voucher(200_000 * YUAN)])
    p.ok("underwriter", "file", plan=plan)
    p.rejected("underwriter", "file", "invalid_state", plan=plan)
    p.rejected("supplier1", "pool", "invalid_state", plan=plan, vouchers=[p.voucher(1)])  # filed: frozen pool
    p.rejected("underwriter", "approve", "unauthorized", plan=plan, approval_no="A", opens=p.c.now,
               closes=p.c.now + DAY)


def test_subscriptions_are_limited(p, monkeypatch):
    from faechain.modules.plans import offering

    plan, _ = p.listed(1_000_000 * YUAN, min_ticket=100_000 * YUAN)
    p.rejected("investor4", "subscribe", "unauthorized", plan=plan, amount=200_000 * YUAN)  # not qualified
    p.rejected("supplier2", "subscribe", "unauthorized", plan=plan, amount=200_000 * YUAN)  # not an investor
    p.rejected("investor1", "subscribe", "limit_exceeded", plan=plan, amount=99_999 * YUAN)  # below the ticket
    p.ok("investor1", "subscribe", plan=plan, amount=700_000 * YUAN)
    p.ok("investor1", "subscribe", plan=plan, amount=1 * YUAN)  # a top-up needs no minimum of its own
    p.rejected("investor2", "subscribe", "limit_exceeded", plan=plan, amount=300_000 * YUAN)  # beyond the size
    p.rejected("investor2", "subscribe", "bad_request", plan=plan, amount=0)
    monkeypatch.setattr(offering, "MAX_HOLDERS", 2)  # where subscribe reads it
    p.ok("investor2", "subscribe", plan=plan, amount=100_000 * YUAN)
    p.rejected("investor3", "subscribe", "limit_exceeded", plan=plan, amount=100_000 * YUAN)  # a third holder
    p.ok("investor2", "subscribe", plan=plan, amount=100_000 * YUAN)  # an existing holder may add
    p.rejected("underwriter", "establish", "invalid_state", plan=plan)  # window open, not full
    p.c.advance(10 * DAY)
    p.rejected("investor2", "subscribe", "invalid_state", plan=plan, amount=1 * YUAN)  # window closed
    assert p.ok("underwriter", "establish", plan=plan)["issued"] == 900_001 * YUAN


def test_cash_flows_and_documents_need_the_right_party(p):
    o = p.o
    plan, _ = p.outstanding(100_000 * YUAN)
    flow = dict(plan=plan, payer=o["core"], payee=o["supplier1"], amount=5_000 * YUAN, value_date=p.c.now - 10,
                bank_ref="REF-1")
    p.rejected("investor1", "record_cash_flow", "unauthorized", **flow)
    p.rejected("factor", "record_cash_flow", "bad_request", **(flow | {"value_date": p.c.now + DAY}))
    p.rejected("factor", "record_cash_flow", "not_found", **(flow | {"asset": "voucher:V-x"}))
    p.ok("factor", "record_cash_flow", **flow)
    p.rejected("bank", "record_cash_flow", "duplicate", **flow)  # the same bank reference twice
    h = doc_hash("statement")
    doc = dict(plan=plan, hash=h, kind="bank_statement", name="statement", size=10)
    p.rejected("investor1", "register_document", "unauthorized", **doc)
    p.rejected("regulator", "register_document", "unauthorized", **doc)
    p.rejected("factor", "register_document", "bad_request", **(doc | {"hash": h.upper()}))
    p.rejected("factor", "register_document", "bad_request", **(doc | {"kind": "selfie"}))
    p.rejected("factor", "register_document", "bad_request", **(doc | {"size": 0}))
    p.rejected("factor", "register_document", "bad_request", **(doc | {"media_type": "pdf"}))
    p.rejected("factor", "register_document", "not_found", **(doc | {"supersedes": doc_hash("nothing")}))
    p.ok("factor", "register_document", **doc)
    p.rejected("underwriter", "register_document", "duplicate", **doc)  # never overwritten
    p.ok("factor", "register_document", **(doc | {"hash": doc_hash("v2"), "supersedes": h}))
    p.rejected("factor", "register_document", "invalid_state", **(doc | {"hash": doc_hash("v3"), "supersedes": h}))


@pytest.mark.parametrize("who", ["investor1", "supplier1", "bank", "regulator"])
def test_only_the_exchange_approves_and_only_the_regulator_is_not_a_party(p, who):
    plan, _ = p.pooled()
    item = p.ok("underwriter", "file", plan=plan)["initial_disclosure"]
    p.ok("underwriter", "publish", plan=plan, item=item, summary="s")
    p.rejected(who, "approve", "unauthorized", plan=plan, approval_no="A", opens=p.c.now, closes=p.c.now + DAY)
    p.rejected(who, "return_filing", "unauthorized", plan=plan, reason="r")
