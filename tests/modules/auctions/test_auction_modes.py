"""The three auction modes, award, payment, default and margins, driven block by block."""

from __future__ import annotations

from faechain.crypto.sealed_bid import bid_digest
from tests.modules.auctions.auction_support import DAY, DUTCH, ENGLISH, SEALED


def test_english_auction_from_registration_to_settlement(a):
    o = a.o
    aid = a.open(ENGLISH, duration=3600)
    a.rejected("bank2", "register", "unauthorized", auction=aid)  # the seller itself
    a.rejected("investor4", "register", "unauthorized", auction=aid)  # not qualified
    a.rejected("regulator", "register", "unauthorized", auction=aid)
    a.ok("amc", "register", auction=aid)
    a.rejected("amc", "register", "duplicate", auction=aid)
    a.rejected("amc", "bid", "unauthorized", auction=aid, price=800_000)  # margin not yet received
    a.rejected("bank2", "confirm_margin", "unauthorized", auction=aid, bidder=o["amc"], bank_ref="X")
    a.ok("bank", "confirm_margin", auction=aid, bidder=o["amc"], bank_ref="M-1")
    a.rejected("bank", "confirm_margin", "invalid_state", auction=aid, bidder=o["amc"], bank_ref="M-1")
    a.bidders(aid, "investor1")
    a.ok("investor2", "register", auction=aid)  # registers, never pays its margin
    a.rejected("investor2", "bid", "unauthorized", auction=aid, price=800_000)
    a.rejected("bank2", "bid", "unauthorized", auction=aid, price=800_000)  # the seller
    a.rejected("amc", "bid", "limit_exceeded", auction=aid, price=799_999)  # below the start price
    a.rejected("amc", "bid", "bad_request", auction=aid, price=820_000)  # not a whole increment
    assert a.ok("amc", "bid", auction=aid, price=800_000)["bid"] == 1
    assert a.told(aid) == [["started"]]
    a.rejected("amc", "bid", "invalid_state", auction=aid, price=850_000)  # it already leads
    a.rejected("investor1", "bid", "limit_exceeded", auction=aid, price=800_000)  # does not beat the best
    a.rejected("investor1", "bid", "bad_request", auction=aid, price=875_000)
    a.ok("investor1", "bid", auction=aid, price=950_000)  # three increments at once
    end = a.auction(aid)["end"]
    # a bid in the final five minutes moves the end to five minutes after it
    a.c.advance(end - a.c.now - 100)
    res = a.ok("amc", "bid", auction=aid, price=1_000_000)
    assert res["end"] == end - 100 + 300 and a.auction(aid)["extensions"] == 1
    a.run_to(end + 50)  # the original end has passed, the extended one has not
    assert a.auction(aid)["status"] == "OPEN"
    a.ok("investor1", "bid", auction=aid, price=1_050_000)
    new_end = a.auction(aid)["end"]
    a.run_to(new_end)
    rec = a.auction(aid)
    assert rec["status"] == "AWARDED" and rec["winner"] == o["investor1"] and rec["price"] == 1_050_000
    a.rejected("amc", "bid", "invalid_state", auction=aid, price=1_100_000)
    assert a.told(aid)[-1] == ["awarded", o["investor1"], 1_050_000]
    assert (a.margin(aid, "amc"), a.margin(aid, "investor1"), a.margin(aid, "investor2")) == \
        ("REFUNDED", "RECEIVED", "CANCELLED")
    a.rejected("bank", "confirm_payment", "bad_request", auction=aid, amount=1_050_000, bank_ref="PAY")
    a.rejected("bank2", "confirm_payment", "unauthorized", auction=aid, amount=950_000, bank_ref="PAY")
    a.ok("bank", "confirm_payment", auction=aid, amount=950_000, bank_ref="PAY")  # price less margin
    assert a.auction(aid)["status"] == "SETTLED" and a.margin(aid, "investor1") == "APPLIED"
    assert a.told(aid)[-1] == ["paid", o["investor1"], 1_050_000]
    history = a.q("auction", as_="investor1", id=aid)
    assert [b["price"] for b in history["bids"]] == [800_000, 950_000, 1_000_000, 1_050_000]
    assert [m["bidder"] for m in history["margins"]] == [o["investor1"]]  # a bidder sees its own margin


def test_english_without_a_bid_at_the_reserve_fails_and_refunds_everyone(a):
    aid = a.open(ENGLISH, duration=600)
    a.bidders(aid, "amc", "investor1")
    a.ok("amc", "bid", auction=aid, price=900_000)  # below the 1,000,000 reserve
    res = a.run_to(a.auction(aid)["end"])
    assert [e["type"] for e in res.end_events if e["contract"] == "auctions"] == \
        ["MarginRefunded", "MarginRefunded", "AuctionFailed"]
    assert a.auction(aid)["status"] == "FAILED"
    assert a.told(aid) == [["started"], ["failed", "no bid reached the reserve"]]
    assert a.margin(aid, "amc") == a.margin(aid, "investor1") == "REFUNDED"
    a.rejected("amc", "bid", "invalid_state", auction=aid, price=1_000_000)


def test_sealed_bids_commit_reveal_tie_to_the_earliest_and_void_the_unrevealed(a):
    o = a.o
    aid = a.open(SEALED, duration=3600, reveal=3600)
    a.bidders(aid, "amc", "investor1", "investor2", "investor3")
    h = a.c.app.hash
    salts = {n: bytes([i]) * 32 for i, n in enumerate(("amc", "investor1", "investor2", "investor3"), 1)}
    prices = {"amc": 1_200_000, "investor1": 1_500_000, "investor2": 1_500_000, "investor3": 9_000_000}
    a.rejected("amc", "commit", "bad_request", auction=aid, digest="zz" * 32)
    a.rejected("amc", "bid", "invalid_state", auction=aid, price=1_000_000)  # not an english auction
    for name in ("amc", "investor1", "investor2", "investor3"):
        a.ok(name, "commit", auction=aid, digest=bid_digest(h, aid, o[name], prices[name], salts[name]))
    a.rejected("amc", "commit", "duplicate", auction=aid, digest="00" * 32)
    # before the deadline nobody can reveal; the record holds only digests
    a.rejected("investor1", "reveal", "invalid_state", auction=aid, price=1_500_000, salt=salts["investor1"])
    assert all(b["price"] is None for b in a.scan(f"bid/{aid}/").values())
    a.run_to(a.auction(aid)["end"])
    a.rejected("investor1", "reveal", "bad_request", auction=aid, price=1_500_001, salt=salts["investor1"])
    a.rejected("investor1", "reveal", "bad_request", auction=aid, price=1_500_000, salt=salts["amc"])
    a.rejected("investor1", "reveal", "bad_request", auction=aid, price=1_500_000, salt=b"short")
    # someone else's commitment cannot be revealed as one's own (the bidder is inside the digest)
    a.rejected("amc", "reveal", "bad_request", auction=aid, price=1_500_000, salt=salts["investor1"])
    for name in ("investor2", "investor1", "amc"):  # investor3 never reveals its 9,000,000
        a.ok(name, "reveal", auction=aid, price=prices[name], salt=salts[name])
    a.rejected("amc", "reveal", "duplicate", auction=aid, price=prices["amc"], salt=salts["amc"])
    a.rejected("bank2", "reveal", "unauthorized", auction=aid, price=1, salt=b"x" * 16)  # not a registered bidder
    a.run_to(a.auction(aid)["reveal_end"])
    rec = a.auction(aid)
    # investor1 and investor2 tie at 1,500,000: investor1 committed first
    assert rec["status"] == "AWARDED" and rec["winner"] == o["investor1"] and rec["price"] == 1_500_000
    assert a.margin(aid, "investor3") == "REFUNDED" and a.margin(aid, "investor2") == "REFUNDED"


def test_a_reveal_after_the_reveal_period_is_refused(a):
    o = a.o
    aid = a.open(SEALED, duration=600, reveal=600)
    a.bidders(aid, "amc")
    salt = b"s" * 32
    a.ok("amc", "commit", auction=aid, digest=bid_digest(a.c.app.hash, aid, o["amc"], 2_000_000, salt))
    end = a.auction(aid)["reveal_end"]
    a.c.advance(end - a.c.now)
    a.rejected("amc", "reveal", "expired", auction=aid, price=2_000_000, salt=salt)
    assert a.auction(aid)["status"] == "FAILED"  # that same block closed it: no revealed bid


def test_dutch_price_falls_and_the_first_acceptance_wins(a):
    o = a.o
    aid = a.open(DUTCH, duration=6000)
    a.bidders(aid, "amc", "investor1")
    start = a.auction(aid)["start"]
    assert a.q("auction", as_="amc", id=aid)["auction"]["current_price"] == 1_000_000
    a.c.advance(start + 1250 - a.c.now)  # two whole intervals of 600 s: two steps down
    assert a.ok("investor1", "accept", auction=aid)["price"] == 900_000
    a.rejected("amc", "accept", "invalid_state", auction=aid)
    rec = a.auction(aid)
    assert rec["status"] == "AWARDED" and rec["winner"] == o["investor1"]
    assert a.told(aid) == [["started"], ["awarded", o["investor1"], 900_000]]
    assert a.margin(aid, "amc") == "REFUNDED"


def test_dutch_price_stops_at_the_reserve_and_fails_unaccepted(a):
    aid = a.open(DUTCH, duration=60 * 600)
    a.bidders(aid, "amc")
    a.run_to(a.c.now + 50 * 600)
    assert a.q("auction", as_="amc", id=aid)["auction"]["current_price"] == 600_000
    a.run_to(a.auction(aid)["end"])
    assert a.auction(aid)["status"] == "FAILED" and a.margin(aid, "amc") == "REFUNDED"


def test_a_winner_who_does_not_pay_forfeits_its_margin(a):
    o = a.o
    aid = a.open(ENGLISH, duration=600)
    a.bidders(aid, "amc", "investor1")
    a.ok("amc", "bid", auction=aid, price=1_000_000)
    a.run_to(a.auction(aid)["end"])
    pay_by = a.auction(aid)["pay_by"]
    assert pay_by == a.auction(aid)["awarded_at"] + 10 * DAY
    a.c.advance(pay_by - a.c.now)
    a.rejected("bank", "confirm_payment", "expired", auction=aid, amount=900_000, bank_ref="LATE")
    assert a.auction(aid)["status"] == "DEFAULTED"  # the same (empty-of-effect) block defaulted it
    assert a.margin(aid, "amc") == "FORFEITED" and a.margin(aid, "investor1") == "REFUNDED"
    assert a.told(aid)[-1] == ["defaulted", o["amc"]]


def test_the_owner_cancels_only_before_any_bid(a):
    aid = a.open(ENGLISH)
    a.bidders(aid, "amc")
    r = a.c.run("bank2", "lot_probe", "withdraw", {"auction": aid})
    assert r.ok and a.auction(aid)["status"] == "CANCELLED" and a.margin(aid, "amc") == "REFUNDED"
    other = a.open(ENGLISH)
    a.bidders(other, "amc")
    a.ok("amc", "bid", auction=other, price=800_000)
    assert a.c.run("bank2", "lot_probe", "withdraw", {"auction": other}).code == "invalid_state"


def test_opening_checks_its_terms(a):
    now = a.c.now
    base = dict(ENGLISH, start=now, end=now + 3600, settlement_bank=a.o["bank"])
    for bad, code in [(dict(mode="vickrey"), "bad_request"), (dict(end=now), "bad_request"),
                      (dict(start=now - 301), "bad_request"), (dict(end=now + 91 * DAY), "bad_request"),
                      (dict(reserve=0), "bad_request"), (dict(increment=0), "bad_request"),
                      (dict(settlement_bank=a.o["bank2"]), "bad_request"), (dict(extend_window=7200), "bad_request"),
                      (dict(mode="sealed"), "bad_request"),  # no reveal period
                      (dict(mode="dutch", step=10, interval=60, start_price=1), "bad_request"),
                      (dict(pay_days=0), "bad_request"), (dict(margin=-1), "bad_request")]:
        r = a.c.run("bank2", "lot_probe", "list_lot", {"lot": "X", "terms": base | bad})
        assert r.code == code, (bad, r.code, r.message)
    # open is internal: no transaction or reader can call it directly
    assert a.tx("bank2", "open", **base, asset="lot:X", seller=a.o["bank2"]).code == "unknown_method"
