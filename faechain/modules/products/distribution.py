"""Collections, distributions and the end of a product's life.

    voucher_paid      receivables reports an underlying voucher paid: credited to collections at once
    distribute        the registrar pays collections down the waterfall (waterfall.py) to the holders of record
    mature            the registrar marks the product MATURED at or after its maturity date
    declare_default   the originator, the registrar or the exchange declares a default
    close             the registrar closes a matured or defaulted product; the underlying is released

Distributions never exceed collections: `distributed` can only catch up with
`collected`, and a product closes only when the two are equal.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.payouts import instruct_legs, record_leg_paid
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.contracts.time import DAY, date_time
from faechain.modules.products import waterfall
from faechain.modules.products.records import (
    CLOSED,
    DEFAULT,
    ESTABLISHED,
    MATURED,
    OUTSTANDING,
    Collection,
    Distribution,
    DistributionStep,
    Underlying,
    collection_key,
    distribution_key,
    holding_key,
    underlying_key,
)
from faechain.modules.products.rules import (
    ensure_product_status,
    load_holding,
    load_product,
    movable_product,
    release_underlying,
    save_product,
)


class DistributionSteps:
    # -- collections and distributions ----------------------------------------------------------------
    @internal
    def voucher_paid(self, ctx: Ctx, voucher: str, root: str, paid: int, payer: str, holder: str, bank_ref: str,
                     held: bool) -> None:
        """Receivables reports an underlying voucher paid: credited to collections in this transaction."""
        ensure(ctx.via == "receivables", Unauthorized("only the receivables contract reports voucher payments"))
        u: Underlying = ctx.state.require(underlying_key(voucher), "underlying voucher")
        p = load_product(ctx, u["product"])
        u["paid"] = {"amount": paid, "at": ctx.time, "bank_ref": bank_ref}
        ctx.state.put(underlying_key(voucher), u)
        p["collections"] += 1
        p["collected"] += paid
        collection: Collection = {
            "product": p["id"], "n": p["collections"], "voucher": voucher, "payer": payer, "amount": paid,
            "bank_ref": bank_ref, "at": ctx.time, "held": held}
        ctx.state.put(collection_key(p["id"], p["collections"]), collection)
        save_product(ctx, p)
        ctx.emit("CollectionCredited", product=p["id"], voucher=voucher, amount=paid, collected=p["collected"])

    @internal
    def instruction_paid(self, ctx: Ctx, instruction: str, ref: str, payee: str, amount: int,
                         rail_ref: str) -> dict[str, Any]:
        """The rail paid one payee's leg of a distribution (`payments.confirm`)."""
        product, _, n = ref.removeprefix("product:").partition("/")
        record_leg_paid(ctx, distribution_key(product, int(n)), "distribution", instruction)
        ctx.emit("DistributionLegPaid", product=product, n=int(n), payee=payee, amount=amount, rail_ref=rail_ref)
        return {"product": product, "distribution": int(n)}

    @tx
    def distribute(self, ctx: Ctx, product: str, amount: int | None = None) -> dict[str, Any]:
        """The registrar distributes collections down the waterfall to the holders of record now.

        `amount` defaults to everything collected and not yet distributed; more is
        refused. Fees and interest accrue from the last distribution (block time,
        whole days). Each step is split over its tranche's holders to the fen.
        """
        p = movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar distributes"))
        ensure_product_status(p, OUTSTANDING, MATURED, DEFAULT)
        available = p["collected"] - p["distributed"]
        if amount is None:
            ensure(available > 0, BadRequest(
                f"nothing to distribute for product {product}: nothing has been collected yet" if not p["collected"]
                else f"nothing to distribute for product {product}: all {p['collected']} fen collected so far "
                     "has been distributed"))
            amount = available
        validators.amount_range(amount, "amount")
        ensure(amount <= available,
               LimitExceeded(f"a distribution of {amount} fen exceeds the {available} fen collected and undistributed"))
        accrued_to = p["accrued_to"]  # set at establishment
        assert accrued_to is not None
        days = (ctx.time - accrued_to) // DAY
        outstanding_total = sum(t["outstanding"] for t in p["tranches"])
        fees_owed = p["fees_owed"] + waterfall.accrued(outstanding_total, p["fee_bps"], days)
        for t in p["tranches"]:
            t["interest_owed"] += waterfall.accrued(t["outstanding"], t["coupon_bps"], days)
        steps = waterfall.run(amount, fees_owed, p["tranches"])
        by_name = {t["name"]: t for t in p["tranches"]}
        units = {t["name"]: {org: load_holding(ctx, product, t["name"], org)["units"] for org in p["holders"]}
                 for t in p["tranches"]}
        received: dict[tuple[str, str], int] = {}
        record: list[DistributionStep] = []
        for s in steps:
            if s.kind == "fees":
                fees_owed -= s.paid
                p["fees_paid"] += s.paid
                record.append({"step": "fees", "owed": s.owed, "paid": s.paid, "payee": p["originator"]})
                continue
            assert s.tranche is not None  # every step but the fees belongs to a tranche
            t = by_name[s.tranche]
            if s.kind == "interest":
                t["interest_owed"] -= s.paid
                t["interest_paid"] += s.paid
            elif s.kind == "principal":
                t["outstanding"] -= s.paid
                t["principal_paid"] += s.paid
            alloc = waterfall.allocate(s.paid, units[s.tranche]) if s.paid else []
            for org, fen in alloc:
                received[(s.tranche, org)] = received.get((s.tranche, org), 0) + fen
            record.append({"step": s.kind, "tranche": s.tranche, "owed": s.owed, "paid": s.paid, "allocations": alloc})
        for (tranche, org), fen in sorted(received.items()):
            h = load_holding(ctx, product, tranche, org)
            h["received"] += fen
            ctx.state.put(holding_key(product, tranche, org), h)
        p.update({"fees_owed": fees_owed, "accrued_to": accrued_to + days * DAY,
                  "distributed": p["distributed"] + amount})
        p["distributions"] += 1
        n = p["distributions"]
        distribution: Distribution = {
            "product": product, "n": n, "record_date": ctx.time, "amount": amount, "days": days, "steps": record}
        # the money reaches each payee through the rail: one clearing instruction per payee, out of the
        # collection account the registrar keeps at the product's settlement bank
        per_payee: dict[str, int] = {}
        for (_, org), fen in sorted(received.items()):
            per_payee[org] = per_payee.get(org, 0) + fen
        fees = sum(s.paid for s in steps if s.kind == "fees")
        payees = ([(p["originator"], fees)] if fees else []) + sorted(per_payee.items())
        distribution["legs"] = instruct_legs(ctx, p["registrar"], p["settlement_bank"], f"product:{product}/{n}",
                                             payees)
        ctx.state.put(distribution_key(product, n), distribution)
        save_product(ctx, p)
        ctx.emit("DistributionMade", product=product, n=n, amount=amount,
                 paid={f"{s.kind}:{s.tranche or ''}": s.paid for s in steps if s.paid})
        return {"product": product, "distribution": n, "amount": amount}

    # -- the end of a product's life ------------------------------------------------------------------
    @tx
    def mature(self, ctx: Ctx, product: str) -> dict[str, Any]:
        """The registrar marks the product MATURED at or after its maturity date."""
        p = load_product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar matures it"))
        ensure_product_status(p, OUTSTANDING)
        maturity = p["maturity"]  # set at establishment
        assert maturity is not None
        ensure(ctx.time >= maturity, InvalidState(f"product {product} matures at {date_time(maturity)}"))
        p["status"] = MATURED
        save_product(ctx, p)
        ctx.emit("ProductMatured", product=product, outstanding=sum(t["outstanding"] for t in p["tranches"]))
        return {"product": product}

    @tx
    def declare_default(self, ctx: Ctx, product: str, reason: str) -> dict[str, Any]:
        """The originator, registrar or exchange declares a default; collections keep being distributed."""
        p = load_product(ctx, product)
        ensure(ctx.caller.org_id in (p["originator"], p["registrar"]) or ctx.caller.role == "EXCHANGE",
               Unauthorized("only the originator, the registrar or the exchange declares a default"))
        ensure_product_status(p, ESTABLISHED, OUTSTANDING, MATURED)
        ensure(0 < len(reason) <= 500, BadRequest("a default needs a reason (1-500 characters)"))
        p.update({"status": DEFAULT, "default": {"reason": reason, "by": ctx.caller.org_id, "at": ctx.time}})
        save_product(ctx, p)
        ctx.emit("ProductDefaulted", product=product, reason=reason)
        return {"product": product}

    @tx
    def close(self, ctx: Ctx, product: str) -> dict[str, Any]:
        """The registrar closes a matured or defaulted product once its collections are all
        distributed; the underlying vouchers are released."""
        p = movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar closes it"))
        ensure_product_status(p, MATURED, DEFAULT)
        ensure(p["distributed"] == p["collected"],
               InvalidState(f"{p['collected'] - p['distributed']} fen of collections are not distributed yet"))
        for vid in p["underlying"]:  # at most MAX_UNDERLYING
            release_underlying(ctx, vid)
        p.update({"status": CLOSED, "closed_at": ctx.time})
        save_product(ctx, p)
        ctx.emit("ProductClosed", product=product)
        return {"product": product}
