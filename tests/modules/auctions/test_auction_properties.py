"""Property tests: for random bid sequences the winner and price are what the rules say, and
every margin that was received ends APPLIED, REFUNDED or FORFEITED, never lost.

Each example runs a real chain (a fresh database over the demo consortium) and compares
every receipt and the outcome with a plain model of the rules written out here.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faechain.contracts.runtime import REGISTRY, register
from faechain.crypto.sealed_bid import bid_digest
from faechain.modules.auctions.rules import dutch_price
from tests.conftest import SUITE_NOW
from tests.modules.auctions.auction_support import DUTCH, ENGLISH, SEALED, Au, LotProbe
from tests.modules.receivables.rcv_support import open_fast_chain

BIDDERS = ("amc", "investor1", "investor3")  # margins received
UNPAID = "investor2"  # registered, margin never received
SETTLED_FOR_GOOD = {"APPLIED", "REFUNDED", "FORFEITED"}


@pytest.fixture(scope="module")
def chain_factory(tmp_path_factory):
    from faechain.devnet.demo import create_demo

    template = str(tmp_path_factory.mktemp("auction-prop"))
    create_demo(template, now=SUITE_NOW)
    register(LotProbe)
    made = []

    def make() -> Au:
        tmp = tempfile.mkdtemp(prefix="auc-")
        c = open_fast_chain(template, os.path.join(tmp, "chain.db"))
        made.append((c, tmp))
        return Au(c)

    yield make
    for c, tmp in made:
        c.close()
        shutil.rmtree(tmp, ignore_errors=True)
    REGISTRY.pop(LotProbe.name, None)


def _settle(a: Au, aid: str, pay: bool) -> None:
    """After the award: the winner pays (APPLIED) or lets the deadline pass (FORFEITED)."""
    rec = a.auction(aid)
    if rec["status"] != "AWARDED":
        return
    if pay:
        a.ok("bank", "confirm_payment", auction=aid, amount=rec["price"] - rec["margin"], bank_ref="PAY")
    else:
        a.run_to(rec["pay_by"])


def _margins_never_lost(a: Au, aid: str, pay: bool) -> None:
    rec = a.auction(aid)
    for name in BIDDERS:
        status = a.margin(aid, name)
        assert status in SETTLED_FOR_GOOD, (name, status)
        if name == a.name_of(rec["winner"]):
            assert status == ("APPLIED" if pay else "FORFEITED")
        else:
            assert status == "REFUNDED"
    assert a.margin(aid, UNPAID) == "CANCELLED"


Au.name_of = lambda self, org: next((n for n, o in self.o.items() if o == org), None)

english_steps = st.lists(st.tuples(st.sampled_from(BIDDERS + (UNPAID,)), st.integers(0, 3), st.integers(0, 700)),
                         max_size=12)


@settings(max_examples=60, deadline=None)
@given(steps=english_steps, pay=st.booleans())
def test_english_winner_and_price_follow_the_rules(chain_factory, steps, pay):
    a = chain_factory()
    t = ENGLISH
    aid = a.open(t, duration=1800)
    a.bidders(aid, *BIDDERS)
    a.ok(UNPAID, "register", auction=aid)
    end = a.auction(aid)["end"]
    best = None  # (price, bidder)
    closed = False  # the first block at or after the end closes the auction (end_block)
    for who, k, dt in steps:
        a.c.advance(dt)
        now = a.c.now
        base = t["start_price"] if best is None else best[0]
        price = base + k * t["increment"]
        if now >= end:
            expected = "invalid_state" if closed else "expired"
            closed = True
        elif who == UNPAID:
            expected = "unauthorized"
        elif best is not None and best[1] == who:
            expected = "invalid_state"
        elif best is not None and k == 0:
            expected = "limit_exceeded"
        else:
            expected = "ok"
        r = a.tx(who, "bid", auction=aid, price=price)
        assert r.code == expected, (who, price, r.code, r.message)
        if expected == "ok":
            best = (price, who)
            if end - now <= t["extend_window"]:
                end = max(end, now + t["extend_by"])
            assert a.auction(aid)["end"] == end
    a.run_to(end)
    rec = a.auction(aid)
    if best is not None and best[0] >= t["reserve"]:
        assert (rec["status"], rec["winner"], rec["price"]) == ("AWARDED", a.o[best[1]], best[0])
        _settle(a, aid, pay)
        _margins_never_lost(a, aid, pay)
    else:
        assert rec["status"] == "FAILED" and rec["winner"] is None
        assert {a.margin(aid, n) for n in BIDDERS} == {"REFUNDED"} and a.margin(aid, UNPAID) == "CANCELLED"


sealed_bids = st.lists(st.tuples(st.sampled_from(BIDDERS), st.integers(900_000, 1_300_000), st.booleans()),
                       max_size=3, unique_by=lambda b: b[0])


@settings(max_examples=60, deadline=None)
@given(bids=sealed_bids, pay=st.booleans())
def test_sealed_winner_is_the_highest_revealed_with_ties_to_the_earliest(chain_factory, bids, pay):
    a = chain_factory()
    aid = a.open(SEALED, duration=600, reveal=600)
    a.bidders(aid, *BIDDERS)
    a.ok(UNPAID, "register", auction=aid)
    # prices rounded to 100,000 so that ties are frequent
    bids = [(who, price // 100_000 * 100_000, reveal) for who, price, reveal in bids]
    for who, price, _ in bids:
        a.ok(who, "commit", auction=aid, digest=bid_digest(a.c.app.hash, aid, a.o[who], price, who.encode() * 8))
    a.run_to(a.auction(aid)["end"])
    for who, price, reveal in bids:
        if reveal:
            a.ok(who, "reveal", auction=aid, price=price, salt=who.encode() * 8)
    a.run_to(a.auction(aid)["reveal_end"])
    valid = [(price, -i, who) for i, (who, price, reveal) in enumerate(bids) if reveal and price >= 1_000_000]
    rec = a.auction(aid)
    if valid:
        price, _, who = max(valid)
        assert (rec["status"], rec["winner"], rec["price"]) == ("AWARDED", a.o[who], price)
        _settle(a, aid, pay)
        _margins_never_lost(a, aid, pay)
    else:
        assert rec["status"] == "FAILED"
        assert {a.margin(aid, n) for n in BIDDERS} == {"REFUNDED"}


@settings(max_examples=40, deadline=None)
@given(wait=st.integers(0, 7000), who=st.sampled_from(BIDDERS), pay=st.booleans())
def test_dutch_first_acceptance_wins_at_the_falling_price(chain_factory, wait, who, pay):
    a = chain_factory()
    aid = a.open(DUTCH, duration=6000)
    a.bidders(aid, *BIDDERS)
    a.ok(UNPAID, "register", auction=aid)
    rec = a.auction(aid)
    a.c.advance(wait)
    r = a.tx(who, "accept", auction=aid)
    if a.c.now - 1 < rec["end"]:
        assert r.ok and r.result["price"] == dutch_price(rec, a.c.now - 1)
        assert r.result["price"] >= rec["reserve"]
        _settle(a, aid, pay)
        _margins_never_lost(a, aid, pay)
    else:
        assert r.code == "expired"
        assert a.auction(aid)["status"] == "FAILED"
