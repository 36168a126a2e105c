"""Listing a package in an auction, withdrawing it, and what the auction engine reports back.

The auction is the `auctions` contract's: `list_package` opens it through
`ctx.call("auctions", "open", ...)`, which makes `npa` its owner, and the engine
reports back through the `@internal` callbacks below, each in the transaction or
block where it happens:

    APPROVED -(list_package)-> LISTED -(auction_started)-> BIDDING -(auction_awarded)-> AWARDED
    LISTED/BIDDING -(auction_failed)-> APPROVED         AWARDED/CONTRACTED -(auction_defaulted)-> APPROVED
    AWARDED -(auction_paid)-> AWARDED (payment recorded)   CONTRACTED -(auction_paid)-> PAID
    DRAFT/DUE_DILIGENCE/APPROVED/LISTED -(withdraw)-> WITHDRAWN
"""

from __future__ import annotations

from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.contracts.validators import one_of, text
from faechain.modules.npa.records import (
    APPROVED,
    ASSET_PREFIX,
    AWARDED,
    BIDDING,
    CONTRACTED,
    LISTED,
    MAX_LISTINGS,
    MODES,
    PAID,
    WITHDRAWABLE,
    WITHDRAWN,
    Package,
)
from faechain.modules.npa.rules import (
    ensure_exchange,
    ensure_package_status,
    load_package,
    movable_package,
    move,
    release_loans,
    save_package,
)


def _auction_package(ctx: Ctx, auction: str, asset: str) -> Package:
    """The package an auction callback is about (only the auction engine calls back)."""
    ensure(ctx.via == "auctions", Unauthorized("only the auctions contract reports auction outcomes"))
    ensure(asset.startswith(ASSET_PREFIX), BadRequest(f"asset {asset!r} is not an NPA package"))
    p = load_package(ctx, asset[len(ASSET_PREFIX):])
    ensure(p["auction"] == auction, InvalidState(f"auction {auction} is not package {p['id']}'s current auction"))
    return p


class ListingSteps:
    @tx
    def list_package(self, ctx: Ctx, package: str, mode: str, start: int, end: int, settlement_bank: str,
                     increment: int = 0, extend_window: int = 0, extend_by: int = 0, reveal_end: int = 0,
                     step: int = 0, interval: int = 0, pay_days: int = 10) -> dict:
        """The exchange lists an approved package: an auction opens (see the `auctions` contract) at the
        package's reserve, margin and list price (the start price); from now on it is frozen.

        After a failed auction the package is relisted only at a reserve strictly
        below the one that failed (the seller lowers it with `set_prices`).
        """
        ensure_exchange(ctx, "lists packages")
        p = movable_package(ctx, package)
        ensure_package_status(p, APPROVED)
        one_of(mode, MODES, "mode")
        ensure(len(p["listings"]) < MAX_LISTINGS, LimitExceeded(f"package {package} was listed {MAX_LISTINGS} times"))
        failed = p["failed_reserve"]
        ensure(failed is None or p["reserve_price"] < failed,
               InvalidState(f"an auction of package {package} at a reserve of {failed} fen failed: it is relisted "
                            f"only below that (the reserve is {p['reserve_price']} fen)"))
        opened = ctx.call("auctions", "open", asset=f"{ASSET_PREFIX}{package}", seller=p["seller"], mode=mode,
                          start=start, end=end, reserve=p["reserve_price"], margin=p["margin"],
                          settlement_bank=settlement_bank, start_price=p["list_price"], increment=increment,
                          extend_window=extend_window, extend_by=extend_by, reveal_end=reveal_end, step=step,
                          interval=interval, pay_days=pay_days)
        auction = opened["auction"]
        p["listings"].append({"auction": auction, "mode": mode, "start": start, "end": end,
                              "reserve": p["reserve_price"], "list_price": p["list_price"], "margin": p["margin"],
                              "settlement_bank": settlement_bank, "listed_at": ctx.time, "outcome": None})
        p["auction"] = auction
        move(ctx, p, LISTED)
        save_package(ctx, p)
        ctx.emit("PackageListed", package=package, auction=auction, mode=mode, start=start, end=end,
                 list_price=p["list_price"], margin=p["margin"], listing=len(p["listings"]))
        return {"package": package, "auction": auction}

    @tx
    def withdraw(self, ctx: Ctx, package: str, reason: str) -> dict:
        """The seller or the exchange withdraws a package not yet bid for; its loans are released.

        A listed package with no bid yet is withdrawn with its auction (received
        margins are refunded by the auction engine).
        """
        p = load_package(ctx, package)
        ensure(ctx.caller.org_id == p["seller"] or ctx.caller.role == "EXCHANGE",
               Unauthorized(f"only the seller or the exchange withdraws package {package}"))
        ensure_package_status(p, *WITHDRAWABLE)
        text(reason, "reason", 500)
        if p["status"] == LISTED:
            ctx.call("auctions", "cancel", auction=p["auction"], reason=f"package withdrawn: {reason}"[:500])
            p["listings"][-1]["outcome"] = "cancelled"
            p["auction"] = None
        release_loans(ctx, p)
        p["withdrawal"] = {"by": ctx.caller.org_id, "reason": reason, "at": ctx.time}
        move(ctx, p, WITHDRAWN)
        save_package(ctx, p)
        ctx.emit("PackageWithdrawn", package=package, reason=reason, released=len(p["loans"]))
        return {"package": package}


class AuctionCallbacks:
    """What the `auctions` contract reports about a package's current auction (`@internal`: only it calls)."""

    @internal
    def auction_started(self, ctx: Ctx, auction: str, asset: str) -> None:
        """The first bid, commit or acceptance: the package is in BIDDING."""
        p = _auction_package(ctx, auction, asset)
        ensure_package_status(p, LISTED)
        move(ctx, p, BIDDING, "auctions")
        save_package(ctx, p)
        ctx.emit("BiddingStarted", package=p["id"], auction=auction)

    @internal
    def auction_awarded(self, ctx: Ctx, auction: str, asset: str, winner: str, price: int) -> None:
        """The auction is won: the deal (winner, price) awaits both signatures and the payment."""
        p = _auction_package(ctx, auction, asset)
        ensure_package_status(p, LISTED, BIDDING)
        listing = p["listings"][-1]
        listing["outcome"], listing["winner"], listing["price"] = "awarded", winner, price
        p["winner"] = winner
        p["deal"] = {"auction": auction, "winner": winner, "price": price, "awarded_at": ctx.time, "signed": {},
                     "contract_hash": None, "contracted_at": None, "payment": None, "delivery": None}
        move(ctx, p, AWARDED, "auctions")
        save_package(ctx, p)
        ctx.emit("PackageAwarded", package=p["id"], auction=auction, winner=winner, price=price)

    @internal
    def auction_failed(self, ctx: Ctx, auction: str, asset: str, reason: str) -> None:
        """No valid bid: back to APPROVED, to be relisted below the failed reserve (or withdrawn)."""
        p = _auction_package(ctx, auction, asset)
        ensure_package_status(p, LISTED, BIDDING)
        listing = p["listings"][-1]
        listing["outcome"], listing["reason"] = "failed", reason[:500]
        p["failed_reserve"] = listing["reserve"]
        p["auction"] = None
        move(ctx, p, APPROVED, "auctions")
        save_package(ctx, p)
        ctx.emit("PackageAuctionFailed", package=p["id"], auction=auction, seller=p["seller"], reason=reason[:500],
                 reserve=listing["reserve"], listing=len(p["listings"]))

    @internal
    def auction_paid(self, ctx: Ctx, auction: str, asset: str, winner: str, price: int, bank_ref: str) -> None:
        """The settlement bank confirmed the full price: PAID, if the deal is signed (else recorded and
        PAID at the completing signature; see the module docstring)."""
        p = _auction_package(ctx, auction, asset)
        ensure_package_status(p, AWARDED, CONTRACTED)
        deal = p["deal"]
        assert deal is not None  # AWARDED and CONTRACTED packages have their deal
        ensure(deal["winner"] == winner and deal["price"] == price,
               InvalidState(f"the payment of auction {auction} does not match the deal of package {p['id']}"))
        deal["payment"] = {"amount": price, "bank_ref": bank_ref, "at": ctx.time}
        if p["status"] == CONTRACTED:
            move(ctx, p, PAID, "auctions")
            ctx.emit("PackagePaid", package=p["id"], auction=auction, winner=winner, price=price, bank_ref=bank_ref)
        else:
            ctx.emit("PaymentRecorded", package=p["id"], auction=auction, winner=winner, price=price,
                     bank_ref=bank_ref, contracted=False)
        save_package(ctx, p)

    @internal
    def auction_defaulted(self, ctx: Ctx, auction: str, asset: str, winner: str) -> None:
        """The winner did not pay in time (its margin is forfeited by the engine): the deal is void and
        the package is back in APPROVED for relisting."""
        p = _auction_package(ctx, auction, asset)
        ensure_package_status(p, AWARDED, CONTRACTED)
        deal = p["deal"]
        assert deal is not None  # AWARDED and CONTRACTED packages have their deal
        listing = p["listings"][-1]
        listing["outcome"], listing["deal"] = "defaulted", deal
        p["deal"], p["winner"], p["auction"] = None, None, None
        move(ctx, p, APPROVED, "auctions")
        save_package(ctx, p)
        ctx.emit("DealDefaulted", package=p["id"], auction=auction, winner=winner, price=deal["price"],
                 seller=p["seller"])
