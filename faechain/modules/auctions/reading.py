"""Who may read each auctions record and see each of its events: the one definition the queries
(`queries.py`) and the raw routes (`faechain.chain.visibility`) share (docs/confidentiality.md).

    auction/<id>, bid/<id>/<n>   every member: auctions are public to members, as the ledger of who
                                 bid what is (a sealed bid's price is on record only once revealed)
    margin/<id>/<org>            that bidder, the auction's seller and its settlement bank
    due/…, cursor                the regulator and the exchange only
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.reading import KeyRule, any_member, org_of, read_by_kind
from faechain.contracts.runtime import QueryCtx
from faechain.modules.auctions.records import Auction, auction_key, bid_key, margin_key

AUCTION_EVENTS = ("AuctionOpened", "AuctionCancelled", "AuctionSettled", "AuctionExtended", "AuctionAwarded",
                  "AuctionFailed", "WinnerDefaulted")
BID_EVENTS = ("BidPlaced", "BidCommitted", "BidRevealed")
MARGIN_EVENTS = ("BidderRegistered", "MarginReceived", "MarginRefunded")


def read_margin(q: QueryCtx, rest: str) -> bool:
    auction_id, _, bidder = rest.partition("/")
    a: Auction | None = q.state.get(auction_key(auction_id))
    return a is not None and org_of(q) in (bidder, a["seller"], a["settlement_bank"])


RULES: dict[str, KeyRule] = {"auction": any_member, "bid": any_member, "margin": read_margin}


class ReadRules:
    """The auctions contract's `can_read` and `event_subjects` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, RULES)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        auction = attrs.get("auction")
        if not isinstance(auction, str):
            return ()
        if type_ in AUCTION_EVENTS:
            return (auction_key(auction),)
        if type_ in BID_EVENTS and isinstance(attrs.get("n"), int):
            return (bid_key(auction, attrs["n"]),)
        if type_ in MARGIN_EVENTS and isinstance(attrs.get("bidder"), str):
            return (margin_key(auction, attrs["bidder"]),)
        return ()
