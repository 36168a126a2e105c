"""e-CNY conditional payments (issue 20): the rail reserves the payer's funds and may pay only
when the chain shows the condition met; the payer may withdraw only as the rules allow."""

from __future__ import annotations

import pytest

from faechain.contracts.errors import NotFound
from tests.modules.driver import Driver
from tests.modules.receivables.rcv_support import DAY, Rcv


@pytest.fixture
def pay(demo_chain) -> Driver:
    d = Driver(demo_chain, "payments")
    Rcv(demo_chain).warm()
    return d


def create(pay, condition, amount=50_000_00, days=10, payer="core", payee="supplier1", rail="ecny"):
    o = pay.o
    return pay.ok(payer, "create_conditional", payee=o[payee], amount=amount, rail=o[rail], condition=condition,
                  expires=pay.c.now + days * DAY)["payment"]


def test_paid_only_once_the_named_organisation_confirms(pay):
    o = pay.o
    goods = {"kind": "confirmed", "by": o["core"], "what": "steel coils received at Dongli warehouse"}
    cid = create(pay, goods)
    assert pay.get(f"conditional/{cid}")["status"] == "AWAITING_FUNDS"
    pay.rejected("bank2", "reserve", "unauthorized", payment=cid, rail_ref="X")  # not its rail
    pay.ok("ecny", "reserve", payment=cid, rail_ref="ECNY-R-1")
    assert pay.q("conditional", as_="supplier1", id=cid)["met"] is False
    # the rail cannot pay before the chain shows the condition met
    pay.rejected("ecny", "settle_conditional", "invalid_state", payment=cid, rail_ref="ECNY-P-1")
    pay.rejected("supplier1", "confirm_condition", "unauthorized", payment=cid)  # the payee cannot confirm it
    pay.ok("core", "confirm_condition", payment=cid)
    pay.rejected("core", "confirm_condition", "invalid_state", payment=cid)
    assert pay.q("conditional", as_="ecny", id=cid)["met"] is True
    # nor can the payer take the money back once the condition is met
    pay.c.advance(11 * DAY)
    pay.rejected("core", "cancel_conditional", "invalid_state", payment=cid)
    pay.ok("ecny", "settle_conditional", payment=cid, rail_ref="ECNY-P-1")
    rec = pay.get(f"conditional/{cid}")
    assert rec["status"] == "SETTLED" and rec["rail_ref"] == "ECNY-P-1"
    # who reads it: payer, payee, rail, the confirming organisation; not another member
    for who in ("core", "supplier1", "ecny", "regulator"):
        assert pay.q("conditional", as_=who, id=cid)["id"] == cid
    with pytest.raises(NotFound):
        pay.q("conditional", as_="supplier2", id=cid)


def test_delivery_versus_payment_of_a_voucher_piece(pay):
    """The factor pays supplier1 for 300,000 元 of its voucher once the piece is on chain in the factor's name."""
    o = pay.o
    r = Rcv(pay.c)
    r.line()
    vid = r.issue(1_000_000_00)
    dvp = {"kind": "voucher_delivered", "piece": vid, "to": o["factor"], "amount": 300_000_00}
    pay.rejected("factor", "create_conditional", "bad_request", payee=o["supplier1"], amount=1, rail=o["ecny"],
                 condition={**dvp, "to": o["bank2"]}, expires=pay.c.now + DAY)  # delivered to someone else
    pay.rejected("factor", "create_conditional", "bad_request", payee=o["supplier1"], amount=1, rail=o["supplier2"],
                 condition=dvp, expires=pay.c.now + DAY)  # not a rail
    pay.rejected("factor", "create_conditional", "bad_request", payee=o["supplier1"], amount=1, rail=o["ecny"],
                 condition={"kind": "weather"}, expires=pay.c.now + DAY)
    cid = create(pay, dvp, amount=290_000_00, payer="factor", payee="supplier1")
    pay.ok("ecny", "reserve", payment=cid, rail_ref="ECNY-R-2")
    # a smaller transfer does not meet it
    r.transfer("supplier1", vid, "factor", 100_000_00)
    assert pay.q("conditional", as_="factor", id=cid)["met"] is False
    pay.rejected("ecny", "settle_conditional", "invalid_state", payment=cid, rail_ref="P")
    rest = r.v(vid)["children"][1]
    dvp2 = {**dvp, "piece": rest}
    cid2 = create(pay, dvp2, amount=290_000_00, payer="factor", payee="supplier1")
    pay.ok("ecny", "reserve", payment=cid2, rail_ref="ECNY-R-3")
    r.transfer("supplier1", rest, "factor", 300_000_00)
    assert pay.q("conditional", as_="supplier1", id=cid2)["met"] is True
    pay.ok("ecny", "settle_conditional", payment=cid2, rail_ref="ECNY-P-3")


def test_withdrawal_and_release_of_a_reserve(pay):
    o = pay.o
    cond = {"kind": "confirmed", "by": o["core"], "what": "goods received"}
    declined = create(pay, cond)
    pay.ok("ecny", "decline", payment=declined, reason="wallet balance 12,000.00 元 is short")
    pay.rejected("ecny", "reserve", "invalid_state", payment=declined, rail_ref="R")
    unfunded = create(pay, cond)
    pay.rejected("supplier1", "cancel_conditional", "unauthorized", payment=unfunded)
    pay.ok("core", "cancel_conditional", payment=unfunded, reason="order withdrawn")  # nothing reserved: at once
    pay.rejected("ecny", "release_reserve", "invalid_state", payment=unfunded, rail_ref="R")
    reserved = create(pay, cond, days=5)
    pay.ok("ecny", "reserve", payment=reserved, rail_ref="ECNY-R-9")
    pay.rejected("core", "cancel_conditional", "invalid_state", payment=reserved)  # promised until it expires
    pay.c.advance(5 * DAY)
    res = pay.c.run("core", "payments", "cancel_conditional", {"payment": reserved, "reason": "not delivered"})
    assert res.ok and [e["type"] for e in res.events][:1] == ["ReserveReleaseDue"]
    pay.ok("ecny", "release_reserve", payment=reserved, rail_ref="ECNY-REL-9")
    assert pay.get(f"conditional/{reserved}")["status"] == "RELEASED"
    pay.rejected("core", "create_conditional", "bad_request", payee=o["supplier1"], amount=1, rail=o["ecny"],
                 condition=cond, expires=pay.c.now - 1)


def test_accounts_are_per_rail_and_read_by_their_parties(pay):
    o = pay.o
    pay.rejected("supplier1", "register_account", "bad_request", rail=o["supplier2"], account="6222")
    pay.rejected("supplier1", "register_account", "bad_request", rail=o["ecny"], account="")
    pay.ok("supplier1", "register_account", rail=o["ecny"], account="ECNY-WALLET-0031")
    pay.ok("supplier1", "register_account", rail=o["bank"], account="6222-0200-0031")
    assert pay.q("account", as_="ecny", org=o["supplier1"], rail=o["ecny"])["account"] == "ECNY-WALLET-0031"
    with pytest.raises(NotFound):
        pay.q("account", as_="bank", org=o["supplier1"], rail=o["ecny"])  # another rail's account
    with pytest.raises(NotFound):
        pay.q("account", as_="supplier2", org=o["supplier1"], rail=o["bank"])
