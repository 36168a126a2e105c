"""Offering a plan: the steps from the sponsor's draft to the money reaching the sponsor.

    create, pool, unpool     the sponsor drafts the plan and pools (or unpools) vouchers and invoices
    file                     the underwriter files it; the initial disclosure falls due
    return_filing, approve   the exchange sends the filing back, or approves and lists it
    subscribe                qualified investors subscribe during the window
    establish                the underwriter establishes it; periodic reports are scheduled
    confirm_funding          the settlement bank confirms the money moved: OUTSTANDING
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
from faechain.contracts.records import member
from faechain.contracts.roles import a_role
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import DAY, date_time
from faechain.modules.plans.records import (
    DRAFT,
    ESTABLISHED,
    FILED,
    INITIAL_DUE,
    LISTED,
    MAX_ASSETS,
    MAX_HOLDERS,
    MAX_TERM_DAYS,
    OUTSTANDING,
    PERIODIC_GRACE,
    PUBLISHED,
    SUPERSEDED,
    DisclosureItem,
    Holding,
    Plan,
    PoolEntry,
    asset_key,
    asset_ref,
    docs_key,
    holding_key,
)
from faechain.modules.plans.rules import (
    ensure_party,
    ensure_plan_status,
    load_item,
    load_plan,
    movable_plan,
    release_asset,
    save_plan,
    schedule,
)

SPONSOR_TYPES = ("CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK")
UNDERWRITER_TYPES = ("INTERMEDIARY", "BANK")
SERVICER_TYPES = ("CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK", "INTERMEDIARY")


class OfferingSteps:
    # -- drafting -------------------------------------------------------------------------------
    @tx
    def create(self, ctx: Ctx, name: str, underwriter: str, servicer: str, settlement_bank: str, size: int,
               coupon_bps: int, term_days: int, coverage_bps: int = 10_000, min_ticket: int = 0,
               report_every_days: int = 90) -> dict[str, Any]:
        """A sponsor drafts a plan: its parties and terms. Assets are pooled next."""
        ensure(ctx.caller.role in SPONSOR_TYPES, Unauthorized(f"{a_role(ctx.caller.role)} cannot sponsor a plan"))
        validators.text(name, "name")
        validators.amount(size, "size")
        ensure(0 <= coupon_bps <= 10_000, BadRequest("coupon_bps must be 0 .. 10000"))
        ensure(0 < term_days <= MAX_TERM_DAYS, BadRequest(f"term_days must be 1 .. {MAX_TERM_DAYS}"))
        ensure(10_000 <= coverage_bps <= 50_000, BadRequest("coverage_bps must be 10000 .. 50000 (100% .. 500%)"))
        ensure(0 <= min_ticket <= size, BadRequest("min_ticket must be 0 .. size"))
        ensure(30 <= report_every_days <= 366, BadRequest("report_every_days must be 30 .. 366"))
        member(ctx, underwriter, UNDERWRITER_TYPES, "underwriter")
        member(ctx, servicer, SERVICER_TYPES, "servicer")
        bank = member(ctx, settlement_bank, ("BANK",), "settlement bank")
        ensure(bank["attributes"].get("settlement"), BadRequest(f"{settlement_bank} is not a settlement bank"))
        pid = ctx.new_id("P")
        p: Plan = {
            "id": pid, "name": name, "sponsor": ctx.caller.org_id, "underwriter": underwriter, "servicer": servicer,
            "settlement_bank": settlement_bank, "size": size, "coupon_bps": coupon_bps, "term_days": term_days,
            "coverage_bps": coverage_bps, "min_ticket": min_ticket, "report_every_days": report_every_days,
            "status": DRAFT, "created_at": ctx.time, "assets": [], "pooled": 0, "filed_at": None,
            "approval": None, "opens": None, "closes": None, "subscribed": 0, "holders": [], "issued": 0,
            "outstanding": 0, "value_date": None, "maturity": None, "funding": None, "collected": 0,
            "paid_coupon": 0, "paid_principal": 0, "cash_flows": 0, "disclosures": 0, "payments": 0, "docs": 0,
            "default": None, "closed_at": None,
        }
        save_plan(ctx, p)
        ctx.state.put(docs_key(pid), [])
        ctx.emit("PlanCreated", plan=pid, sponsor=p["sponsor"], underwriter=underwriter, size=size)
        return {"plan": pid}

    @tx
    def pool(self, ctx: Ctx, plan: str, vouchers: list[str] = [],  # noqa: B006
             invoices: list[str] = []) -> dict[str, Any]:  # noqa: B006
        """The sponsor pools vouchers it holds and invoices it issued; each is locked to the plan."""
        p = movable_plan(ctx, plan)
        ensure_party(ctx, p, "sponsor")
        ensure_plan_status(p, DRAFT)
        ensure(vouchers or invoices, BadRequest("give at least one voucher or invoice"))
        ensure(len(vouchers) + len(invoices) <= 50, BadRequest("at most 50 assets per call"))
        ensure(len(p["assets"]) + len(vouchers) + len(invoices) <= MAX_ASSETS,
               LimitExceeded(f"a plan pools at most {MAX_ASSETS} assets"))
        added = []
        for kind, ids in (("voucher", vouchers), ("invoice", invoices)):
            for asset_id in ids:
                asset = asset_ref(kind, asset_id)
                entry: PoolEntry | None = ctx.state.get(asset_key(asset))
                ensure(entry is None or entry["released_at"] is not None,
                       Duplicate(f"{kind} {asset_id} is already pooled in plan {entry and entry['plan']}"))
                if kind == "voucher":
                    piece = ctx.call("receivables", "lock", id=asset_id, purpose=f"plan {plan}")
                    amount, payer, maturity = piece["amount"], piece["payer"], piece["maturity"]
                else:
                    inv = ctx.call("receivables", "lock_invoice", id=asset_id, purpose=f"plan {plan}")
                    amount, payer, maturity = inv["undrawn"], inv["buyer"], None
                new_entry: PoolEntry = {"plan": plan, "kind": kind, "id": asset_id, "amount": amount, "payer": payer,
                                        "maturity": maturity, "pooled_at": ctx.time, "released_at": None}
                ctx.state.put(asset_key(asset), new_entry)
                p["assets"].append(asset)
                p["pooled"] += amount
                added.append(asset)
        save_plan(ctx, p)
        ctx.emit("AssetsPooled", plan=plan, assets=added, pooled=p["pooled"])
        return {"plan": plan, "pooled": p["pooled"], "assets": len(p["assets"])}

    @tx
    def unpool(self, ctx: Ctx, plan: str, asset: str) -> dict[str, Any]:
        """The sponsor takes an asset (`voucher:<id>` or `invoice:<id>`) back out of a draft plan."""
        p = movable_plan(ctx, plan)
        ensure_party(ctx, p, "sponsor")
        ensure_plan_status(p, DRAFT)
        ensure(asset in p["assets"], NotFound(f"{asset} is not in plan {plan}"))
        released = release_asset(ctx, asset)
        p["assets"].remove(asset)
        p["pooled"] -= released
        save_plan(ctx, p)
        ctx.emit("AssetUnpooled", plan=plan, asset=asset, pooled=p["pooled"])
        return {"plan": plan, "pooled": p["pooled"]}

    # -- filing, approval and listing ----------------------------------------------------------------
    @tx
    def file(self, ctx: Ctx, plan: str) -> dict[str, Any]:
        """The underwriter files the plan with the exchange; the initial disclosure falls due."""
        p = movable_plan(ctx, plan)
        ensure_party(ctx, p, "underwriter")
        ensure_plan_status(p, DRAFT)
        need = (p["size"] * p["coverage_bps"] + 9_999) // 10_000
        ensure(p["pooled"] >= need,
               LimitExceeded(f"pooled {p['pooled']} fen is below {need} fen (size x coverage {p['coverage_bps']} bps)"))
        p["status"] = FILED
        p["filed_at"] = ctx.time
        n = schedule(ctx, p, "initial", "initial disclosure: offering document, pool list, legal opinion",
                     ctx.time + INITIAL_DUE)
        save_plan(ctx, p)
        ctx.emit("PlanFiled", plan=plan, underwriter=p["underwriter"], pooled=p["pooled"], initial_item=n)
        return {"plan": plan, "initial_disclosure": n}

    @tx
    def return_filing(self, ctx: Ctx, plan: str, reason: str) -> dict[str, Any]:
        """The exchange sends a filing back to DRAFT with its reasons (the schedule stays on record)."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange reviews filings"))
        validators.text(reason, "reason", 500)
        p = load_plan(ctx, plan)
        ensure_plan_status(p, FILED)
        p["status"] = DRAFT
        save_plan(ctx, p)
        ctx.emit("FilingReturned", plan=plan, reason=reason)
        return {"plan": plan}

    @tx
    def approve(self, ctx: Ctx, plan: str, approval_no: str, opens: int, closes: int) -> dict[str, Any]:
        """The exchange approves a filed plan and lists it for subscription from `opens` to `closes`.

        The initial disclosure must be published first: investors subscribe to
        what has been disclosed, not to a promise of it.
        """
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange approves filings"))
        validators.text(approval_no, "approval_no", 64)
        p = movable_plan(ctx, plan)
        ensure_plan_status(p, FILED)
        ensure(closes > opens and closes > ctx.time, BadRequest("the subscription window must close after it opens, "
                                                                  "in the future"))
        ensure(closes - opens <= 90 * DAY, BadRequest("a subscription window lasts at most 90 days"))
        initial = current_initial(ctx, p)
        ensure(initial["status"] == PUBLISHED, InvalidState("the initial disclosure has not been published"))
        p.update({"status": LISTED, "approval": {"no": approval_no, "by": ctx.caller.org_id, "at": ctx.time},
                  "opens": opens, "closes": closes})
        save_plan(ctx, p)
        ctx.emit("PlanListed", plan=plan, approval_no=approval_no, opens=opens, closes=closes, size=p["size"])
        return {"plan": plan}

    # -- subscription and establishment ---------------------------------------------------------------
    @tx
    def subscribe(self, ctx: Ctx, plan: str, amount: int) -> dict[str, Any]:
        """A qualified investor subscribes during the window (a second subscription adds to the first)."""
        validators.amount(amount)
        ensure(ctx.caller.role == "INVESTOR" and ctx.caller.has("qualified"),
               Unauthorized("only qualified investors subscribe"))
        p = movable_plan(ctx, plan)
        ensure_plan_status(p, LISTED)
        opens, closes = p["opens"], p["closes"]  # set when the plan was listed
        ensure(opens is not None and closes is not None and opens <= ctx.time < closes,
               InvalidState("the subscription window is not open"))
        investor = ctx.caller.org_id
        key = holding_key(plan, investor)
        h: Holding | None = ctx.state.get(key)
        if h is None:
            h = {"plan": plan, "investor": investor, "subscribed": 0, "principal": 0, "coupon_received": 0,
                 "principal_received": 0, "since": ctx.time}
        ensure(h["subscribed"] + amount >= p["min_ticket"],
               LimitExceeded(f"a subscription of at least {p['min_ticket']} fen is required"))
        ensure(p["subscribed"] + amount <= p["size"],
               LimitExceeded(f"only {p['size'] - p['subscribed']} fen of plan {plan} remain"))
        if h["subscribed"] == 0:
            ensure(len(p["holders"]) < MAX_HOLDERS, LimitExceeded(f"plan {plan} has {MAX_HOLDERS} investors"))
            p["holders"] = sorted(p["holders"] + [investor])
        h["subscribed"] += amount
        p["subscribed"] += amount
        ctx.state.put(key, h)
        save_plan(ctx, p)
        ctx.emit("PlanSubscribed", plan=plan, investor=investor, amount=amount, subscribed=p["subscribed"])
        return {"plan": plan, "subscribed": h["subscribed"], "remaining": p["size"] - p["subscribed"]}

    @tx
    def establish(self, ctx: Ctx, plan: str) -> dict[str, Any]:
        """The underwriter establishes the plan at what was subscribed, once the window has
        closed (or it is fully subscribed). Periodic reports are scheduled over the term."""
        p = movable_plan(ctx, plan)
        ensure_party(ctx, p, "underwriter")
        ensure_plan_status(p, LISTED)
        closes = p["closes"]  # set when the plan was listed
        ensure((closes is not None and ctx.time >= closes) or p["subscribed"] == p["size"],
               InvalidState("the subscription window is still open and the plan is not fully subscribed"))
        ensure(p["subscribed"] > 0, InvalidState("nobody subscribed; close the plan instead"))
        instructions: list[list[str | int]] = []
        for investor in p["holders"]:
            h: Holding = ctx.state.get(holding_key(plan, investor))
            h["principal"] = h["subscribed"]
            ctx.state.put(holding_key(plan, investor), h)
            instructions.append([investor, p["sponsor"], h["subscribed"]])
        maturity = ctx.time + p["term_days"] * DAY
        p.update({"status": ESTABLISHED, "issued": p["subscribed"], "outstanding": p["subscribed"],
                  "value_date": ctx.time, "maturity": maturity, "instructions": instructions})
        every = p["report_every_days"] * DAY
        period_end = ctx.time + every
        while period_end < maturity:  # at most term / 30 days items: bounded
            schedule(ctx, p, "periodic", f"periodic report to {date_time(period_end)}", period_end + PERIODIC_GRACE)
            period_end += every
        schedule(ctx, p, "periodic", "final report", maturity + PERIODIC_GRACE)
        save_plan(ctx, p)
        ctx.emit("PlanEstablished", plan=plan, issued=p["issued"], holders=len(p["holders"]), maturity=maturity)
        return {"plan": plan, "issued": p["issued"], "maturity": maturity}

    @tx
    def confirm_funding(self, ctx: Ctx, plan: str, bank_ref: str) -> dict[str, Any]:
        """The settlement bank confirms the subscription money reached the sponsor: OUTSTANDING."""
        p = load_plan(ctx, plan)
        ensure_party(ctx, p, "settlement_bank")
        ensure(ctx.caller.has("settlement"), Unauthorized("only a settlement bank confirms payments"))
        ensure_plan_status(p, ESTABLISHED)
        validators.text(bank_ref, "bank_ref", 64)
        p["status"] = OUTSTANDING
        p["funding"] = {"bank_ref": bank_ref, "confirmed_at": ctx.time, "amount": p["issued"]}
        save_plan(ctx, p)
        ctx.emit("PlanFunded", plan=plan, amount=p["issued"], bank_ref=bank_ref)
        return {"plan": plan}


def current_initial(ctx: Ctx, p: Plan) -> DisclosureItem:
    """The plan's current initial disclosure (a correction supersedes the first)."""
    for n in range(p["disclosures"], 0, -1):  # bounded by the plan's own schedule
        item = load_item(ctx, p["id"], n)
        if item["kind"] == "initial" and item["status"] != SUPERSEDED:
            return item
    raise NotFound(f"plan {p['id']} has no initial disclosure")
