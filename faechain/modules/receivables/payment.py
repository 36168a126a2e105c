"""Paying vouchers: the rail's confirmation of what the payer paid, each piece's own confirmation,
instalments, early payment at a discount, and recourse (clearing.py has the mechanics).

    schedule_instalments (payer, before acceptance)  the root is paid in instalments: [[due, fen], ...]
    confirm_payment (the root's rail)                the payer paid `amount` for the root: a round,
                                                     allocated pro rata, instructed by end_block
    instruction_paid (payments, @internal)           the rail paid one instruction: that piece alone
                                                     is credited (PAID at its face)
    offer_early_payment (payer) / accept_early_payment (holder)
                                                     a piece paid before maturity, at a discount
    claim_recourse (holder of an overdue piece passed on with recourse)
                                                     the previous holder pays the remainder and takes
                                                     over the claim against the payer
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, Duplicate, Frozen, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, internal, tx
from faechain.contracts.time import DAY, YEAR_DAYS
from faechain.modules.receivables.clearing import (
    awaiting,
    credit_piece,
    leave_pools,
    outstanding,
    settle_status,
    start_round,
)
from faechain.modules.receivables.end_block import payment_due
from faechain.modules.receivables.pieces import consume, ensure_movable, load_root, load_voucher, mint
from faechain.modules.receivables.records import (
    ACTIVE,
    CLEARING,
    ISSUED,
    LIVE,
    OVERDUE,
    PAYABLE,
    TRANSFERRED,
    Root,
    Voucher,
    root_key,
    voucher_key,
)
from faechain.modules.receivables.registration import release_due

BPS = 10_000
MAX_INSTALMENTS = 24


def bank_ref_key(root: str, bank_ref: str) -> str:
    """The rail's reference of a payment confirmed for a root (`confirm_payment` takes each once)."""
    return f"bankref/{root}/{bank_ref}"


def ensure_rail_of(ctx: Ctx, root: Root) -> str:
    """The caller is the root's rail: its settlement bank or payment rail operator if it names one,
    else any settlement bank or payment rail operator. Returns the rail."""
    rail_ok = ctx.caller.role == "PAYMENT_RAIL" or (ctx.caller.role == "BANK" and ctx.caller.has("settlement"))
    ensure(rail_ok, Unauthorized("only a settlement bank or a payment rail operator confirms payments"))
    ensure(root["settlement_bank"] in (None, ctx.caller.org_id),
           Unauthorized(f"root {root['id']} settles through {root['settlement_bank']}"))
    return ctx.caller.org_id


def instalments_due(root: Root, now: int) -> int:
    """Fen of the root's instalments due by `now` (the whole root at maturity)."""
    if now >= root["maturity"]:
        return root["amount"]
    return sum(fen for due, fen in root.get("instalments", []) if due <= now)


class PaymentSteps:
    @tx
    def schedule_instalments(self, ctx: Ctx, root: str, instalments: list[list[int]]) -> dict[str, Any]:
        """The payer agrees to pay a root in instalments: [[due time, fen], ...], ascending, the
        last at maturity, adding up to the root's amount. Only before the supplier accepts, so the
        supplier accepts knowing the schedule."""
        r = load_root(ctx, root)
        ensure(r["payer"] == ctx.caller.org_id, Unauthorized("only the payer schedules instalments"))
        ensure(r["status"] == ISSUED, InvalidState(f"root {root} is {r['status']}: schedule before acceptance"))
        ensure(0 < len(instalments) <= MAX_INSTALMENTS, BadRequest(f"1 to {MAX_INSTALMENTS} instalments"))
        last = ctx.time
        for row in instalments:
            ensure(type(row) is list and len(row) == 2 and all(type(x) is int for x in row),
                   BadRequest("each instalment is [due time, fen]"))
            ensure(last < row[0] <= r["maturity"], BadRequest("instalments fall due in order, after now, by maturity"))
            validators.amount(row[1], "instalment")
            last = row[0]
        ensure(instalments[-1][0] == r["maturity"], BadRequest("the last instalment falls due at maturity"))
        total = sum(fen for _, fen in instalments)
        ensure(total == r["amount"], BadRequest(f"instalments add up to {total} fen, not the root's {r['amount']} fen"))
        r["instalments"] = [list(row) for row in instalments]
        ctx.state.put(root_key(root), r)
        for n, (due, _) in enumerate(instalments[:-1], start=1):  # the last is announced as the maturity
            payment_due(ctx).add(due, "instalment", root, n)
        ctx.emit("InstalmentsScheduled", root=root, payer=r["payer"], instalments=r["instalments"])
        return {"root": root, "instalments": len(instalments)}

    @tx
    def confirm_payment(self, ctx: Ctx, root: str, amount: int, bank_ref: str) -> dict[str, Any]:
        """The rail confirms the payer paid `amount` for a root: a round, allocated pro rata.

        At or after maturity any amount up to what is still owed (less is a short payment: the
        remainders stay owed); before maturity only instalments already due. `end_block`
        instructs the pieces, at most CLEAR_BATCH per block over all roots; each piece is
        credited only when the rail confirms its own instruction.
        """
        validators.amount(amount)
        validators.text(bank_ref, "bank_ref", 64)
        r = load_root(ctx, root)
        rail = ensure_rail_of(ctx, r)
        # a root whose last round awaits confirmations (CLEARING) takes another round once instructed
        ensure(r["status"] in PAYABLE or r["status"] == CLEARING, InvalidState(f"root {root} is {r['status']}"))
        ensure(not r["frozen"], Frozen(f"voucher root {root} is frozen"))
        if ctx.time < r["maturity"]:  # only instalments already due (start_round checks what is owed)
            owed_now = instalments_due(r, ctx.time) - r.get("collected", 0)
            ensure(owed_now > 0, InvalidState("payment can be confirmed only at or after maturity, or of an "
                                              "instalment due"))
            ensure(amount <= owed_now,
                   LimitExceeded(f"payment {amount} fen exceeds the {owed_now} fen due on root {root}"))
        # a rail repeating a notice (after a restart) must not count the same money twice
        ensure(not ctx.state.has(bank_ref_key(root, bank_ref)),
               Duplicate(f"bank reference {bank_ref} is already recorded for root {root}"))
        ctx.state.put(bank_ref_key(root, bank_ref), ctx.time)
        payment = start_round(ctx, r, amount, rail, bank_ref)
        ctx.emit("PaymentConfirmed", root=root, amount=amount, bank=rail, bank_ref=bank_ref, round=payment["n"])
        return {"root": root, "round": payment["n"]}

    @internal
    def instruction_paid(self, ctx: Ctx, instruction: str, ref: str, payee: str, amount: int,
                         rail_ref: str) -> dict[str, Any]:
        """The rail paid one of this contract's instructions (called by `payments.confirm`)."""
        ensure(ctx.via == "payments", Unauthorized("only the payments contract reports paid instructions"))
        kind, _, piece = ref.partition(":")
        v = load_voucher(ctx, piece)
        ensure(instruction in v.get("instructions", []),
               InvalidState(f"instruction {instruction} is not piece {piece}'s"))
        if kind == "recourse":
            return self._recourse_paid(ctx, v, amount)
        forgiven = v["early"]["discount"] if kind == "early" and "early" in v else 0
        done = credit_piece(ctx, v, instruction, amount, rail_ref, forgiven)
        if done:  # a financed or pledged piece paid in full: its registration is released
            release_due(ctx, v)
        ctx.emit("PiecePaid" if done else "PiecePartlyPaid", voucher=piece, root=v["root"], holder=v["holder"],
                 payee=payee, amount=amount, paid=v["paid"], outstanding=outstanding(v), instruction=instruction,
                 early=kind == "early")
        return {"voucher": piece, "paid": done}

    # -- early payment ---------------------------------------------------------------------------
    @tx
    def offer_early_payment(self, ctx: Ctx, root: str, rate_bps: int, until: int) -> dict[str, Any]:
        """The payer offers to pay any holder of the root early, discounted at `rate_bps` a year for
        the days left to maturity; holders accept piece by piece until `until`. Rate 0 withdraws."""
        r = load_root(ctx, root)
        ensure(r["payer"] == ctx.caller.org_id, Unauthorized("only the payer offers early payment"))
        ensure(r["status"] == ACTIVE, InvalidState(f"root {root} is {r['status']}"))
        ensure(0 <= rate_bps <= BPS, BadRequest("rate_bps must be 0 .. 10000"))
        ensure(rate_bps == 0 or ctx.time < until <= r["maturity"], BadRequest("the offer runs from now to maturity"))
        r["early_offer"] = None if rate_bps == 0 else {"rate_bps": rate_bps, "until": until}
        ctx.state.put(root_key(root), r)
        ctx.emit("EarlyPaymentOffered", root=root, payer=r["payer"], rate_bps=rate_bps, until=until)
        return {"root": root}

    @tx
    def accept_early_payment(self, ctx: Ctx, id: str) -> dict[str, Any]:
        """The holder takes the payer's offer for a whole piece: the payer pays the discounted
        amount through the rail; once confirmed the piece is PAID, the discount forgiven."""
        v = load_voucher(ctx, id)
        r = load_root(ctx, v["root"])
        ensure_movable(ctx, v, r)
        offer = r.get("early_offer")
        if offer is None or ctx.time >= offer["until"]:
            raise InvalidState(f"root {r['id']} has no early-payment offer")
        ensure(r["settlement_bank"] is not None, InvalidState(f"root {r['id']} names no rail to pay through"))
        owed = awaiting(v)
        days = max(0, (r["maturity"] - ctx.time + DAY - 1) // DAY)
        discount = owed * offer["rate_bps"] * days // (BPS * YEAR_DAYS)
        advance = owed - discount
        leave_pools(ctx, r["id"], id)
        out = ctx.call("payments", "instruct", payer=r["payer"], payee=v["holder"], rail=r["settlement_bank"],
                       amount=advance, ref=f"early:{id}")
        v["pending"] = v.get("pending", 0) + owed  # settled in full by the advance: the rest is the discount
        v["instructions"] = v.get("instructions", []) + [out["instruction"]]
        v["early"] = {"advance": advance, "discount": discount}
        ctx.state.put(voucher_key(id), v)
        r["pending"] = r.get("pending", 0) + 1
        r["discounts"] = r.get("discounts", 0) + discount
        ctx.state.put(root_key(r["id"]), r)
        ctx.emit("EarlyPaymentAccepted", voucher=id, root=r["id"], holder=v["holder"], amount=owed, advance=advance,
                 discount=discount, instruction=out["instruction"])
        return {"voucher": id, "advance": advance, "discount": discount, "instruction": out["instruction"]}

    # -- recourse ----------------------------------------------------------------------------------
    @tx
    def claim_recourse(self, ctx: Ctx, id: str) -> dict[str, Any]:
        """The holder of an overdue piece it received with recourse claims what is still owed on it
        from the organisation that passed it on (`recourse`), through the root's rail."""
        v = load_voucher(ctx, id)
        r = load_root(ctx, v["root"])
        ensure(v["holder"] == ctx.caller.org_id, Unauthorized("only the holder claims recourse"))
        ensure(v.get("recourse"), InvalidState(f"voucher {id} was passed on without recourse"))
        ensure(r["status"] == OVERDUE and v["status"] in LIVE, InvalidState(f"voucher {id} is not overdue"))
        ensure(not v.get("pending"), InvalidState(f"voucher {id} has a payment the rail has not yet confirmed"))
        ensure(not v["frozen"] and not r["frozen"], Frozen(f"voucher {id} is frozen"))
        last = r["payment"]
        rail = r["settlement_bank"] or (last["bank"] if last is not None else None)
        ensure(rail is not None, InvalidState(f"root {r['id']} names no rail to pay through"))
        owed = awaiting(v)
        leave_pools(ctx, r["id"], id)
        out = ctx.call("payments", "instruct", payer=v["recourse"], payee=v["holder"], rail=rail, amount=owed,
                       ref=f"recourse:{id}")
        v["pending"] = v.get("pending", 0) + owed
        v["instructions"] = v.get("instructions", []) + [out["instruction"]]
        ctx.state.put(voucher_key(id), v)
        ctx.emit("RecourseClaimed", voucher=id, root=r["id"], holder=v["holder"], against=v["recourse"], amount=owed,
                 instruction=out["instruction"])
        return {"voucher": id, "amount": owed, "instruction": out["instruction"]}

    def _recourse_paid(self, ctx: Ctx, v: Voucher, amount: int) -> dict[str, Any]:
        """The previous holder paid the remainder: the holder is out, and the claim against the payer
        passes back to the previous holder (with its own recourse, if it had any)."""
        r: Root = ctx.state.get(root_key(v["root"]))
        parent: Voucher | None = ctx.state.get(voucher_key(v["parent"])) if v["parent"] else None
        v["pending"] = 0
        v["instructions"] = []
        v["recourse_paid"] = amount
        back = mint(ctx, v, str(v["recourse"]), amount, max(1, v["tier"] - 1), ACTIVE, v["holder"])
        back["recourse"] = parent.get("recourse") if parent else None
        ctx.state.put(voucher_key(back["id"]), back)
        consume(ctx, v, TRANSFERRED, [back])
        settle_status(ctx, r)
        ctx.state.put(root_key(r["id"]), r)
        ctx.emit("RecoursePaid", voucher=v["id"], root=r["id"], paid_by=back["holder"], to=v["holder"], amount=amount,
                 claim=back["id"])
        return {"voucher": v["id"], "claim": back["id"]}
