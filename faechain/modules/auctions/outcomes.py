"""How an auction ends: awarded to a winner (losers' margins refunded), failed (every margin
refunded), or closed at its deadline by the rules of its mode. The owner contract hears of
each outcome in the same transaction or block, through its `@internal` callbacks."""

from __future__ import annotations

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.runtime import Ctx
from faechain.contracts.time import DAY
from faechain.modules.auctions.records import (
    AWARDED,
    DUE,
    ENGLISH,
    FAILED,
    MARGIN_CANCELLED,
    RECEIVED,
    REFUNDED,
    SEALED,
    Auction,
    Bid,
    Margin,
    bid_key,
    margin_key,
)
from faechain.modules.auctions.rules import save_auction


def release_margins(ctx: Ctx, a: Auction, keep: str | None) -> None:
    """Refund every received margin but `keep`'s; cancel those never received."""
    for org in a["bidders"]:  # at most MAX_BIDDERS
        if org == keep:
            continue
        key = margin_key(a["id"], org)
        m: Margin = ctx.state.get(key)
        if m["status"] == RECEIVED:
            m["status"] = REFUNDED
            m["closed"] = ctx.time
            ctx.emit("MarginRefunded", auction=a["id"], bidder=org, amount=m["amount"], bank=a["settlement_bank"])
        elif m["status"] == DUE:
            m["status"] = MARGIN_CANCELLED
            m["closed"] = ctx.time
        else:
            continue
        ctx.state.put(key, m)


def award(ctx: Ctx, a: Auction, winner: str, price: int) -> None:
    """`winner` takes the asset at `price`; it pays the balance by `pay_by` or forfeits its margin."""
    a["status"] = AWARDED
    a["winner"] = winner
    a["price"] = price
    a["awarded_at"] = ctx.time
    a["pay_by"] = pay_by = ctx.time + a["pay_days"] * DAY
    release_margins(ctx, a, keep=winner)
    Deadlines(ctx.state).add(pay_by, "pay", a["id"])
    save_auction(ctx, a)
    ctx.emit("AuctionAwarded", auction=a["id"], asset=a["asset"], winner=winner, price=price,
             pay_by=pay_by, balance=price - a["margin"])
    ctx.call(a["owner"], "auction_awarded", auction=a["id"], asset=a["asset"], winner=winner, price=price)


def fail(ctx: Ctx, a: Auction, reason: str) -> None:
    """No valid bid: the auction FAILED and every margin is released."""
    a["status"] = FAILED
    a["outcome"] = reason
    release_margins(ctx, a, keep=None)
    save_auction(ctx, a)
    ctx.emit("AuctionFailed", auction=a["id"], asset=a["asset"], seller=a["seller"], reason=reason, bids=a["bids"])
    ctx.call(a["owner"], "auction_failed", auction=a["id"], asset=a["asset"], reason=reason)


def close(ctx: Ctx, a: Auction) -> None:
    """The bidding (or reveal) deadline has passed: award by the rules or fail."""
    if a["mode"] == ENGLISH:
        best = a["best"]
        if best is not None and best["price"] >= a["reserve"]:
            award(ctx, a, best["bidder"], best["price"])
        else:
            fail(ctx, a, "no bid reached the reserve" if best else "no bids")
    elif a["mode"] == SEALED:
        winner: tuple[int, str] | None = None  # (price, bidder) of the best revealed bid
        for n in range(1, a["bids"] + 1):  # commit order: the earliest wins a tie
            b: Bid = ctx.state.get(bid_key(a["id"], n))
            price = b["price"]  # None until revealed
            if b["revealed_at"] is None or price is None or price < a["reserve"]:
                continue
            if winner is None or price > winner[0]:
                winner = (price, b["bidder"])
        if winner is not None:
            award(ctx, a, winner[1], winner[0])
        else:
            fail(ctx, a, "no revealed bid reached the reserve" if a["bids"] else "no bids")
    else:
        fail(ctx, a, "nobody accepted before the end")
