"""The settlement bank named on an auction reads the margins (and the balance) it has to confirm;
a competing bidder still reads only its own margin (docs/confidentiality.md, "auctions"; issue 19).

The user study found the bank's console saying "Nothing to confirm" while bidders stayed DUE. The
read rule (`faechain/modules/auctions/reading.py`, `read_margin`) is exercised here on both paths a
member reads by: the business query (`auctions.auction`) and the raw state route's rule
(`chain.visibility.ReadView.may_read`, what `GET /v1/state`, blocks and the event stream ask), for a
margin that is DUE and one that is RECEIVED, and for a settlement bank that is *not* the auction's.
"""

from __future__ import annotations

from tests.modules.auctions.auction_support import ENGLISH, SEALED


def _raw(a, who: str, key: str) -> bool:
    """May member `who` read the state key `auctions/<key>` on the raw routes, at the head?"""
    ident = a.c.ids[who]
    view = a.c.app.read_view(a.c.app.caller_for_cert(ident.cert_id, ident.cert))
    return view.may_read(f"auctions/{key}".encode())


def _margins(a, who: str, aid: str) -> dict[str, str]:
    """The margins `auctions.auction` shows `who`: bidder org -> status."""
    return {m["bidder"]: m["status"] for m in a.q("auction", as_=who, id=aid)["margins"]}


def test_the_settlement_bank_reads_every_margin_it_confirms_and_a_rival_reads_none_but_its_own(a):
    o = a.o
    aid = a.open(ENGLISH, duration=3600)  # seller bank2, settlement bank `bank`
    a.ok("amc", "register", auction=aid)
    a.ok("investor1", "register", auction=aid)
    a.ok("bank", "confirm_margin", auction=aid, bidder=o["investor1"], bank_ref="M-inv1")

    # the settlement bank: both margins, the DUE one it has to confirm and the RECEIVED one
    assert _margins(a, "bank", aid) == {o["amc"]: "DUE", o["investor1"]: "RECEIVED"}
    for name in ("amc", "investor1"):
        assert _raw(a, "bank", f"margin/{aid}/{o[name]}")

    # a competing bidder: its own margin only, on the query and on the raw routes
    assert _margins(a, "amc", aid) == {o["amc"]: "DUE"}
    assert _margins(a, "investor1", aid) == {o["investor1"]: "RECEIVED"}
    assert not _raw(a, "amc", f"margin/{aid}/{o['investor1']}")
    assert not _raw(a, "investor1", f"margin/{aid}/{o['amc']}")
    assert _raw(a, "amc", f"margin/{aid}/{o['amc']}")

    # nothing wider: a member with no part in the auction (a factor, a supplier, an investor not
    # registered for it) reads no margin
    for outsider in ("factor", "supplier1", "investor2"):
        assert _margins(a, outsider, aid) == {}
        assert not _raw(a, outsider, f"margin/{aid}/{o['amc']}")

    # what it confirms moves the bidder on: the DUE margin becomes RECEIVED
    a.ok("bank", "confirm_margin", auction=aid, bidder=o["amc"], bank_ref="M-amc")
    assert _margins(a, "bank", aid)[o["amc"]] == "RECEIVED"


def test_the_balance_due_is_on_the_auction_record_the_settlement_bank_reads(a):
    o = a.o
    aid = a.open(ENGLISH, duration=3600)
    a.bidders(aid, "amc", "investor1")
    a.ok("amc", "bid", auction=aid, price=ENGLISH["reserve"])  # start price plus whole increments
    a.run_to(a.auction(aid)["end"])  # the deadline passes: awarded to amc
    view = a.q("auction", as_="bank", id=aid)
    auction = view["auction"]
    assert auction["status"] == "AWARDED" and auction["winner"] == o["amc"]
    balance = auction["price"] - auction["margin"]  # what the console offers the bank to confirm
    assert {m["bidder"] for m in view["margins"]} == {o["amc"], o["investor1"]}
    a.ok("bank", "confirm_payment", auction=aid, amount=balance, bank_ref="BAL-1")
    assert a.auction(aid)["status"] == "SETTLED"


def test_a_sealed_auctions_margins_follow_the_same_rule_and_commitments_hide_the_price(a):
    o = a.o
    aid = a.open(SEALED, duration=3600)
    a.ok("amc", "register", auction=aid)
    a.ok("investor1", "register", auction=aid)
    assert _margins(a, "bank", aid) == {o["amc"]: "DUE", o["investor1"]: "DUE"}
    assert _margins(a, "investor1", aid) == {o["investor1"]: "DUE"}
    assert not _raw(a, "investor1", f"margin/{aid}/{o['amc']}")
