"""Bidders and their margins: a prospective bidder registers, its margin falls due, and the
auction's settlement bank confirms it arrived; only a bidder whose margin is RECEIVED bids."""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import Duplicate, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.roles import a_role
from faechain.contracts.runtime import Ctx, tx
from faechain.modules.auctions.records import BIDDER_TYPES, DUE, MAX_BIDDERS, OPEN, RECEIVED, Margin, margin_key
from faechain.modules.auctions.rules import live_auction, save_auction


class BidderSteps:
    @tx
    def register(self, ctx: Ctx, auction: str) -> dict[str, Any]:
        """A prospective bidder registers; its margin falls due (paid to the settlement bank)."""
        a = live_auction(ctx, auction)
        who = ctx.caller.org_id
        ensure(who != a["seller"], Unauthorized("the seller cannot bid for its own asset"))
        ensure(ctx.caller.role in BIDDER_TYPES, Unauthorized(f"{a_role(ctx.caller.role)} cannot bid"))
        ensure(ctx.caller.role != "INVESTOR" or ctx.caller.has("qualified"),
               Unauthorized("only qualified investors bid"))
        ensure(a["status"] == OPEN and ctx.time < a["end"], InvalidState(f"auction {auction} takes no registrations"))
        key = margin_key(auction, who)
        ensure(not ctx.state.has(key), Duplicate(f"{who} is already registered for auction {auction}"))
        ensure(len(a["bidders"]) < MAX_BIDDERS, LimitExceeded(f"auction {auction} has {MAX_BIDDERS} bidders"))
        a["bidders"] = a["bidders"] + [who]  # registration order
        margin: Margin = {"auction": auction, "bidder": who, "amount": a["margin"], "status": DUE,
                          "registered_at": ctx.time, "received": None, "closed": None}
        ctx.state.put(key, margin)
        save_auction(ctx, a)
        ctx.emit("BidderRegistered", auction=auction, bidder=who, margin=a["margin"])
        return {"auction": auction, "margin": a["margin"], "pay_to": a["settlement_bank"]}

    @tx
    def confirm_margin(self, ctx: Ctx, auction: str, bidder: str, bank_ref: str) -> dict[str, Any]:
        """The settlement bank confirms a bidder's margin arrived: RECEIVED, so it may bid."""
        a = live_auction(ctx, auction)
        ensure(ctx.caller.org_id == a["settlement_bank"] and ctx.caller.has("settlement"),
               Unauthorized(f"only {a['settlement_bank']}, the auction's settlement bank, confirms margins"))
        validators.text(bank_ref, "bank_ref", 64)
        m: Margin = ctx.state.require(margin_key(auction, bidder), "margin")
        ensure(m["status"] == DUE, InvalidState(f"the margin of {bidder} is {m['status']}"))
        ensure(a["status"] == OPEN and ctx.time < a["end"], InvalidState(f"auction {auction} takes no margins"))
        m["status"] = RECEIVED
        m["received"] = {"bank_ref": bank_ref, "at": ctx.time}
        ctx.state.put(margin_key(auction, bidder), m)
        ctx.emit("MarginReceived", auction=auction, bidder=bidder, amount=m["amount"], bank_ref=bank_ref)
        return {"auction": auction, "bidder": bidder}
