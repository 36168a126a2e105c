"""Issue 24: the products' refusals say what is wrong in business terms, with dates as dates."""

from __future__ import annotations

import re

from faechain.contracts.time import date_time
from tests.modules.products.product_support import DAY, YUAN
from tests.modules.receivables.pay_support import settle

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def test_distribute_with_nothing_to_distribute_says_so(p):
    """It said `amount must be 1 .. 2^63-1 fen`, though no amount was given."""
    pid, (vid,) = p.outstanding()
    rec = p.rejected("registrar", "distribute", "bad_request", product=pid)
    assert rec.message == f"nothing to distribute for product {pid}: nothing has been collected yet"
    p.c.advance(90 * DAY)
    root = p.rcv.v(vid)["root"]
    settle(p.rcv, root, 1_000_000 * YUAN)  # the rail confirms the payment and pays the piece
    p.ok("registrar", "distribute", product=pid)
    rec = p.rejected("registrar", "distribute", "bad_request", product=pid)
    assert rec.message == (f"nothing to distribute for product {pid}: all {1_000_000 * YUAN} fen collected so far "
                           "has been distributed")
    # an amount given is still checked as an amount
    rec = p.rejected("registrar", "distribute", "bad_request", product=pid, amount=0)
    assert rec.message == "amount must be 1 .. 2^63-1 fen"


def test_the_holding_period_and_maturity_refusals_give_dates(p):
    """It said `acquired at 1841551200`: a raw epoch."""
    o = p.o
    pid, _ = p.outstanding()
    acquired = p.holding(pid, "senior", "investor1")["acquired_at"]
    tid = p.ok("investor1", "propose_transfer", product=pid, tranche="senior", buyer=o["investor3"],
               units=200_000 * YUAN, price=201_000 * YUAN)["transfer"]
    p.ok("investor3", "accept_transfer", transfer=tid)
    rec = p.rejected("registrar", "register_transfer", "invalid_state", transfer=tid)
    assert rec.message == (f"a holding is held 5 days before it is resold: acquired at {date_time(acquired)}, "
                           f"it can be resold from {date_time(acquired + 5 * DAY)}")
    assert re.search(rf"acquired at {ISO}, it can be resold from {ISO}$", rec.message)
    assert str(acquired) not in rec.message
    maturity = p.product(pid)["maturity"]
    rec = p.rejected("registrar", "mature", "invalid_state", product=pid)
    assert rec.message == f"product {pid} matures at {date_time(maturity)}"
