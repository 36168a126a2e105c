"""Subscribing to a product and establishing its register.

    subscribe          a qualified investor subscribes to a tranche during the window
    establish          the registrar closes the window: the register is written, or the product FAILED
    confirm_funding    the settlement bank confirms the subscription money reached the originator

Subscriptions (`sub/...`) are only promises until establishment: every tranche
fully subscribed makes them the register's holdings; anything less refunds them all.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import DAY
from faechain.modules.products.records import (
    ESTABLISHED,
    FAILED,
    OPEN,
    OUTSTANDING,
    holding_key,
    subscription_key,
)
from faechain.modules.products.rules import (
    add_holder,
    ensure_product_status,
    load_holding,
    load_product,
    movable_product,
    release_underlying,
    save_product,
    tranche_of,
)


class SubscriptionSteps:
    @tx
    def subscribe(self, ctx: Ctx, product: str, tranche: str, amount: int) -> dict[str, Any]:
        """A qualified investor subscribes to a tranche during the window (each ticket at least the minimum)."""
        validators.amount_range(amount, "amount")
        ensure(ctx.caller.role == "INVESTOR" and ctx.caller.has("qualified"),
               Unauthorized("only qualified investors subscribe"))
        p = movable_product(ctx, product)
        ensure_product_status(p, OPEN)
        opens, closes = p["opens"], p["closes"]  # set when the product was approved
        ensure(opens is not None and closes is not None and opens <= ctx.time < closes,
               InvalidState("the subscription window is not open"))
        t = tranche_of(p, tranche)
        ensure(amount >= p["min_ticket"], LimitExceeded(f"the minimum ticket is {p['min_ticket']} fen"))
        ensure(t["subscribed"] + amount <= t["size"],
               LimitExceeded(f"only {t['size'] - t['subscribed']} fen of tranche {tranche} remain"))
        who = ctx.caller.org_id
        add_holder(p, who)
        key = subscription_key(product, tranche, who)
        ctx.state.put(key, (ctx.state.get(key) or 0) + amount)
        t["subscribed"] += amount
        save_product(ctx, p)
        ctx.emit("ProductSubscribed", product=product, tranche=tranche, investor=who, amount=amount)
        return {"product": product, "tranche": tranche, "remaining": t["size"] - t["subscribed"]}

    @tx
    def establish(self, ctx: Ctx, product: str) -> dict[str, Any]:
        """The registrar closes the window: ESTABLISHED with the register written if every
        tranche is fully subscribed, otherwise FAILED with every subscription refunded."""
        p = movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar establishes it"))
        ensure_product_status(p, OPEN)
        full = all(t["subscribed"] == t["size"] for t in p["tranches"])
        closes = p["closes"]  # set when the product was approved
        ensure(full or (closes is not None and ctx.time >= closes),
               InvalidState("the window is open and not fully subscribed"))
        if not full:
            refunds: list[list[str | int]] = [
                [org, t["name"], ctx.state.get(subscription_key(product, t["name"], org))]
                for t in p["tranches"] for org in p["holders"]
                if ctx.state.get(subscription_key(product, t["name"], org))]
            for vid in p["underlying"]:
                release_underlying(ctx, vid)
            p.update({"status": FAILED, "refunds": refunds, "holders": []})
            save_product(ctx, p)
            ctx.emit("ProductFailed", product=product, refunds=len(refunds))
            return {"product": product, "status": FAILED}
        for t in p["tranches"]:
            t["outstanding"] = t["size"]
            for org in p["holders"]:
                units = ctx.state.get(subscription_key(product, t["name"], org))
                if units:
                    h = load_holding(ctx, product, t["name"], org)
                    h.update({"units": units, "acquired_at": ctx.time})
                    ctx.state.put(holding_key(product, t["name"], org), h)
        p.update({"status": ESTABLISHED, "established_at": ctx.time, "accrued_to": ctx.time,
                  "maturity": ctx.time + p["term_days"] * DAY})
        save_product(ctx, p)
        ctx.emit("ProductEstablished", product=product, holders=len(p["holders"]), maturity=p["maturity"])
        return {"product": product, "status": ESTABLISHED}

    @tx
    def confirm_funding(self, ctx: Ctx, product: str, bank_ref: str) -> dict[str, Any]:
        """The settlement bank confirms the subscription money reached the originator: OUTSTANDING."""
        p = load_product(ctx, product)
        ensure(ctx.caller.org_id == p["settlement_bank"] and ctx.caller.has("settlement"),
               Unauthorized("only the product's settlement bank confirms funding"))
        ensure_product_status(p, ESTABLISHED)
        validators.text(bank_ref, "bank_ref", 64)
        p.update({"status": OUTSTANDING, "funding": {"bank_ref": bank_ref, "at": ctx.time}})
        save_product(ctx, p)
        ctx.emit("ProductFunded", product=product, bank_ref=bank_ref)
        return {"product": product}
