"""Payment at maturity: the settlement bank confirms the payer paid a root.

The confirmation fixes each live piece's pro-rata share (largest remainder, to the fen)
and pays the locked pieces at once, so a plan or product credits its collections in the
same transaction; `end_block` pays the rest (see end_block.py).
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import Frozen, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.money import ProRata
from faechain.contracts.runtime import Ctx, tx
from faechain.modules.receivables.pieces import load_root, pay
from faechain.modules.receivables.records import (
    CLEARING,
    CLEARING_QUEUE,
    PAYABLE,
    CoreCredit,
    Payment,
    Voucher,
    core_key,
    live_prefix,
    locked_prefix,
    piece_of,
    root_key,
    voucher_key,
)


class PaymentSteps:
    @tx
    def confirm_payment(self, ctx: Ctx, root: str, amount: int, bank_ref: str) -> dict[str, Any]:
        """The settlement bank confirms the payer paid a root: every live piece becomes PAID.

        Payouts are pro rata to the live pieces (largest remainder, to the fen).
        `end_block` pays them, at most CLEAR_BATCH pieces per block over all roots
        being cleared (starting with this block), so a root split 10,000 ways
        never stalls the chain.
        """
        # the organisation's attribute (set by the exchange), not one its own CA wrote into a certificate
        ensure(ctx.caller.role == "BANK" and ctx.caller.has("settlement"),
               Unauthorized("only a settlement bank confirms payments"))
        validators.amount(amount)
        validators.text(bank_ref, "bank_ref", 64)
        r = load_root(ctx, root)
        ensure(r["settlement_bank"] in (None, ctx.caller.org_id),
               Unauthorized(f"root {root} settles through {r['settlement_bank']}"))
        ensure(r["status"] in PAYABLE, InvalidState(f"root {root} is {r['status']}"))
        ensure(not r["frozen"], Frozen(f"voucher root {root} is frozen"))
        ensure(ctx.time >= r["maturity"], InvalidState("payment can be confirmed only at or after maturity"))
        ensure(amount <= r["amount"], LimitExceeded(f"payment {amount} fen exceeds the root amount {r['amount']} fen"))
        pieces = ctx.state.scan(live_prefix(root))
        plan = ProRata.plan(amount, [a for _, a in pieces], [piece_of(k) for k, _ in pieces])
        r["status"] = CLEARING
        payment: Payment = {"amount": amount, "bank": ctx.caller.org_id, "bank_ref": bank_ref, "confirmed_at": ctx.time,
                            "plan": plan.to_map(), "paid_pieces": 0, "paid_total": 0}
        r["payment"] = payment  # the running totals below are the root's
        ctx.state.put(root_key(root), r)
        # locked pieces are paid now, so a plan or product credits its collections in this transaction
        for key, locker in ctx.state.scan(locked_prefix(root)):
            vid = piece_of(key)
            v: Voucher = ctx.state.get(voucher_key(vid))
            share = pay(ctx, v, plan, payment)
            ctx.state.delete(key)
            ctx.call(locker, "voucher_paid", voucher=vid, root=root, paid=share, payer=r["payer"],
                     holder=v["holder"], bank_ref=bank_ref, held=v["held"])
        r["locked"] = 0
        ctx.state.put(root_key(root), r)
        queue = ctx.state.get(CLEARING_QUEUE, [])
        ctx.state.put(CLEARING_QUEUE, queue + [root])
        core: CoreCredit = ctx.state.get(core_key(r["payer"]))
        core["open"] -= r["amount"]
        ctx.state.put(core_key(r["payer"]), core)
        ctx.emit("PaymentConfirmed", root=root, amount=amount, bank=ctx.caller.org_id, bank_ref=bank_ref,
                 pieces=len(pieces))
        # the payouts themselves are made by end_block, this block first
        return {"root": root, "pieces": len(pieces)}
