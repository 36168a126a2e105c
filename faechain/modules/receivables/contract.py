"""The `receivables` contract: multi-tier credit vouchers (domain.md section 1).

A core enterprise confirms on chain what it owes a tier-1 supplier. The
resulting voucher can be split and passed down the supply chain, financed by a
factor or bank at any tier, and is paid at maturity to whoever holds each piece.

State (under `receivables/`):

    invoice/<code>-<number>    the invoice and how much of it vouchers have drawn
    line/<core>/<bank>         a bank's credit line to a core enterprise
    core/<core>                the core's open (unpaid) voucher total
    voucher/<id>               a voucher piece (never deleted; consumed pieces stay as history)
    root/<root id>             per-root totals: live amount, live count, payment, clearing
    live/<root id>/<id>        amount of each live piece of a root (what clearing pays)
    financing/<id>             a financing offer and its registration
    due/<day>                  roots maturing on that day (unix day), for OVERDUE marking
    locked/<root id>/<id>      the contract holding a locked piece of that root (paid inline)
    clearing                   roots being paid out, oldest first
    cursor                     the last day whose maturities were examined

Every step costs the same at any depth: a transfer touches the piece, its two
children, the root totals and the live set, never the lineage. Clearing a root
pays at most CLEAR_BATCH pieces per block, so a root split 10,000 ways never
stalls the chain.
"""

from __future__ import annotations

import re

from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    Expired,
    Frozen,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.money import MAX_AMOUNT, ProRata
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, internal, query, register, tx

DAY = 86_400
CST = 8 * 3600  # maturity days are China Standard Time days (UTC+8)
MAX_TENOR = 365 * DAY
WARN_TENOR = 183 * DAY
CLEAR_BATCH = 2_000
MAX_LOCKS_PER_ROOT = 200  # locked pieces are paid inside confirm_payment, so they are bounded
MAX_RATE_BPS = 10_000
HEX64 = re.compile(r"^[0-9a-f]{64}$")
INVOICE_PART = re.compile(r"^[0-9A-Za-z]{1,20}$")

# piece statuses
ISSUED, ACTIVE, FINANCING, FINANCED = "ISSUED", "ACTIVE", "FINANCING", "FINANCED"
SPLIT, TRANSFERRED, CANCELLED, PAID, OVERDUE = "SPLIT", "TRANSFERRED", "CANCELLED", "PAID", "OVERDUE"
LIVE = frozenset({ISSUED, ACTIVE, FINANCING, FINANCED})
SEE_ALL = frozenset({"REGULATOR", "EXCHANGE"})


def _day(t: int) -> int:
    return (t + CST) // DAY


# -- rules shared by the steps -------------------------------------------------------


def _amount(value: int, what: str = "amount") -> int:
    ensure(value > 0, BadRequest(f"{what} must be a positive number of fen"))
    ensure(value <= MAX_AMOUNT, BadRequest(f"{what} exceeds the 64-bit limit"))
    return value


def _hash_hex(value: str, what: str) -> str:
    ensure(HEX64.match(value) is not None, BadRequest(f"{what} must be 64 lowercase hex characters (SHA-256)"))
    return value


def _member(ctx: Ctx, org_id: str) -> dict:
    org = ctx.read("membership", f"org/{org_id}")
    ensure(org is not None and org["status"] == "ACTIVE", NotFound(f"organisation {org_id!r} is not a consortium member"))
    return org


def _voucher(ctx: Ctx, voucher_id: str) -> dict:
    v = ctx.state.get(f"voucher/{voucher_id}")
    ensure(v is not None, NotFound(f"voucher {voucher_id!r} not found"))
    return v


def _root(ctx: Ctx, root_id: str) -> dict:
    r = ctx.state.get(f"root/{root_id}")
    ensure(r is not None, NotFound(f"voucher root {root_id!r} not found"))
    return r


def _movable(ctx: Ctx, v: dict, root: dict) -> None:
    """The checks every step that moves a piece makes, in one place."""
    ensure(v["holder"] == ctx.caller.org_id, Unauthorized("only the holder moves a voucher"))
    ensure(not v["frozen"], Frozen(f"voucher {v['id']} is frozen: {v.get('frozen_reason', '')}"))
    ensure(not root["frozen"], Frozen(f"voucher root {root['id']} is frozen"))
    ensure(v["status"] in (ACTIVE, FINANCED), InvalidState(f"voucher {v['id']} is {v['status']}, not movable"))
    ensure(not v.get("locked_by"), InvalidState(f"voucher {v['id']} is locked in {v.get('locked_by')}"))
    ensure(ctx.time < v["maturity"], Expired(f"voucher {v['id']} has reached maturity"))


def _mint(ctx: Ctx, parent: dict, holder: str, amount: int, tier: int, status: str, sender: str) -> dict:
    """A child piece of `parent`: inherits root, payer, maturity and invoice lineage."""
    child = {
        "id": ctx.new_id("V"),
        "root": parent["root"],
        "parent": parent["id"],
        "tier": tier,
        "payer": parent["payer"],
        "holder": holder,
        "from": sender,
        "amount": amount,
        "issued_at": ctx.time,
        "maturity": parent["maturity"],
        "contract_hash": parent["contract_hash"],
        "status": status,
        "financing": None,
        "registration": None,
        "frozen": False,
        "children": [],
    }
    ctx.state.put(f"voucher/{child['id']}", child)
    ctx.state.put(f"live/{child['root']}/{child['id']}", amount)
    return child


def _consume(ctx: Ctx, v: dict, status: str, children: list[dict]) -> None:
    v["status"] = status
    v["children"] = [c["id"] for c in children]
    ctx.state.put(f"voucher/{v['id']}", v)
    ctx.state.delete(f"live/{v['root']}/{v['id']}")


def _split(ctx: Ctx, v: dict, to: str, amount: int, status_to: str, status_rest: str) -> tuple[dict, dict | None]:
    """Consume `v`: `amount` to `to` one tier down, the remainder back to the holder."""
    ensure(amount <= v["amount"], LimitExceeded(f"amount {amount} exceeds the piece's {v['amount']}"))
    moved = _mint(ctx, v, to, amount, v["tier"] + 1, status_to, v["holder"])
    rest = None
    if amount < v["amount"]:
        rest = _mint(ctx, v, v["holder"], v["amount"] - amount, v["tier"], status_rest, v["holder"])
    _consume(ctx, v, TRANSFERRED if rest is None else SPLIT, [moved] + ([rest] if rest else []))
    root = ctx.state.get(f"root/{v['root']}")
    root["live_count"] += 0 if rest is None else 1
    ctx.state.put(f"root/{v['root']}", root)
    return moved, rest


def _cancel(ctx: Ctx, v: dict, root: dict, reason: str) -> None:
    """An issued root that never became a debt: CANCELLED, its invoices and credit released."""
    for inv_id, draw in root["invoice_refs"]:
        inv = ctx.state.get(f"invoice/{inv_id}")
        inv["drawn"] -= draw
        ctx.state.put(f"invoice/{inv_id}", inv)
    core = ctx.state.get(f"core/{v['payer']}")
    core["open"] -= v["amount"]
    ctx.state.put(f"core/{v['payer']}", core)
    v["status"] = CANCELLED
    v["reason"] = reason
    ctx.state.put(f"voucher/{v['id']}", v)
    ctx.state.delete(f"live/{v['id']}/{v['id']}")
    root.update(status=CANCELLED, live_count=0)
    ctx.state.put(f"root/{root['id']}", root)


def _pay_piece(ctx: Ctx, v: dict, plan: ProRata, pay: dict) -> int:
    """One live piece becomes PAID with its pro-rata share of the payment (held if frozen)."""
    share = plan.share(v["amount"], v["id"])
    v.update(status=PAID, paid=share, paid_at=ctx.time, held=v["frozen"])
    ctx.state.put(f"voucher/{v['id']}", v)
    ctx.state.delete(f"live/{v['root']}/{v['id']}")
    pay["paid_pieces"] += 1
    pay["paid_total"] += share
    return share


def _line_total(ctx: Ctx, core: str) -> int:
    rec = ctx.state.get(f"core/{core}") or {"banks": []}
    total = 0
    for bank in rec["banks"]:
        line = ctx.state.get(f"line/{core}/{bank}")
        if line and line["expires"] > ctx.time:
            total += line["amount"]
    return total


def _visible(q: QueryCtx, record: dict, parties: tuple[str, ...]) -> bool:
    if q.caller is None or q.caller.role in SEE_ALL:
        return True  # anonymous reads exist only on a dev chain on loopback
    return q.caller.org_id in {record.get(p) for p in parties}


@register
class Receivables(Contract):
    name = "receivables"
    indexes = {
        "voucher": ("holder", "payer", "root", "status"),
        "invoice": ("seller", "buyer"),
        "root": ("payer", "status", "invoices"),
        "financing": ("funder", "holder", "status"),
    }

    def genesis(self, ctx: Ctx, config: dict) -> None:
        ctx.state.put("cursor", _day(ctx.time) - 1)

    # -- invoice registry and credit lines ---------------------------------------------
    @tx
    def register_invoice(self, ctx: Ctx, code: str, number: str, seller: str, buyer: str, amount: int,
                         date: int, doc_hash: str) -> dict:
        """Register an invoice (by its seller). An invoice exists once."""
        ensure(INVOICE_PART.match(code) and INVOICE_PART.match(number),
               BadRequest("invoice code and number must be 1-20 letters or digits"))
        ensure(seller == ctx.caller.org_id, Unauthorized("only the seller registers its invoice"))
        _amount(amount)
        _hash_hex(doc_hash, "doc_hash")
        ensure(date <= ctx.time, BadRequest("the invoice date lies in the future"))
        _member(ctx, buyer)
        key = f"invoice/{code}-{number}"
        ensure(not ctx.state.has(key), Duplicate(f"invoice {code}-{number} is already registered"))
        ctx.state.put(key, {"id": f"{code}-{number}", "code": code, "number": number, "seller": seller,
                            "buyer": buyer, "amount": amount, "date": date, "doc_hash": doc_hash,
                            "drawn": 0, "registered_at": ctx.time})
        ctx.emit("InvoiceRegistered", invoice=f"{code}-{number}", seller=seller, buyer=buyer, amount=amount)
        return {"invoice": f"{code}-{number}"}

    @tx
    def grant_credit(self, ctx: Ctx, core: str, amount: int, expires: int) -> dict:
        """A bank sets its credit line to a core enterprise (a new grant supersedes the old)."""
        ensure(ctx.caller.role == "BANK", Unauthorized("only a bank grants credit lines"))
        ensure(amount >= 0 and amount <= MAX_AMOUNT, BadRequest("credit line must be 0 .. 2^63-1 fen"))
        ensure(expires > ctx.time, BadRequest("the credit line must expire in the future"))
        org = _member(ctx, core)
        ensure(org["type"] == "CORE_ENTERPRISE", BadRequest(f"{core} is not a core enterprise"))
        bank = ctx.caller.org_id
        rec = ctx.state.get(f"core/{core}") or {"id": core, "banks": [], "open": 0}
        if bank not in rec["banks"]:
            rec["banks"] = sorted(rec["banks"] + [bank])
            ctx.state.put(f"core/{core}", rec)
        ctx.state.put(f"line/{core}/{bank}", {"core": core, "bank": bank, "amount": amount, "expires": expires,
                                              "granted_at": ctx.time})
        ctx.emit("CreditGranted", core=core, bank=bank, amount=amount, expires=expires)
        return {"core": core, "bank": bank}

    # -- issuing and accepting -------------------------------------------------------------
    @tx
    def issue(self, ctx: Ctx, to: str, amount: int, maturity: int, invoices: list[list],
              contract_hash: str, settlement_bank: str | None = None) -> dict:
        """A core enterprise confirms what it owes `to`: a new root voucher awaiting acceptance."""
        ensure(ctx.caller.role == "CORE_ENTERPRISE", Unauthorized("only a core enterprise issues vouchers"))
        core = ctx.caller.org_id
        _amount(amount)
        _hash_hex(contract_hash, "contract_hash")
        ensure(maturity > ctx.time, BadRequest("maturity lies in the past"))
        tenor = maturity - ctx.time
        ensure(tenor <= MAX_TENOR, LimitExceeded("tenor exceeds 365 days"))
        supplier = _member(ctx, to)
        ensure(to != core, BadRequest("a core enterprise cannot issue a voucher to itself"))
        ensure(supplier["type"] == "SUPPLIER", BadRequest(f"{to} is not a supplier"))
        if settlement_bank is not None:
            bank = _member(ctx, settlement_bank)
            ensure(bank["type"] == "BANK" and bank["attributes"].get("settlement"),
                   BadRequest(f"{settlement_bank} is not a settlement bank"))
        # invoices: [[invoice id, amount drawn], ...] adding up to the voucher amount
        ensure(0 < len(invoices) <= 50, BadRequest("a voucher draws on 1 to 50 invoices"))
        drawn_total = 0
        seen = set()
        refs = []
        for ref in invoices:
            ensure(type(ref) is list and len(ref) == 2 and type(ref[0]) is str and type(ref[1]) is int,
                   BadRequest("each invoice reference is [invoice id, amount]"))
            inv_id, draw = ref
            _amount(draw, "invoice draw")
            ensure(inv_id not in seen, Duplicate(f"invoice {inv_id} listed twice"))
            seen.add(inv_id)
            inv = ctx.state.require(f"invoice/{inv_id}", "invoice")
            ensure(inv["seller"] == to and inv["buyer"] == core,
                   BadRequest(f"invoice {inv_id} is not from {to} to {core}"))
            ensure(not inv.get("locked_by"),
                   InvalidState(f"invoice {inv_id} is pooled in {inv.get('locked_by')}; it cannot back a voucher"))
            if inv["drawn"] + draw > inv["amount"]:
                # the receipt (code limit_exceeded, this message) is the record of the attempt
                raise LimitExceeded(f"invoice {inv_id} has {inv['amount'] - inv['drawn']} fen undrawn, "
                                    f"{draw} requested")
            inv["drawn"] += draw
            ctx.state.put(f"invoice/{inv_id}", inv)
            drawn_total += draw
            refs.append([inv_id, draw])
        ensure(drawn_total == amount, BadRequest(f"invoice draws add up to {drawn_total}, not {amount}"))
        rec = ctx.state.get(f"core/{core}") or {"id": core, "banks": [], "open": 0}
        limit = _line_total(ctx, core)
        ensure(rec["open"] + amount <= limit,
               LimitExceeded(f"open vouchers would reach {rec['open'] + amount} fen; credit lines total {limit}"))
        rec["open"] += amount
        ctx.state.put(f"core/{core}", rec)
        vid = ctx.new_id("V")
        voucher = {
            "id": vid, "root": vid, "parent": None, "tier": 1, "payer": core, "holder": to, "from": core,
            "amount": amount, "issued_at": ctx.time, "maturity": maturity, "contract_hash": contract_hash,
            "status": ISSUED, "financing": None, "registration": None, "frozen": False, "children": [],
        }
        ctx.state.put(f"voucher/{vid}", voucher)
        ctx.state.put(f"live/{vid}/{vid}", amount)
        ctx.state.put(f"root/{vid}", {
            "id": vid, "payer": core, "amount": amount, "live_count": 1, "status": ISSUED, "maturity": maturity,
            "invoices": [r[0] for r in refs], "invoice_refs": refs, "settlement_bank": settlement_bank,
            "frozen": False, "payment": None,
        })
        day = _day(maturity)
        due = ctx.state.get(f"due/{day}", [])
        ctx.state.put(f"due/{day}", due + [vid])
        ctx.emit("VoucherIssued", voucher=vid, payer=core, holder=to, amount=amount, maturity=maturity)
        if tenor > WARN_TENOR:
            ctx.emit("TenorWarning", voucher=vid, tenor_days=tenor // DAY)
        return {"voucher": vid}

    @tx
    def accept(self, ctx: Ctx, id: str) -> dict:
        """The supplier accepts an issued voucher: it becomes ACTIVE."""
        v = _voucher(ctx, id)
        ensure(v["holder"] == ctx.caller.org_id, Unauthorized("only the named holder accepts a voucher"))
        ensure(v["status"] == ISSUED, InvalidState(f"voucher {id} is {v['status']}, not awaiting acceptance"))
        ensure(not v["frozen"], Frozen(f"voucher {id} is frozen"))
        # past maturity it could only become ACTIVE after its OVERDUE day was examined, and never
        # be marked OVERDUE; the holder can still reject it (releasing invoice and line)
        ensure(ctx.time < v["maturity"], Expired(f"voucher {id} has reached maturity unaccepted; reject it"))
        v["status"] = ACTIVE
        ctx.state.put(f"voucher/{id}", v)
        root = _root(ctx, id)
        root["status"] = ACTIVE
        ctx.state.put(f"root/{id}", root)
        ctx.emit("VoucherAccepted", voucher=id, holder=v["holder"])
        return {"voucher": id}

    @tx
    def reject(self, ctx: Ctx, id: str, reason: str = "") -> dict:
        """The supplier rejects an issued voucher: CANCELLED; invoices and credit are released."""
        v = _voucher(ctx, id)
        ensure(v["holder"] == ctx.caller.org_id, Unauthorized("only the named holder rejects a voucher"))
        ensure(v["status"] == ISSUED, InvalidState(f"voucher {id} is {v['status']}, not awaiting acceptance"))
        ensure(not v["frozen"], Frozen(f"voucher {id} is frozen"))
        _cancel(ctx, v, _root(ctx, id), reason)
        ctx.emit("VoucherRejected", voucher=id, holder=v["holder"], reason=reason)
        return {"voucher": id}

    # -- moving pieces -----------------------------------------------------------------------
    @tx
    def transfer(self, ctx: Ctx, id: str, to: str, amount: int) -> dict:
        """Pass `amount` of a piece to `to` (one tier down); the remainder stays with the holder."""
        _amount(amount)
        v = _voucher(ctx, id)
        root = _root(ctx, v["root"])
        _movable(ctx, v, root)
        ensure(to != v["holder"], BadRequest("cannot transfer a voucher to its holder"))
        ensure(to != v["payer"], BadRequest("cannot transfer a voucher to its payer (that is repayment)"))
        org = _member(ctx, to)
        ensure(org["type"] not in ("REGULATOR", "EXCHANGE"), BadRequest(f"{to} cannot hold vouchers"))
        financed = v["status"] == FINANCED
        moved, rest = _split(ctx, v, to, amount, ACTIVE, v["status"])
        if rest is not None and financed:  # the funder keeps the rest, still financed
            rest.update(funder=v["funder"], financing=v["financing"], registration=v["registration"])
            ctx.state.put(f"voucher/{rest['id']}", rest)
        ctx.emit("VoucherTransferred", voucher=id, root=v["root"], sender=v["holder"], to=to, amount=amount,
                 piece=moved["id"], remainder=rest["id"] if rest else None, tier=moved["tier"])
        return {"voucher": moved["id"], "remainder": rest["id"] if rest else None}

    @tx
    def request_financing(self, ctx: Ctx, id: str, funder: str, amount: int, rate_bps: int) -> dict:
        """The holder offers `amount` of a piece to a factor or bank at a discount rate."""
        _amount(amount)
        ensure(0 <= rate_bps <= MAX_RATE_BPS, BadRequest("rate_bps must be 0 .. 10000"))
        v = _voucher(ctx, id)
        root = _root(ctx, v["root"])
        # a pending request makes the piece FINANCING, which _movable would call merely not movable
        ensure(v["status"] != FINANCING or v["holder"] != ctx.caller.org_id,
               Duplicate(f"voucher {id} already has a financing request"))
        _movable(ctx, v, root)
        ensure(v["status"] == ACTIVE, InvalidState(f"voucher {id} is {v['status']}: it cannot be financed"))
        ensure(amount <= v["amount"], LimitExceeded(f"amount {amount} exceeds the piece's {v['amount']}"))
        org = _member(ctx, funder)
        ensure(org["type"] in ("FACTOR", "BANK"), BadRequest(f"{funder} is neither a factor nor a bank"))
        ensure(funder != v["holder"], BadRequest("a holder cannot finance its own voucher"))
        fid = ctx.new_id("F")
        ctx.state.put(f"financing/{fid}", {
            "id": fid, "voucher": id, "root": v["root"], "holder": v["holder"], "funder": funder, "amount": amount,
            "rate_bps": rate_bps, "status": "REQUESTED", "registration": None, "requested_at": ctx.time,
        })
        v["status"] = FINANCING
        v["financing"] = fid
        ctx.state.put(f"voucher/{id}", v)
        ctx.emit("FinancingRequested", financing=fid, voucher=id, holder=v["holder"], funder=funder,
                 amount=amount, rate_bps=rate_bps)
        return {"financing": fid}

    @tx
    def cancel_financing(self, ctx: Ctx, financing: str, reason: str = "") -> dict:
        """Either party withdraws an unfunded financing request; the piece is ACTIVE again."""
        f = ctx.state.require(f"financing/{financing}", "financing")
        ensure(ctx.caller.org_id in (f["holder"], f["funder"]), Unauthorized("only the parties cancel a financing"))
        ensure(f["status"] in ("REQUESTED", "REGISTERED"), InvalidState(f"financing {financing} is {f['status']}"))
        f["status"] = "CANCELLED"
        f["reason"] = reason
        ctx.state.put(f"financing/{financing}", f)
        v = _voucher(ctx, f["voucher"])
        if v["status"] == FINANCING and v["financing"] == financing:  # not once the piece has been paid
            v["status"] = ACTIVE
            v["financing"] = None
            ctx.state.put(f"voucher/{v['id']}", v)
        ctx.emit("FinancingCancelled", financing=financing, by=ctx.caller.org_id, reason=reason)
        return {"financing": financing}

    @tx
    def record_registration(self, ctx: Ctx, financing: str, reg_no: str) -> dict:
        """The funder records the registry number of the pledge/transfer registration."""
        f = ctx.state.require(f"financing/{financing}", "financing")
        ensure(f["funder"] == ctx.caller.org_id, Unauthorized("only the funder records the registration"))
        ensure(f["status"] == "REQUESTED", InvalidState(f"financing {financing} is {f['status']}"))
        ensure(0 < len(reg_no) <= 64, BadRequest("registration number must be 1-64 characters"))
        f["status"] = "REGISTERED"
        f["registration"] = reg_no
        ctx.state.put(f"financing/{financing}", f)
        ctx.emit("FinancingRegistered", financing=financing, registration=reg_no)
        return {"financing": financing}

    @tx
    def fund(self, ctx: Ctx, financing: str) -> dict:
        """The funder pays: the financed piece passes to it (non-recourse), FINANCED.

        The discount is recorded as a payment instruction from the funder to the
        holder; the platform never holds the money.
        """
        f = ctx.state.require(f"financing/{financing}", "financing")
        ensure(f["funder"] == ctx.caller.org_id, Unauthorized("only the funder funds a financing"))
        ensure(f["status"] != "REQUESTED", InvalidState("financing without a recorded registration is not allowed"))
        ensure(f["status"] == "REGISTERED", InvalidState(f"financing {financing} is {f['status']}"))
        v = _voucher(ctx, f["voucher"])
        root = _root(ctx, v["root"])
        ensure(not v["frozen"] and not root["frozen"], Frozen(f"voucher {v['id']} is frozen"))
        ensure(ctx.time < v["maturity"], Expired(f"voucher {v['id']} has reached maturity"))
        ensure(v["status"] == FINANCING and v["financing"] == financing, InvalidState("the piece is not awaiting this financing"))
        days = max(0, (v["maturity"] - ctx.time + DAY - 1) // DAY)
        discount = f["amount"] * f["rate_bps"] * days // (10_000 * 365)
        advance = f["amount"] - discount
        v["status"] = ACTIVE  # consumed by the split below
        moved, rest = _split(ctx, v, f["funder"], f["amount"], FINANCED, ACTIVE)
        moved.update(financing=financing, registration=f["registration"], funder=f["funder"])
        ctx.state.put(f"voucher/{moved['id']}", moved)
        f.update(status="FUNDED", piece=moved["id"], advance=advance, discount=discount, funded_at=ctx.time,
                 instruction={"payer": f["funder"], "payee": f["holder"], "amount": advance, "reference": financing})
        ctx.state.put(f"financing/{financing}", f)
        ctx.emit("FinancingFunded", financing=financing, voucher=f["voucher"], piece=moved["id"], funder=f["funder"],
                 holder=f["holder"], amount=f["amount"], advance=advance, discount=discount)
        return {"financing": financing, "voucher": moved["id"], "remainder": rest["id"] if rest else None,
                "advance": advance}

    # -- locks for other contracts (a plan's pool, a product's underlying) ---------------------------
    @internal
    def lock(self, ctx: Ctx, id: str, purpose: str) -> dict:
        """Take a piece out of circulation for the calling contract (`ctx.via`).

        Called by another contract in the holder's own transaction: only the holder
        can have its piece locked, and only a piece that could move (not frozen,
        not matured, not paid, no pending financing). A locked piece cannot be
        transferred, financed or locked again, so an asset sits in one plan,
        product or financing at a time. It is still paid at maturity: inside the
        settlement bank's `confirm_payment`, which then calls the locker's
        `@internal voucher_paid(voucher, root, paid, payer, holder, bank_ref, held)`
        so that its collections are credited in that same transaction. Every
        locking contract must provide that method.
        """
        ensure(0 < len(purpose) <= 128, BadRequest("a lock needs a purpose (1-128 characters)"))
        v = _voucher(ctx, id)
        root = _root(ctx, v["root"])
        _movable(ctx, v, root)
        ensure(root.get("locked", 0) < MAX_LOCKS_PER_ROOT,
               LimitExceeded(f"voucher root {root['id']} already has {MAX_LOCKS_PER_ROOT} locked pieces"))
        v["locked_by"] = ctx.via
        v["lock_purpose"] = purpose
        ctx.state.put(f"voucher/{id}", v)
        root["locked"] = root.get("locked", 0) + 1
        ctx.state.put(f"root/{root['id']}", root)
        ctx.state.put(f"locked/{root['id']}/{id}", ctx.via)
        ctx.emit("VoucherLocked", voucher=id, by=ctx.via, purpose=purpose, holder=v["holder"], amount=v["amount"])
        return {k: v[k] for k in ("id", "root", "payer", "holder", "amount", "maturity", "status", "tier")}

    @internal
    def unlock(self, ctx: Ctx, id: str) -> dict:
        """Release a piece the calling contract locked (a paid piece just loses the mark)."""
        v = _voucher(ctx, id)
        ensure(v.get("locked_by") is not None and v["locked_by"] == ctx.via,
               Unauthorized(f"voucher {id} is not locked by {ctx.via}"))
        ctx.emit("VoucherUnlocked", voucher=id, by=ctx.via, purpose=v["lock_purpose"])
        v["locked_by"] = None
        v["lock_purpose"] = None
        ctx.state.put(f"voucher/{id}", v)
        if ctx.state.has(f"locked/{v['root']}/{id}"):  # not yet paid
            ctx.state.delete(f"locked/{v['root']}/{id}")
            root = _root(ctx, v["root"])
            root["locked"] -= 1
            ctx.state.put(f"root/{root['id']}", root)
        return {"voucher": id}

    @internal
    def lock_invoice(self, ctx: Ctx, id: str, purpose: str) -> dict:
        """Take an invoice's undrawn amount out of circulation for the calling contract.

        Called in the seller's own transaction. While locked, no voucher can draw
        on the invoice, so the same receivable cannot back a plan and a voucher
        (and through it a financing) at once.
        """
        ensure(0 < len(purpose) <= 128, BadRequest("a lock needs a purpose (1-128 characters)"))
        inv = ctx.state.require(f"invoice/{id}", "invoice")
        ensure(inv["seller"] == ctx.caller.org_id, Unauthorized("only the invoice's seller can pool it"))
        ensure(not inv.get("locked_by"), InvalidState(f"invoice {id} is already pooled in {inv.get('locked_by')}"))
        undrawn = inv["amount"] - inv["drawn"]
        ensure(undrawn > 0, InvalidState(f"invoice {id} is fully drawn by vouchers; pool the vouchers instead"))
        inv["locked_by"] = ctx.via
        inv["lock_purpose"] = purpose
        ctx.state.put(f"invoice/{id}", inv)
        ctx.emit("InvoiceLocked", invoice=id, by=ctx.via, purpose=purpose, undrawn=undrawn)
        return {"id": id, "seller": inv["seller"], "buyer": inv["buyer"], "amount": inv["amount"], "undrawn": undrawn}

    @internal
    def unlock_invoice(self, ctx: Ctx, id: str) -> dict:
        """Release an invoice the calling contract locked."""
        inv = ctx.state.require(f"invoice/{id}", "invoice")
        ensure(inv.get("locked_by") is not None and inv["locked_by"] == ctx.via,
               Unauthorized(f"invoice {id} is not locked by {ctx.via}"))
        ctx.emit("InvoiceUnlocked", invoice=id, by=ctx.via)
        inv["locked_by"] = None
        inv["lock_purpose"] = None
        ctx.state.put(f"invoice/{id}", inv)
        return {"invoice": id}

    # -- payment at maturity ----------------------------------------------------------------
    @tx
    def confirm_payment(self, ctx: Ctx, root: str, amount: int, bank_ref: str) -> dict:
        """The settlement bank confirms the payer paid a root: every live piece becomes PAID.

        Payouts are pro rata to the live pieces (largest remainder, to the fen).
        `end_block` pays them, at most CLEAR_BATCH pieces per block over all roots
        being cleared (starting with this block), so a root split 10,000 ways
        never stalls the chain.
        """
        # the organisation's attribute (set by the exchange), not one its own CA wrote into a certificate
        ensure(ctx.caller.role == "BANK" and ctx.caller.has("settlement"),
               Unauthorized("only a settlement bank confirms payments"))
        _amount(amount)
        ensure(0 < len(bank_ref) <= 64, BadRequest("bank_ref must be 1-64 characters"))
        r = _root(ctx, root)
        ensure(r["settlement_bank"] in (None, ctx.caller.org_id),
               Unauthorized(f"root {root} settles through {r['settlement_bank']}"))
        ensure(r["status"] in (ACTIVE, OVERDUE), InvalidState(f"root {root} is {r['status']}"))
        ensure(not r["frozen"], Frozen(f"voucher root {root} is frozen"))
        ensure(ctx.time >= r["maturity"], InvalidState("payment can be confirmed only at or after maturity"))
        ensure(amount <= r["amount"], LimitExceeded(f"payment {amount} exceeds the root amount {r['amount']}"))
        pieces = ctx.state.scan(f"live/{root}/")
        plan = ProRata.plan(amount, [a for _, a in pieces], [k.rsplit("/", 1)[1] for k, _ in pieces])
        r["status"] = "CLEARING"
        r["payment"] = {"amount": amount, "bank": ctx.caller.org_id, "bank_ref": bank_ref, "confirmed_at": ctx.time,
                        "plan": plan.to_map(), "paid_pieces": 0, "paid_total": 0}
        ctx.state.put(f"root/{root}", r)
        # locked pieces are paid now, so a plan or product credits its collections in this transaction
        for key, locker in ctx.state.scan(f"locked/{root}/"):
            vid = key.rsplit("/", 1)[1]
            v = ctx.state.get(f"voucher/{vid}")
            share = _pay_piece(ctx, v, plan, r["payment"])
            ctx.state.delete(key)
            ctx.call(locker, "voucher_paid", voucher=vid, root=root, paid=share, payer=r["payer"],
                     holder=v["holder"], bank_ref=bank_ref, held=v["held"])
        r["locked"] = 0
        ctx.state.put(f"root/{root}", r)
        queue = ctx.state.get("clearing", [])
        ctx.state.put("clearing", queue + [root])
        core = ctx.state.get(f"core/{r['payer']}")
        core["open"] -= r["amount"]
        ctx.state.put(f"core/{r['payer']}", core)
        ctx.emit("PaymentConfirmed", root=root, amount=amount, bank=ctx.caller.org_id, bank_ref=bank_ref,
                 pieces=len(pieces))
        # the payouts themselves are made by end_block, this block first
        return {"root": root, "pieces": len(pieces)}

    def _clear(self, ctx: Ctx, root_id: str, budget: int) -> int:
        """Pay up to `budget` live pieces of a root being cleared; returns how many."""
        r = ctx.state.get(f"root/{root_id}")
        pay = r["payment"]
        plan = ProRata.from_map(pay["plan"])
        pieces = ctx.state.scan(f"live/{root_id}/", limit=budget)
        for key, amount in pieces:
            _pay_piece(ctx, ctx.state.get(f"voucher/{key.rsplit('/', 1)[1]}"), plan, pay)
        remaining = ctx.state.scan(f"live/{root_id}/", limit=1)
        ctx.emit("ClearingProgress", root=root_id, paid=len(pieces), paid_pieces=pay["paid_pieces"],
                 paid_total=pay["paid_total"])
        if not remaining:
            r["status"] = PAID
            r["live_count"] = 0
            queue = ctx.state.get("clearing", [])
            ctx.state.put("clearing", [x for x in queue if x != root_id])
            ctx.emit("RootPaid", root=root_id, amount=pay["amount"], pieces=pay["paid_pieces"],
                     paid_total=pay["paid_total"])
        ctx.state.put(f"root/{root_id}", r)
        return len(pieces)

    def end_block(self, ctx: Ctx) -> None:
        """Each block: continue clearing, then, for each China-time day that has ended,
        mark its unpaid roots OVERDUE and let its never-accepted roots lapse."""
        budget = CLEAR_BATCH
        for root_id in list(ctx.state.get("clearing", [])):
            if budget <= 0:
                break
            budget -= self._clear(ctx, root_id, budget)
        today = _day(ctx.time)
        cursor = ctx.state.get("cursor")
        # a root maturing on day d (China time) is OVERDUE from the first block of
        # day d+1 that finds it unpaid; at most 31 days are caught up per block
        for day in range(cursor + 1, min(today, cursor + 32)):
            for root_id in ctx.state.get(f"due/{day}", []):
                r = ctx.state.get(f"root/{root_id}")
                if r["status"] == ISSUED and not r["frozen"]:
                    # never accepted before maturity: it lapses, releasing invoices and credit
                    _cancel(ctx, ctx.state.get(f"voucher/{root_id}"), r, "lapsed unaccepted at maturity")
                    ctx.emit("VoucherLapsed", root=root_id, payer=r["payer"], amount=r["amount"],
                             maturity=r["maturity"])
                    continue
                if r["status"] == ACTIVE and r["maturity"] <= ctx.time:
                    r["status"] = OVERDUE
                    ctx.state.put(f"root/{root_id}", r)
                    ctx.emit("VoucherOverdue", root=root_id, payer=r["payer"], amount=r["amount"],
                             maturity=r["maturity"])
            ctx.state.put("cursor", day)

    # -- supervision ------------------------------------------------------------------------
    @tx
    def freeze(self, ctx: Ctx, id: str, reason: str) -> dict:
        """The regulator freezes a voucher piece (or, given a root id, the whole root).

        The same as `supervision.freeze(asset="voucher:<id>")`: both set the piece's
        flag, which this contract enforces, and the shared freeze registry.
        """
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator freezes"))
        ensure(0 < len(reason) <= 500, BadRequest("a freeze needs a reason (1-500 characters)"))
        out = self._set_frozen(ctx, id, True, reason)
        ctx.call("supervision", "note_freeze", asset=f"voucher:{id}", frozen=True, reason=reason)
        return out

    @tx
    def unfreeze(self, ctx: Ctx, id: str, reason: str) -> dict:
        """The regulator lifts a freeze (as `supervision.unfreeze` does)."""
        ensure(ctx.caller.role == "REGULATOR", Unauthorized("only the regulator unfreezes"))
        ensure(0 < len(reason) <= 500, BadRequest("an unfreeze needs a reason (1-500 characters)"))
        out = self._set_frozen(ctx, id, False, reason)
        ctx.call("supervision", "note_freeze", asset=f"voucher:{id}", frozen=False, reason=reason)
        return out

    @internal
    def set_frozen(self, ctx: Ctx, id: str, frozen: bool, reason: str) -> dict:
        """The supervision contract's freeze of `voucher:<id>` sets the piece's flag here."""
        ensure(ctx.via == "supervision", Unauthorized("only the supervision contract sets freezes"))
        return self._set_frozen(ctx, id, frozen, reason)

    def _set_frozen(self, ctx: Ctx, id: str, frozen: bool, reason: str) -> dict:
        v = _voucher(ctx, id)
        ensure(v["frozen"] != frozen, InvalidState(f"voucher {id} is {'already' if frozen else 'not'} frozen"))
        v["frozen"] = frozen
        v["frozen_reason"] = reason
        ctx.state.put(f"voucher/{id}", v)
        if v["root"] == id:
            r = _root(ctx, id)
            r["frozen"] = frozen
            ctx.state.put(f"root/{id}", r)
        ctx.emit("VoucherFrozen" if frozen else "VoucherUnfrozen", voucher=id, reason=reason)
        return {"voucher": id, "frozen": frozen}

    # -- queries -----------------------------------------------------------------------------
    @query
    def voucher(self, q: QueryCtx, id: str, prove: bool = False) -> dict:
        """One piece with its lineage (root .. this piece, and its descendants) and history."""
        v = q.state.get(f"voucher/{id}")
        if v is None or not _visible(q, v, ("holder", "payer", "from", "funder")):
            raise NotFound(f"voucher {id!r} not found")
        root = q.state.get(f"root/{v['root']}")
        ancestors = []
        cur = v
        while cur["parent"] is not None:  # a query, not finalize_block: walking is fine here
            cur = q.state.get(f"voucher/{cur['parent']}")
            ancestors.append(_summary(cur))
        descendants = []
        stack = list(v["children"])
        while stack and len(descendants) < 1000:
            child = q.state.get(f"voucher/{stack.pop(0)}")
            descendants.append(_summary(child))
            stack.extend(child["children"])
        out = {
            "voucher": _display(v, root), "root": _root_view(root), "ancestors": list(reversed(ancestors)),
            "descendants": descendants, "history": q.history(f"voucher/{id}"),
        }
        if prove:
            out["proofs"] = {k: q.proof(k) for k in (f"voucher/{id}", f"root/{v['root']}")}
        return out

    @query
    def vouchers(self, q: QueryCtx, holder: str | None = None, payer: str | None = None, root: str | None = None,
                 status: str | None = None, limit: int = 200) -> list:
        """Vouchers by holder, payer, root or status (the caller sees what it is party to)."""
        filters = [(f, v) for f, v in (("holder", holder), ("payer", payer), ("root", root)) if v is not None]
        ensure(filters or status, BadRequest("give at least one of holder, payer, root, status"))
        limit = max(1, min(limit, 1000))
        if status == OVERDUE:
            keys = [rec["id"] for _, rec in q.find("root", "status", OVERDUE, limit)]
            found = []
            for rid in keys:
                found.extend(q.find("voucher", "root", rid, limit))
            records = [v for _, v in found if v["status"] in LIVE]
        elif filters:
            field, value = filters[0]
            records = [v for _, v in q.find("voucher", field, value, 10_000)]
        else:
            records = [v for _, v in q.find("voucher", "status", status, 10_000)]
        out = []
        for v in records:
            rootrec = q.state.get(f"root/{v['root']}")
            shown = _display(v, rootrec)
            if any(v.get(f) != val for f, val in filters) or (status and shown["status"] != status):
                continue
            if _visible(q, v, ("holder", "payer", "from", "funder")):
                out.append(shown)
            if len(out) >= limit:
                break
        return out

    @query
    def invoice(self, q: QueryCtx, id: str, prove: bool = False) -> dict:
        """An invoice, how much of it is drawn, and the roots that draw on it."""
        inv = q.state.get(f"invoice/{id}")
        # funders see invoices too: checking an invoice's usage is their due diligence
        funder = q.caller is not None and q.caller.role in ("FACTOR", "BANK")
        if inv is None or not (funder or _visible(q, inv, ("seller", "buyer"))):
            raise NotFound(f"invoice {id!r} not found")
        roots = [{"root": r["id"], "status": r["status"], "drawn": next(a for i, a in r["invoice_refs"] if i == id)}
                 for _, r in q.find("root", "invoices", id)]
        out = {"invoice": inv, "undrawn": inv["amount"] - inv["drawn"], "roots": roots}
        if prove:
            out["proofs"] = {f"invoice/{id}": q.proof(f"invoice/{id}")}
        return out

    @query
    def credit(self, q: QueryCtx, core: str, prove: bool = False) -> dict:
        """A core enterprise's credit lines, open voucher total and headroom."""
        rec = q.state.get(f"core/{core}")
        if q.caller is not None and q.caller.role not in SEE_ALL and q.caller.org_id != core:
            if rec is None or q.caller.org_id not in rec["banks"]:
                raise NotFound(f"no credit record for {core!r}")
        if rec is None:
            rec = {"id": core, "banks": [], "open": 0}
        lines = [q.state.get(f"line/{core}/{b}") for b in rec["banks"]]
        now = q.time
        total = sum(line["amount"] for line in lines if line["expires"] > now)
        out = {"core": core, "lines": lines, "limit": total, "open": rec["open"], "headroom": total - rec["open"]}
        if prove:
            out["proofs"] = {k: q.proof(k) for k in [f"core/{core}"] + [f"line/{core}/{b}" for b in rec["banks"]]}
        return out

    @query
    def financing(self, q: QueryCtx, id: str) -> dict:
        """One financing request with its registration and payment instruction."""
        f = q.state.get(f"financing/{id}")
        if f is None or not _visible(q, f, ("holder", "funder")):
            raise NotFound(f"financing {id!r} not found")
        return f

    @query
    def financings(self, q: QueryCtx, funder: str | None = None, holder: str | None = None,
                   status: str | None = None) -> list:
        """Financing requests by funder, holder or status."""
        field, value = next(((f, v) for f, v in (("funder", funder), ("holder", holder), ("status", status))
                             if v is not None), (None, None))
        ensure(field is not None, BadRequest("give funder, holder or status"))
        return [f for _, f in q.find("financing", field, value) if _visible(q, f, ("holder", "funder"))]


def _summary(v: dict) -> dict:
    return {k: v[k] for k in ("id", "parent", "tier", "holder", "amount", "status")}


def _display(v: dict, root: dict | None) -> dict:
    """A piece as shown: a live piece of an overdue root shows OVERDUE."""
    shown = dict(v)
    if root is not None and root["status"] == OVERDUE and v["status"] in LIVE:
        shown["status"] = OVERDUE
    return shown


def _root_view(root: dict) -> dict:
    return {k: v for k, v in root.items() if k != "invoice_refs"}
