"""How a voucher comes to be: the invoice registry, the banks' credit lines to core
enterprises, the core's issue against both, and the supplier's acceptance or rejection.

What an invoice may back depends on the tax service's verification (verification.py): a
VERIFIED invoice its amount, an UNVERIFIED one at most the rule `unverified_invoice_cap` in
all, a MISMATCH or VOIDED one nothing new. The tenor limits are rules too (rules.py)."""

from __future__ import annotations

import re
from typing import Any

from faechain.contracts import validators
from faechain.contracts.deadlines import day_of
from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    Expired,
    Frozen,
    InvalidState,
    LimitExceeded,
    Unauthorized,
    ensure,
)
from faechain.contracts.records import active_member
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import DAY
from faechain.modules.receivables.end_block import payment_due
from faechain.modules.receivables.pieces import cancel, load_root, load_voucher
from faechain.modules.receivables.reading import MAX_ROOTS
from faechain.modules.receivables.records import (
    ACTIVE,
    ISSUED,
    MISMATCH,
    UNVERIFIED,
    VOIDED,
    CoreCredit,
    CreditLine,
    Invoice,
    Root,
    Voucher,
    core_key,
    drawer_key,
    due_key,
    invoice_id,
    invoice_key,
    line_key,
    live_key,
    root_key,
    verification_status,
    voucher_key,
)
from faechain.modules.receivables.rules import rule, rules_in_force

MAX_INVOICES = 50  # invoices one voucher draws on
INVOICE_PART = re.compile(r"^[0-9A-Za-z]{1,20}$")  # an invoice code or number


def credit_limit(ctx: Ctx, core: str) -> int:
    """The sum of the core's credit lines that have not expired."""
    rec = ctx.state.get(core_key(core)) or {"banks": []}
    total = 0
    for bank in rec["banks"]:
        line: CreditLine | None = ctx.state.get(line_key(core, bank))
        if line and line["expires"] > ctx.time:
            total += line["amount"]
    return total


def new_core_credit(core: str) -> CoreCredit:
    return {"id": core, "banks": [], "open": 0}


class IssuingSteps:
    # -- invoice registry and credit lines ---------------------------------------------
    @tx
    def register_invoice(self, ctx: Ctx, code: str, number: str, seller: str, buyer: str, amount: int,
                         date: int, doc_hash: str) -> dict[str, Any]:
        """Register an invoice (by its seller). An invoice exists once."""
        ensure(INVOICE_PART.match(code) and INVOICE_PART.match(number),
               BadRequest("invoice code and number must be 1-20 letters or digits"))
        ensure(seller == ctx.caller.org_id, Unauthorized("only the seller registers its invoice"))
        validators.amount(amount)
        validators.hash_hex(doc_hash, "doc_hash")
        ensure(date <= ctx.time, BadRequest("the invoice date lies in the future"))
        active_member(ctx, buyer)
        ident = invoice_id(code, number)
        ensure(not ctx.state.has(invoice_key(ident)), Duplicate(f"invoice {ident} is already registered"))
        invoice: Invoice = {"id": ident, "code": code, "number": number, "seller": seller, "buyer": buyer,
                            "amount": amount, "date": date, "doc_hash": doc_hash, "drawn": 0,
                            "registered_at": ctx.time, "verification": {"status": UNVERIFIED}}
        ctx.state.put(invoice_key(ident), invoice)
        ctx.emit("InvoiceRegistered", invoice=ident, seller=seller, buyer=buyer, amount=amount)
        return {"invoice": ident}

    @tx
    def grant_credit(self, ctx: Ctx, core: str, amount: int, expires: int) -> dict[str, Any]:
        """A bank sets its credit line to a core enterprise (a new grant supersedes the old)."""
        ensure(ctx.caller.role == "BANK", Unauthorized("only a bank grants credit lines"))
        validators.amount_range(amount, "credit line", 0)
        ensure(expires > ctx.time, BadRequest("the credit line must expire in the future"))
        org = active_member(ctx, core)
        ensure(org["type"] == "CORE_ENTERPRISE", BadRequest(f"{core} is not a core enterprise"))
        bank = ctx.caller.org_id
        rec: CoreCredit = ctx.state.get(core_key(core)) or new_core_credit(core)
        if bank not in rec["banks"]:
            rec["banks"] = sorted(rec["banks"] + [bank])
            ctx.state.put(core_key(core), rec)
        line: CreditLine = {"core": core, "bank": bank, "amount": amount, "expires": expires, "granted_at": ctx.time}
        ctx.state.put(line_key(core, bank), line)
        ctx.emit("CreditGranted", core=core, bank=bank, amount=amount, expires=expires)
        return {"core": core, "bank": bank}

    # -- issuing and accepting -------------------------------------------------------------
    @tx
    def issue(self, ctx: Ctx, to: str, amount: int, maturity: int, invoices: list[list[Any]],
              contract_hash: str, settlement_bank: str | None = None) -> dict[str, Any]:
        """A core enterprise confirms what it owes `to`: a new root voucher awaiting acceptance."""
        ensure(ctx.caller.role == "CORE_ENTERPRISE", Unauthorized("only a core enterprise issues vouchers"))
        core = ctx.caller.org_id
        validators.amount(amount)
        validators.hash_hex(contract_hash, "contract_hash")
        ensure(maturity > ctx.time, BadRequest("maturity lies in the past"))
        tenor = maturity - ctx.time
        limits = rules_in_force(ctx.state)
        ensure(tenor <= limits["max_tenor_days"] * DAY,
               LimitExceeded(f"tenor exceeds {limits['max_tenor_days']} days (rule max_tenor_days)"))
        supplier = active_member(ctx, to)
        ensure(to != core, BadRequest("a core enterprise cannot issue a voucher to itself"))
        ensure(supplier["type"] == "SUPPLIER", BadRequest(f"{to} is not a supplier"))
        if settlement_bank is not None:  # the root's rail: a settlement bank or a payment rail operator
            bank = active_member(ctx, settlement_bank)
            ensure(bank["type"] == "PAYMENT_RAIL" or (bank["type"] == "BANK" and bank["attributes"].get("settlement")),
                   BadRequest(f"{settlement_bank} is neither a settlement bank nor a payment rail operator"))
        vid = ctx.new_id("V")
        refs = _draw_invoices(ctx, invoices, to, core, vid)
        drawn_total = sum(draw for _, draw in refs)
        ensure(drawn_total == amount, BadRequest(f"invoice draws add up to {drawn_total} fen, not {amount} fen"))
        rec: CoreCredit = ctx.state.get(core_key(core)) or new_core_credit(core)
        limit = credit_limit(ctx, core)
        ensure(rec["open"] + amount <= limit,
               LimitExceeded(f"open vouchers would reach {rec['open'] + amount} fen; credit lines total {limit} fen"))
        rec["open"] += amount
        ctx.state.put(core_key(core), rec)
        voucher: Voucher = {
            "id": vid, "root": vid, "parent": None, "tier": 1, "payer": core, "holder": to, "from": core,
            "amount": amount, "issued_at": ctx.time, "maturity": maturity, "contract_hash": contract_hash,
            "status": ISSUED, "financing": None, "registration": None, "frozen": False, "children": [],
        }
        ctx.state.put(voucher_key(vid), voucher)
        ctx.state.put(live_key(vid, vid), amount)
        root: Root = {
            "id": vid, "payer": core, "amount": amount, "live_count": 1, "status": ISSUED, "maturity": maturity,
            "invoices": [r[0] for r in refs], "invoice_refs": refs, "settlement_bank": settlement_bank,
            "frozen": False, "payment": None,
        }
        ctx.state.put(root_key(vid), root)
        day = day_of(maturity)
        due = ctx.state.get(due_key(day), [])
        ctx.state.put(due_key(day), due + [vid])
        payment_due(ctx).add(maturity, "root", vid)  # PaymentDue at maturity itself
        ctx.emit("VoucherIssued", voucher=vid, payer=core, holder=to, amount=amount, maturity=maturity)
        if tenor > limits["default_tenor_days"] * DAY:
            ctx.emit("TenorWarning", voucher=vid, tenor_days=tenor // DAY)
        return {"voucher": vid}

    @tx
    def accept(self, ctx: Ctx, id: str) -> dict[str, Any]:
        """The supplier accepts an issued voucher: it becomes ACTIVE."""
        v = load_voucher(ctx, id)
        ensure(v["holder"] == ctx.caller.org_id, Unauthorized("only the named holder accepts a voucher"))
        ensure(v["status"] == ISSUED, InvalidState(f"voucher {id} is {v['status']}, not awaiting acceptance"))
        ensure(not v["frozen"], Frozen(f"voucher {id} is frozen"))
        # past maturity it could only become ACTIVE after its OVERDUE day was examined, and never
        # be marked OVERDUE; the holder can still reject it (releasing invoice and line)
        ensure(ctx.time < v["maturity"], Expired(f"voucher {id} has reached maturity unaccepted; reject it"))
        v["status"] = ACTIVE
        ctx.state.put(voucher_key(id), v)
        root = load_root(ctx, id)
        root["status"] = ACTIVE
        ctx.state.put(root_key(id), root)
        ctx.emit("VoucherAccepted", voucher=id, holder=v["holder"])
        return {"voucher": id}

    @tx
    def reject(self, ctx: Ctx, id: str, reason: str = "") -> dict[str, Any]:
        """The supplier rejects an issued voucher: CANCELLED; invoices and credit are released."""
        v = load_voucher(ctx, id)
        ensure(v["holder"] == ctx.caller.org_id, Unauthorized("only the named holder rejects a voucher"))
        ensure(v["status"] == ISSUED, InvalidState(f"voucher {id} is {v['status']}, not awaiting acceptance"))
        ensure(not v["frozen"], Frozen(f"voucher {id} is frozen"))
        cancel(ctx, v, load_root(ctx, id), reason)
        ctx.emit("VoucherRejected", voucher=id, holder=v["holder"], reason=reason)
        return {"voucher": id}


def _draw_invoices(ctx: Ctx, invoices: list[list[Any]], seller: str, buyer: str, root: str) -> list[list[Any]]:
    """Draw on each invoice `[[invoice id, fen], ...]` of new root `root` from `seller` to `buyer`.

    Each must be the seller's to the buyer, not pooled elsewhere, able to back vouchers (not
    MISMATCH or VOIDED; UNVERIFIED up to the cap) and have the fen undrawn; the draws are
    written as they are checked (a refusal rolls them back with the step), and each invoice
    notes the root (`drawers/<invoice>/<root>`: what voiding it must freeze).
    """
    ensure(0 < len(invoices) <= MAX_INVOICES, BadRequest("a voucher draws on 1 to 50 invoices"))
    seen = set()
    refs = []
    for ref in invoices:
        ensure(type(ref) is list and len(ref) == 2 and type(ref[0]) is str and type(ref[1]) is int,
               BadRequest("each invoice reference is [invoice id, amount]"))
        inv_id, draw = ref
        validators.amount(draw, "invoice draw")
        ensure(inv_id not in seen, Duplicate(f"invoice {inv_id} listed twice"))
        seen.add(inv_id)
        inv: Invoice = ctx.state.require(invoice_key(inv_id), "invoice")
        ensure(inv["seller"] == seller and inv["buyer"] == buyer,
               BadRequest(f"invoice {inv_id} is not from {seller} to {buyer}"))
        ensure(not inv.get("locked_by"),
               InvalidState(f"invoice {inv_id} is pooled in {inv.get('locked_by')}; it cannot back a voucher"))
        _check_verification(ctx, inv, draw, root)
        if inv["drawn"] + draw > inv["amount"]:
            # the receipt (code limit_exceeded, this message) is the record of the attempt
            raise LimitExceeded(f"invoice {inv_id} has {inv['amount'] - inv['drawn']} fen undrawn, "
                                f"{draw} fen requested")
        backs = inv.get("backs", 0)
        ensure(backs < MAX_ROOTS, LimitExceeded(f"invoice {inv_id} already backs {backs} vouchers, the most one may"))
        inv["drawn"] += draw
        inv["backs"] = backs + 1
        ctx.state.put(invoice_key(inv_id), inv)
        ctx.state.put(drawer_key(inv_id, root), draw)
        refs.append([inv_id, draw])
    return refs


def _check_verification(ctx: Ctx, inv: Invoice, draw: int, root: str) -> None:
    """What the tax service said of the invoice allows this draw (module docstring)."""
    inv_id, status = inv["id"], verification_status(inv)
    ensure(status != VOIDED, InvalidState(f"invoice {inv_id} was voided by the tax service; it backs no new voucher"))
    if status == MISMATCH:
        fields = ", ".join(sorted(inv.get("verification", {}).get("differences", {})))
        raise InvalidState(f"invoice {inv_id} differs from the tax service's record in {fields}; it backs no new "
                           "voucher unless verified again")
    if status != UNVERIFIED:
        return
    cap = rule(ctx, "unverified_invoice_cap")
    ensure(cap > 0, InvalidState(f"invoice {inv_id} is not verified by the tax service yet; it backs vouchers "
                                 "once verified"))
    if inv["drawn"] + draw > cap:
        raise LimitExceeded(f"invoice {inv_id} is not verified by the tax service yet: it may back {cap} fen "
                            f"until verified, {inv['drawn']} fen drawn already, {draw} fen requested")
    ctx.emit("InvoiceDrawnUnverified", invoice=inv_id, voucher=root, draw=draw, drawn=inv["drawn"] + draw, cap=cap)
