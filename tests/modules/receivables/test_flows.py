"""Receivables (domain.md section 1): every step with its roles, the queries, and read visibility.

Each test drives the 19-member demo consortium block by block (`conftest.demo_chain`)
through `rcv_support.Rcv`; rejections are checked for their stable code and for leaving
the state untouched (`Rcv.rejected`).
"""

from __future__ import annotations

import pytest

from faechain.contracts.errors import ContractError
from faechain.core.encoding import decode
from faechain.modules.receivables.end_block import CLEAR_BATCH  # noqa: F401  (documented constant)
from tests.modules.receivables.pay_support import confirm_all, pending_instructions, settle
from tests.modules.receivables.rcv_support import DAY, H, cst_day


def events(receipt_or_result, type_: str) -> list[dict]:
    evs = receipt_or_result.events if hasattr(receipt_or_result, "events") else receipt_or_result
    return [e["attrs"] for e in evs if e["type"] == type_]


# -- invoice registry ------------------------------------------------------------------------


def test_register_invoice_by_its_seller_once(r):
    o = r.o
    inv = r.invoice(5_000_000_00)
    rec = r.get(f"invoice/{inv}")
    assert rec["seller"] == o["supplier1"] and rec["buyer"] == o["core"]
    assert rec["amount"] == 5_000_000_00 and rec["drawn"] == 0
    code, number = inv.split("-")
    args = dict(code=code, number=number, seller=o["supplier1"], buyer=o["core"], amount=1, date=r.c.now - DAY,
                doc_hash=H)
    r.rejected("supplier1", "register_invoice", "duplicate", **args)
    # a seller argument that is not the signer: identity comes from the signature
    r.rejected("supplier2", "register_invoice", "unauthorized", **{**args, "number": "77777777"})
    r.rejected("supplier1", "register_invoice", "bad_request", **{**args, "number": "7777", "doc_hash": "xy"})
    r.rejected("supplier1", "register_invoice", "bad_request", **{**args, "number": "7777", "date": r.c.now + DAY})
    r.rejected("supplier1", "register_invoice", "bad_request", **{**args, "number": "77-7"})
    r.rejected("supplier1", "register_invoice", "not_found", **{**args, "number": "7777",
                                                                "buyer": "91110000NOSUCHORGX"})
    view = r.q("invoice", as_="supplier1", id=inv, prove=True)
    assert view["undrawn"] == 5_000_000_00 and view["roots"] == []
    r.check_proofs(view["proofs"], {f"invoice/{inv}": rec})


def test_invoice_visibility_and_usage(r):
    inv = r.invoice(1_000_00)
    vid = r.issue(600_00, invoice=inv)
    seers = ["supplier1", "core", "regulator", "exchange"]  # its seller and buyer (README: and the funders
    for who in seers:                                       # offered a voucher drawing on it)
        view = r.q("invoice", as_=who, id=inv)
        assert view["invoice"]["drawn"] == 600_00 and view["undrawn"] == 400_00
        assert view["roots"] == [{"root": vid, "status": "ACTIVE", "drawn": 600_00}]
    for who in ("supplier2", "core2", "investor1", "factor", "bank", "bank2"):  # a funder offered nothing: no
        with pytest.raises(ContractError) as e:
            r.q("invoice", as_=who, id=inv)
        assert e.value.code == "not_found"
    # the holder offers the voucher to the factor: the factor's due diligence reads the invoice
    r.ok("supplier1", "request_financing", id=vid, funder=r.o["factor"], amount=600_00, rate_bps=500)
    assert r.q("invoice", as_="factor", id=inv)["roots"] == [{"root": vid, "status": "ACTIVE", "drawn": 600_00}]
    with pytest.raises(ContractError) as e:
        r.q("invoice", as_="bank", id=inv)
    assert e.value.code == "not_found"
    with pytest.raises(ContractError):
        r.q("invoice", id="0-0")


# -- credit lines -----------------------------------------------------------------------------


def test_grant_credit_only_by_a_bank_and_a_new_grant_supersedes(r):
    o = r.o
    for who in ("core", "factor", "supplier1", "regulator", "exchange"):
        r.rejected(who, "grant_credit", "unauthorized", core=o["core"], amount=1, expires=r.c.now + DAY)
    r.rejected("bank", "grant_credit", "bad_request", core=o["supplier1"], amount=1, expires=r.c.now + DAY)
    r.rejected("bank", "grant_credit", "bad_request", core=o["core"], amount=-1, expires=r.c.now + DAY)
    r.rejected("bank", "grant_credit", "bad_request", core=o["core"], amount=1, expires=r.c.now - 1)
    r.rejected("bank", "grant_credit", "not_found", core="91110000NOSUCHORGX", amount=1, expires=r.c.now + DAY)
    r.line(2_000_000_00, bank="bank2")
    credit = r.q("credit", as_="core", core=o["core"], prove=True)
    assert credit["limit"] == 12_000_000_00 and credit["open"] == 0 and credit["headroom"] == 12_000_000_00
    r.check_proofs(credit["proofs"], {f"core/{o['core']}": r.get(f"core/{o['core']}")})
    r.line(1_000_000_00)  # the bank lowers its line: the new grant replaces the old one
    assert r.q("credit", as_="core", core=o["core"])["limit"] == 3_000_000_00
    assert [x["amount"] for x in r.q("credit", as_="bank", core=o["core"])["lines"]] == [1_000_000_00]  # its own
    r.issue(2_500_000_00)
    credit = r.q("credit", as_="core", core=o["core"])
    assert credit["open"] == 2_500_000_00 and credit["headroom"] == 500_000_00
    # issuing beyond the lines
    inv = r.invoice(600_000_00)
    r.rejected("core", "issue", "limit_exceeded", to=o["supplier1"], amount=500_000_01, maturity=r.c.now + 30 * DAY,
               invoices=[[inv, 500_000_01]], contract_hash=H)
    r.ok("core", "issue", to=o["supplier1"], amount=500_000_00, maturity=r.c.now + 30 * DAY,
         invoices=[[inv, 500_000_00]], contract_hash=H)
    # an expired line no longer counts
    r.ok("bank2", "grant_credit", core=o["core"], amount=2_000_000_00, expires=r.c.now + 10)
    r.c.advance(20)
    r.c.block([])
    assert r.q("credit", as_="core", core=o["core"])["limit"] == 1_000_000_00


def test_credit_visibility(r):
    """README: a credit line to the core and the bank that granted it — a bank sees its own line,
    not the core's total or another bank's line."""
    o = r.o
    for who in ("core", "regulator", "exchange"):
        assert r.q("credit", as_=who, core=o["core"])["limit"] == 10_000_000_00
    mine = r.q("credit", as_="bank", core=o["core"])
    assert set(mine) == {"core", "lines"} and [x["bank"] for x in mine["lines"]] == [o["bank"]]
    for who in ("bank2", "supplier1", "core2", "factor"):
        with pytest.raises(ContractError) as e:
            r.q("credit", as_=who, core=o["core"])
        assert e.value.code == "not_found"


# -- issue, accept, reject ---------------------------------------------------------------------


def test_issue_draws_on_invoice_and_line_and_accept_activates(r):
    o = r.o
    inv1, inv2 = r.invoice(3_000_00), r.invoice(5_000_00)
    maturity = r.c.now + 90 * DAY
    rec = r.tx("core", "issue", to=o["supplier1"], amount=7_000_00, maturity=maturity,
               invoices=[[inv1, 3_000_00], [inv2, 4_000_00]], contract_hash=H)
    assert rec.ok, rec.message
    vid = rec.result["voucher"]
    assert events(rec, "VoucherIssued") == [dict(voucher=vid, payer=o["core"], holder=o["supplier1"], amount=7_000_00,
                                                 maturity=maturity)]
    assert not events(rec, "TenorWarning")
    v = r.v(vid)
    assert (v["root"], v["parent"], v["tier"], v["payer"], v["holder"], v["amount"], v["status"]) == \
        (vid, None, 1, o["core"], o["supplier1"], 7_000_00, "ISSUED")
    assert v["maturity"] == maturity and v["contract_hash"] == H and not v["frozen"]
    root = r.get(f"root/{vid}")
    assert root["invoice_refs"] == [[inv1, 3_000_00], [inv2, 4_000_00]] and root["status"] == "ISSUED"
    assert r.get(f"invoice/{inv1}")["drawn"] == 3_000_00 and r.get(f"invoice/{inv2}")["drawn"] == 4_000_00
    assert r.get(f"core/{o['core']}")["open"] == 7_000_00
    assert r.live(vid) == {vid: 7_000_00}
    # only the named holder accepts; an issued voucher cannot move yet
    for who in ("supplier2", "core", "regulator"):
        r.rejected(who, "accept", "unauthorized", id=vid)
    r.rejected("supplier1", "transfer", "invalid_state", id=vid, to=o["supplier2"], amount=1)
    r.rejected("supplier1", "request_financing", "invalid_state", id=vid, funder=o["factor"], amount=1, rate_bps=1)
    rec = r.tx("supplier1", "accept", id=vid)
    assert rec.ok and events(rec, "VoucherAccepted") == [dict(voucher=vid, holder=o["supplier1"])]
    assert r.v(vid)["status"] == "ACTIVE" and r.get(f"root/{vid}")["status"] == "ACTIVE"
    r.rejected("supplier1", "accept", "invalid_state", id=vid)
    r.rejected("supplier1", "reject", "invalid_state", id=vid)


def test_issue_roles_and_inputs(r):
    o = r.o
    inv = r.invoice(1_000_00)
    ok = dict(to=o["supplier1"], amount=1_000_00, maturity=r.c.now + 30 * DAY, invoices=[[inv, 1_000_00]],
              contract_hash=H)
    for who in ("supplier1", "bank", "factor", "regulator", "exchange"):
        r.rejected(who, "issue", "unauthorized", **ok)
    r.rejected("core2", "issue", "bad_request", **ok)  # the invoice is not owed by core2
    r.rejected("core", "issue", "bad_request", **{**ok, "to": o["supplier2"]})  # nor sold by supplier2
    r.rejected("core", "issue", "bad_request", **{**ok, "to": o["factor"]})  # not a supplier
    r.rejected("core", "issue", "bad_request", **{**ok, "contract_hash": "AB" * 32})
    r.rejected("core", "issue", "bad_request", **{**ok, "invoices": []})
    r.rejected("core", "issue", "bad_request", **{**ok, "invoices": [[inv, 999_00]]})  # draws != amount
    r.rejected("core", "issue", "bad_request", **{**ok, "invoices": [[inv, "1000"]]})
    r.rejected("core", "issue", "duplicate", **{**ok, "invoices": [[inv, 500_00], [inv, 500_00]]})
    r.rejected("core", "issue", "not_found", **{**ok, "invoices": [["0-0", 1_000_00]]})
    r.rejected("core", "issue", "bad_request", **{**ok, "settlement_bank": o["bank2"]})  # not a settlement bank
    r.rejected("core", "issue", "bad_request", **{**ok, "maturity": r.c.now})
    assert r.get(f"invoice/{inv}")["drawn"] == 0
    r.ok("core", "issue", **{**ok, "settlement_bank": o["bank"]})


def test_a_voucher_matured_unaccepted_cannot_be_accepted_and_lapses(r):
    o = r.o
    inv = r.invoice(1_000_00)
    vid = r.issue(1_000_00, days=2, accept=False, invoice=inv)
    r.c.advance(2 * DAY)
    r.rejected("supplier1", "accept", "expired", id=vid)  # at maturity: too late to accept ...
    r.ok("supplier1", "reject", id=vid, reason="matured unaccepted")  # ... but it can still be refused
    assert r.get(f"invoice/{inv}")["drawn"] == 0 and r.get(f"core/{o['core']}")["open"] == 0
    # left alone, it lapses in the first block of the next China-time day: invoice and credit released
    inv2 = r.invoice(1_000_00)
    vid2 = r.issue(1_000_00, days=2, accept=False, invoice=inv2)
    r.c.advance(3 * DAY)
    res = r.c.block([])
    assert [e["attrs"]["root"] for e in res.end_events if e["type"] == "VoucherLapsed"] == [vid2]
    assert not [e for e in res.end_events if e["type"] == "VoucherOverdue"]
    assert r.v(vid2)["status"] == "CANCELLED" and r.get(f"root/{vid2}")["status"] == "CANCELLED"
    assert r.get(f"invoice/{inv2}")["drawn"] == 0 and r.get(f"core/{o['core']}")["open"] == 0
    r.rejected("supplier1", "reject", "invalid_state", id=vid2)


def test_tenor_warning_above_183_days(r):
    o = r.o
    inv = r.invoice(1_000_00)
    rec = r.tx("core", "issue", to=o["supplier1"], amount=1_000_00, maturity=r.c.now + 200 * DAY,
               invoices=[[inv, 1_000_00]], contract_hash=H)
    assert rec.ok and events(rec, "TenorWarning") == [dict(voucher=rec.result["voucher"], tenor_days=200)]
    inv = r.invoice(1_000_00)
    rec = r.tx("core", "issue", to=o["supplier1"], amount=1_000_00, maturity=r.c.now + 365 * DAY,
               invoices=[[inv, 1_000_00]], contract_hash=H)
    assert rec.ok  # exactly 365 days is allowed


def test_reject_releases_invoice_and_credit(r):
    o = r.o
    inv = r.invoice(1_000_00)
    vid = r.issue(1_000_00, invoice=inv, accept=False)
    assert r.get(f"invoice/{inv}")["drawn"] == 1_000_00
    # the invoice is fully drawn: drawing it again is refused (double financing of an invoice)
    r.rejected("core", "issue", "limit_exceeded", to=o["supplier1"], amount=1, maturity=r.c.now + 30 * DAY,
               invoices=[[inv, 1]], contract_hash=H)
    for who in ("supplier2", "core", "regulator"):
        r.rejected(who, "reject", "unauthorized", id=vid)
    rec = r.tx("supplier1", "reject", id=vid, reason="wrong amount")
    assert rec.ok and events(rec, "VoucherRejected")[0]["reason"] == "wrong amount"
    assert r.v(vid)["status"] == "CANCELLED" and r.get(f"root/{vid}")["status"] == "CANCELLED"
    assert r.get(f"invoice/{inv}")["drawn"] == 0
    assert r.get(f"core/{o['core']}")["open"] == 0
    assert r.live(vid) == {}
    r.rejected("supplier1", "accept", "invalid_state", id=vid)
    r.rejected("supplier1", "reject", "invalid_state", id=vid)
    # the released invoice can be drawn again
    vid2 = r.issue(1_000_00, invoice=inv)
    roots = sorted(r.q("invoice", id=inv)["roots"], key=lambda x: x["root"])
    assert roots == sorted([{"root": vid, "status": "CANCELLED", "drawn": 1_000_00},
                            {"root": vid2, "status": "ACTIVE", "drawn": 1_000_00}], key=lambda x: x["root"])
    assert r.get(f"invoice/{inv}")["drawn"] == 1_000_00


# -- transfers ------------------------------------------------------------------------------------


def test_transfer_splits_and_full_transfer_has_no_remainder(r):
    o = r.o
    vid = r.issue(1_000_00, days=60)
    root_v = r.v(vid)
    rec = r.tx("supplier1", "transfer", id=vid, to=o["supplier2"], amount=300_00)
    assert rec.ok, rec.message
    p2, rest = rec.result["voucher"], rec.result["remainder"]
    assert events(rec, "VoucherTransferred") == [dict(voucher=vid, root=vid, sender=o["supplier1"], to=o["supplier2"],
                                                      amount=300_00, piece=p2, remainder=rest, tier=2,
                                                      recourse=False)]
    parent = r.v(vid)
    assert parent["status"] == "SPLIT" and parent["children"] == [p2, rest]
    a, b = r.v(p2), r.v(rest)
    assert (a["holder"], a["amount"], a["tier"], a["parent"], a["status"], a["from"]) == \
        (o["supplier2"], 300_00, 2, vid, "ACTIVE", o["supplier1"])
    assert (b["holder"], b["amount"], b["tier"], b["parent"], b["status"]) == (o["supplier1"], 700_00, 1, vid, "ACTIVE")
    for child in (a, b):  # children inherit payer, maturity, contract and root
        assert (child["root"], child["payer"], child["maturity"], child["contract_hash"]) == \
            (vid, o["core"], root_v["maturity"], H)
    assert r.live(vid) == {p2: 300_00, rest: 700_00}
    assert r.get(f"root/{vid}")["live_count"] == 2
    # a consumed piece cannot move again
    r.rejected("supplier1", "transfer", "invalid_state", id=vid, to=o["supplier2"], amount=1)
    # a full transfer: the piece passes whole, no remainder
    rec = r.tx("supplier2", "transfer", id=p2, to=o["supplier3"], amount=300_00)
    assert rec.ok and rec.result["remainder"] is None
    p3 = rec.result["voucher"]
    assert r.v(p2)["status"] == "TRANSFERRED" and r.v(p2)["children"] == [p3]
    assert (r.v(p3)["holder"], r.v(p3)["tier"], r.v(p3)["amount"]) == (o["supplier3"], 3, 300_00)
    assert r.live(vid) == {p3: 300_00, rest: 700_00}
    assert r.get(f"root/{vid}")["live_count"] == 2
    # tier grows one per hop, remainders keep the sender's tier
    p4, rest3 = r.transfer("supplier3", p3, "supplier1", 100_00)
    assert (r.v(p4)["tier"], r.v(rest3)["tier"]) == (4, 3)
    assert sum(r.live(vid).values()) == 1_000_00


def test_transfer_checks(r):
    o = r.o
    vid = r.issue(1_000_00, days=10)
    r.rejected("supplier2", "transfer", "unauthorized", id=vid, to=o["supplier3"], amount=1)  # not the holder
    r.rejected("core", "transfer", "unauthorized", id=vid, to=o["supplier3"], amount=1)
    r.rejected("supplier1", "transfer", "limit_exceeded", id=vid, to=o["supplier2"], amount=1_000_01)
    r.rejected("supplier1", "transfer", "bad_request", id=vid, to=o["supplier1"], amount=1)
    r.rejected("supplier1", "transfer", "bad_request", id=vid, to=o["regulator"], amount=1)
    r.rejected("supplier1", "transfer", "not_found", id=vid, to="91110000NOSUCHORGX", amount=1)
    r.rejected("supplier1", "transfer", "not_found", id="V-999-0-1", to=o["supplier2"], amount=1)
    # at maturity nothing moves
    r.c.advance(10 * DAY)
    r.rejected("supplier1", "transfer", "expired", id=vid, to=o["supplier2"], amount=1)
    r.rejected("supplier1", "request_financing", "expired", id=vid, funder=o["factor"], amount=1, rate_bps=1)


# -- financing --------------------------------------------------------------------------------------


def test_financing_registration_funding_and_instruction(r):
    o = r.o
    vid = r.issue(1_000_000_00, days=91)
    p2, rest1 = r.transfer("supplier1", vid, "supplier2", 400_000_00)
    for who, funder, code in (("supplier1", "factor", "unauthorized"),  # not the holder
                              ("supplier2", "supplier3", "bad_request"),  # not a factor or bank
                              ("supplier2", "core", "bad_request")):
        r.rejected(who, "request_financing", code, id=p2, funder=o[funder], amount=100_000_00, rate_bps=600)
    r.rejected("supplier2", "request_financing", "limit_exceeded", id=p2, funder=o["factor"], amount=400_000_01,
               rate_bps=600)
    r.rejected("supplier2", "request_financing", "bad_request", id=p2, funder=o["factor"], amount=1, rate_bps=10_001)
    r.rejected("supplier2", "request_financing", "bad_request", id=p2, funder=o["factor"], amount=1, rate_bps=-1)
    rec = r.tx("supplier2", "request_financing", id=p2, funder=o["factor"], amount=250_000_00, rate_bps=730)
    assert rec.ok, rec.message
    fid = rec.result["financing"]
    assert r.v(p2)["status"] == "FINANCING" and r.v(p2)["financing"] == fid
    f = r.get(f"financing/{fid}")
    assert (f["voucher"], f["holder"], f["funder"], f["amount"], f["rate_bps"], f["status"]) == \
        (p2, o["supplier2"], o["factor"], 250_000_00, 730, "REQUESTED")
    # a piece awaiting financing cannot move
    r.rejected("supplier2", "transfer", "invalid_state", id=p2, to=o["supplier3"], amount=1)
    # funding needs the registration first, and only the funder registers and funds
    r.rejected("factor", "fund", "invalid_state", financing=fid)
    r.rejected("supplier2", "record_registration", "unauthorized", financing=fid, reg_no="ZDW-1")
    r.rejected("bank", "record_registration", "unauthorized", financing=fid, reg_no="ZDW-1")
    r.rejected("factor", "record_registration", "bad_request", financing=fid, reg_no="")
    r.rejected("factor", "record_registration", "not_found", financing="F-999-0-1", reg_no="ZDW-1")
    rec = r.tx("factor", "record_registration", financing=fid, reg_no="ZDW-2026-000123")
    assert rec.ok and r.get(f"financing/{fid}")["status"] == "REGISTERED"
    r.rejected("factor", "record_registration", "invalid_state", financing=fid, reg_no="ZDW-2")
    r.attest(fid)  # the registry agent attests the registration and a clear search (test_attestations.py)
    r.rejected("supplier2", "fund", "unauthorized", financing=fid)
    r.rejected("bank", "fund", "unauthorized", financing=fid)
    now = r.c.now
    rec = r.tx("factor", "fund", financing=fid)
    assert rec.ok, rec.message
    piece, rest2 = rec.result["voucher"], rec.result["remainder"]
    maturity = r.v(vid)["maturity"]
    days = (maturity - now + DAY - 1) // DAY
    discount = 250_000_00 * 730 * days // (10_000 * 365)
    assert rec.result["advance"] == 250_000_00 - discount and discount > 0
    fv = r.v(piece)
    assert (fv["holder"], fv["amount"], fv["status"], fv["funder"], fv["financing"], fv["registration"],
            fv["tier"]) == (o["factor"], 250_000_00, "FINANCED", o["factor"], fid, "ZDW-2026-000123", 3)
    rv = r.v(rest2)
    assert (rv["holder"], rv["amount"], rv["status"], rv["financing"]) == (o["supplier2"], 150_000_00, "ACTIVE", None)
    assert r.v(p2)["status"] == "SPLIT"
    f = r.q("financing", as_="supplier2", id=fid)
    assert f["status"] == "FUNDED" and f["piece"] == piece and f["advance"] == 250_000_00 - discount
    assert f["discount"] == discount and f["funded_at"] == now
    assert f["instruction"] == {"payer": o["factor"], "payee": o["supplier2"], "amount": 250_000_00 - discount,
                                "reference": fid}
    assert events(rec, "FinancingFunded")[0]["advance"] == 250_000_00 - discount
    r.rejected("factor", "fund", "invalid_state", financing=fid)
    r.rejected("factor", "cancel_financing", "invalid_state", financing=fid)
    assert r.live(vid) == {rest1: 600_000_00, piece: 250_000_00, rest2: 150_000_00}
    # the financed piece is the funder's: only the funder moves it, and its rest stays financed
    r.rejected("supplier2", "transfer", "unauthorized", id=piece, to=o["supplier3"], amount=1)
    r.rejected("factor", "request_financing", "invalid_state", id=piece, funder=o["bank"], amount=1, rate_bps=1)
    moved, kept = r.transfer("factor", piece, "bank", 50_000_00)
    assert r.v(moved)["status"] == "ACTIVE" and r.v(moved)["holder"] == o["bank"]
    kv = r.v(kept)
    assert (kv["status"], kv["holder"], kv["funder"], kv["financing"]) == ("FINANCED", o["factor"], o["factor"], fid)
    # financing queries follow the parties
    assert [x["id"] for x in r.q("financings", as_="factor", funder=o["factor"])] == [fid]
    assert [x["id"] for x in r.q("financings", as_="supplier2", holder=o["supplier2"])] == [fid]
    assert r.q("financings", as_="supplier3", funder=o["factor"]) == []
    assert [x["id"] for x in r.q("financings", as_="regulator", status="FUNDED")] == [fid]
    for who in ("supplier1", "supplier3", "bank2"):
        with pytest.raises(ContractError) as e:
            r.q("financing", as_=who, id=fid)
        assert e.value.code == "not_found"
    with pytest.raises(ContractError):
        r.q("financings", as_="regulator")


def test_full_financing_has_no_remainder(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    res = r.finance("supplier1", vid, "bank", 1_000_00, rate_bps=0)
    assert res["remainder"] is None and res["advance"] == 1_000_00
    assert r.v(vid)["status"] == "TRANSFERRED"
    assert r.live(vid) == {res["voucher"]: 1_000_00}
    assert r.v(res["voucher"])["holder"] == o["bank"]


def test_cancel_financing_by_either_party(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    fid = r.ok("supplier1", "request_financing", id=vid, funder=o["factor"], amount=500_00, rate_bps=500)["financing"]
    for who in ("supplier2", "bank", "core"):
        r.rejected(who, "cancel_financing", "unauthorized", financing=fid)
    r.rejected("supplier1", "cancel_financing", "not_found", financing="F-1-0-9")
    rec = r.tx("supplier1", "cancel_financing", financing=fid, reason="better offer")
    assert rec.ok and events(rec, "FinancingCancelled") == [dict(financing=fid, by=o["supplier1"],
                                                                 reason="better offer")]
    assert r.v(vid)["status"] == "ACTIVE" and r.v(vid)["financing"] is None
    assert r.get(f"financing/{fid}")["status"] == "CANCELLED"
    r.rejected("supplier1", "cancel_financing", "invalid_state", financing=fid)
    r.rejected("factor", "record_registration", "invalid_state", financing=fid, reg_no="X")
    r.rejected("factor", "fund", "invalid_state", financing=fid)
    # offered again, registered, then withdrawn by the funder
    fid2 = r.ok("supplier1", "request_financing", id=vid, funder=o["bank"], amount=1_000_00, rate_bps=0)["financing"]
    r.ok("bank", "record_registration", financing=fid2, reg_no="ZDW-9")
    r.ok("bank", "cancel_financing", financing=fid2)
    assert r.v(vid)["status"] == "ACTIVE"
    r.rejected("bank", "fund", "invalid_state", financing=fid2)
    # the piece moves again
    r.transfer("supplier1", vid, "supplier2", 1_000_00)


def test_second_financing_of_the_same_piece_is_a_duplicate(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    r.ok("supplier1", "request_financing", id=vid, funder=o["factor"], amount=500_00, rate_bps=500)
    r.rejected("supplier1", "request_financing", "duplicate", id=vid, funder=o["bank"], amount=500_00, rate_bps=400)
    r.rejected("supplier1", "request_financing", "duplicate", id=vid, funder=o["factor"], amount=500_00, rate_bps=500)
    # someone else trying is still told it is not theirs
    r.rejected("supplier2", "request_financing", "unauthorized", id=vid, funder=o["bank"], amount=1, rate_bps=1)


def test_cancelling_a_financing_after_payment_does_not_revive_the_piece(r):
    """A piece paid while a financing offer was pending stays PAID."""
    o = r.o
    vid = r.issue(1_000_00, days=5)
    fid = r.ok("supplier1", "request_financing", id=vid, funder=o["factor"], amount=1_000_00, rate_bps=1)["financing"]
    r.c.advance(5 * DAY)
    settle(r, vid, 1_000_00)
    assert r.v(vid)["status"] == "PAID"
    r.tx("supplier1", "cancel_financing", financing=fid)
    assert r.v(vid)["status"] == "PAID"
    assert r.live(vid) == {}
    r.rejected("supplier1", "transfer", "invalid_state", id=vid, to=o["supplier2"], amount=1)
    r.rejected("factor", "fund", "invalid_state", financing=fid)


# -- payment at maturity ----------------------------------------------------------------------------


def _three_holders(r, amount=1_000_000_00, days=30):
    """A root split supplier1 -> supplier2 -> supplier3, one piece financed by the factor."""
    vid = r.issue(amount, days=days)
    p2, rest1 = r.transfer("supplier1", vid, "supplier2", amount * 3 // 10)
    p3, rest2 = r.transfer("supplier2", p2, "supplier3", amount // 10)
    fin = r.finance("supplier3", p3, "factor", amount // 10)
    return vid, {rest1: amount * 7 // 10, rest2: amount * 2 // 10, fin["voucher"]: amount // 10}


def test_confirm_payment_pays_every_live_piece(r):
    o = r.o
    vid, pieces = _three_holders(r)
    assert r.live(vid) == pieces
    maturity = r.v(vid)["maturity"]
    r.rejected("bank", "confirm_payment", "invalid_state", root=vid, amount=1_000_000_00, bank_ref="CCB-1")
    # only a bank with the settlement attribute
    for who in ("bank2", "factor", "core", "regulator", "supplier1"):
        r.rejected(who, "confirm_payment", "unauthorized", root=vid, amount=1_000_000_00, bank_ref="CCB-1")
    r.c.clock = maturity * 1000  # the block exactly at maturity
    r.rejected("bank", "confirm_payment", "not_found", root="V-999-0-1", amount=1, bank_ref="CCB-1")
    r.rejected("bank", "confirm_payment", "limit_exceeded", root=vid, amount=1_000_000_01, bank_ref="CCB-1")
    r.rejected("bank", "confirm_payment", "bad_request", root=vid, amount=0, bank_ref="CCB-1")
    r.rejected("bank", "confirm_payment", "bad_request", root=vid, amount=1, bank_ref="")
    # past maturity nothing moves
    some = next(iter(pieces))
    r.rejected(r.holder_name(some), "transfer", "expired", id=some, to=o["bank2"], amount=1)
    open_before = r.get(f"core/{o['core']}")["open"]
    res = r.c.block([r.c.sign("bank", "receivables", "confirm_payment",
                              dict(root=vid, amount=1_000_000_00, bank_ref="CCB-1"))])
    rec = res.receipts[0]
    assert rec.ok, rec.message
    assert rec.result == {"root": vid, "round": 1}
    assert events(rec, "PaymentConfirmed") == [dict(root=vid, amount=1_000_000_00, bank=o["bank"], bank_ref="CCB-1",
                                                    round=1)]
    # one clearing instruction per live piece at the end of the same block; nothing is paid yet
    assert events(res.end_events, "RoundInstructed") == [dict(root=vid, round=1, amount=1_000_000_00, pieces=3,
                                                              instructed=1_000_000_00)]
    assert sorted((i["ref"], i["amount"]) for i in pending_instructions(r)) == sorted(
        (f"voucher:{pid}", amount) for pid, amount in pieces.items())
    assert all(r.v(pid)["status"] in ("ACTIVE", "FINANCED") for pid in pieces)
    assert r.get(f"root/{vid}")["status"] == "CLEARING"
    paid_at = r.c.now
    confirm_all(r)
    for pid, amount in pieces.items():
        v = r.v(pid)
        assert v["status"] == "PAID" and v["paid"] == amount and v["paid_at"] == paid_at
    root = r.get(f"root/{vid}")
    assert root["status"] == "PAID" and root["payment"]["paid_total"] == 1_000_000_00
    assert root["paid_total"] == root["collected"] == 1_000_000_00
    assert root["payment"]["bank"] == o["bank"] and root["payment"]["bank_ref"] == "CCB-1"
    assert r.live(vid) == {}
    assert r.get(f"core/{o['core']}")["open"] == open_before - 1_000_000_00
    # consumed pieces are history, not paid
    assert r.v(vid)["status"] == "SPLIT" and "paid" not in r.v(vid)
    r.rejected("bank", "confirm_payment", "invalid_state", root=vid, amount=1_000_000_00, bank_ref="CCB-2")
    for pid in pieces:
        r.rejected(r.holder_name(pid), "transfer", "invalid_state", id=pid, to=o["bank2"], amount=1)
    assert {v["status"] for v in r.q("vouchers", root=vid) if v["id"] in pieces} == {"PAID"}


def test_partial_payment_is_pro_rata_to_the_fen(r):
    vid = r.issue(1_000_00, days=3)
    p2, rest = r.transfer("supplier1", vid, "supplier2", 333_33)
    p3, rest2 = r.transfer("supplier2", p2, "supplier3", 111_11)
    pieces = {rest: 666_67, rest2: 222_22, p3: 111_11}
    assert r.live(vid) == pieces
    r.c.advance(3 * DAY + 100)
    settle(r, vid, 777_77)
    paid = {pid: r.v(pid)["paid"] for pid in pieces}
    assert sum(paid.values()) == 777_77
    for pid, amount in pieces.items():
        exact = 777_77 * amount / 1_000_00
        assert abs(paid[pid] - exact) < 1, (pid, paid[pid], exact)
    assert r.get(f"root/{vid}")["payment"]["paid_total"] == 777_77 == r.get(f"root/{vid}")["paid_total"]


def test_settlement_status_comes_from_the_exchange_not_the_banks_own_ca(r):
    """bank2's own CA can put any attribute in its staff certificates; settlement-bank status
    is the organisation's attribute, set at genesis or by the exchange."""
    o = r.o
    vid = r.issue(1_000_00, days=1)
    r.c.new_identity("bank2", "bank2-ops", {"settlement": True})
    r.ok("bank2", "grant_credit", core=o["core2"], amount=1, expires=r.c.now + DAY)  # bank2 is otherwise fine
    r.c.advance(DAY)
    r.rejected("bank2-ops", "confirm_payment", "unauthorized", root=vid, amount=1_000_00, bank_ref="FAKE")
    # once the exchange makes bank2 a settlement bank, it may confirm
    r.c.block([r.c.sign("exchange", "membership", "set_attributes",
                        {"org_id": o["bank2"], "attributes": {"settlement": True}})])
    r.ok("bank2", "confirm_payment", root=vid, amount=1_000_00, bank_ref="REAL")


def test_settlement_bank_named_at_issue(r):
    o = r.o
    r.c.block([r.c.sign("exchange", "membership", "set_attributes",
                        {"org_id": o["bank2"], "attributes": {"settlement": True}})])
    vid = r.issue(1_000_00, days=1, settlement_bank=o["bank"])
    r.c.advance(DAY)
    r.rejected("bank2", "confirm_payment", "unauthorized", root=vid, amount=1_000_00, bank_ref="X")
    r.ok("bank", "confirm_payment", root=vid, amount=1_000_00, bank_ref="X")


def test_an_unaccepted_voucher_cannot_be_paid(r):
    vid = r.issue(1_000_00, days=1, accept=False)
    r.c.advance(DAY)
    r.rejected("bank", "confirm_payment", "invalid_state", root=vid, amount=1_000_00, bank_ref="X")


# -- OVERDUE ------------------------------------------------------------------------------------------


def test_overdue_from_the_first_block_of_the_next_china_day(r):
    o = r.o
    # maturity at 22:00 China time, ten days from now
    day = cst_day(r.c.now) + 10
    maturity = day * DAY - 8 * 3600 + 22 * 3600
    inv = r.invoice(1_000_00)
    vid = r.ok("core", "issue", to=o["supplier1"], amount=1_000_00, maturity=maturity, invoices=[[inv, 1_000_00]],
               contract_hash=H)["voucher"]
    r.ok("supplier1", "accept", id=vid)
    p2, rest = r.transfer("supplier1", vid, "supplier2", 400_00)
    r.c.clock = (maturity + 60) * 1000  # past maturity, same China day
    res = r.c.block([])
    assert not any(e["type"] == "VoucherOverdue" for e in res.end_events)
    assert r.get(f"root/{vid}")["status"] == "ACTIVE"
    assert r.q("voucher", as_="supplier2", id=p2)["voucher"]["status"] == "ACTIVE"
    r.c.clock = ((day + 1) * DAY - 8 * 3600 - 1) * 1000  # 23:59:59 China time
    assert not any(e["type"] == "VoucherOverdue" for e in r.c.block([]).end_events)
    assert r.get(f"root/{vid}")["status"] == "ACTIVE"
    r.c.clock = ((day + 1) * DAY - 8 * 3600) * 1000  # 00:00:00 of the next China day
    res = r.c.block([])
    assert [e["attrs"] for e in res.end_events if e["type"] == "VoucherOverdue"] == [
        dict(root=vid, payer=o["core"], amount=1_000_00, maturity=maturity)]
    assert r.get(f"root/{vid}")["status"] == "OVERDUE"
    # stored piece statuses are unchanged; queries show OVERDUE for the live ones
    assert r.v(p2)["status"] == "ACTIVE"
    assert r.q("voucher", as_="supplier2", id=p2)["voucher"]["status"] == "OVERDUE"
    assert r.q("voucher", as_="supplier1", id=vid)["voucher"]["status"] == "SPLIT"
    assert sorted(v["id"] for v in r.q("vouchers", status="OVERDUE")) == sorted([p2, rest])
    assert [v["id"] for v in r.q("vouchers", as_="supplier2", status="OVERDUE")] == [p2]
    assert r.q("vouchers", status="ACTIVE", root=vid) == []
    # marked once
    assert not any(e["type"] == "VoucherOverdue" for e in r.c.block([]).end_events)
    r.rejected("supplier2", "transfer", "expired", id=p2, to=o["supplier3"], amount=1)
    # payment is still confirmed after
    settle(r, vid, 1_000_00)
    assert r.get(f"root/{vid}")["status"] == "PAID"
    assert r.q("voucher", as_="supplier2", id=p2)["voucher"]["status"] == "PAID"
    assert r.q("vouchers", status="OVERDUE") == []


def test_a_paid_root_never_becomes_overdue(r):
    vid = r.issue(1_000_00, days=2)
    r.c.advance(2 * DAY)
    settle(r, vid, 1_000_00)
    r.c.advance(2 * DAY)
    res = r.c.block([])
    assert not any(e["type"] == "VoucherOverdue" for e in res.end_events)
    assert r.get(f"root/{vid}")["status"] == "PAID"


# -- freeze / unfreeze ---------------------------------------------------------------------------------


def test_freeze_and_unfreeze_a_piece(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    p2, rest = r.transfer("supplier1", vid, "supplier2", 400_00)
    for who in ("exchange", "bank", "core", "supplier2"):
        r.rejected(who, "freeze", "unauthorized", id=p2, reason="suspicious")
    r.rejected("regulator", "freeze", "bad_request", id=p2, reason="")
    r.rejected("regulator", "freeze", "not_found", id="V-999-0-1", reason="x")
    r.rejected("regulator", "unfreeze", "invalid_state", id=p2, reason="x")
    rec = r.tx("regulator", "freeze", id=p2, reason="court order 12")
    assert rec.ok and events(rec, "VoucherFrozen") == [dict(voucher=p2, reason="court order 12")]
    assert r.v(p2)["frozen"] and r.v(p2)["frozen_reason"] == "court order 12"
    r.rejected("regulator", "freeze", "invalid_state", id=p2, reason="again")
    r.rejected("supplier2", "transfer", "frozen", id=p2, to=o["supplier3"], amount=1)
    r.rejected("supplier2", "request_financing", "frozen", id=p2, funder=o["factor"], amount=1, rate_bps=1)
    # the rest of the root is not affected
    r.transfer("supplier1", rest, "supplier3", 100_00)
    for who in ("supplier2", "exchange"):
        r.rejected(who, "unfreeze", "unauthorized", id=p2, reason="x")
    rec = r.tx("regulator", "unfreeze", id=p2, reason="order lifted")
    assert rec.ok and events(rec, "VoucherUnfrozen") == [dict(voucher=p2, reason="order lifted")]
    assert not r.v(p2)["frozen"]
    r.transfer("supplier2", p2, "supplier3", 1)


def test_a_frozen_piece_cannot_be_funded(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    fid = r.ok("supplier1", "request_financing", id=vid, funder=o["factor"], amount=500_00, rate_bps=1)["financing"]
    r.ok("factor", "record_registration", financing=fid, reg_no="ZDW-1")
    r.attest(fid)
    r.ok("regulator", "freeze", id=vid, reason="x")
    r.rejected("factor", "fund", "frozen", financing=fid)
    r.ok("regulator", "unfreeze", id=vid, reason="y")
    r.ok("factor", "fund", financing=fid)


def test_a_frozen_issued_voucher_cannot_be_accepted(r):
    vid = r.issue(1_000_00, days=30, accept=False)
    r.ok("regulator", "freeze", id=vid, reason="x")
    r.rejected("supplier1", "accept", "frozen", id=vid)
    r.ok("regulator", "unfreeze", id=vid, reason="y")
    r.ok("supplier1", "accept", id=vid)


def test_freezing_a_root_stops_every_piece_and_its_payment(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    p2, rest = r.transfer("supplier1", vid, "supplier2", 400_00)
    fid = r.ok("supplier2", "request_financing", id=p2, funder=o["factor"], amount=400_00, rate_bps=1)["financing"]
    r.ok("factor", "record_registration", financing=fid, reg_no="ZDW-1")
    r.ok("regulator", "freeze", id=vid, reason="fraud investigation")
    assert r.get(f"root/{vid}")["frozen"]
    r.rejected("supplier1", "transfer", "frozen", id=rest, to=o["supplier3"], amount=1)
    r.rejected("supplier1", "request_financing", "frozen", id=rest, funder=o["factor"], amount=1, rate_bps=1)
    r.rejected("factor", "fund", "frozen", financing=fid)
    r.c.advance(30 * DAY)
    r.rejected("bank", "confirm_payment", "frozen", root=vid, amount=1_000_00, bank_ref="X")
    r.ok("regulator", "unfreeze", id=vid, reason="cleared")
    assert not r.get(f"root/{vid}")["frozen"]
    settle(r, vid, 1_000_00)
    assert r.v(rest)["status"] == "PAID" and r.v(p2)["status"] == "PAID"


def test_a_frozen_piece_is_paid_but_held(r):
    vid = r.issue(1_000_00, days=3)
    p2, rest = r.transfer("supplier1", vid, "supplier2", 400_00)
    r.ok("regulator", "freeze", id=p2, reason="x")
    r.c.advance(3 * DAY)
    settle(r, vid, 1_000_00)
    assert (r.v(p2)["status"], r.v(p2)["paid"], r.v(p2)["held"]) == ("PAID", 400_00, True)
    assert (r.v(rest)["status"], r.v(rest)["held"]) == ("PAID", False)


# -- queries and visibility ------------------------------------------------------------------------------


def test_voucher_query_lineage_history_and_proofs(r):
    vid = r.issue(1_000_00, days=30)
    p2, rest1 = r.transfer("supplier1", vid, "supplier2", 600_00)
    p3, rest2 = r.transfer("supplier2", p2, "supplier3", 200_00)
    view = r.q("voucher", as_="supplier2", id=p2, prove=True)
    assert view["voucher"]["id"] == p2 and view["root"]["id"] == vid and "invoice_refs" not in view["root"]
    assert [a["id"] for a in view["ancestors"]] == [vid]
    assert sorted(d["id"] for d in view["descendants"]) == sorted([p3, rest2])
    assert [h["value"]["status"] for h in view["history"]] == ["ACTIVE", "SPLIT"]
    assert [h["height"] for h in view["history"]] == sorted(h["height"] for h in view["history"])
    r.check_proofs(view["proofs"], {f"voucher/{p2}": r.v(p2), f"root/{vid}": r.get(f"root/{vid}")})
    deep = r.q("voucher", as_="supplier3", id=p3)
    assert [a["id"] for a in deep["ancestors"]] == [vid, p2]  # root first
    assert deep["descendants"] == []
    top = r.q("voucher", as_="supplier1", id=vid)
    # its own descendants: what it passed on and kept, not what supplier2 did with its piece afterwards
    # (docs/confidentiality.md: a piece is read by the parties of the pieces split from it, not the other way)
    assert {d["id"] for d in top["descendants"]} == {p2, rest1}
    assert {d["id"] for d in r.q("voucher", as_="core", id=vid)["descendants"]} == {p2, rest1, p3, rest2}
    assert [h["value"]["status"] for h in top["history"]] == ["ISSUED", "ACTIVE", "SPLIT"]
    # a proof is tied to the state it was made for: one from before a change does not verify after it
    old = view["proofs"][f"voucher/{p2}"]
    r.transfer("supplier2", rest2, "supplier3", 1)
    from faechain.ledger.smt import verify_proof
    assert not verify_proof(r.c.app.hash, r.c.app.app_hash, old["key"], old["value"], old["proof"])


def test_read_visibility(r):
    o = r.o
    vid = r.issue(1_000_00, days=30)
    p2, rest1 = r.transfer("supplier1", vid, "supplier2", 600_00)
    p3, rest2 = r.transfer("supplier2", p2, "supplier3", 200_00)
    other = r.issue(500_00, to="supplier2", days=30)  # another voucher of supplier2's
    # a supplier cannot see a rival's piece
    for who, vid_ in (("supplier3", rest1), ("supplier3", other), ("supplier1", other), ("supplier1", rest2),
                      ("factor", vid), ("bank2", p3), ("core2", vid), ("investor1", p2)):
        with pytest.raises(ContractError) as e:
            r.q("voucher", as_=who, id=vid_)
        assert e.value.code == "not_found", (who, vid_)
    # holders, senders and the payer see theirs; the regulator and the exchange see all
    assert r.q("voucher", as_="supplier3", id=p3)["voucher"]["holder"] == o["supplier3"]
    assert r.q("voucher", as_="supplier2", id=p3)["voucher"]["id"] == p3  # it sent that piece
    assert r.q("voucher", as_="core", id=rest2)["voucher"]["id"] == rest2
    for pid in (vid, p2, p3, rest1, rest2, other):
        assert r.q("voucher", as_="regulator", id=pid)["voucher"]["id"] == pid
        assert r.q("voucher", as_="exchange", id=pid)["voucher"]["id"] == pid
    with pytest.raises(ContractError) as e:
        r.q("voucher", as_="regulator", id="V-999-0-1")
    assert e.value.code == "not_found"
    # listings follow the same rule
    everything = {v["id"] for v in r.q("vouchers", as_="regulator", payer=o["core"])}
    assert everything == {vid, p2, p3, rest1, rest2, other}
    assert {v["id"] for v in r.q("vouchers", as_="core", payer=o["core"])} == everything
    # a holder also lists the pieces its own came from (its chain of title up to the core's root)
    assert {v["id"] for v in r.q("vouchers", as_="supplier3", payer=o["core"])} == {vid, p2, p3}
    assert {v["id"] for v in r.q("vouchers", as_="supplier2", payer=o["core"])} == {vid, p2, p3, rest2, other}
    assert {v["id"] for v in r.q("vouchers", as_="supplier3", holder=o["supplier2"])} == {p2}  # its title's, only
    assert {v["id"] for v in r.q("vouchers", as_="supplier1", root=vid)} == {vid, p2, rest1}
    assert r.q("vouchers", as_="core2", root=vid) == []
    assert {v["id"] for v in r.q("vouchers", as_="regulator", holder=o["supplier2"])} == {p2, rest2, other}
    assert {v["id"] for v in r.q("vouchers", as_="regulator", holder=o["supplier2"], status="ACTIVE")} == \
        {rest2, other}
    assert {v["id"] for v in r.q("vouchers", as_="regulator", status="SPLIT")} == {vid, p2}
    assert {v["id"] for v in r.q("vouchers", as_="regulator", root=vid, status="ACTIVE")} == {p3, rest1, rest2}
    assert len(r.q("vouchers", as_="regulator", payer=o["core"], limit=2)) == 2
    with pytest.raises(ContractError) as e:
        r.q("vouchers", as_="regulator")
    assert e.value.code == "bad_request"


def test_every_state_change_is_on_the_ledger(r):
    """History is append-only: each step leaves a committed version of the piece."""
    vid = r.issue(1_000_00, days=30)
    r.ok("regulator", "freeze", id=vid, reason="a")
    r.ok("regulator", "unfreeze", id=vid, reason="b")
    hist = r.q("voucher", id=vid)["history"]
    assert [(h["value"]["status"], h["value"]["frozen"]) for h in hist] == \
        [("ISSUED", False), ("ACTIVE", False), ("ACTIVE", True), ("ACTIVE", False)]
    assert decode(r.c.store.get_value(f"receivables/voucher/{vid}".encode()))["frozen_reason"] == "b"
