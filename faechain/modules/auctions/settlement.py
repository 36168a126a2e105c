"""Settlement: the winner pays the balance (price less its margin) by `pay_by`, and the
settlement bank's confirmation applies the margin and settles the auction; title may then pass.
A winner who does not pay in time forfeits its margin (end_block.py)."""

from __future__ import annotations

from typing import Any, cast

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, Expired, InvalidState, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import date_time
from faechain.modules.auctions.records import APPLIED, AWARDED, SETTLED, Margin, margin_key
from faechain.modules.auctions.rules import live_auction, save_auction


class SettlementSteps:
    @tx
    def confirm_payment(self, ctx: Ctx, auction: str, amount: int, bank_ref: str) -> dict[str, Any]:
        """The settlement bank confirms the winner paid the balance: the margin is applied and
        the auction SETTLED; title may now pass (the owner is told in this transaction)."""
        a = live_auction(ctx, auction)
        ensure(ctx.caller.org_id == a["settlement_bank"] and ctx.caller.has("settlement"),
               Unauthorized(f"only {a['settlement_bank']}, the auction's settlement bank, confirms payment"))
        ensure(a["status"] == AWARDED, InvalidState(f"auction {auction} is {a['status']}"))
        # an AWARDED auction has its winner, price and deadline
        winner, price, pay_by = cast(str, a["winner"]), cast(int, a["price"]), cast(int, a["pay_by"])
        if ctx.time >= pay_by:
            raise Expired(f"the payment deadline passed at {date_time(pay_by)}")
        validators.text(bank_ref, "bank_ref", 64)
        balance = price - a["margin"]
        ensure(amount == balance, BadRequest(f"the balance due is {balance} fen (price {price} fen less the "
                                             f"margin {a['margin']} fen), not {amount} fen"))
        key = margin_key(auction, winner)
        m: Margin = ctx.state.get(key)
        m["status"] = APPLIED
        m["closed"] = ctx.time
        ctx.state.put(key, m)
        a["status"] = SETTLED
        a["payment"] = {"amount": amount, "bank_ref": bank_ref, "at": ctx.time}
        save_auction(ctx, a)
        ctx.emit("AuctionSettled", auction=auction, asset=a["asset"], winner=winner, price=price, bank_ref=bank_ref)
        ctx.call(a["owner"], "auction_paid", auction=auction, asset=a["asset"], winner=winner, price=price,
                 bank_ref=bank_ref)
        return {"auction": auction, "price": price}
