"""What every auctions step shares: loading and saving an auction, the checks before a bid,
recording a bid, and the price a bid must reach."""

from __future__ import annotations

from typing import Any, cast

from faechain.contracts.errors import Expired, InvalidState, NotFound, Unauthorized, ensure
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.runtime import Ctx
from faechain.contracts.time import date_time
from faechain.modules.auctions.records import (
    DUTCH,
    ENGLISH,
    OPEN,
    RECEIVED,
    Auction,
    Bid,
    Margin,
    auction_key,
    bid_key,
    margin_key,
)


def load_auction(ctx: Ctx, auction_id: str) -> Auction:
    a = ctx.state.get(auction_key(auction_id))
    ensure(a is not None, NotFound(f"auction {auction_id!r} not found"))
    return cast(Auction, a)


def live_auction(ctx: Ctx, auction_id: str) -> Auction:
    """The auction, for a step of its bidding or settlement: refused while the regulator has
    frozen the auction or the asset it sells (deadlines still run; see the README)."""
    a = load_auction(ctx, auction_id)
    ensure_not_frozen(ctx, f"auction:{auction_id}", a["asset"])
    return a


def save_auction(ctx: Ctx, a: Auction) -> None:
    ctx.state.put(auction_key(a["id"]), a)


def ensure_bidding_window(ctx: Ctx, a: Auction, mode: str) -> None:
    """`a` is an OPEN auction of `mode` whose bidding has started and not yet closed."""
    ensure(a["mode"] == mode, InvalidState(f"auction {a['id']} is {a_mode(a['mode'])} auction, not {a_mode(mode)} one"))
    ensure(a["status"] == OPEN, InvalidState(f"auction {a['id']} is {a['status']}"))
    if ctx.time < a["start"]:
        raise InvalidState(f"auction {a['id']} opens at {date_time(a['start'])}")
    if ctx.time >= a["end"]:
        raise Expired(f"bidding on auction {a['id']} closed at {date_time(a['end'])}")


def a_mode(mode: str) -> str:
    """An auction mode with its article, for a message: "an english", "a sealed", "a dutch"."""
    return f"{'an' if mode[:1] in 'aeiou' else 'a'} {mode}"


def bidder_margin(ctx: Ctx, a: Auction) -> Margin:
    """The caller's margin record, which must be RECEIVED for it to bid."""
    m: Margin | None = ctx.state.get(margin_key(a["id"], ctx.caller.org_id))
    if m is None:
        raise Unauthorized(f"{ctx.caller.org_id} is not registered for auction {a['id']}")
    ensure(m["status"] == RECEIVED, Unauthorized(f"the margin of {ctx.caller.org_id} is {m['status']}, not RECEIVED"))
    return m


def record_bid(ctx: Ctx, a: Auction, bidder: str, **fields: Any) -> int:
    """File the auction's next bid (`fields`: its price, or a sealed bid's digest); the first
    bid tells the owner that bidding has started. Returns the bid's number."""
    a["bids"] += 1
    n = a["bids"]
    bid = cast(Bid, {"auction": a["id"], "n": n, "bidder": bidder, "time": ctx.time, "height": ctx.height, **fields})
    ctx.state.put(bid_key(a["id"], n), bid)
    if not a["started"]:
        a["started"] = True
        ctx.call(a["owner"], "auction_started", auction=a["id"], asset=a["asset"])
    return n


def dutch_price(a: Auction, t: int) -> int:
    """The descending price at time t: falls by `step` each whole `interval`, never below the reserve."""
    steps = max(0, t - a["start"]) // a["interval"]
    return max(a["reserve"], a["start_price"] - steps * a["step"])


def current_price(a: Auction, t: int) -> int | None:
    """What a bid must reach now: english the next valid bid, dutch the current price."""
    if a["mode"] == ENGLISH:
        return a["start_price"] if a["best"] is None else a["best"]["price"] + a["increment"]
    if a["mode"] == DUTCH:
        return dutch_price(a, t)
    return None
