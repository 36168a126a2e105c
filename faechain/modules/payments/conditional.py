"""e-CNY conditional payments: the payer's funds are reserved on the rail and paid out only
when the chain shows the condition met (delivery versus payment).

    create_conditional (payer) -> AWAITING_FUNDS
    reserve (rail: the payer's wallet earmarked) -> RESERVED;  decline (rail: funds short) -> DECLINED
    confirm_condition (the organisation a `confirmed` condition names)
    settle_conditional (rail; refused until the condition is met) -> SETTLED
    cancel_conditional (payer: before funds are reserved, or after `expires` with the condition unmet)
        -> CANCELLED, and a reserved one asks the rail to release it (ReserveReleaseDue)
    release_reserve (rail) -> RELEASED
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, InvalidState, Unauthorized, ensure
from faechain.contracts.records import active_member
from faechain.contracts.runtime import Ctx, QueryCtx, tx
from faechain.modules.payments.instructions import ensure_rail
from faechain.modules.payments.records import (
    AWAITING_FUNDS,
    CANCELLED,
    CONDITION_KINDS,
    DECLINED,
    RELEASED,
    RESERVED,
    SETTLED,
    Conditional,
    conditional_key,
)

MAX_WAIT = 366 * 86_400  # a condition waits at most a year


def check_condition(ctx: Ctx, condition: dict[str, Any], payer: str, amount: int) -> dict[str, Any]:
    """The condition as stored: a known kind with exactly its fields, each well formed."""
    ensure(type(condition) is dict, BadRequest("a condition is an object with a `kind`"))
    kind = condition.get("kind")
    ensure(kind in CONDITION_KINDS, BadRequest(f"condition kind must be one of {', '.join(CONDITION_KINDS)}"))
    if kind == "confirmed":
        ensure(set(condition) == {"kind", "by", "what"}, BadRequest("a `confirmed` condition has by and what"))
        ensure(type(condition["by"]) is str and type(condition["what"]) is str,
               BadRequest("a `confirmed` condition's by and what are text"))
        active_member(ctx, condition["by"])
        validators.text(condition["what"], "what is confirmed", 200)
        return {"kind": kind, "by": condition["by"], "what": condition["what"]}
    ensure(set(condition) == {"kind", "piece", "to", "amount"},
           BadRequest("a `voucher_delivered` condition has piece, to and amount"))
    ensure(type(condition["piece"]) is str and type(condition["to"]) is str and type(condition["amount"]) is int,
           BadRequest("a `voucher_delivered` condition's piece and to are text, its amount fen"))
    ensure(condition["to"] == payer, BadRequest("a voucher is delivered to the payer who pays for it"))
    validators.amount(condition["amount"], "delivered amount")
    piece = ctx.read("receivables", f"voucher/{condition['piece']}")
    ensure(piece is not None, BadRequest(f"voucher {condition['piece']!r} not found"))
    return {"kind": kind, "piece": condition["piece"], "to": condition["to"], "amount": condition["amount"]}


def condition_met(ctx: Ctx | QueryCtx, cp: Conditional) -> bool:
    """Whether the chain shows the condition met now (deterministic: committed state only)."""
    cond = cp["condition"]
    if cond["kind"] == "confirmed":
        return "confirmed_at" in cp
    piece = ctx.read("receivables", f"voucher/{cond['piece']}")
    if piece is None:
        return False
    for child_id in piece["children"]:  # at most two: the part passed on and the holder's rest
        child = ctx.read("receivables", f"voucher/{child_id}")
        if child and child["holder"] == cond["to"] and child["from"] == piece["holder"] \
                and child["amount"] >= cond["amount"]:
            return True
    return False


def load_conditional(ctx: Ctx, ident: str) -> Conditional:
    cp: Conditional = ctx.state.require(conditional_key(ident), "conditional payment")
    return cp


def ensure_its_rail(ctx: Ctx, cp: Conditional) -> None:
    ensure(cp["rail"] == ctx.caller.org_id, Unauthorized(f"conditional payment {cp['id']} is on rail {cp['rail']}"))


def save(ctx: Ctx, cp: Conditional, status: str, event: str, **attrs: Any) -> dict[str, Any]:
    cp["status"] = status
    ctx.state.put(conditional_key(cp["id"]), cp)
    ctx.emit(event, payment=cp["id"], payer=cp["payer"], payee=cp["payee"], rail=cp["rail"], amount=cp["amount"],
             **attrs)
    return {"payment": cp["id"], "status": status}


class ConditionalSteps:
    @tx
    def create_conditional(self, ctx: Ctx, payee: str, amount: int, rail: str, condition: dict,
                           expires: int) -> dict[str, Any]:
        """The payer asks its rail to pay `payee` when the condition is met on chain."""
        validators.amount(amount)
        ensure_rail(ctx, rail)
        active_member(ctx, payee)
        ensure(payee != ctx.caller.org_id, BadRequest("a payer cannot pay itself"))
        ensure(ctx.time < expires <= ctx.time + MAX_WAIT,
               BadRequest("expires must lie in the future, at most a year ahead"))
        cond = check_condition(ctx, condition, ctx.caller.org_id, amount)
        ident = ctx.new_id("C")
        cp: Conditional = {"id": ident, "payer": ctx.caller.org_id, "payee": payee, "rail": rail, "amount": amount,
                           "condition": cond, "expires": expires, "status": AWAITING_FUNDS, "created_at": ctx.time}
        return save(ctx, cp, AWAITING_FUNDS, "ConditionalPaymentCreated", condition=cond, expires=expires)

    @tx
    def reserve(self, ctx: Ctx, payment: str, rail_ref: str) -> dict[str, Any]:
        """The rail has earmarked the payer's funds for this payment."""
        cp = load_conditional(ctx, payment)
        ensure_its_rail(ctx, cp)
        ensure(cp["status"] == AWAITING_FUNDS, InvalidState(f"conditional payment {payment} is {cp['status']}"))
        cp["reserve_ref"] = validators.text(rail_ref, "rail reference", 128)
        return save(ctx, cp, RESERVED, "PaymentReserved", rail_ref=rail_ref)

    @tx
    def decline(self, ctx: Ctx, payment: str, reason: str) -> dict[str, Any]:
        """The rail could not reserve the funds (the payer's balance is short)."""
        cp = load_conditional(ctx, payment)
        ensure_its_rail(ctx, cp)
        ensure(cp["status"] == AWAITING_FUNDS, InvalidState(f"conditional payment {payment} is {cp['status']}"))
        cp["reason"] = validators.text(reason, "reason", 200)
        return save(ctx, cp, DECLINED, "PaymentDeclined", reason=reason)

    @tx
    def confirm_condition(self, ctx: Ctx, payment: str) -> dict[str, Any]:
        """The organisation a `confirmed` condition names confirms it (goods received, ...)."""
        cp = load_conditional(ctx, payment)
        cond = cp["condition"]
        ensure(cond["kind"] == "confirmed", BadRequest(f"conditional payment {payment} waits for {cond['kind']}"))
        ensure(cond["by"] == ctx.caller.org_id, Unauthorized(f"only {cond['by']} confirms this condition"))
        ensure(cp["status"] in (AWAITING_FUNDS, RESERVED), InvalidState(f"conditional payment {payment} is "
                                                                         f"{cp['status']}"))
        ensure("confirmed_at" not in cp, InvalidState(f"the condition of {payment} is already confirmed"))
        cp["confirmed_at"] = ctx.time
        return save(ctx, cp, cp["status"], "ConditionConfirmed", by=ctx.caller.org_id)

    @tx
    def settle_conditional(self, ctx: Ctx, payment: str, rail_ref: str) -> dict[str, Any]:
        """The rail paid the reserved funds out: only once the chain shows the condition met."""
        cp = load_conditional(ctx, payment)
        ensure_its_rail(ctx, cp)
        ensure(cp["status"] == RESERVED, InvalidState(f"conditional payment {payment} is {cp['status']}"))
        ensure(condition_met(ctx, cp), InvalidState(f"the condition of {payment} is not met on chain"))
        cp["rail_ref"] = validators.text(rail_ref, "rail reference", 128)
        cp["settled_at"] = ctx.time
        return save(ctx, cp, SETTLED, "ConditionalPaymentSettled", rail_ref=rail_ref)

    @tx
    def cancel_conditional(self, ctx: Ctx, payment: str, reason: str = "") -> dict[str, Any]:
        """The payer withdraws: at once while unfunded; once reserved, only after `expires` with the
        condition still unmet (the payee was promised the funds until then)."""
        cp = load_conditional(ctx, payment)
        ensure(cp["payer"] == ctx.caller.org_id, Unauthorized("only the payer cancels a conditional payment"))
        ensure(cp["status"] in (AWAITING_FUNDS, RESERVED), InvalidState(f"conditional payment {payment} is "
                                                                         f"{cp['status']}"))
        if cp["status"] == RESERVED:
            ensure(ctx.time >= cp["expires"], InvalidState(f"conditional payment {payment} is reserved until "
                                                           f"it expires"))
            ensure(not condition_met(ctx, cp), InvalidState(f"the condition of {payment} is met: it will be paid"))
            ctx.emit("ReserveReleaseDue", payment=payment, rail=cp["rail"], payer=cp["payer"], amount=cp["amount"])
        cp["reason"] = validators.text(reason, "reason", 200, empty=True)
        return save(ctx, cp, CANCELLED, "ConditionalPaymentCancelled", reason=reason)

    @tx
    def release_reserve(self, ctx: Ctx, payment: str, rail_ref: str) -> dict[str, Any]:
        """The rail returned a cancelled payment's reserved funds to the payer."""
        cp = load_conditional(ctx, payment)
        ensure_its_rail(ctx, cp)
        ensure(cp["status"] == CANCELLED and "reserve_ref" in cp,
               InvalidState(f"conditional payment {payment} has no reserve to release"))
        cp["rail_ref"] = validators.text(rail_ref, "rail reference", 128)
        return save(ctx, cp, RELEASED, "ReserveReleased", rail_ref=rail_ref)
