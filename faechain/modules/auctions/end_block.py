"""The auctions module's end-of-block work: close auctions whose deadline has passed, and
default winners who did not pay in time (their margin is forfeited, the owner gets the asset
back for relisting)."""

from __future__ import annotations

from typing import cast

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.runtime import Ctx
from faechain.modules.auctions.outcomes import close
from faechain.modules.auctions.records import (
    AWARDED,
    DEFAULTED,
    FORFEITED,
    OPEN,
    Auction,
    Margin,
    auction_key,
    closes_at,
    margin_key,
)
from faechain.modules.auctions.rules import save_auction


def default_winner(ctx: Ctx, a: Auction, winner: str) -> None:
    """The winner did not pay by `pay_by`: its margin is FORFEITED and the auction DEFAULTED."""
    key = margin_key(a["id"], winner)
    m: Margin = ctx.state.get(key)
    m["status"] = FORFEITED
    m["closed"] = ctx.time
    ctx.state.put(key, m)
    a["status"] = DEFAULTED
    a["outcome"] = "the winner did not pay by the deadline"
    save_auction(ctx, a)
    ctx.emit("WinnerDefaulted", auction=a["id"], asset=a["asset"], winner=winner, price=a["price"],
             forfeited=m["amount"])
    ctx.call(a["owner"], "auction_defaulted", auction=a["id"], asset=a["asset"], winner=winner)


class EndOfBlock:
    def end_block(self, ctx: Ctx) -> None:
        """Close auctions whose deadline has passed; default winners who did not pay in time."""
        for _, kind, auction_id in Deadlines(ctx.state).take(ctx.time):
            a: Auction = ctx.state.get(auction_key(auction_id))
            if kind == "close" and a["status"] == OPEN:
                if closes_at(a) <= ctx.time:  # an english auction extended since: a later deadline closes it
                    close(ctx, a)
            elif kind == "pay" and a["status"] == AWARDED and a["pay_by"] is not None and a["pay_by"] <= ctx.time:
                default_winner(ctx, a, cast(str, a["winner"]))  # an AWARDED auction has one
