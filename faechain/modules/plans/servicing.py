"""Servicing a plan: the money that comes into the pool and goes out to the holders, and the plan's end.

    record_cash_flow     the servicer or settlement bank records money collected on (or paid out of) the pool
    voucher_paid         receivables reports a pooled voucher paid, inside the settlement bank's confirmation
    pay                  the settlement bank confirms a coupon or principal payment, allocated to the holders
    declare_default      the underwriter or servicer declares a payment default
    close                the underwriter or the exchange closes (or withdraws) the plan; the pool is released

A bank reference is recorded once per plan (`bankref/<plan>/<ref>`), so the same
transfer can never be counted twice.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, Duplicate, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.money import largest_remainder
from faechain.contracts.payouts import instruct_legs, record_leg_paid
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.modules.plans.records import (
    CLOSED,
    DEFAULTED,
    DRAFT,
    ESTABLISHED,
    FILED,
    LISTED,
    MAJOR_EVENT_DUE,
    OUTSTANDING,
    PAYMENT_KINDS,
    REDEEMED,
    CashFlow,
    Holding,
    Payment,
    Plan,
    PoolEntry,
    asset_key,
    asset_ref,
    bank_ref_key,
    cash_flow_key,
    holding_key,
    payment_key,
)
from faechain.modules.plans.rules import (
    ensure_party,
    ensure_plan_status,
    load_plan,
    movable_plan,
    release_asset,
    save_plan,
    schedule,
)


class ServicingSteps:
    # -- cash flows and payments --------------------------------------------------------------------
    @tx
    def record_cash_flow(self, ctx: Ctx, plan: str, payer: str, payee: str, amount: int, value_date: int,
                         bank_ref: str, asset: str | None = None) -> dict[str, Any]:
        """The servicer or settlement bank records money collected on the pool (or paid out of it)."""
        p = load_plan(ctx, plan)
        ensure_party(ctx, p, "servicer", "settlement_bank")
        ensure_plan_status(p, ESTABLISHED, OUTSTANDING, DEFAULTED, REDEEMED)
        validators.amount(amount)
        validators.text(bank_ref, "bank_ref", 64)
        validators.text(payer, "payer", 64)
        validators.text(payee, "payee", 64)
        ensure(value_date <= ctx.time, BadRequest("the value date lies in the future"))
        ensure(asset is None or asset in p["assets"], NotFound(f"{asset} is not in plan {plan}"))
        n = add_cash_flow(ctx, p, asset, payer, payee, amount, value_date, bank_ref, "servicer")
        save_plan(ctx, p)
        return {"plan": plan, "cash_flow": n}

    @internal
    def voucher_paid(self, ctx: Ctx, voucher: str, root: str, paid: int, payer: str, holder: str, bank_ref: str,
                     held: bool) -> None:
        """Receivables reports a pooled voucher paid (inside the settlement bank's confirmation)."""
        ensure(ctx.via == "receivables", Unauthorized("only the receivables contract reports voucher payments"))
        asset = asset_ref("voucher", voucher)
        entry: PoolEntry = ctx.state.require(asset_key(asset), "pool entry")
        p = load_plan(ctx, entry["plan"])
        # the bank reference is per root; each pooled piece of it is its own cash flow
        add_cash_flow(ctx, p, asset, payer, holder, paid, ctx.time, f"{bank_ref}/{voucher}", "settlement")
        save_plan(ctx, p)

    @internal
    def instruction_paid(self, ctx: Ctx, instruction: str, ref: str, payee: str, amount: int,
                         rail_ref: str) -> dict[str, Any]:
        """The rail paid one investor's leg of a coupon or principal payment (`payments.confirm`)."""
        plan, _, n = ref.removeprefix("plan:").partition("/")
        record_leg_paid(ctx, payment_key(plan, int(n)), "plan payment", instruction)
        ctx.emit("PlanPaymentLegPaid", plan=plan, n=int(n), investor=payee, amount=amount, rail_ref=rail_ref)
        return {"plan": plan, "payment": int(n)}

    @tx
    def pay(self, ctx: Ctx, plan: str, kind: str, amount: int, bank_ref: str) -> dict[str, Any]:
        """The settlement bank confirms a coupon or principal payment to the holders.

        The amount is allocated pro rata to each holder's outstanding principal,
        to the fen (largest remainder). When principal reaches zero the plan is
        REDEEMED.
        """
        p = movable_plan(ctx, plan)
        ensure_party(ctx, p, "settlement_bank")
        ensure(ctx.caller.has("settlement"), Unauthorized("only a settlement bank confirms payments"))
        ensure_plan_status(p, OUTSTANDING, DEFAULTED)
        validators.one_of(kind, PAYMENT_KINDS, "kind")
        validators.amount(amount)
        validators.text(bank_ref, "bank_ref", 64)
        ensure(not ctx.state.has(bank_ref_key(plan, bank_ref)),
               Duplicate(f"bank reference {bank_ref} is already recorded for plan {plan}"))
        if kind == "principal":
            ensure(amount <= p["outstanding"],
                   LimitExceeded(f"principal payment {amount} fen exceeds the outstanding {p['outstanding']} fen"))
        holdings: list[Holding] = [ctx.state.get(holding_key(plan, i)) for i in p["holders"]]
        shares = largest_remainder(amount, [h["principal"] for h in holdings], p["holders"])
        for h, share in zip(holdings, shares, strict=True):
            if kind == "principal":
                h["principal"] -= share
                h["principal_received"] += share
            else:
                h["coupon_received"] += share
            ctx.state.put(holding_key(plan, h["investor"]), h)
        p["payments"] += 1
        n = p["payments"]
        payment: Payment = {
            "plan": plan, "n": n, "kind": kind, "amount": amount, "bank_ref": bank_ref, "paid_at": ctx.time,
            "allocations": [[h["investor"], s] for h, s in zip(holdings, shares, strict=True)],
        }
        # the money reaches each investor through the rail: one clearing instruction per investor
        payment["legs"] = instruct_legs(ctx, p["sponsor"], p["settlement_bank"], f"plan:{plan}/{n}",
                                        [(h["investor"], s) for h, s in zip(holdings, shares, strict=True)])
        ctx.state.put(payment_key(plan, n), payment)
        ctx.state.put(bank_ref_key(plan, bank_ref), -n)
        if kind == "principal":
            p["outstanding"] -= amount
            p["paid_principal"] += amount
        else:
            p["paid_coupon"] += amount
        ctx.emit("PlanPaid", plan=plan, n=n, kind=kind, amount=amount, bank_ref=bank_ref, holders=len(holdings))
        if p["outstanding"] == 0 and p["status"] == OUTSTANDING:
            p["status"] = REDEEMED
            ctx.emit("PlanRedeemed", plan=plan, issued=p["issued"], paid_coupon=p["paid_coupon"])
        save_plan(ctx, p)
        return {"plan": plan, "payment": n, "outstanding": p["outstanding"], "status": p["status"]}

    # -- default and the end of a plan's life ---------------------------------------------------------
    @tx
    def declare_default(self, ctx: Ctx, plan: str, reason: str) -> dict[str, Any]:
        """The underwriter or servicer declares a payment default; a major-event disclosure falls due."""
        p = load_plan(ctx, plan)
        ensure_party(ctx, p, "underwriter", "servicer")
        ensure_plan_status(p, ESTABLISHED, OUTSTANDING)
        validators.text(reason, "reason", 500)
        p["status"] = DEFAULTED
        p["default"] = {"reason": reason, "by": ctx.caller.org_id, "at": ctx.time}
        n = schedule(ctx, p, "major_event", f"default: {reason[:150]}", ctx.time + MAJOR_EVENT_DUE)
        save_plan(ctx, p)
        ctx.emit("PlanDefaulted", plan=plan, reason=reason, outstanding=p["outstanding"], item=n)
        return {"plan": plan, "disclosure": n}

    @tx
    def close(self, ctx: Ctx, plan: str, reason: str = "") -> dict[str, Any]:
        """The underwriter (or the exchange) closes a plan; every pooled asset is released.

        A redeemed or defaulted plan closes at the end of its life; a draft, filed
        or listed one is withdrawn (subscriptions lapse: no money has moved yet).
        """
        p = movable_plan(ctx, plan)
        ensure(ctx.caller.role == "EXCHANGE" or ctx.caller.org_id == p["underwriter"],
               Unauthorized("only the underwriter or the exchange closes a plan"))
        ensure_plan_status(p, DRAFT, FILED, LISTED, REDEEMED, DEFAULTED)
        for asset in p["assets"]:  # at most MAX_ASSETS
            release_asset(ctx, asset)
        p.update({"status": CLOSED, "closed_at": ctx.time, "close_reason": reason[:500]})
        save_plan(ctx, p)
        ctx.emit("PlanClosed", plan=plan, reason=reason[:500], released=len(p["assets"]))
        return {"plan": plan}


def add_cash_flow(ctx: Ctx, p: Plan, asset: str | None, payer: str, payee: str, amount: int, value_date: int,
                  bank_ref: str, source: str) -> int:
    """Record the plan's next cash flow and its bank reference (refused if already used); returns its n.
    The caller saves the plan."""
    ensure(not ctx.state.has(bank_ref_key(p["id"], bank_ref)),
           Duplicate(f"bank reference {bank_ref} is already recorded for plan {p['id']}"))
    p["cash_flows"] += 1
    p["collected"] += amount
    n = p["cash_flows"]
    flow: CashFlow = {
        "plan": p["id"], "n": n, "asset": asset, "payer": payer, "payee": payee, "amount": amount,
        "value_date": value_date, "bank_ref": bank_ref, "recorded_by": ctx.caller.org_id, "recorded_at": ctx.time,
        "source": source,
    }
    ctx.state.put(cash_flow_key(p["id"], n), flow)
    ctx.state.put(bank_ref_key(p["id"], bank_ref), n)
    ctx.emit("CashFlowRecorded", plan=p["id"], n=n, asset=asset, amount=amount, bank_ref=bank_ref, source=source)
    return n
