"""Competing quotes (issue 20, item 5): the holder asks several funders, each quotes a rate and a
fee with the advance computed to the fen, competitors do not see each other's quotes, the holder
accepts one; recourse factoring leaves the holder liable if the payer does not pay."""

from __future__ import annotations

import pytest

from faechain.contracts.errors import NotFound
from tests.modules.receivables.pay_support import confirm_all, settle
from tests.modules.receivables.rcv_support import DAY


def test_funders_compete_and_the_holder_takes_one(r):
    o = r.o
    vid = r.issue(1_000_000_00, days=73, settlement_bank=o["bank"])
    closes = r.c.now + 2 * DAY
    args = dict(id=vid, amount=600_000_00, funders=[o["factor"], o["bank2"]], closes=closes)
    r.rejected("supplier2", "request_quotes", "unauthorized", **args)
    r.rejected("supplier1", "request_quotes", "bad_request", **{**args, "funders": [o["supplier2"]]})
    r.rejected("supplier1", "request_quotes", "bad_request", **{**args, "funders": [o["factor"], o["factor"]]})
    r.rejected("supplier1", "request_quotes", "limit_exceeded", **{**args, "amount": 1_000_000_01})
    rfq = r.ok("supplier1", "request_quotes", **args)["rfq"]
    assert r.v(vid)["status"] == "FINANCING"
    r.rejected("supplier1", "transfer", "invalid_state", id=vid, to=o["supplier2"], amount=1)  # reserved
    # only invited funders quote, within the rule's ceilings
    r.rejected("bank", "quote", "unauthorized", rfq=rfq, rate_bps=500)
    r.rejected("factor", "quote", "limit_exceeded", rfq=rfq, rate_bps=2_401)
    r.rejected("factor", "quote", "limit_exceeded", rfq=rfq, rate_bps=500, fee=600_000_00 // 100 + 1)
    q1 = r.ok("factor", "quote", rfq=rfq, rate_bps=730, fee=1_000_00)
    # 730 bps a year for 73 days on 600,000.00 元: 8,760.00 元 discount; less the 1,000.00 元 fee
    assert q1 == {"rfq": rfq, "discount": 8_760_00, "advance": 600_000_00 - 8_760_00 - 1_000_00}
    q2 = r.ok("bank2", "quote", rfq=rfq, rate_bps=600)
    assert q2["advance"] == 600_000_00 - 600_000_00 * 600 * 73 // (10_000 * 365)
    r.ok("factor", "quote", rfq=rfq, rate_bps=550)  # replaces its first quote
    # the holder sees every quote; a funder only its own
    assert {q["funder"]: q["rate_bps"] for q in r.q("quotes", as_="supplier1", rfq=rfq)["quotes"]} == {
        o["factor"]: 550, o["bank2"]: 600}
    assert [q["funder"] for q in r.q("quotes", as_="bank2", rfq=rfq)["quotes"]] == [o["bank2"]]
    with pytest.raises(NotFound):
        r.q("quotes", as_="bank", rfq=rfq)
    r.rejected("factor", "accept_quote", "unauthorized", rfq=rfq, funder=o["factor"])
    r.rejected("supplier1", "accept_quote", "not_found", rfq=rfq, funder=o["bank"])
    fid = r.ok("supplier1", "accept_quote", rfq=rfq, funder=o["factor"])["financing"]
    f = r.get(f"financing/{fid}")
    assert (f["funder"], f["amount"], f["rate_bps"], f["fee"], f["rfq"], f["status"]) == (
        o["factor"], 600_000_00, 550, 0, rfq, "REQUESTED")
    r.rejected("bank2", "quote", "invalid_state", rfq=rfq, rate_bps=400)  # too late: accepted
    r.rejected("supplier1", "cancel_rfq", "invalid_state", rfq=rfq)
    # from here as any financing: registration, the registry's attestations, funding
    r.ok("factor", "record_registration", financing=fid, reg_no=f"ZDW-{fid}")
    r.attest(fid)
    funded = r.ok("factor", "fund", financing=fid)
    assert funded["advance"] == 600_000_00 - 600_000_00 * 550 * 73 // (10_000 * 365)
    assert r.v(funded["voucher"])["holder"] == o["factor"] and "recourse" not in r.v(funded["voucher"])


def test_cancelled_and_closed_requests(r):
    o = r.o
    vid = r.issue(100_000_00, days=30)
    rfq = r.ok("supplier1", "request_quotes", id=vid, amount=100_000_00, funders=[o["factor"]],
               closes=r.c.now + DAY)["rfq"]
    r.c.advance(DAY)
    r.rejected("factor", "quote", "invalid_state", rfq=rfq, rate_bps=500)  # closed to quotes
    r.ok("supplier1", "cancel_rfq", rfq=rfq)
    assert r.v(vid)["status"] == "ACTIVE" and r.v(vid)["financing"] is None
    r.transfer("supplier1", vid, "supplier2", 1_00)  # free to move again


def test_recourse_factoring_the_holder_pays_if_the_payer_does_not(r):
    o = r.o
    vid = r.issue(200_000_00, days=20, settlement_bank=o["bank"])
    rfq = r.ok("supplier1", "request_quotes", id=vid, amount=200_000_00, funders=[o["factor"]],
               closes=r.c.now + DAY, recourse=True)["rfq"]
    r.ok("factor", "quote", rfq=rfq, rate_bps=400)
    fid = r.ok("supplier1", "accept_quote", rfq=rfq, funder=o["factor"])["financing"]
    assert r.get(f"financing/{fid}")["recourse"] is True
    r.ok("factor", "record_registration", financing=fid, reg_no=f"ZDW-{fid}")
    r.attest(fid)
    piece = r.ok("factor", "fund", financing=fid)["voucher"]
    assert r.v(piece)["recourse"] == o["supplier1"]
    r.c.clock = r.v(vid)["maturity"] * 1000
    settle(r, vid, 150_000_00)  # the payer pays three quarters
    r.c.advance(DAY)
    r.c.block([])
    claim = r.ok("factor", "claim_recourse", id=piece)
    assert claim["amount"] == 50_000_00
    [ins] = confirm_all(r)
    assert (ins["payer"], ins["payee"], ins["amount"]) == (o["supplier1"], o["factor"], 50_000_00)
    back = r.v(r.v(piece)["children"][0])
    assert back["holder"] == o["supplier1"] and back["amount"] == 50_000_00  # supplier1's claim on the payer
