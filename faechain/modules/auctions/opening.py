"""Opening an auction, and withdrawing it before any bid: both by the contract that owns the
asset (e.g. `npa` for a loan package), through `ctx.call("auctions", ...)`."""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.deadlines import Deadlines
from faechain.contracts.errors import BadRequest, InvalidState, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, internal
from faechain.contracts.time import DAY, MINUTE
from faechain.modules.auctions.outcomes import release_margins
from faechain.modules.auctions.records import (
    CANCELLED,
    ENGLISH,
    MAX_DURATION,
    MAX_EXTENSION,
    MAX_REVEAL,
    MODES,
    OPEN,
    SEALED,
    START_SLACK,
    Auction,
)
from faechain.modules.auctions.rules import load_auction, save_auction


class OpeningSteps:
    @internal
    def open(self, ctx: Ctx, asset: str, seller: str, mode: str, start: int, end: int, reserve: int, margin: int,
             settlement_bank: str, start_price: int, increment: int = 0, extend_window: int = 0,
             extend_by: int = 0, reveal_end: int = 0, step: int = 0, interval: int = 0,
             pay_days: int = 10) -> dict[str, Any]:
        """Open an auction of `asset` for its owner (the calling contract)."""
        owner = ctx.via
        if owner is None:
            raise Unauthorized("auctions are opened by the contract that owns the asset")
        validators.text(asset, "asset", 128)
        validators.one_of(mode, MODES, "mode")
        # a start a few minutes gone (the time the listing took to reach a block) means "now"
        ensure(ctx.time - START_SLACK <= start < end,
               BadRequest("an auction must start now or later and end after it starts"))
        start = max(start, ctx.time)
        ensure(end - start <= MAX_DURATION, BadRequest("an auction lasts at most 90 days"))
        validators.amount_range(reserve, "reserve")
        validators.amount_range(margin, "margin")
        validators.amount_range(start_price, "start_price")
        ensure(1 <= pay_days <= 90, BadRequest("pay_days must be 1 .. 90"))
        bank = ctx.read("membership", f"org/{settlement_bank}")
        ensure(bank is not None and bank["status"] == "ACTIVE" and bank["type"] == "BANK"
               and bank["attributes"].get("settlement"), BadRequest(f"{settlement_bank} is not a settlement bank"))
        closes = end
        if mode == ENGLISH:
            validators.amount_range(increment, "increment")
            ensure(0 <= extend_window <= MAX_EXTENSION and 0 <= extend_by <= MAX_EXTENSION,
                   BadRequest(f"extend_window and extend_by must be 0 .. {MAX_EXTENSION} seconds"))
        elif mode == SEALED:
            ensure(end < reveal_end <= end + MAX_REVEAL, BadRequest("reveal_end must fall within 7 days after end"))
            closes = reveal_end
        else:
            ensure(start_price >= reserve, BadRequest("a dutch auction starts at or above its reserve"))
            validators.amount_range(step, "step")
            ensure(MINUTE <= interval <= DAY, BadRequest("interval must be 60 .. 86400 seconds"))
        aid = ctx.new_id("A")
        a: Auction = {
            "id": aid, "asset": asset, "owner": owner, "seller": seller, "mode": mode, "status": OPEN,
            "start": start, "end": end, "reserve": reserve, "margin": margin, "settlement_bank": settlement_bank,
            "start_price": start_price, "increment": increment, "extend_window": extend_window,
            "extend_by": extend_by, "reveal_end": reveal_end if mode == SEALED else None, "step": step,
            "interval": interval, "pay_days": pay_days, "bidders": [], "bids": 0, "started": False, "best": None,
            "extensions": 0, "winner": None, "price": None, "awarded_at": None, "pay_by": None, "payment": None,
            "outcome": None, "opened_at": ctx.time,
        }
        save_auction(ctx, a)
        Deadlines(ctx.state).add(closes, "close", aid)
        ctx.emit("AuctionOpened", auction=aid, asset=asset, seller=seller, mode=mode, start=start, end=end,
                 reserve=reserve, margin=margin)
        return {"auction": aid}

    @internal
    def cancel(self, ctx: Ctx, auction: str, reason: str) -> dict[str, Any]:
        """The owner withdraws an auction nobody has bid in yet; received margins are refunded."""
        a = load_auction(ctx, auction)
        ensure(ctx.via == a["owner"], Unauthorized(f"only {a['owner']} cancels auction {auction}"))
        ensure(a["status"] == OPEN and not a["started"], InvalidState(f"auction {auction} has bids or is closed"))
        release_margins(ctx, a, keep=None)
        a["status"] = CANCELLED
        a["outcome"] = reason[:500]
        save_auction(ctx, a)
        ctx.emit("AuctionCancelled", auction=auction, asset=a["asset"], reason=reason[:500])
        return {"auction": auction}
