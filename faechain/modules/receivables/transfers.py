"""Passing a voucher down the supply chain: the holder transfers part or all of a piece."""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, ensure
from faechain.contracts.records import active_member
from faechain.contracts.runtime import Ctx, tx
from faechain.modules.receivables.pieces import ensure_movable, load_root, load_voucher, split
from faechain.modules.receivables.records import ACTIVE, FINANCED, NON_HOLDERS, voucher_key


class TransferSteps:
    @tx
    def transfer(self, ctx: Ctx, id: str, to: str, amount: int, recourse: bool = False) -> dict[str, Any]:
        """Pass `amount` of a piece to `to` (one tier down); the remainder stays with the holder.

        With `recourse`, the sender stays liable: if the piece falls overdue unpaid, its holder
        may claim what is still owed from the sender."""
        validators.amount(amount)
        v = load_voucher(ctx, id)
        root = load_root(ctx, v["root"])
        ensure_movable(ctx, v, root)
        ensure(to != v["holder"], BadRequest("cannot transfer a voucher to its holder"))
        ensure(to != v["payer"], BadRequest("cannot transfer a voucher to its payer (that is repayment)"))
        org = active_member(ctx, to)
        ensure(org["type"] not in NON_HOLDERS, BadRequest(f"{to} cannot hold vouchers"))
        financed = v["status"] == FINANCED
        moved, rest = split(ctx, v, to, amount, ACTIVE, v["status"])
        if recourse:
            moved["recourse"] = v["holder"]
            ctx.state.put(voucher_key(moved["id"]), moved)
        if rest is not None and financed:  # the funder keeps the rest, still financed
            rest["funder"] = v["funder"]
            rest["financing"] = v["financing"]
            rest["registration"] = v["registration"]
            ctx.state.put(voucher_key(rest["id"]), rest)
        ctx.emit("VoucherTransferred", voucher=id, root=v["root"], sender=v["holder"], to=to, amount=amount,
                 piece=moved["id"], remainder=rest["id"] if rest else None, tier=moved["tier"],
                 recourse=recourse)
        return {"voucher": moved["id"], "remainder": rest["id"] if rest else None}
