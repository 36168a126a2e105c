"""Bidding, by mode. Every bid is a transaction each validator checks against the rules, so
neither a bidder nor the organiser can alter the record; all deadlines are block time.

- `english`: ascending. The first bid is at least the start price, every bid beats
  the current one by a whole number of increments, a bidder does not outbid itself,
  and a bid within `extend_window` seconds of the end moves the end to `extend_by`
  seconds after the bid.
- `sealed`: before `end` each bidder commits `bid_digest(auction, bidder, price, salt)`
  (faechain/crypto/sealed_bid.py); from `end` to `reveal_end` it reveals price and salt.
  A reveal that does not match is refused; an unrevealed commit is void.
- `dutch`: the price falls by `step` every `interval` seconds down to the reserve; the
  first bidder to `accept` wins at the current price.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from faechain.contracts import validators
from faechain.contracts.deadlines import Deadlines
from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    Expired,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import date_time
from faechain.contracts.validators import HEX64
from faechain.crypto.sealed_bid import MIN_SALT, bid_digest
from faechain.modules.auctions.outcomes import award
from faechain.modules.auctions.records import DUTCH, ENGLISH, OPEN, SEALED, Bid, Margin, bid_key, closes_at, margin_key
from faechain.modules.auctions.rules import (
    a_mode,
    bidder_margin,
    dutch_price,
    ensure_bidding_window,
    live_auction,
    record_bid,
    save_auction,
)

Hasher = Callable[[bytes], bytes]


class BiddingSteps:
    @tx
    def bid(self, ctx: Ctx, auction: str, price: int) -> dict[str, Any]:
        """English: bid `price`, a whole number of increments above the current price."""
        a = live_auction(ctx, auction)
        ensure_bidding_window(ctx, a, ENGLISH)
        bidder_margin(ctx, a)
        validators.amount_range(price, "price")
        best = a["best"]
        if best is None:
            ensure(price >= a["start_price"], LimitExceeded(f"the first bid must be at least {a['start_price']} fen"))
            base = a["start_price"]
        else:
            ensure(best["bidder"] != ctx.caller.org_id, InvalidState("you already hold the best bid"))
            ensure(price >= best["price"] + a["increment"],
                   LimitExceeded(f"a bid must beat {best['price']} fen by at least {a['increment']} fen"))
            base = best["price"]
        ensure((price - base) % a["increment"] == 0,
               BadRequest(f"a bid must be {base} fen plus a whole number of increments of {a['increment']} fen"))
        n = record_bid(ctx, a, ctx.caller.org_id, price=price)
        a["best"] = {"price": price, "bidder": ctx.caller.org_id, "n": n}
        extended = None
        if a["extend_window"] and a["end"] - ctx.time <= a["extend_window"]:
            new_end = ctx.time + a["extend_by"]
            if new_end > a["end"]:
                a["end"] = extended = new_end
                a["extensions"] += 1
                Deadlines(ctx.state).add(new_end, "close", a["id"])
        save_auction(ctx, a)
        ctx.emit("BidPlaced", auction=auction, n=n, price=price, bidder=ctx.caller.org_id)
        if extended is not None:
            ctx.emit("AuctionExtended", auction=auction, end=extended, extensions=a["extensions"])
        return {"auction": auction, "bid": n, "price": price, "end": a["end"]}

    @tx
    def commit(self, ctx: Ctx, auction: str, digest: str) -> dict[str, Any]:
        """Sealed: commit to a bid before the deadline (see `faechain.crypto.sealed_bid`); one per bidder."""
        a = live_auction(ctx, auction)
        ensure_bidding_window(ctx, a, SEALED)
        m = bidder_margin(ctx, a)
        ensure(HEX64.match(digest) is not None, BadRequest("digest must be 64 lowercase hex characters"))
        ensure(m.get("commit") is None, Duplicate(f"{ctx.caller.org_id} has already committed a bid"))
        n = record_bid(ctx, a, ctx.caller.org_id, digest=digest, price=None, revealed_at=None)
        m["commit"] = n
        ctx.state.put(margin_key(auction, ctx.caller.org_id), m)
        save_auction(ctx, a)
        ctx.emit("BidCommitted", auction=auction, n=n, bidder=ctx.caller.org_id)
        return {"auction": auction, "bid": n}

    @tx
    def reveal(self, ctx: Ctx, auction: str, price: int, salt: bytes) -> dict[str, Any]:
        """Sealed: after the deadline, reveal the committed price and salt."""
        a = live_auction(ctx, auction)
        ensure(a["mode"] == SEALED, InvalidState(f"auction {auction} is {a_mode(a['mode'])} auction, not a sealed one"))
        ensure(a["status"] == OPEN, InvalidState(f"auction {auction} is {a['status']}"))
        ensure(ctx.time >= a["end"], InvalidState("bids are revealed only after the bidding deadline"))
        reveal_end = closes_at(a)  # a sealed auction's reveal deadline
        if ctx.time >= reveal_end:
            raise Expired(f"the reveal period ended at {date_time(reveal_end)}")
        m: Margin | None = ctx.state.get(margin_key(auction, ctx.caller.org_id))
        if m is None:
            raise Unauthorized(f"{ctx.caller.org_id} is not registered for auction {auction}")
        committed = m.get("commit")
        if committed is None:
            raise NotFound("you have no committed bid here")
        key = bid_key(auction, committed)
        b: Bid = ctx.state.get(key)
        ensure(b["revealed_at"] is None, Duplicate("your bid is already revealed"))
        validators.amount_range(price, "price")
        ensure(len(salt) >= MIN_SALT, BadRequest(f"the salt has at least {MIN_SALT} bytes"))
        hasher = cast(Hasher, ctx.hasher)  # a chain always has its suite
        ensure(bid_digest(hasher, auction, ctx.caller.org_id, price, salt) == b["digest"],
               BadRequest("price and salt do not match the committed digest"))
        b["price"] = price
        b["revealed_at"] = ctx.time
        ctx.state.put(key, b)
        ctx.emit("BidRevealed", auction=auction, n=b["n"], price=price, bidder=ctx.caller.org_id)
        return {"auction": auction, "bid": b["n"], "price": price}

    @tx
    def accept(self, ctx: Ctx, auction: str) -> dict[str, Any]:
        """Dutch: take the asset at the current price; the first acceptance wins."""
        a = live_auction(ctx, auction)
        ensure_bidding_window(ctx, a, DUTCH)
        bidder_margin(ctx, a)
        price = dutch_price(a, ctx.time)
        n = record_bid(ctx, a, ctx.caller.org_id, price=price)
        ctx.emit("BidPlaced", auction=auction, n=n, price=price, bidder=ctx.caller.org_id)
        award(ctx, a, ctx.caller.org_id, price)
        return {"auction": auction, "bid": n, "price": price}
