"""The tax service's word on an invoice (docs/outside-world.md, "Invoices").

A TAX_SERVICE member attests what the tax authority's e-invoice system holds for an invoice
the seller registered: `verify_invoice` (the invoice matches: VERIFIED; it does not:
MISMATCH, the differences recorded; the tax system has it voided: VOIDED) and
`void_invoice` (红冲/作废 after the fact). What the invoice may still back is decided where
vouchers draw on it (issuing.py `_draw_invoices`); here, voiding freezes every root drawing
on the invoice that still has live pieces, pending the regulator's decision (`unfreeze`).

    UNVERIFIED --verify_invoice--> VERIFIED | MISMATCH | VOIDED     (VERIFIED, MISMATCH: verified again)
    UNVERIFIED | VERIFIED | MISMATCH --void_invoice--> VOIDED          (final)

The chain cannot check that the tax system said so: that rests on the service's honesty,
as a paper certificate from it would; every attestation is signed and on chain.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import InvalidState, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, tx
from faechain.modules.receivables.pieces import load_root
from faechain.modules.receivables.reading import MAX_ROOTS
from faechain.modules.receivables.records import (
    CANCELLED,
    MISMATCH,
    PAID,
    VERIFIED,
    VOIDED,
    Invoice,
    Verification,
    drawers_prefix,
    invoice_key,
    live_prefix,
    piece_of,
    root_key,
    verification_status,
    voucher_key,
)

TAX_STATUSES = ("NORMAL", "VOIDED")  # what the tax system says of an invoice
MAX_REFERENCE = 64
MAX_REASON = 500


def load_invoice(ctx: Ctx, invoice: str) -> Invoice:
    inv: Invoice = ctx.state.require(invoice_key(invoice), "invoice")
    return inv


def _tax_service(ctx: Ctx) -> None:
    ensure(ctx.caller.role == "TAX_SERVICE", Unauthorized("only the tax service attests invoices"))


class VerificationSteps:
    @tx
    def verify_invoice(self, ctx: Ctx, invoice: str, seller: str, buyer: str, amount: int, status: str,
                       reference: str) -> dict[str, Any]:
        """The tax service attests what the tax system holds for a registered invoice."""
        _tax_service(ctx)
        validators.one_of(status, TAX_STATUSES, "status")
        validators.text(reference, "reference", MAX_REFERENCE)
        validators.amount(amount)
        inv = load_invoice(ctx, invoice)
        ensure(verification_status(inv) != VOIDED, InvalidState(f"invoice {invoice} is already voided"))
        if status == "VOIDED":
            return _void(ctx, inv, reference, "voided in the tax system")
        said = {"seller": seller, "buyer": buyer, "amount": amount}
        differences = {k: [inv[k], v] for k, v in said.items() if inv[k] != v}  # type: ignore[literal-required]
        record: Verification = {"status": MISMATCH if differences else VERIFIED, "by": ctx.caller.org_id,
                                "reference": reference, "at": ctx.time}
        if differences:
            record["differences"] = differences
        inv["verification"] = record
        ctx.state.put(invoice_key(invoice), inv)
        if differences:
            ctx.emit("InvoiceMismatch", invoice=invoice, reference=reference, differences=differences,
                     drawn=inv["drawn"])
        else:
            ctx.emit("InvoiceVerified", invoice=invoice, reference=reference)
        return {"invoice": invoice, "status": record["status"]}

    @tx
    def void_invoice(self, ctx: Ctx, invoice: str, reference: str, reason: str) -> dict[str, Any]:
        """The tax service reports an invoice voided (红冲/作废): it backs nothing new and the
        roots drawing on it are frozen pending the regulator's decision."""
        _tax_service(ctx)
        validators.text(reference, "reference", MAX_REFERENCE)
        validators.text(reason, "reason", MAX_REASON)
        inv = load_invoice(ctx, invoice)
        ensure(verification_status(inv) != VOIDED, InvalidState(f"invoice {invoice} is already voided"))
        return _void(ctx, inv, reference, reason)


def _void(ctx: Ctx, inv: Invoice, reference: str, reason: str) -> dict[str, Any]:
    """The invoice VOIDED; each root drawing on it with live pieces, not yet frozen, frozen."""
    ident = inv["id"]
    inv["verification"] = {"status": VOIDED, "by": ctx.caller.org_id, "reference": reference, "at": ctx.time,
                           "reason": reason}
    ctx.state.put(invoice_key(ident), inv)
    why = f"invoice {ident} voided by the tax service; pending the regulator's decision"
    frozen = []
    # an invoice backs at most MAX_ROOTS roots (issuing.py), so this walk is bounded
    for key, _ in ctx.state.scan(drawers_prefix(ident), MAX_ROOTS):
        rid = piece_of(key)
        root = load_root(ctx, rid)
        if root["frozen"] or root["status"] in (PAID, CANCELLED) or not ctx.state.scan(live_prefix(rid), 1):
            continue  # already frozen (the regulator's own freeze stands), or nothing left to pay
        root["frozen"] = True
        ctx.state.put(root_key(rid), root)
        piece = ctx.state.get(voucher_key(rid))
        piece["frozen"] = True
        piece["frozen_reason"] = why
        ctx.state.put(voucher_key(rid), piece)
        ctx.emit("VoucherFrozen", voucher=rid, reason=why)
        ctx.call("supervision", "note_freeze", asset=f"voucher:{rid}", frozen=True, reason=why)
        frozen.append(rid)
    ctx.emit("InvoiceVoided", invoice=ident, reference=reference, reason=reason, frozen=frozen)
    return {"invoice": ident, "status": VOIDED, "frozen": frozen}
