"""The auctions module's records: what it keeps in state, under which key, and the states an
auction and a bidder's margin move through.

State (under `auctions/`):

    auction/<id>            terms, status, best bid (english), winner, price, deadlines          Auction
    bid/<id>/<n>            the n-th bid (english price / sealed commit and reveal / dutch acceptance)   Bid
    margin/<id>/<org>       a registered bidder's margin                                         Margin
    due/<day>, cursor       deadlines for end_block (see faechain/contracts/deadlines.py)

The records are plain dicts in state (canonical CBOR, keys sorted); the TypedDicts below
say what each holds, and the key functions are the only place a key is spelled out.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from faechain.contracts.time import DAY, HOUR, MINUTE

# -- limits -------------------------------------------------------------------------------------------------
MAX_BIDDERS = 200
MAX_DURATION = 90 * DAY
MAX_EXTENSION = HOUR  # extend_window and extend_by
MAX_REVEAL = 7 * DAY  # a sealed auction's reveal period
START_SLACK = 5 * MINUTE  # a start this far gone (the time the listing took to reach a block) means "now"

# -- the words a record may hold ----------------------------------------------------------------------------
ENGLISH, SEALED, DUTCH = "english", "sealed", "dutch"
MODES = (ENGLISH, SEALED, DUTCH)
BIDDER_TYPES = ("AMC", "INVESTOR", "FACTOR", "BANK", "INTERMEDIARY", "CORE_ENTERPRISE")

# -- an auction's states ------------------------------------------------------------------------------------
#   OPEN -> AWARDED -> SETTLED          the winner paid the balance
#             '------> DEFAULTED        the winner did not pay by pay_by: its margin is forfeited
#   OPEN -> FAILED                      no valid bid by the deadline
#   OPEN -> CANCELLED                   withdrawn by the owner before any bid
OPEN, AWARDED, SETTLED, FAILED, DEFAULTED, CANCELLED = "OPEN", "AWARDED", "SETTLED", "FAILED", "DEFAULTED", "CANCELLED"

# -- a margin's states --------------------------------------------------------------------------------------
#   DUE -> RECEIVED -> APPLIED (the winner's, at settlement) | REFUNDED | FORFEITED (a defaulting winner's)
#   DUE -> CANCELLED (never received: no money to return)
DUE, RECEIVED, APPLIED, REFUNDED, FORFEITED = "DUE", "RECEIVED", "APPLIED", "REFUNDED", "FORFEITED"
MARGIN_CANCELLED = "CANCELLED"  # never received: no money to return


class BestBid(TypedDict):
    price: int
    bidder: str
    n: int  # the bid's number


class Settlement(TypedDict):
    amount: int  # the balance paid: price less the margin
    bank_ref: str
    at: int


class Auction(TypedDict):
    id: str
    asset: str  # the asset reference, e.g. `package:<id>`
    owner: str  # the contract that opened it and hears of its outcome
    seller: str
    mode: str  # one of MODES
    status: str  # OPEN .. CANCELLED above
    start: int
    end: int  # the bidding deadline (an english auction's moves when a late bid extends it)
    reserve: int
    margin: int
    settlement_bank: str
    start_price: int
    increment: int  # english
    extend_window: int  # english
    extend_by: int  # english
    reveal_end: int | None  # sealed
    step: int  # dutch
    interval: int  # dutch
    pay_days: int  # the winner pays within this many days of the award
    bidders: list[str]  # in registration order
    bids: int  # how many bids
    started: bool  # a bid has been made (the owner was told)
    best: BestBid | None  # english
    extensions: int
    winner: str | None
    price: int | None
    awarded_at: int | None
    pay_by: int | None
    payment: Settlement | None
    outcome: str | None  # why it failed, was cancelled or defaulted
    opened_at: int


class Bid(TypedDict):
    auction: str
    n: int
    bidder: str
    time: int
    height: int
    price: int | None  # a sealed bid's only once revealed
    digest: NotRequired[str]  # sealed: the commitment
    revealed_at: NotRequired[int | None]  # sealed


class MarginReceipt(TypedDict):
    bank_ref: str
    at: int


class Margin(TypedDict):
    auction: str
    bidder: str
    amount: int
    status: str  # DUE .. FORFEITED above
    registered_at: int
    received: MarginReceipt | None
    closed: int | None  # when it was applied, refunded, forfeited or cancelled
    commit: NotRequired[int]  # sealed: the number of the bidder's committed bid


def auction_key(auction: str) -> str:
    return f"auction/{auction}"


def bid_key(auction: str, n: int) -> str:
    return f"bid/{auction}/{n:05d}"


def margin_key(auction: str, bidder: str) -> str:
    return f"margin/{auction}/{bidder}"


def closes_at(a: Auction) -> int:
    """When bidding (a sealed auction's reveal) ends and the auction is decided."""
    return a["reveal_end"] if a["mode"] == SEALED and a["reveal_end"] is not None else a["end"]

