"""Negotiated transfers of a product's units: no order book, no anonymous matching.

    propose_transfer    a holder offers units of a tranche to a named buyer at an agreed price
    accept_transfer     the named buyer signs it
    cancel_transfer     either party withdraws it before registration
    register_transfer   the registrar enters it in the register, checking every rule again now

The rules, checked at registration: the buyer is a qualified investor; the seller
has held the units for HOLD_DAYS; both keep at least the minimum ticket (or the
seller nothing); the register keeps at most MAX_HOLDERS holders; and neither the
product nor the seller's holding is frozen by the regulator.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import DAY, date_time
from faechain.modules.products.records import (
    ACCEPTED,
    CANCELLED,
    ESTABLISHED,
    HOLD_DAYS,
    MATURED,
    OUTSTANDING,
    PROPOSED,
    REGISTERED,
    Transfer,
    holding_key,
    transfer_key,
)
from faechain.modules.products.rules import (
    add_holder,
    ensure_product_status,
    load_holding,
    movable_product,
    qualified_investor,
    save_product,
    tranche_of,
)


class TransferSteps:
    @tx
    def propose_transfer(self, ctx: Ctx, product: str, tranche: str, buyer: str, units: int,
                         price: int) -> dict[str, Any]:
        """A holder offers `units` of a tranche to a named buyer at an agreed price (no order book)."""
        p = movable_product(ctx, product)
        ensure_product_status(p, ESTABLISHED, OUTSTANDING, MATURED)
        tranche_of(p, tranche)
        validators.amount_range(units, "units")
        validators.amount_range(price, "price", minimum=0)
        seller = ctx.caller.org_id
        h = load_holding(ctx, product, tranche, seller)
        ensure(h["units"] > 0,
               Unauthorized(f"only a holder of tranche {tranche} of product {product} offers its units"))
        ensure(buyer != seller, BadRequest("a transfer needs two different parties"))
        ensure_not_frozen(ctx, f"holding:{product}/{tranche}/{seller}")
        qualified_investor(ctx, buyer)
        ensure(h["units"] >= units, LimitExceeded(f"{seller} holds {h['units']} units of {tranche}"))
        tid = ctx.new_id("T")
        tr: Transfer = {
            "id": tid, "product": product, "tranche": tranche, "seller": seller, "buyer": buyer, "units": units,
            "price": price, "status": PROPOSED, "proposed_at": ctx.time, "accepted_at": None,
            "registered_at": None,
        }
        ctx.state.put(transfer_key(tid), tr)
        ctx.emit("TransferProposed", transfer=tid, product=product, tranche=tranche, seller=seller, buyer=buyer,
                 units=units, price=price)
        return {"transfer": tid}

    @tx
    def accept_transfer(self, ctx: Ctx, transfer: str) -> dict[str, Any]:
        """The named buyer signs the negotiated transfer."""
        tr: Transfer = ctx.state.require(transfer_key(transfer), "transfer")
        ensure(ctx.caller.org_id == tr["buyer"], Unauthorized("only the named buyer accepts a transfer"))
        ensure(tr["status"] == PROPOSED, InvalidState(f"transfer {transfer} is {tr['status']}"))
        ensure(ctx.caller.has("qualified"), Unauthorized("only qualified investors buy"))
        tr.update({"status": ACCEPTED, "accepted_at": ctx.time})
        ctx.state.put(transfer_key(transfer), tr)
        ctx.emit("TransferAccepted", transfer=transfer)
        return {"transfer": transfer}

    @tx
    def cancel_transfer(self, ctx: Ctx, transfer: str) -> dict[str, Any]:
        """Either party withdraws a transfer the registrar has not yet registered."""
        tr: Transfer = ctx.state.require(transfer_key(transfer), "transfer")
        ensure(ctx.caller.org_id in (tr["seller"], tr["buyer"]), Unauthorized("only the parties cancel"))
        ensure(tr["status"] in (PROPOSED, ACCEPTED), InvalidState(f"transfer {transfer} is {tr['status']}"))
        tr["status"] = CANCELLED
        ctx.state.put(transfer_key(transfer), tr)
        ctx.emit("TransferCancelled", transfer=transfer, by=ctx.caller.org_id)
        return {"transfer": transfer}

    @tx
    def register_transfer(self, ctx: Ctx, transfer: str) -> dict[str, Any]:
        """The registrar enters an accepted transfer in the register, checking every rule now."""
        tr: Transfer = ctx.state.require(transfer_key(transfer), "transfer")
        p = movable_product(ctx, tr["product"])
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar keeps the register"))
        ensure(tr["status"] == ACCEPTED, InvalidState(f"transfer {transfer} is {tr['status']}, not accepted"))
        ensure_product_status(p, ESTABLISHED, OUTSTANDING, MATURED)
        qualified_investor(ctx, tr["buyer"])
        seller = load_holding(ctx, p["id"], tr["tranche"], tr["seller"])
        ensure_not_frozen(ctx, f"holding:{p['id']}/{tr['tranche']}/{tr['seller']}")
        ensure(seller["units"] >= tr["units"], LimitExceeded(f"{tr['seller']} holds only {seller['units']} units"))
        acquired_at = seller["acquired_at"]  # set whenever units were acquired, and the seller has units
        assert acquired_at is not None
        resale = acquired_at + HOLD_DAYS * DAY
        ensure(ctx.time >= resale, InvalidState(f"a holding is held {HOLD_DAYS} days before it is resold: acquired at "
                                                f"{date_time(acquired_at)}, it can be resold from {date_time(resale)}"))
        buyer = load_holding(ctx, p["id"], tr["tranche"], tr["buyer"])
        ensure(buyer["units"] + tr["units"] >= p["min_ticket"],
               LimitExceeded(f"the buyer would hold less than the minimum ticket of {p['min_ticket']} fen"))
        left = seller["units"] - tr["units"]
        ensure(left == 0 or left >= p["min_ticket"],
               LimitExceeded(f"the seller would keep {left} fen, less than the minimum ticket of "
                             f"{p['min_ticket']} fen"))
        seller["units"] = left
        buyer.update({"units": buyer["units"] + tr["units"], "acquired_at": ctx.time})
        ctx.state.put(holding_key(p["id"], tr["tranche"], tr["seller"]), seller)
        ctx.state.put(holding_key(p["id"], tr["tranche"], tr["buyer"]), buyer)
        if left == 0 and not any(load_holding(ctx, p["id"], t["name"], tr["seller"])["units"] for t in p["tranches"]):
            p["holders"] = [h for h in p["holders"] if h != tr["seller"]]  # sold out: makes room for the buyer
        add_holder(p, tr["buyer"])
        save_product(ctx, p)
        tr.update({"status": REGISTERED, "registered_at": ctx.time})
        ctx.state.put(transfer_key(transfer), tr)
        ctx.emit("TransferRegistered", transfer=transfer, product=p["id"], tranche=tr["tranche"],
                 seller=tr["seller"], buyer=tr["buyer"], units=tr["units"], price=tr["price"])
        return {"transfer": transfer}
