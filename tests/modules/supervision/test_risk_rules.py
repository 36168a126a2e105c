"""Risk rules: each fires as the block commits, once, with its evidence; thresholds are data."""

from __future__ import annotations

import pytest

from faechain.contracts.errors import Unauthorized
from faechain.modules.supervision import rules as risk
from tests.modules.products.product_support import DAY, YUAN
from tests.modules.supervision.conftest import alerts


def test_an_attempt_to_reuse_an_invoice_raises_a_critical_alert(w):
    o, rcv = w.o, w.rcv
    inv = rcv.invoice(100_000 * YUAN)
    rcv.ok("core", "issue", to=o["supplier1"], amount=100_000 * YUAN, maturity=w.c.now + 30 * DAY,
           invoices=[[inv, 100_000 * YUAN]], contract_hash="ab" * 32)
    raw = w.c.sign("core", "receivables", "issue", {"to": o["supplier1"], "amount": 50_000 * YUAN,
                                                    "maturity": w.c.now + 30 * DAY,
                                                    "invoices": [[inv, 50_000 * YUAN]], "contract_hash": "ab" * 32})
    res = w.c.block([raw])
    assert res.receipts[0].code == "limit_exceeded"  # the attempt itself is refused, as ever
    [alert] = alerts(res, "invoice_reuse")
    assert alert["subject"] == o["core"] and alert["severity"] == "critical"
    assert alert["evidence"]["tx"] == res.receipts[0].tx_hash.hex() and alert["evidence"]["invoices"] == [inv]
    # a duplicate registration of the same invoice is an attempt too
    res = w.c.block([w.c.sign("supplier1", "receivables", "register_invoice", {
        "code": inv.split("-")[0], "number": inv.split("-")[1], "seller": o["supplier1"], "buyer": o["core"],
        "amount": 1, "date": w.c.now - DAY, "doc_hash": "ab" * 32})])
    assert [a["evidence"]["method"] for a in alerts(res, "invoice_reuse")] == ["register_invoice"]
    history = w.sup.q("alerts", as_="regulator", rule="invoice_reuse")
    assert [a["n"] for a in history] == [1, 2]
    with pytest.raises(Unauthorized):
        w.sup.q("alerts", as_="core")


def test_overdue_voucher_and_disclosure_alerts(w):
    vid = w.rcv.issue(10_000 * YUAN, days=2)
    plan, _ = w.plans.pooled()
    w.plans.ok("underwriter", "file", plan=plan)
    w.c.advance(11 * DAY)
    res = w.c.block([])
    assert [a["subject"] for a in alerts(res, "voucher_overdue")] == [f"voucher:{vid}"]
    assert [a["subject"] for a in alerts(res, "disclosure_overdue")] == [f"plan:{plan}"]
    assert alerts(w.c.block([])) == []  # raised once, when it happened


def test_long_tenor_and_large_transfer(w, monkeypatch):
    monkeypatch.setitem(risk.DEFAULTS, "large_transfer", (1_000_000 * YUAN, "test"))
    o = w.o
    long_one = w.rcv.issue(2_000_000 * YUAN, days=200)
    res = w.c.block([])  # the issue's own block raised it; check the history
    tenor = w.sup.q("alerts", as_="regulator", rule="long_tenor")
    assert [(a["subject"], a["evidence"]["tenor_days"]) for a in tenor] == [(f"voucher:{long_one}", 200)]
    w.rcv.issue(10_000 * YUAN, days=183)
    assert len(w.sup.q("alerts", as_="regulator", rule="long_tenor")) == 1  # 183 days is allowed
    raw = w.c.sign("supplier1", "receivables", "transfer", {"id": long_one, "to": o["supplier2"],
                                                           "amount": 1_500_000 * YUAN})
    res = w.c.block([raw])
    assert [a["subject"] for a in alerts(res, "large_transfer")] == [f"voucher:{long_one}"]
    assert res.receipts[0].ok


def test_product_holder_limits_and_payer_concentration(w, monkeypatch):
    monkeypatch.setitem(risk.DEFAULTS, "holders_near_limit", (2, "test"))
    monkeypatch.setitem(risk.DEFAULTS, "holders_at_limit", (3, "test"))
    pid, _ = w.products.open_()
    # all the underlying comes from one core enterprise: above the 50 % concentration limit
    [concentration] = w.sup.q("alerts", as_="regulator", rule="payer_concentration")
    assert concentration["evidence"]["payer"] == w.o["core"] and concentration["evidence"]["share_bps"] == 10_000
    for who, tranche, amount in (("investor1", "senior", 400_000 * YUAN), ("investor2", "senior", 400_000 * YUAN),
                                 ("investor3", "sub", 200_000 * YUAN)):
        w.products.ok(who, "subscribe", product=pid, tranche=tranche, amount=amount)
    fired = [(a["rule"], a["evidence"]["holders"]) for a in w.sup.q("alerts", as_="exchange", subject=f"product:{pid}")
             if a["rule"].startswith("holders")]
    assert fired == [("holders_near_limit", 2), ("holders_at_limit", 3)]
    # issue 24: the bare product id finds the alerts on `product:<id>` too (it used to find nothing)
    by_ref = w.sup.q("alerts", as_="exchange", subject=f"product:{pid}")
    assert w.sup.q("alerts", as_="regulator", subject=pid) == by_ref
    assert [a["rule"] for a in by_ref] == ["payer_concentration", "holders_near_limit", "holders_at_limit"]
    assert w.sup.q("alerts", as_="regulator", rule="holders_at_limit", subject=pid) == by_ref[-1:]
    assert w.sup.q("alerts", as_="regulator", subject=f"voucher:{pid}") == []  # a full reference matches exactly


def test_an_invoice_reuse_alert_is_found_by_the_signing_organisation(w):
    o, rcv = w.o, w.rcv
    inv = rcv.invoice(1_000 * YUAN)
    res = w.c.block([w.c.sign("supplier1", "receivables", "register_invoice", {
        "code": inv.split("-")[0], "number": inv.split("-")[1], "seller": o["supplier1"], "buyer": o["core"],
        "amount": 1, "date": w.c.now - DAY, "doc_hash": "ab" * 32})])
    [alert] = alerts(res, "invoice_reuse")
    assert alert["subject"] == o["supplier1"]  # the signer of the refused attempt (here the seller)
    assert [a["n"] for a in w.sup.q("alerts", as_="regulator", subject=o["supplier1"])] == [alert["n"]]


def test_a_failed_auction_alerts(w):
    from faechain.contracts.runtime import REGISTRY, register
    from tests.modules.auctions.auction_support import ENGLISH, Au, LotProbe

    register(LotProbe)
    try:
        w.c.app.contracts["lot_probe"] = LotProbe()  # this chain was opened before the probe existed
        a = Au(w.c)
        aid = a.open(ENGLISH, duration=600)
        res = a.run_to(a.auction(aid)["end"])
        assert [x["subject"] for x in alerts(res, "auction_failed")] == [f"auction:{aid}"]
    finally:
        REGISTRY.pop(LotProbe.name, None)
        w.c.app.contracts.pop("lot_probe", None)


def test_a_rule_set_to_zero_is_off(w, monkeypatch):
    monkeypatch.setitem(risk.DEFAULTS, "long_tenor", (0, "off"))
    w.rcv.issue(1_000 * YUAN, days=300)
    assert w.sup.q("alerts", as_="regulator", rule="long_tenor") == []


def test_idle_blocks_cost_nothing(w):
    before = w.c.app.app_hash
    w.c.block([])
    assert w.sup.get("alerts") is None and w.c.app.app_hash == before
