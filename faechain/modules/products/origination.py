"""Originating a product: from the factor's draft to an approved product open for subscription.

    create            a factor drafts the product: its tranches and parties
    add_underlying    the originator locks financed vouchers it holds to the product
    rate              a rating agency rates (or re-rates) the product
    file              the originator files the rated product with the exchange
    approve           the exchange approves the filing and opens the subscription window
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.money import MAX_AMOUNT
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import DAY
from faechain.contracts.validators import HEX64
from faechain.modules.products.records import (
    CLOSED,
    DRAFT,
    FAILED,
    FILED,
    GRADES,
    MAX_RATINGS,
    MAX_TRANCHES,
    MAX_UNDERLYING,
    OPEN,
    OUTLOOKS,
    RATED,
    TRANCHE_NAME,
    Product,
    Tranche,
    Underlying,
    underlying_key,
)
from faechain.modules.products.rules import (
    ensure_product_status,
    load_product,
    movable_product,
    save_product,
)


class OriginationSteps:
    @tx
    def create(self, ctx: Ctx, name: str, tranches: list[dict[str, Any]], registrar: str, settlement_bank: str,
               min_ticket: int, term_days: int, fee_bps: int = 0) -> dict[str, Any]:
        """A factor drafts a product: its tranches (senior first by priority) and parties."""
        ensure(ctx.caller.role == "FACTOR", Unauthorized("only a factor originates revenue-sharing products"))
        validators.text(name, "name")
        parsed = parse_tranches(tranches)
        validators.amount_range(min_ticket, "min_ticket")
        ensure(all(min_ticket <= t["size"] for t in parsed), BadRequest("min_ticket exceeds a tranche"))
        ensure(30 <= term_days <= 3 * 365, BadRequest("term_days must be 30 .. 1095"))
        ensure(0 <= fee_bps <= 1_000, BadRequest("fee_bps must be 0 .. 1000"))
        reg = ctx.read("membership", f"org/{registrar}")
        ensure(reg is not None and reg["type"] == "REGISTRAR", BadRequest(f"{registrar} is not a registrar"))
        bank = ctx.read("membership", f"org/{settlement_bank}")
        ensure(bank is not None and bank["type"] == "BANK" and bank["attributes"].get("settlement"),
               BadRequest(f"{settlement_bank} is not a settlement bank"))
        pid = ctx.new_id("R")
        p: Product = {
            "id": pid, "name": name, "originator": ctx.caller.org_id, "registrar": registrar,
            "settlement_bank": settlement_bank, "tranches": parsed, "min_ticket": min_ticket,
            "term_days": term_days, "fee_bps": fee_bps, "status": DRAFT, "created_at": ctx.time,
            "underlying": [], "underlying_amount": 0, "ratings": [], "approval": None, "opens": None,
            "closes": None, "holders": [], "established_at": None, "maturity": None, "funding": None,
            "collected": 0, "distributed": 0, "collections": 0, "distributions": 0, "fees_owed": 0,
            "fees_paid": 0, "accrued_to": None, "default": None, "closed_at": None,
        }
        save_product(ctx, p)
        ctx.emit("ProductCreated", product=pid, originator=p["originator"],
                 size=sum(t["size"] for t in parsed), tranches=[t["name"] for t in parsed])
        return {"product": pid}

    @tx
    def add_underlying(self, ctx: Ctx, product: str, vouchers: list[str]) -> dict[str, Any]:
        """The originator locks financed vouchers it holds to the product (DRAFT only)."""
        p = movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["originator"], Unauthorized("only the originator adds underlying assets"))
        ensure_product_status(p, DRAFT)
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
            entry: Underlying = {"product": product, "voucher": vid, "payer": piece["payer"], "amount": piece["amount"],
                                 "maturity": piece["maturity"], "added_at": ctx.time, "released_at": None,
                                 "paid": None}
            ctx.state.put(underlying_key(vid), entry)
            p["underlying"].append(vid)
            p["underlying_amount"] += piece["amount"]
        save_product(ctx, p)
        ctx.emit("UnderlyingAdded", product=product, vouchers=vouchers, underlying_amount=p["underlying_amount"])
        return {"product": product, "underlying_amount": p["underlying_amount"]}

    @tx
    def rate(self, ctx: Ctx, product: str, grade: str, outlook: str, report_hash: str) -> dict[str, Any]:
        """A rating agency rates (or re-rates) the product; ratings are appended, never replaced."""
        ensure(ctx.caller.role == "RATING_AGENCY", Unauthorized("only a rating agency rates products"))
        p = load_product(ctx, product)
        ensure(p["status"] not in (FAILED, CLOSED), InvalidState(f"product {product} is {p['status']}"))
        validators.one_of(grade, GRADES, "grade")
        validators.one_of(outlook, OUTLOOKS, "outlook")
        ensure(HEX64.match(report_hash) is not None, BadRequest("report_hash must be 64 lowercase hex characters"))
        if p["status"] == DRAFT:
            ensure(p["underlying"], InvalidState("a product without underlying assets cannot be rated"))
            p["status"] = RATED
        p["ratings"] = p["ratings"][-(MAX_RATINGS - 1):] + [{"agency": ctx.caller.org_id, "grade": grade,
                                                             "outlook": outlook, "report_hash": report_hash,
                                                             "at": ctx.time}]
        save_product(ctx, p)
        ctx.emit("ProductRated", product=product, agency=ctx.caller.org_id, grade=grade, outlook=outlook)
        return {"product": product, "grade": grade}

    @tx
    def file(self, ctx: Ctx, product: str) -> dict[str, Any]:
        """The originator files the rated product with the exchange."""
        p = movable_product(ctx, product)
        ensure(ctx.caller.org_id == p["originator"], Unauthorized("only the originator files its product"))
        ensure_product_status(p, RATED)
        size = sum(t["size"] for t in p["tranches"])
        ensure(p["underlying_amount"] >= size,
               LimitExceeded(f"underlying {p['underlying_amount']} fen does not cover the product's {size} fen"))
        p["status"] = FILED
        save_product(ctx, p)
        ctx.emit("ProductFiled", product=product)
        return {"product": product}

    @tx
    def approve(self, ctx: Ctx, product: str, approval_no: str, opens: int, closes: int) -> dict[str, Any]:
        """The exchange approves the filing and opens subscription from `opens` to `closes`."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange approves products"))
        validators.text(approval_no, "approval_no", 64)
        p = movable_product(ctx, product)
        ensure_product_status(p, FILED)
        ensure(ctx.time <= closes and opens < closes and closes - opens <= 60 * DAY,
               BadRequest("the window must close after it opens, in the future, within 60 days"))
        p.update({"status": OPEN, "approval": {"no": approval_no, "at": ctx.time}, "opens": opens, "closes": closes})
        save_product(ctx, p)
        ctx.emit("ProductOpen", product=product, opens=opens, closes=closes)
        return {"product": product}


def parse_tranches(raw: list[dict[str, Any]]) -> list[Tranche]:
    """The tranches of `create`, checked and with their counters at zero, senior (lowest priority) first."""
    ensure(1 <= len(raw) <= MAX_TRANCHES, BadRequest(f"a product has 1 to {MAX_TRANCHES} tranches"))
    out: list[Tranche] = []
    for t in raw:
        ensure(type(t) is dict and set(t) == {"name", "size", "coupon_bps", "priority"},
               BadRequest("each tranche is {name, size, coupon_bps, priority}"))
        ensure(type(t["name"]) is str and TRANCHE_NAME.match(t["name"]) is not None,
               BadRequest("a tranche name is 1-32 lowercase letters, digits, '-' or '_'"))
        ensure(type(t["size"]) is int and type(t["coupon_bps"]) is int and type(t["priority"]) is int,
               BadRequest("tranche size, coupon_bps and priority are integers"))
        validators.amount_range(t["size"], "tranche size")
        ensure(0 <= t["coupon_bps"] <= 10_000, BadRequest("coupon_bps must be 0 .. 10000"))
        out.append({"name": t["name"], "size": t["size"], "coupon_bps": t["coupon_bps"], "priority": t["priority"],
                    "subscribed": 0, "outstanding": 0, "interest_owed": 0, "interest_paid": 0,
                    "principal_paid": 0})
    ensure(len({t["name"] for t in out}) == len(out), Duplicate("tranche names must differ"))
    ensure(len({t["priority"] for t in out}) == len(out), Duplicate("tranche priorities must differ"))
    out.sort(key=lambda t: t["priority"])
    ensure(sum(t["size"] for t in out) <= MAX_AMOUNT, BadRequest("the product is too large"))
    return out
