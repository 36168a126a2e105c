"""The `products` contract: blockchain revenue-sharing products (domain.md section 4).

A factor packages financed vouchers it holds into a product (they are locked to
it in the receivables contract), a rating agency rates it, the exchange approves
the filing, qualified investors subscribe during the window, the registrar
establishes it and keeps the register, holders transfer by negotiation, and as
the underlying vouchers are paid the collections are distributed down the
waterfall (see `waterfall.py`) automatically credited, pro rata, to the fen.

Regulatory rules enforced here: at most 200 holders; every ticket at least the
minimum; qualified investors only; no order book and no anonymous matching (a
transfer names both parties and its price, and both sign); a holding is held 5
days before it is resold; distributions never exceed collections.

State (under `products/`):

    product/<id>                 terms, tranches, status, ratings, holders, collections, counters
    underlying/<voucher>         which product holds a voucher, its payer and amount (kept after release)
    sub/<id>/<tranche>/<org>     a subscription during the window
    holding/<id>/<tranche>/<org> the register: units (fen of principal), acquired_at
    transfer/<tid>               a negotiated transfer: parties, units, price, signatures, registration
    collection/<id>/<n>          the n-th collection (a paid underlying voucher)
    distribution/<id>/<n>        the n-th distribution: record date, waterfall steps, allocations

Units are fen of original principal; a holder's share of a tranche's payments is
its units over the tranche's units. Principal paid down is tracked per tranche
(`outstanding`), not per holding, so transfers never need recomputing.
"""

from __future__ import annotations

import re

from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.money import MAX_AMOUNT
from faechain.contracts.records import ensure_status
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, internal, query, register, tx
from faechain.modules.products import waterfall

DAY = 86_400
HOLD_DAYS = 5
MAX_HOLDERS = 200
MAX_UNDERLYING = 200
MAX_TRANCHES = 3
HEX64 = re.compile(r"^[0-9a-f]{64}$")
TRANCHE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
GRADES = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B", "CCC", "CC",
          "C", "D")
OUTLOOKS = ("positive", "stable", "negative", "developing")

# product states
DRAFT, RATED, FILED, OPEN = "DRAFT", "RATED", "FILED", "OPEN"
ESTABLISHED, FAILED, OUTSTANDING, MATURED, DEFAULT, CLOSED = (
    "ESTABLISHED", "FAILED", "OUTSTANDING", "MATURED", "DEFAULT", "CLOSED")
LIVE = (ESTABLISHED, OUTSTANDING, MATURED, DEFAULT)  # a register exists
SEE_ALL = frozenset({"REGULATOR", "EXCHANGE"})


def _fen(value: int, what: str, minimum: int = 1) -> int:
    ensure(minimum <= value <= MAX_AMOUNT, BadRequest(f"{what} must be {minimum} .. 2^63-1 fen"))
    return value


def _product(ctx: Ctx, product_id: str) -> dict:
    return ctx.state.require(f"product/{product_id}", "product")


def _movable_product(ctx: Ctx, product_id: str) -> dict:
    """The product, for a step that moves it, its units or its money (refused while frozen)."""
    p = _product(ctx, product_id)
    ensure_not_frozen(ctx, f"product:{product_id}")
    return p


def _save(ctx: Ctx, p: dict) -> None:
    ctx.state.put(f"product/{p['id']}", p)


def _status(p: dict, *allowed: str) -> None:
    ensure_status("product", p, *allowed)


def _tranche(p: dict, name: str) -> dict:
    t = next((t for t in p["tranches"] if t["name"] == name), None)
    ensure(t is not None, NotFound(f"product {p['id']} has no tranche {name!r}"))
    return t


def _investor(ctx: Ctx, org_id: str) -> dict:
    org = ctx.read("membership", f"org/{org_id}")
    ensure(org is not None and org["status"] == "ACTIVE", NotFound(f"organisation {org_id!r} is not a member"))
    ensure(org["type"] == "INVESTOR" and org["attributes"].get("qualified"),
           Unauthorized(f"{org_id} is not a qualified investor"))
    return org


def _holding(ctx: Ctx, product: str, tranche: str, org: str) -> dict:
    return ctx.state.get(f"holding/{product}/{tranche}/{org}") or {
        "product": product, "tranche": tranche, "holder": org, "units": 0, "acquired_at": None, "received": 0}


def _add_holder(p: dict, org: str) -> None:
    if org not in p["holders"]:
        ensure(len(p["holders"]) < MAX_HOLDERS, LimitExceeded(f"product {p['id']} has {MAX_HOLDERS} holders"))
        p["holders"] = sorted(p["holders"] + [org])


def _parse_tranches(raw: list[dict]) -> list[dict]:
    ensure(1 <= len(raw) <= MAX_TRANCHES, BadRequest(f"a product has 1 to {MAX_TRANCHES} tranches"))
    out = []
    for t in raw:
        ensure(type(t) is dict and set(t) == {"name", "size", "coupon_bps", "priority"},
               BadRequest("each tranche is {name, size, coupon_bps, priority}"))
        ensure(type(t["name"]) is str and TRANCHE_NAME.match(t["name"]) is not None,
               BadRequest("a tranche name is 1-32 lowercase letters, digits, '-' or '_'"))
        ensure(type(t["size"]) is int and type(t["coupon_bps"]) is int and type(t["priority"]) is int,
               BadRequest("tranche size, coupon_bps and priority are integers"))
        _fen(t["size"], "tranche size")
        ensure(0 <= t["coupon_bps"] <= 10_000, BadRequest("coupon_bps must be 0 .. 10000"))
        out.append({"name": t["name"], "size": t["size"], "coupon_bps": t["coupon_bps"], "priority": t["priority"],
                    "subscribed": 0, "outstanding": 0, "interest_owed": 0, "interest_paid": 0,
                    "principal_paid": 0})
    ensure(len({t["name"] for t in out}) == len(out), Duplicate("tranche names must differ"))
    ensure(len({t["priority"] for t in out}) == len(out), Duplicate("tranche priorities must differ"))
    out.sort(key=lambda t: t["priority"])
    ensure(sum(t["size"] for t in out) <= MAX_AMOUNT, BadRequest("the product is too large"))
    return out


@register
class Products(Contract):
    name = "products"
    indexes = {
        "product": ("originator", "status", "registrar", "holders"),
        "transfer": ("seller", "buyer", "status", "product"),
        "holding": ("holder",),
    }

    # -- origination -------------------------------------------------------------------------
    @tx
    def create(self, ctx: Ctx, name: str, tranches: list[dict], registrar: str, settlement_bank: str,
               min_ticket: int, term_days: int, fee_bps: int = 0) -> dict:
        """A factor drafts a product: its tranches (senior first by priority) and parties."""
        ensure(ctx.caller.role == "FACTOR", Unauthorized("only a factor originates revenue-sharing products"))
        ensure(0 < len(name) <= 200, BadRequest("name must be 1-200 characters"))
        parsed = _parse_tranches(tranches)
        _fen(min_ticket, "min_ticket")
        ensure(all(min_ticket <= t["size"] for t in parsed), BadRequest("min_ticket exceeds a tranche"))
        ensure(30 <= term_days <= 3 * 365, BadRequest("term_days must be 30 .. 1095"))
        ensure(0 <= fee_bps <= 1_000, BadRequest("fee_bps must be 0 .. 1000"))
        reg = ctx.read("membership", f"org/{registrar}")
        ensure(reg is not None and reg["type"] == "REGISTRAR", BadRequest(f"{registrar} is not a registrar"))
        bank = ctx.read("membership", f"org/{settlement_bank}")
        ensure(bank is not None and bank["type"] == "BANK" and bank["attributes"].get("settlement"),
               BadRequest(f"{settlement_bank} is not a settlement bank"))
        pid = ctx.new_id("R")
        p = {
            "id": pid, "name": name, "originator": ctx.caller.org_id, "registrar": registrar,
            "settlement_bank": settlement_bank, "tranches": parsed, "min_ticket": min_ticket,
            "term_days": term_days, "fee_bps": fee_bps, "status": DRAFT, "created_at": ctx.time,
            "underlying": [], "underlying_amount": 0, "ratings": [], "approval": None, "opens": None,
            "closes": None, "holders": [], "established_at": None, "maturity": None, "funding": None,
            "collected": 0, "distributed": 0, "collections": 0, "distributions": 0, "fees_owed": 0,
            "fees_paid": 0, "accrued_to": None, "default": None, "closed_at": None,
        }
        _save(ctx, p)
        ctx.emit("ProductCreated", product=pid, originator=p["originator"],
                 size=sum(t["size"] for t in parsed), tranches=[t["name"] for t in parsed])
        return {"product": pid}

    @tx
    def add_underlying(self, ctx: Ctx, product: str, vouchers: list[str]) -> dict:
        """The originator locks financed vouchers it holds to the product (DRAFT only)."""
        p = _movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["originator"], Unauthorized("only the originator adds underlying assets"))
        _status(p, DRAFT)
        ensure(0 < len(vouchers) <= 50, BadRequest("give 1 to 50 vouchers"))
        ensure(len(p["underlying"]) + len(vouchers) <= MAX_UNDERLYING,
               LimitExceeded(f"a product holds at most {MAX_UNDERLYING} vouchers"))
        for vid in vouchers:
            v = ctx.read("receivables", f"voucher/{vid}")
            ensure(v is not None, NotFound(f"voucher {vid!r} not found"))
            ensure(v["status"] == "FINANCED",
                   InvalidState(f"voucher {vid} is {v['status']}: only financed vouchers back a product"))
            ensure(not v.get("locked_by"), InvalidState(f"voucher {vid} is already locked in {v.get('locked_by')}"))
            piece = ctx.call("receivables", "lock", id=vid, purpose=f"product {product}")
            ctx.state.put(f"underlying/{vid}", {"product": product, "voucher": vid, "payer": piece["payer"],
                                                "amount": piece["amount"], "maturity": piece["maturity"],
                                                "added_at": ctx.time, "released_at": None, "paid": None})
            p["underlying"].append(vid)
            p["underlying_amount"] += piece["amount"]
        _save(ctx, p)
        ctx.emit("UnderlyingAdded", product=product, vouchers=vouchers, underlying_amount=p["underlying_amount"])
        return {"product": product, "underlying_amount": p["underlying_amount"]}

    @tx
    def rate(self, ctx: Ctx, product: str, grade: str, outlook: str, report_hash: str) -> dict:
        """A rating agency rates (or re-rates) the product; ratings are appended, never replaced."""
        ensure(ctx.caller.role == "RATING_AGENCY", Unauthorized("only a rating agency rates products"))
        p = _product(ctx, product)
        ensure(p["status"] not in (FAILED, CLOSED), InvalidState(f"product {product} is {p['status']}"))
        ensure(grade in GRADES, BadRequest(f"grade must be one of {', '.join(GRADES)}"))
        ensure(outlook in OUTLOOKS, BadRequest(f"outlook must be one of {', '.join(OUTLOOKS)}"))
        ensure(HEX64.match(report_hash) is not None, BadRequest("report_hash must be 64 lowercase hex characters"))
        if p["status"] == DRAFT:
            ensure(p["underlying"], InvalidState("a product without underlying assets cannot be rated"))
            p["status"] = RATED
        p["ratings"] = p["ratings"][-49:] + [{"agency": ctx.caller.org_id, "grade": grade, "outlook": outlook,
                                              "report_hash": report_hash, "at": ctx.time}]
        _save(ctx, p)
        ctx.emit("ProductRated", product=product, agency=ctx.caller.org_id, grade=grade, outlook=outlook)
        return {"product": product, "grade": grade}

    @tx
    def file(self, ctx: Ctx, product: str) -> dict:
        """The originator files the rated product with the exchange."""
        p = _movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["originator"], Unauthorized("only the originator files its product"))
        _status(p, RATED)
        size = sum(t["size"] for t in p["tranches"])
        ensure(p["underlying_amount"] >= size,
               LimitExceeded(f"underlying {p['underlying_amount']} fen does not cover the product's {size}"))
        p["status"] = FILED
        _save(ctx, p)
        ctx.emit("ProductFiled", product=product)
        return {"product": product}

    @tx
    def approve(self, ctx: Ctx, product: str, approval_no: str, opens: int, closes: int) -> dict:
        """The exchange approves the filing and opens subscription from `opens` to `closes`."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange approves products"))
        ensure(0 < len(approval_no) <= 64, BadRequest("approval_no must be 1-64 characters"))
        p = _movable_product(ctx, product)
        _status(p, FILED)
        ensure(ctx.time <= closes and opens < closes and closes - opens <= 60 * DAY,
               BadRequest("the window must close after it opens, in the future, within 60 days"))
        p.update(status=OPEN, approval={"no": approval_no, "at": ctx.time}, opens=opens, closes=closes)
        _save(ctx, p)
        ctx.emit("ProductOpen", product=product, opens=opens, closes=closes)
        return {"product": product}

    # -- subscription and the register ----------------------------------------------------------------
    @tx
    def subscribe(self, ctx: Ctx, product: str, tranche: str, amount: int) -> dict:
        """A qualified investor subscribes to a tranche during the window (each ticket at least the minimum)."""
        _fen(amount, "amount")
        ensure(ctx.caller.role == "INVESTOR" and ctx.caller.has("qualified"),
               Unauthorized("only qualified investors subscribe"))
        p = _movable_product(ctx, product)
        _status(p, OPEN)
        ensure(p["opens"] <= ctx.time < p["closes"], InvalidState("the subscription window is not open"))
        t = _tranche(p, tranche)
        ensure(amount >= p["min_ticket"], LimitExceeded(f"the minimum ticket is {p['min_ticket']} fen"))
        ensure(t["subscribed"] + amount <= t["size"],
               LimitExceeded(f"only {t['size'] - t['subscribed']} fen of tranche {tranche} remain"))
        who = ctx.caller.org_id
        _add_holder(p, who)
        key = f"sub/{product}/{tranche}/{who}"
        ctx.state.put(key, (ctx.state.get(key) or 0) + amount)
        t["subscribed"] += amount
        _save(ctx, p)
        ctx.emit("ProductSubscribed", product=product, tranche=tranche, investor=who, amount=amount)
        return {"product": product, "tranche": tranche, "remaining": t["size"] - t["subscribed"]}

    @tx
    def establish(self, ctx: Ctx, product: str) -> dict:
        """The registrar closes the window: ESTABLISHED with the register written if every
        tranche is fully subscribed, otherwise FAILED with every subscription refunded."""
        p = _movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar establishes it"))
        _status(p, OPEN)
        full = all(t["subscribed"] == t["size"] for t in p["tranches"])
        ensure(full or ctx.time >= p["closes"], InvalidState("the window is open and not fully subscribed"))
        if not full:
            refunds = [[org, t["name"], ctx.state.get(f"sub/{product}/{t['name']}/{org}")]
                       for t in p["tranches"] for org in p["holders"]
                       if ctx.state.get(f"sub/{product}/{t['name']}/{org}")]
            for vid in p["underlying"]:
                self._release(ctx, vid)
            p.update(status=FAILED, refunds=refunds, holders=[])
            _save(ctx, p)
            ctx.emit("ProductFailed", product=product, refunds=len(refunds))
            return {"product": product, "status": FAILED}
        for t in p["tranches"]:
            t["outstanding"] = t["size"]
            for org in p["holders"]:
                units = ctx.state.get(f"sub/{product}/{t['name']}/{org}")
                if units:
                    h = _holding(ctx, product, t["name"], org)
                    h.update(units=units, acquired_at=ctx.time)
                    ctx.state.put(f"holding/{product}/{t['name']}/{org}", h)
        p.update(status=ESTABLISHED, established_at=ctx.time, accrued_to=ctx.time,
                 maturity=ctx.time + p["term_days"] * DAY)
        _save(ctx, p)
        ctx.emit("ProductEstablished", product=product, holders=len(p["holders"]), maturity=p["maturity"])
        return {"product": product, "status": ESTABLISHED}

    @tx
    def confirm_funding(self, ctx: Ctx, product: str, bank_ref: str) -> dict:
        """The settlement bank confirms the subscription money reached the originator: OUTSTANDING."""
        p = _product(ctx, product)
        ensure(ctx.caller.org_id == p["settlement_bank"] and ctx.caller.has("settlement"),
               Unauthorized("only the product's settlement bank confirms funding"))
        _status(p, ESTABLISHED)
        ensure(0 < len(bank_ref) <= 64, BadRequest("bank_ref must be 1-64 characters"))
        p.update(status=OUTSTANDING, funding={"bank_ref": bank_ref, "at": ctx.time})
        _save(ctx, p)
        ctx.emit("ProductFunded", product=product, bank_ref=bank_ref)
        return {"product": product}

    # -- negotiated transfers ---------------------------------------------------------------------
    @tx
    def propose_transfer(self, ctx: Ctx, product: str, tranche: str, buyer: str, units: int, price: int) -> dict:
        """A holder offers `units` of a tranche to a named buyer at an agreed price (no order book)."""
        p = _movable_product(ctx, product)
        _status(p, ESTABLISHED, OUTSTANDING, MATURED)
        _tranche(p, tranche)
        _fen(units, "units")
        _fen(price, "price", minimum=0)
        seller = ctx.caller.org_id
        h = _holding(ctx, product, tranche, seller)
        ensure(h["units"] > 0, Unauthorized(f"only a holder of tranche {tranche} of product {product} offers its units"))
        ensure(buyer != seller, BadRequest("a transfer needs two different parties"))
        ensure_not_frozen(ctx, f"holding:{product}/{tranche}/{seller}")
        _investor(ctx, buyer)
        ensure(h["units"] >= units, LimitExceeded(f"{seller} holds {h['units']} units of {tranche}"))
        tid = ctx.new_id("T")
        ctx.state.put(f"transfer/{tid}", {
            "id": tid, "product": product, "tranche": tranche, "seller": seller, "buyer": buyer, "units": units,
            "price": price, "status": "PROPOSED", "proposed_at": ctx.time, "accepted_at": None,
            "registered_at": None,
        })
        ctx.emit("TransferProposed", transfer=tid, product=product, tranche=tranche, seller=seller, buyer=buyer,
                 units=units, price=price)
        return {"transfer": tid}

    @tx
    def accept_transfer(self, ctx: Ctx, transfer: str) -> dict:
        """The named buyer signs the negotiated transfer."""
        tr = ctx.state.require(f"transfer/{transfer}", "transfer")
        ensure(ctx.caller.org_id == tr["buyer"], Unauthorized("only the named buyer accepts a transfer"))
        ensure(tr["status"] == "PROPOSED", InvalidState(f"transfer {transfer} is {tr['status']}"))
        ensure(ctx.caller.has("qualified"), Unauthorized("only qualified investors buy"))
        tr.update(status="ACCEPTED", accepted_at=ctx.time)
        ctx.state.put(f"transfer/{transfer}", tr)
        ctx.emit("TransferAccepted", transfer=transfer)
        return {"transfer": transfer}

    @tx
    def cancel_transfer(self, ctx: Ctx, transfer: str) -> dict:
        """Either party withdraws a transfer the registrar has not yet registered."""
        tr = ctx.state.require(f"transfer/{transfer}", "transfer")
        ensure(ctx.caller.org_id in (tr["seller"], tr["buyer"]), Unauthorized("only the parties cancel"))
        ensure(tr["status"] in ("PROPOSED", "ACCEPTED"), InvalidState(f"transfer {transfer} is {tr['status']}"))
        tr["status"] = "CANCELLED"
        ctx.state.put(f"transfer/{transfer}", tr)
        ctx.emit("TransferCancelled", transfer=transfer, by=ctx.caller.org_id)
        return {"transfer": transfer}

    @tx
    def register_transfer(self, ctx: Ctx, transfer: str) -> dict:
        """The registrar enters an accepted transfer in the register, checking every rule now."""
        tr = ctx.state.require(f"transfer/{transfer}", "transfer")
        p = _movable_product(ctx, tr["product"])
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar keeps the register"))
        ensure(tr["status"] == "ACCEPTED", InvalidState(f"transfer {transfer} is {tr['status']}, not accepted"))
        _status(p, ESTABLISHED, OUTSTANDING, MATURED)
        _investor(ctx, tr["buyer"])
        seller = _holding(ctx, p["id"], tr["tranche"], tr["seller"])
        ensure_not_frozen(ctx, f"holding:{p['id']}/{tr['tranche']}/{tr['seller']}")
        ensure(seller["units"] >= tr["units"], LimitExceeded(f"{tr['seller']} holds only {seller['units']} units"))
        ensure(ctx.time >= seller["acquired_at"] + HOLD_DAYS * DAY,
               InvalidState(f"a holding is held {HOLD_DAYS} days before it is resold (acquired at "
                            f"{seller['acquired_at']})"))
        buyer = _holding(ctx, p["id"], tr["tranche"], tr["buyer"])
        ensure(buyer["units"] + tr["units"] >= p["min_ticket"],
               LimitExceeded(f"the buyer would hold less than the minimum ticket of {p['min_ticket']}"))
        left = seller["units"] - tr["units"]
        ensure(left == 0 or left >= p["min_ticket"],
               LimitExceeded(f"the seller would keep {left}, less than the minimum ticket"))
        seller["units"] = left
        buyer.update(units=buyer["units"] + tr["units"], acquired_at=ctx.time)
        ctx.state.put(f"holding/{p['id']}/{tr['tranche']}/{tr['seller']}", seller)
        ctx.state.put(f"holding/{p['id']}/{tr['tranche']}/{tr['buyer']}", buyer)
        if left == 0 and not any(_holding(ctx, p["id"], t["name"], tr["seller"])["units"] for t in p["tranches"]):
            p["holders"] = [h for h in p["holders"] if h != tr["seller"]]  # sold out: makes room for the buyer
        _add_holder(p, tr["buyer"])
        _save(ctx, p)
        tr.update(status="REGISTERED", registered_at=ctx.time)
        ctx.state.put(f"transfer/{transfer}", tr)
        ctx.emit("TransferRegistered", transfer=transfer, product=p["id"], tranche=tr["tranche"],
                 seller=tr["seller"], buyer=tr["buyer"], units=tr["units"], price=tr["price"])
        return {"transfer": transfer}

    # -- collections and distributions ----------------------------------------------------------------
    @internal
    def voucher_paid(self, ctx: Ctx, voucher: str, root: str, paid: int, payer: str, holder: str, bank_ref: str,
                     held: bool) -> None:
        """Receivables reports an underlying voucher paid: credited to collections in this transaction."""
        ensure(ctx.via == "receivables", Unauthorized("only the receivables contract reports voucher payments"))
        u = ctx.state.require(f"underlying/{voucher}", "underlying voucher")
        p = _product(ctx, u["product"])
        u["paid"] = {"amount": paid, "at": ctx.time, "bank_ref": bank_ref}
        ctx.state.put(f"underlying/{voucher}", u)
        p["collections"] += 1
        p["collected"] += paid
        ctx.state.put(f"collection/{p['id']}/{p['collections']:05d}", {
            "product": p["id"], "n": p["collections"], "voucher": voucher, "payer": payer, "amount": paid,
            "bank_ref": bank_ref, "at": ctx.time, "held": held})
        _save(ctx, p)
        ctx.emit("CollectionCredited", product=p["id"], voucher=voucher, amount=paid, collected=p["collected"])

    @tx
    def distribute(self, ctx: Ctx, product: str, amount: int | None = None) -> dict:
        """The registrar distributes collections down the waterfall to the holders of record now.

        `amount` defaults to everything collected and not yet distributed; more is
        refused. Fees and interest accrue from the last distribution (block time,
        whole days). Each step is split over its tranche's holders to the fen.
        """
        p = _movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar distributes"))
        _status(p, OUTSTANDING, MATURED, DEFAULT)
        available = p["collected"] - p["distributed"]
        amount = available if amount is None else amount
        _fen(amount, "amount")
        ensure(amount <= available,
               LimitExceeded(f"a distribution of {amount} exceeds the {available} fen collected and undistributed"))
        days = (ctx.time - p["accrued_to"]) // DAY
        outstanding_total = sum(t["outstanding"] for t in p["tranches"])
        fees_owed = p["fees_owed"] + waterfall.accrued(outstanding_total, p["fee_bps"], days)
        for t in p["tranches"]:
            t["interest_owed"] += waterfall.accrued(t["outstanding"], t["coupon_bps"], days)
        steps = waterfall.run(amount, fees_owed, p["tranches"])
        by_name = {t["name"]: t for t in p["tranches"]}
        units = {t["name"]: {org: _holding(ctx, product, t["name"], org)["units"] for org in p["holders"]}
                 for t in p["tranches"]}
        received: dict[tuple[str, str], int] = {}
        record = []
        for s in steps:
            if s.kind == "fees":
                fees_owed -= s.paid
                p["fees_paid"] += s.paid
                record.append({"step": "fees", "owed": s.owed, "paid": s.paid, "payee": p["originator"]})
                continue
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
            h = _holding(ctx, product, tranche, org)
            h["received"] += fen
            ctx.state.put(f"holding/{product}/{tranche}/{org}", h)
        p.update(fees_owed=fees_owed, accrued_to=p["accrued_to"] + days * DAY, distributed=p["distributed"] + amount)
        p["distributions"] += 1
        n = p["distributions"]
        ctx.state.put(f"distribution/{product}/{n:04d}", {
            "product": product, "n": n, "record_date": ctx.time, "amount": amount, "days": days, "steps": record})
        _save(ctx, p)
        ctx.emit("DistributionMade", product=product, n=n, amount=amount,
                 paid={f"{s.kind}:{s.tranche or ''}": s.paid for s in steps if s.paid})
        return {"product": product, "distribution": n, "amount": amount}

    # -- the end of a product's life ------------------------------------------------------------------
    @tx
    def mature(self, ctx: Ctx, product: str) -> dict:
        """The registrar marks the product MATURED at or after its maturity date."""
        p = _product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar matures it"))
        _status(p, OUTSTANDING)
        ensure(ctx.time >= p["maturity"], InvalidState(f"product {product} matures at {p['maturity']}"))
        p["status"] = MATURED
        _save(ctx, p)
        ctx.emit("ProductMatured", product=product, outstanding=sum(t["outstanding"] for t in p["tranches"]))
        return {"product": product}

    @tx
    def declare_default(self, ctx: Ctx, product: str, reason: str) -> dict:
        """The originator, registrar or exchange declares a default; collections keep being distributed."""
        p = _product(ctx, product)
        ensure(ctx.caller.org_id in (p["originator"], p["registrar"]) or ctx.caller.role == "EXCHANGE",
               Unauthorized("only the originator, the registrar or the exchange declares a default"))
        _status(p, ESTABLISHED, OUTSTANDING, MATURED)
        ensure(0 < len(reason) <= 500, BadRequest("a default needs a reason (1-500 characters)"))
        p.update(status=DEFAULT, default={"reason": reason, "by": ctx.caller.org_id, "at": ctx.time})
        _save(ctx, p)
        ctx.emit("ProductDefaulted", product=product, reason=reason)
        return {"product": product}

    @tx
    def close(self, ctx: Ctx, product: str) -> dict:
        """The registrar closes a matured or defaulted product once its collections are all
        distributed; the underlying vouchers are released."""
        p = _movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["registrar"], Unauthorized("only the product's registrar closes it"))
        _status(p, MATURED, DEFAULT)
        ensure(p["distributed"] == p["collected"],
               InvalidState(f"{p['collected'] - p['distributed']} fen of collections are not distributed yet"))
        for vid in p["underlying"]:  # at most MAX_UNDERLYING
            self._release(ctx, vid)
        p.update(status=CLOSED, closed_at=ctx.time)
        _save(ctx, p)
        ctx.emit("ProductClosed", product=product)
        return {"product": product}

    def _release(self, ctx: Ctx, vid: str) -> None:
        u = ctx.state.get(f"underlying/{vid}")
        ctx.call("receivables", "unlock", id=vid)
        u["released_at"] = ctx.time
        ctx.state.put(f"underlying/{vid}", u)

    # -- queries ------------------------------------------------------------------------------------
    @query
    def product(self, q: QueryCtx, id: str, prove: bool = False) -> dict:
        """A product: terms, ratings, tranches; the register and distributions for its parties."""
        p = q.state.get(f"product/{id}")
        if p is None or not _may_see(q, p):
            raise NotFound(f"product {id!r} not found")
        out: dict = {"product": p}
        if _party(q, p):
            out["holdings"] = [h for t in p["tranches"] for org in p["holders"]
                               if (h := q.state.get(f"holding/{id}/{t['name']}/{org}")) and h["units"]]
            out["distributions"] = [q.state.get(f"distribution/{id}/{n:04d}")
                                    for n in range(1, p["distributions"] + 1)]
            out["collections"] = [q.state.get(f"collection/{id}/{n:05d}") for n in range(1, p["collections"] + 1)]
        elif q.caller is not None and q.caller.org_id in p["holders"]:
            out["holdings"] = [h for t in p["tranches"]
                               if (h := q.state.get(f"holding/{id}/{t['name']}/{q.caller.org_id}"))]
        if prove:
            out["proofs"] = {f"product/{id}": q.proof(f"product/{id}")}
        return out

    @query
    def products(self, q: QueryCtx, status: str | None = None, originator: str | None = None,
                 holder: str | None = None) -> list:
        """Products by status, originator or holder, as far as the reader may see them."""
        field, value = next(((f, v) for f, v in (("originator", originator), ("holders", holder),
                                                 ("status", status)) if v is not None), (None, None))
        ensure(field is not None, BadRequest("give status, originator or holder"))
        return [{k: p[k] for k in ("id", "name", "originator", "status", "opens", "closes", "maturity", "collected",
                                   "distributed")} | {"rating": p["ratings"][-1] if p["ratings"] else None}
                for _, p in q.find("product", field, value) if _may_see(q, p)
                and (status is None or p["status"] == status)]

    @query
    def transfer(self, q: QueryCtx, id: str) -> dict:
        """A negotiated transfer (its parties, the registrar, the exchange and the regulator)."""
        tr = q.state.get(f"transfer/{id}")
        if tr is None:
            raise NotFound(f"transfer {id!r} not found")
        p = q.state.get(f"product/{tr['product']}")
        if not (_party(q, p) or q.caller.org_id in (tr["seller"], tr["buyer"])):
            raise NotFound(f"transfer {id!r} not found")
        return tr


def _party(q: QueryCtx, p: dict) -> bool:
    if q.caller is None or q.caller.role in SEE_ALL:
        return True
    return q.caller.org_id in (p["originator"], p["registrar"], p["settlement_bank"])


def _may_see(q: QueryCtx, p: dict) -> bool:
    """Offered products (OPEN or later) are visible to qualified investors and rating agencies."""
    if _party(q, p) or q.caller.org_id in p["holders"] or q.caller.role == "RATING_AGENCY":
        return True
    return p["status"] not in (DRAFT, RATED, FILED) and q.caller.role == "INVESTOR" and q.caller.has("qualified")
