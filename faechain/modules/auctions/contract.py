"""The `auctions` contract: a bidding engine any listed asset can use (domain.md section 3).

Another contract (the owner, e.g. `npa` for a loan package) opens an auction
through `ctx.call("auctions", "open", ...)`. Bidders register and the settlement
bank confirms their margins; only a bidder whose margin is RECEIVED may bid.
Every bid is a transaction each validator checks against the rules, so neither a
bidder nor the organiser can alter the record. All deadlines are block time.

Modes:

- `english`: ascending. The first bid is at least the start price, every bid beats
  the current one by a whole number of increments, a bidder does not outbid itself,
  and a bid within `extend_window` seconds of the end moves the end to `extend_by`
  seconds after the bid. At the end the best bid wins if it reaches the reserve.
- `sealed`: before `end` each bidder commits `bid_digest(auction, bidder, price,
  salt)` (see `faechain/crypto/sealed_bid.py`); from `end` to `reveal_end` it reveals price and salt.
  A reveal that does not match is refused; an unrevealed commit is void. The
  highest revealed price at or above the reserve wins; ties go to the earliest commit.
- `dutch`: the price starts at `start_price` and falls by `step` every `interval`
  seconds down to the reserve; the first bidder to `accept` wins at the current price.

After the award the winner pays the balance (price minus its margin) by `pay_by`:
the settlement bank's confirmation applies the margin and settles the auction.
Losers' margins are refunded at the award; a winner who does not pay forfeits its
margin and the owner gets the asset back for relisting. An auction without a valid
bid fails and every margin is refunded. Margins never received are cancelled. So
every margin that was received ends APPLIED, REFUNDED or FORFEITED.

The owner hears of each outcome in the same transaction or block, through its
`@internal` methods `auction_started`, `auction_awarded`, `auction_failed`,
`auction_paid` and `auction_defaulted` (each should check `ctx.via == "auctions"`).

Who does what:

    owner contract       open, cancel (before any bid)
    bidders              register; bid (english), commit and reveal (sealed), accept (dutch)
    settlement bank      confirm_margin, confirm_payment
    any member           auction, auctions

Where things are:

    records.py      the state keys and records (TypedDicts), the states of auctions and margins, limits
    rules.py        loading and saving an auction, the checks before a bid, recording a bid, prices
    opening.py      open, cancel
    bidders.py      register, confirm_margin
    bidding.py      bid, commit, reveal, accept
    outcomes.py     award, failure, and closing an auction by the rules of its mode
    settlement.py   confirm_payment
    end_block.py    deadlines: closing auctions, defaulting winners who did not pay
    reading.py      who may read each record and see each event (the queries and the raw routes ask it)
    queries.py      the queries
"""

from __future__ import annotations

from faechain.contracts.runtime import Contract, register
from faechain.modules.auctions.bidders import BidderSteps
from faechain.modules.auctions.bidding import BiddingSteps
from faechain.modules.auctions.end_block import EndOfBlock
from faechain.modules.auctions.opening import OpeningSteps
from faechain.modules.auctions.queries import Queries
from faechain.modules.auctions.reading import ReadRules
from faechain.modules.auctions.settlement import SettlementSteps


@register
class Auctions(OpeningSteps, BidderSteps, BiddingSteps, SettlementSteps, Queries, ReadRules, EndOfBlock, Contract):
    name = "auctions"
    indexes = {"auction": ("asset", "seller", "owner", "status", "mode")}
