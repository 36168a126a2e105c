"""Locks for other contracts: a plan's pool or a product's underlying takes a piece, or an
invoice's undrawn amount, out of circulation in the holder's own transaction (see `lock`)."""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, internal
from faechain.modules.receivables.pieces import ensure_movable, load_root, load_voucher
from faechain.modules.receivables.records import Invoice, invoice_key, locked_key, root_key, voucher_key

MAX_LOCKS_PER_ROOT = 200  # pieces of one root locked at once (a pool's concentration, bounded)


def _purpose(purpose: str) -> None:
    ensure(0 < len(purpose) <= 128, BadRequest("a lock needs a purpose (1-128 characters)"))


class LockSteps:
    @internal
    def lock(self, ctx: Ctx, id: str, purpose: str) -> dict[str, Any]:
        """Take a piece out of circulation for the calling contract (`ctx.via`).

        Called by another contract in the holder's own transaction: only the holder
        can have its piece locked, and only a piece that could move (not frozen,
        not matured, not paid, no pending financing). A locked piece cannot be
        transferred, financed or locked again, so an asset sits in one plan,
        product or financing at a time. It is still paid at maturity: each time the
        rail confirms a payment on it (`payments.confirm`), the locker's
        `@internal voucher_paid(voucher, root, paid, payer, holder, bank_ref, held)`
        runs in that same transaction, so its collections are credited at once.
        Every locking contract must provide that method.
        """
        _purpose(purpose)
        v = load_voucher(ctx, id)
        root = load_root(ctx, v["root"])
        ensure_movable(ctx, v, root)
        ensure(root.get("locked", 0) < MAX_LOCKS_PER_ROOT,
               LimitExceeded(f"voucher root {root['id']} already has {MAX_LOCKS_PER_ROOT} locked pieces"))
        v["locked_by"] = ctx.via
        v["lock_purpose"] = purpose
        ctx.state.put(voucher_key(id), v)
        root["locked"] = root.get("locked", 0) + 1
        ctx.state.put(root_key(root["id"]), root)
        ctx.state.put(locked_key(root["id"], id), ctx.via)
        ctx.emit("VoucherLocked", voucher=id, by=ctx.via, purpose=purpose, holder=v["holder"], amount=v["amount"])
        return {k: v[k] for k in ("id", "root", "payer", "holder", "amount", "maturity", "status", "tier")}

    @internal
    def unlock(self, ctx: Ctx, id: str) -> dict[str, Any]:
        """Release a piece the calling contract locked (a paid piece just loses the mark)."""
        v = load_voucher(ctx, id)
        ensure(v.get("locked_by") is not None and v["locked_by"] == ctx.via,
               Unauthorized(f"voucher {id} is not locked by {ctx.via}"))
        ctx.emit("VoucherUnlocked", voucher=id, by=ctx.via, purpose=v["lock_purpose"])
        v["locked_by"] = None
        v["lock_purpose"] = None
        ctx.state.put(voucher_key(id), v)
        if ctx.state.has(locked_key(v["root"], id)):  # not yet paid
            ctx.state.delete(locked_key(v["root"], id))
            root = load_root(ctx, v["root"])
            root["locked"] -= 1
            ctx.state.put(root_key(root["id"]), root)
        return {"voucher": id}

    @internal
    def lock_invoice(self, ctx: Ctx, id: str, purpose: str) -> dict[str, Any]:
        """Take an invoice's undrawn amount out of circulation for the calling contract.

        Called in the seller's own transaction. While locked, no voucher can draw
        on the invoice, so the same receivable cannot back a plan and a voucher
        (and through it a financing) at once.
        """
        _purpose(purpose)
        inv: Invoice = ctx.state.require(invoice_key(id), "invoice")
        ensure(inv["seller"] == ctx.caller.org_id, Unauthorized("only the invoice's seller can pool it"))
        ensure(not inv.get("locked_by"), InvalidState(f"invoice {id} is already pooled in {inv.get('locked_by')}"))
        undrawn = inv["amount"] - inv["drawn"]
        ensure(undrawn > 0, InvalidState(f"invoice {id} is fully drawn by vouchers; pool the vouchers instead"))
        inv["locked_by"] = ctx.via
        inv["lock_purpose"] = purpose
        ctx.state.put(invoice_key(id), inv)
        ctx.emit("InvoiceLocked", invoice=id, by=ctx.via, purpose=purpose, undrawn=undrawn)
        return {"id": id, "seller": inv["seller"], "buyer": inv["buyer"], "amount": inv["amount"], "undrawn": undrawn}

    @internal
    def unlock_invoice(self, ctx: Ctx, id: str) -> dict[str, Any]:
        """Release an invoice the calling contract locked."""
        inv: Invoice = ctx.state.require(invoice_key(id), "invoice")
        ensure(inv.get("locked_by") is not None and inv["locked_by"] == ctx.via,
               Unauthorized(f"invoice {id} is not locked by {ctx.via}"))
        ctx.emit("InvoiceUnlocked", invoice=id, by=ctx.via)
        inv["locked_by"] = None
        inv["lock_purpose"] = None
        ctx.state.put(invoice_key(id), inv)
        return {"invoice": id}
