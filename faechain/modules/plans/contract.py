"""The `plans` contract: receivables debt financing plans and their disclosure (domain.md section 2).

A sponsor pools receivables (vouchers it holds, invoices it issued) into a plan;
an underwriter files it; the exchange approves and lists it; qualified investors
subscribe; the settlement bank confirms the money moved; the servicer records
every cash flow; disclosures follow a schedule whose missed deadlines raise an
alert; and anyone party to the plan can see through it to each invoice.

State (under `plans/`):

    plan/<id>                 terms, parties, status, the pooled assets, holders and counters
    asset/<kind>:<id>         pool entry: which plan holds a voucher or invoice (kept after release)
    holding/<plan>/<org>      an investor's subscription and outstanding principal
    doc/<hash>                a document's on-chain record (its bytes are in the node's vault)
    docs/<plan>               the plan's document hashes, in registration order
    cashflow/<plan>/<n>       the n-th cash flow (n zero-padded, from 1)
    disclosure/<plan>/<n>     the n-th disclosure item (scheduled, published, overdue, superseded)
    payment/<plan>/<n>        the n-th coupon or principal payment and its allocation per holder
    due/<day>                 [[due, plan, n], ...] disclosure items falling due on that China-time day
    cursor                    the first day whose due items are not all settled

The plan record lists every pooled asset and counts every document, cash flow
and disclosure, so a penetration answer can be checked for completeness, not
only for authenticity (see `penetration.py`).

Pooled vouchers and invoices are locked in the receivables contract, so an asset
sits in one plan and cannot be financed or drawn on elsewhere. When a pooled
voucher is paid at maturity, receivables calls `voucher_paid` inside the
settlement bank's confirmation and the plan records the cash flow then.
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
from faechain.contracts.deadlines import Deadlines
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.money import MAX_AMOUNT, largest_remainder
from faechain.contracts.records import ensure_status, member as _member
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, internal, query, register, tx
from faechain.modules.plans import penetration

DAY = 86_400
MAX_ASSETS = 200  # pool entries per plan
MAX_HOLDERS = 200  # a private placement: at most 200 investors
MAX_DOCS = 1000
MAX_TERM_DAYS = 3 * 365
INITIAL_DUE = 10 * DAY  # the initial disclosure is due this long after filing
MAJOR_EVENT_DUE = 2 * DAY  # a major event is disclosed within two days
PERIODIC_GRACE = 30 * DAY  # a periodic report is due this long after its period ends
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPE = re.compile(r"^[a-z]+/[0-9a-z.+-]{1,64}$")

# plan states
DRAFT, FILED, LISTED, ESTABLISHED = "DRAFT", "FILED", "LISTED", "ESTABLISHED"
OUTSTANDING, REDEEMED, DEFAULTED, CLOSED = "OUTSTANDING", "REDEEMED", "DEFAULTED", "CLOSED"
# disclosure item states
SCHEDULED, PUBLISHED, OVERDUE, SUPERSEDED = "SCHEDULED", "PUBLISHED", "OVERDUE", "SUPERSEDED"

SPONSOR_TYPES = ("CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK")
UNDERWRITER_TYPES = ("INTERMEDIARY", "BANK")
SERVICER_TYPES = ("CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK", "INTERMEDIARY")
DOC_KINDS = ("contract", "invoice", "bank_statement", "report", "legal_opinion", "rating", "prospectus", "other")
DISCLOSURE_KINDS = ("initial", "periodic", "major_event")
PAYMENT_KINDS = ("coupon", "principal")
SEE_ALL = frozenset({"REGULATOR", "EXCHANGE"})
PARTY_FIELDS = ("sponsor", "underwriter", "servicer", "settlement_bank")


def _amount(value: int, what: str = "amount") -> int:
    ensure(value > 0, BadRequest(f"{what} must be a positive number of fen"))
    ensure(value <= MAX_AMOUNT, BadRequest(f"{what} exceeds the 64-bit limit"))
    return value


def _text(value: str, what: str, limit: int = 200) -> str:
    ensure(0 < len(value) <= limit, BadRequest(f"{what} must be 1-{limit} characters"))
    return value



def _plan(ctx: Ctx, plan_id: str) -> dict:
    return ctx.state.require(f"plan/{plan_id}", "plan")


def _movable_plan(ctx: Ctx, plan_id: str) -> dict:
    """The plan, for a step that moves it or its money (refused while the regulator has it frozen)."""
    p = _plan(ctx, plan_id)
    ensure_not_frozen(ctx, f"plan:{plan_id}")
    return p


def _save(ctx: Ctx, p: dict) -> None:
    ctx.state.put(f"plan/{p['id']}", p)


def _status(p: dict, *allowed: str) -> None:
    ensure_status("plan", p, *allowed)


def _party(ctx: Ctx, p: dict, *fields: str) -> str:
    """The caller's organisation, if it is one of the plan's `fields` parties."""
    who = ctx.caller.org_id
    ensure(any(p[f] == who for f in fields),
           Unauthorized(f"only the plan's {' or '.join(fields)} may do this"))
    return who


def _is_party(org_id: str, p: dict) -> bool:
    return org_id in {p[f] for f in PARTY_FIELDS} or org_id in p["holders"]


def _schedule(ctx: Ctx, p: dict, kind: str, title: str, due: int) -> int:
    """Add a disclosure item to the plan's schedule; returns its number."""
    p["disclosures"] += 1
    n = p["disclosures"]
    ctx.state.put(f"disclosure/{p['id']}/{n:04d}", {
        "plan": p["id"], "n": n, "kind": kind, "title": title, "due": due, "status": SCHEDULED,
        "scheduled_by": ctx.caller.org_id, "scheduled_at": ctx.time, "published_at": None, "late": False,
        "summary": None, "documents": [], "supersedes": None, "superseded_by": None,
    })
    Deadlines(ctx.state).add(due, p["id"], n)
    ctx.emit("DisclosureScheduled", plan=p["id"], item=n, kind=kind, title=title, due=due)
    return n


def _item(ctx: Ctx, plan_id: str, n: int) -> dict:
    return ctx.state.require(f"disclosure/{plan_id}/{n:04d}", "disclosure item")


def _documents_of(ctx: Ctx, p: dict, hashes: list[str]) -> list[str]:
    ensure(len(hashes) <= 50, BadRequest("at most 50 documents per disclosure"))
    ensure(len(set(hashes)) == len(hashes), Duplicate("a document is listed twice"))
    for h in hashes:
        d = ctx.state.get(f"doc/{h}")
        ensure(d is not None and d["plan"] == p["id"], NotFound(f"document {h} is not registered to plan {p['id']}"))
        ensure(d["superseded_by"] is None, InvalidState(f"document {h} has been superseded by {d['superseded_by']}"))
    return hashes


def _cash_flow(ctx: Ctx, p: dict, asset: str | None, payer: str, payee: str, amount: int, value_date: int,
               bank_ref: str, source: str) -> int:
    ensure(not ctx.state.has(f"bankref/{p['id']}/{bank_ref}"),
           Duplicate(f"bank reference {bank_ref} is already recorded for plan {p['id']}"))
    p["cash_flows"] += 1
    p["collected"] += amount
    n = p["cash_flows"]
    ctx.state.put(f"cashflow/{p['id']}/{n:06d}", {
        "plan": p["id"], "n": n, "asset": asset, "payer": payer, "payee": payee, "amount": amount,
        "value_date": value_date, "bank_ref": bank_ref, "recorded_by": ctx.caller.org_id, "recorded_at": ctx.time,
        "source": source,
    })
    ctx.state.put(f"bankref/{p['id']}/{bank_ref}", n)
    ctx.emit("CashFlowRecorded", plan=p["id"], n=n, asset=asset, amount=amount, bank_ref=bank_ref, source=source)
    return n


@register
class Plans(Contract):
    name = "plans"
    indexes = {
        "plan": ("sponsor", "underwriter", "servicer", "settlement_bank", "status", "holders"),
        "disclosure": ("plan", "status"),
        "doc": ("plan",),
        "holding": ("investor",),
    }

    # -- drafting -------------------------------------------------------------------------------
    @tx
    def create(self, ctx: Ctx, name: str, underwriter: str, servicer: str, settlement_bank: str, size: int,
               coupon_bps: int, term_days: int, coverage_bps: int = 10_000, min_ticket: int = 0,
               report_every_days: int = 90) -> dict:
        """A sponsor drafts a plan: its parties and terms. Assets are pooled next."""
        ensure(ctx.caller.role in SPONSOR_TYPES, Unauthorized(f"a {ctx.caller.role} cannot sponsor a plan"))
        _text(name, "name")
        _amount(size, "size")
        ensure(0 <= coupon_bps <= 10_000, BadRequest("coupon_bps must be 0 .. 10000"))
        ensure(0 < term_days <= MAX_TERM_DAYS, BadRequest(f"term_days must be 1 .. {MAX_TERM_DAYS}"))
        ensure(10_000 <= coverage_bps <= 50_000, BadRequest("coverage_bps must be 10000 .. 50000 (100% .. 500%)"))
        ensure(0 <= min_ticket <= size, BadRequest("min_ticket must be 0 .. size"))
        ensure(30 <= report_every_days <= 366, BadRequest("report_every_days must be 30 .. 366"))
        _member(ctx, underwriter, UNDERWRITER_TYPES, "underwriter")
        _member(ctx, servicer, SERVICER_TYPES, "servicer")
        bank = _member(ctx, settlement_bank, ("BANK",), "settlement bank")
        ensure(bank["attributes"].get("settlement"), BadRequest(f"{settlement_bank} is not a settlement bank"))
        pid = ctx.new_id("P")
        p = {
            "id": pid, "name": name, "sponsor": ctx.caller.org_id, "underwriter": underwriter, "servicer": servicer,
            "settlement_bank": settlement_bank, "size": size, "coupon_bps": coupon_bps, "term_days": term_days,
            "coverage_bps": coverage_bps, "min_ticket": min_ticket, "report_every_days": report_every_days,
            "status": DRAFT, "created_at": ctx.time, "assets": [], "pooled": 0, "filed_at": None,
            "approval": None, "opens": None, "closes": None, "subscribed": 0, "holders": [], "issued": 0,
            "outstanding": 0, "value_date": None, "maturity": None, "funding": None, "collected": 0,
            "paid_coupon": 0, "paid_principal": 0, "cash_flows": 0, "disclosures": 0, "payments": 0, "docs": 0,
            "default": None, "closed_at": None,
        }
        _save(ctx, p)
        ctx.state.put(f"docs/{pid}", [])
        ctx.emit("PlanCreated", plan=pid, sponsor=p["sponsor"], underwriter=underwriter, size=size)
        return {"plan": pid}

    @tx
    def pool(self, ctx: Ctx, plan: str, vouchers: list[str] = [], invoices: list[str] = []) -> dict:  # noqa: B006
        """The sponsor pools vouchers it holds and invoices it issued; each is locked to the plan."""
        p = _movable_plan(ctx, plan)
        _party(ctx, p, "sponsor")
        _status(p, DRAFT)
        ensure(vouchers or invoices, BadRequest("give at least one voucher or invoice"))
        ensure(len(vouchers) + len(invoices) <= 50, BadRequest("at most 50 assets per call"))
        ensure(len(p["assets"]) + len(vouchers) + len(invoices) <= MAX_ASSETS,
               LimitExceeded(f"a plan pools at most {MAX_ASSETS} assets"))
        added = []
        for kind, ids in (("voucher", vouchers), ("invoice", invoices)):
            for asset_id in ids:
                key = f"asset/{kind}:{asset_id}"
                entry = ctx.state.get(key)
                ensure(entry is None or entry["released_at"] is not None,
                       Duplicate(f"{kind} {asset_id} is already pooled in plan {entry and entry['plan']}"))
                if kind == "voucher":
                    piece = ctx.call("receivables", "lock", id=asset_id, purpose=f"plan {plan}")
                    amount, payer, maturity = piece["amount"], piece["payer"], piece["maturity"]
                else:
                    inv = ctx.call("receivables", "lock_invoice", id=asset_id, purpose=f"plan {plan}")
                    amount, payer, maturity = inv["undrawn"], inv["buyer"], None
                ctx.state.put(key, {"plan": plan, "kind": kind, "id": asset_id, "amount": amount, "payer": payer,
                                    "maturity": maturity, "pooled_at": ctx.time, "released_at": None})
                p["assets"].append(f"{kind}:{asset_id}")
                p["pooled"] += amount
                added.append(f"{kind}:{asset_id}")
        _save(ctx, p)
        ctx.emit("AssetsPooled", plan=plan, assets=added, pooled=p["pooled"])
        return {"plan": plan, "pooled": p["pooled"], "assets": len(p["assets"])}

    @tx
    def unpool(self, ctx: Ctx, plan: str, asset: str) -> dict:
        """The sponsor takes an asset (`voucher:<id>` or `invoice:<id>`) back out of a draft plan."""
        p = _movable_plan(ctx, plan)
        _party(ctx, p, "sponsor")
        _status(p, DRAFT)
        ensure(asset in p["assets"], NotFound(f"{asset} is not in plan {plan}"))
        amount = self._release(ctx, asset)
        p["assets"].remove(asset)
        p["pooled"] -= amount
        _save(ctx, p)
        ctx.emit("AssetUnpooled", plan=plan, asset=asset, pooled=p["pooled"])
        return {"plan": plan, "pooled": p["pooled"]}

    def _release(self, ctx: Ctx, asset: str) -> int:
        kind, asset_id = asset.split(":", 1)
        entry = ctx.state.get(f"asset/{asset}")
        ctx.call("receivables", "unlock" if kind == "voucher" else "unlock_invoice", id=asset_id)
        entry["released_at"] = ctx.time
        ctx.state.put(f"asset/{asset}", entry)
        return entry["amount"]

    # -- filing, approval and listing ----------------------------------------------------------------
    @tx
    def file(self, ctx: Ctx, plan: str) -> dict:
        """The underwriter files the plan with the exchange; the initial disclosure falls due."""
        p = _movable_plan(ctx, plan)
        _party(ctx, p, "underwriter")
        _status(p, DRAFT)
        need = (p["size"] * p["coverage_bps"] + 9_999) // 10_000
        ensure(p["pooled"] >= need,
               LimitExceeded(f"pooled {p['pooled']} fen is below {need} (size x coverage {p['coverage_bps']} bps)"))
        p["status"] = FILED
        p["filed_at"] = ctx.time
        n = _schedule(ctx, p, "initial", "initial disclosure: offering document, pool list, legal opinion",
                      ctx.time + INITIAL_DUE)
        _save(ctx, p)
        ctx.emit("PlanFiled", plan=plan, underwriter=p["underwriter"], pooled=p["pooled"], initial_item=n)
        return {"plan": plan, "initial_disclosure": n}

    @tx
    def return_filing(self, ctx: Ctx, plan: str, reason: str) -> dict:
        """The exchange sends a filing back to DRAFT with its reasons (the schedule stays on record)."""
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange reviews filings"))
        _text(reason, "reason", 500)
        p = _plan(ctx, plan)
        _status(p, FILED)
        p["status"] = DRAFT
        _save(ctx, p)
        ctx.emit("FilingReturned", plan=plan, reason=reason)
        return {"plan": plan}

    @tx
    def approve(self, ctx: Ctx, plan: str, approval_no: str, opens: int, closes: int) -> dict:
        """The exchange approves a filed plan and lists it for subscription from `opens` to `closes`.

        The initial disclosure must be published first: investors subscribe to
        what has been disclosed, not to a promise of it.
        """
        ensure(ctx.caller.role == "EXCHANGE", Unauthorized("only the exchange approves filings"))
        _text(approval_no, "approval_no", 64)
        p = _movable_plan(ctx, plan)
        _status(p, FILED)
        ensure(closes > opens and closes > ctx.time, BadRequest("the subscription window must close after it opens, "
                                                                  "in the future"))
        ensure(closes - opens <= 90 * DAY, BadRequest("a subscription window lasts at most 90 days"))
        initial = [self._find_initial(ctx, p)]
        ensure(initial[0]["status"] == PUBLISHED, InvalidState("the initial disclosure has not been published"))
        p.update(status=LISTED, approval={"no": approval_no, "by": ctx.caller.org_id, "at": ctx.time},
                 opens=opens, closes=closes)
        _save(ctx, p)
        ctx.emit("PlanListed", plan=plan, approval_no=approval_no, opens=opens, closes=closes, size=p["size"])
        return {"plan": plan}

    @staticmethod
    def _find_initial(ctx: Ctx, p: dict) -> dict:
        """The plan's current initial disclosure (a correction supersedes the first)."""
        for n in range(p["disclosures"], 0, -1):  # bounded by the plan's own schedule
            item = _item(ctx, p["id"], n)
            if item["kind"] == "initial" and item["status"] != SUPERSEDED:
                return item
        raise NotFound(f"plan {p['id']} has no initial disclosure")

    # -- subscription and establishment ---------------------------------------------------------------
    @tx
    def subscribe(self, ctx: Ctx, plan: str, amount: int) -> dict:
        """A qualified investor subscribes during the window (a second subscription adds to the first)."""
        _amount(amount)
        ensure(ctx.caller.role == "INVESTOR" and ctx.caller.has("qualified"),
               Unauthorized("only qualified investors subscribe"))
        p = _movable_plan(ctx, plan)
        _status(p, LISTED)
        ensure(p["opens"] <= ctx.time < p["closes"], InvalidState("the subscription window is not open"))
        investor = ctx.caller.org_id
        key = f"holding/{plan}/{investor}"
        h = ctx.state.get(key) or {"plan": plan, "investor": investor, "subscribed": 0, "principal": 0,
                                   "coupon_received": 0, "principal_received": 0, "since": ctx.time}
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
        _save(ctx, p)
        ctx.emit("PlanSubscribed", plan=plan, investor=investor, amount=amount, subscribed=p["subscribed"])
        return {"plan": plan, "subscribed": h["subscribed"], "remaining": p["size"] - p["subscribed"]}

    @tx
    def establish(self, ctx: Ctx, plan: str) -> dict:
        """The underwriter establishes the plan at what was subscribed, once the window has
        closed (or it is fully subscribed). Periodic reports are scheduled over the term."""
        p = _movable_plan(ctx, plan)
        _party(ctx, p, "underwriter")
        _status(p, LISTED)
        ensure(ctx.time >= p["closes"] or p["subscribed"] == p["size"],
               InvalidState("the subscription window is still open and the plan is not fully subscribed"))
        ensure(p["subscribed"] > 0, InvalidState("nobody subscribed; close the plan instead"))
        instructions = []
        for investor in p["holders"]:
            h = ctx.state.get(f"holding/{plan}/{investor}")
            h["principal"] = h["subscribed"]
            ctx.state.put(f"holding/{plan}/{investor}", h)
            instructions.append([investor, p["sponsor"], h["subscribed"]])
        maturity = ctx.time + p["term_days"] * DAY
        p.update(status=ESTABLISHED, issued=p["subscribed"], outstanding=p["subscribed"], value_date=ctx.time,
                 maturity=maturity, instructions=instructions)
        every = p["report_every_days"] * DAY
        period_end = ctx.time + every
        while period_end < maturity:  # at most term / 30 days items: bounded
            _schedule(ctx, p, "periodic", f"periodic report to {period_end}", period_end + PERIODIC_GRACE)
            period_end += every
        _schedule(ctx, p, "periodic", "final report", maturity + PERIODIC_GRACE)
        _save(ctx, p)
        ctx.emit("PlanEstablished", plan=plan, issued=p["issued"], holders=len(p["holders"]), maturity=maturity)
        return {"plan": plan, "issued": p["issued"], "maturity": maturity}

    @tx
    def confirm_funding(self, ctx: Ctx, plan: str, bank_ref: str) -> dict:
        """The settlement bank confirms the subscription money reached the sponsor: OUTSTANDING."""
        p = _plan(ctx, plan)
        _party(ctx, p, "settlement_bank")
        ensure(ctx.caller.has("settlement"), Unauthorized("only a settlement bank confirms payments"))
        _status(p, ESTABLISHED)
        _text(bank_ref, "bank_ref", 64)
        p["status"] = OUTSTANDING
        p["funding"] = {"bank_ref": bank_ref, "confirmed_at": ctx.time, "amount": p["issued"]}
        _save(ctx, p)
        ctx.emit("PlanFunded", plan=plan, amount=p["issued"], bank_ref=bank_ref)
        return {"plan": plan}

    # -- cash flows and payments --------------------------------------------------------------------
    @tx
    def record_cash_flow(self, ctx: Ctx, plan: str, payer: str, payee: str, amount: int, value_date: int,
                         bank_ref: str, asset: str | None = None) -> dict:
        """The servicer or settlement bank records money collected on the pool (or paid out of it)."""
        p = _plan(ctx, plan)
        _party(ctx, p, "servicer", "settlement_bank")
        _status(p, ESTABLISHED, OUTSTANDING, DEFAULTED, REDEEMED)
        _amount(amount)
        _text(bank_ref, "bank_ref", 64)
        _text(payer, "payer", 64)
        _text(payee, "payee", 64)
        ensure(value_date <= ctx.time, BadRequest("the value date lies in the future"))
        ensure(asset is None or asset in p["assets"], NotFound(f"{asset} is not in plan {plan}"))
        n = _cash_flow(ctx, p, asset, payer, payee, amount, value_date, bank_ref, "servicer")
        _save(ctx, p)
        return {"plan": plan, "cash_flow": n}

    @internal
    def voucher_paid(self, ctx: Ctx, voucher: str, root: str, paid: int, payer: str, holder: str, bank_ref: str,
                     held: bool) -> None:
        """Receivables reports a pooled voucher paid (inside the settlement bank's confirmation)."""
        ensure(ctx.via == "receivables", Unauthorized("only the receivables contract reports voucher payments"))
        entry = ctx.state.require(f"asset/voucher:{voucher}", "pool entry")
        p = _plan(ctx, entry["plan"])
        # the bank reference is per root; each pooled piece of it is its own cash flow
        _cash_flow(ctx, p, f"voucher:{voucher}", payer, holder, paid, ctx.time, f"{bank_ref}/{voucher}",
                   "settlement")
        _save(ctx, p)

    @tx
    def pay(self, ctx: Ctx, plan: str, kind: str, amount: int, bank_ref: str) -> dict:
        """The settlement bank confirms a coupon or principal payment to the holders.

        The amount is allocated pro rata to each holder's outstanding principal,
        to the fen (largest remainder). When principal reaches zero the plan is
        REDEEMED.
        """
        p = _movable_plan(ctx, plan)
        _party(ctx, p, "settlement_bank")
        ensure(ctx.caller.has("settlement"), Unauthorized("only a settlement bank confirms payments"))
        _status(p, OUTSTANDING, DEFAULTED)
        ensure(kind in PAYMENT_KINDS, BadRequest(f"kind must be one of {', '.join(PAYMENT_KINDS)}"))
        _amount(amount)
        _text(bank_ref, "bank_ref", 64)
        ensure(not ctx.state.has(f"bankref/{plan}/{bank_ref}"),
               Duplicate(f"bank reference {bank_ref} is already recorded for plan {plan}"))
        if kind == "principal":
            ensure(amount <= p["outstanding"],
                   LimitExceeded(f"principal payment {amount} exceeds the outstanding {p['outstanding']}"))
        holdings = [ctx.state.get(f"holding/{plan}/{i}") for i in p["holders"]]
        shares = largest_remainder(amount, [h["principal"] for h in holdings], p["holders"])
        for h, share in zip(holdings, shares):
            if kind == "principal":
                h["principal"] -= share
                h["principal_received"] += share
            else:
                h["coupon_received"] += share
            ctx.state.put(f"holding/{plan}/{h['investor']}", h)
        p["payments"] += 1
        n = p["payments"]
        ctx.state.put(f"payment/{plan}/{n:04d}", {
            "plan": plan, "n": n, "kind": kind, "amount": amount, "bank_ref": bank_ref, "paid_at": ctx.time,
            "allocations": [[h["investor"], s] for h, s in zip(holdings, shares)],
        })
        ctx.state.put(f"bankref/{plan}/{bank_ref}", -n)
        if kind == "principal":
            p["outstanding"] -= amount
            p["paid_principal"] += amount
        else:
            p["paid_coupon"] += amount
        ctx.emit("PlanPaid", plan=plan, n=n, kind=kind, amount=amount, bank_ref=bank_ref, holders=len(holdings))
        if p["outstanding"] == 0 and p["status"] == OUTSTANDING:
            p["status"] = REDEEMED
            ctx.emit("PlanRedeemed", plan=plan, issued=p["issued"], paid_coupon=p["paid_coupon"])
        _save(ctx, p)
        return {"plan": plan, "payment": n, "outstanding": p["outstanding"], "status": p["status"]}

    @tx
    def declare_default(self, ctx: Ctx, plan: str, reason: str) -> dict:
        """The underwriter or servicer declares a payment default; a major-event disclosure falls due."""
        p = _plan(ctx, plan)
        _party(ctx, p, "underwriter", "servicer")
        _status(p, ESTABLISHED, OUTSTANDING)
        _text(reason, "reason", 500)
        p["status"] = DEFAULTED
        p["default"] = {"reason": reason, "by": ctx.caller.org_id, "at": ctx.time}
        n = _schedule(ctx, p, "major_event", f"default: {reason[:150]}", ctx.time + MAJOR_EVENT_DUE)
        _save(ctx, p)
        ctx.emit("PlanDefaulted", plan=plan, reason=reason, outstanding=p["outstanding"], item=n)
        return {"plan": plan, "disclosure": n}

    @tx
    def close(self, ctx: Ctx, plan: str, reason: str = "") -> dict:
        """The underwriter (or the exchange) closes a plan; every pooled asset is released.

        A redeemed or defaulted plan closes at the end of its life; a draft, filed
        or listed one is withdrawn (subscriptions lapse: no money has moved yet).
        """
        p = _movable_plan(ctx, plan)
        ensure(ctx.caller.role == "EXCHANGE" or ctx.caller.org_id == p["underwriter"],
               Unauthorized("only the underwriter or the exchange closes a plan"))
        _status(p, DRAFT, FILED, LISTED, REDEEMED, DEFAULTED)
        for asset in p["assets"]:  # at most MAX_ASSETS
            self._release(ctx, asset)
        p.update(status=CLOSED, closed_at=ctx.time, close_reason=reason[:500])
        _save(ctx, p)
        ctx.emit("PlanClosed", plan=plan, reason=reason[:500], released=len(p["assets"]))
        return {"plan": plan}

    # -- documents -------------------------------------------------------------------------------
    @tx
    def register_document(self, ctx: Ctx, plan: str, hash: str, kind: str, name: str, size: int,
                          media_type: str = "application/octet-stream", asset: str | None = None,
                          supersedes: str | None = None) -> dict:
        """A plan party records a document it uploaded to the vault: its hash, kind and name.

        Documents are never replaced: a corrected one names the document it
        `supersedes`, which stays on record marked as superseded.
        """
        p = _plan(ctx, plan)
        _party(ctx, p, *PARTY_FIELDS)
        ensure(p["status"] != CLOSED, InvalidState(f"plan {plan} is closed"))
        ensure(HEX64.match(hash) is not None, BadRequest("hash must be 64 lowercase hex characters"))
        ensure(kind in DOC_KINDS, BadRequest(f"kind must be one of {', '.join(DOC_KINDS)}"))
        _text(name, "name")
        ensure(0 < size <= 2**40, BadRequest("size must be 1 .. 2^40 bytes"))
        ensure(MEDIA_TYPE.match(media_type) is not None, BadRequest("media_type must look like type/subtype"))
        ensure(asset is None or asset in p["assets"], NotFound(f"{asset} is not in plan {plan}"))
        ensure(not ctx.state.has(f"doc/{hash}"), Duplicate(f"document {hash} is already registered"))
        ensure(p["docs"] < MAX_DOCS, LimitExceeded(f"a plan holds at most {MAX_DOCS} documents"))
        if supersedes is not None:
            old = ctx.state.get(f"doc/{supersedes}")
            ensure(old is not None and old["plan"] == plan, NotFound(f"document {supersedes} is not in plan {plan}"))
            ensure(old["superseded_by"] is None, InvalidState(f"document {supersedes} is already superseded"))
            old["superseded_by"] = hash
            ctx.state.put(f"doc/{supersedes}", old)
        ctx.state.put(f"doc/{hash}", {
            "hash": hash, "plan": plan, "kind": kind, "name": name, "size": size, "media_type": media_type,
            "asset": asset, "uploader": ctx.caller.org_id, "registered_at": ctx.time, "supersedes": supersedes,
            "superseded_by": None,
        })
        ctx.state.put(f"docs/{plan}", ctx.state.get(f"docs/{plan}") + [hash])
        p["docs"] += 1
        _save(ctx, p)
        ctx.emit("DocumentRegistered", plan=plan, hash=hash, kind=kind, name=name, supersedes=supersedes)
        return {"plan": plan, "document": hash}

    # -- disclosure --------------------------------------------------------------------------------
    @tx
    def schedule_disclosure(self, ctx: Ctx, plan: str, kind: str, title: str, due: int) -> dict:
        """The underwriter (or the exchange) adds an item to the disclosure schedule."""
        p = _plan(ctx, plan)
        ensure(ctx.caller.role == "EXCHANGE" or ctx.caller.org_id == p["underwriter"],
               Unauthorized("only the underwriter or the exchange schedules disclosures"))
        _status(p, DRAFT, FILED, LISTED, ESTABLISHED, OUTSTANDING, DEFAULTED, REDEEMED)
        ensure(kind in DISCLOSURE_KINDS, BadRequest(f"kind must be one of {', '.join(DISCLOSURE_KINDS)}"))
        _text(title, "title")
        ensure(ctx.time < due <= ctx.time + 400 * DAY, BadRequest("due must lie within the next 400 days"))
        n = _schedule(ctx, p, kind, title, due)
        _save(ctx, p)
        return {"plan": plan, "item": n}

    @tx
    def report_event(self, ctx: Ctx, plan: str, title: str) -> dict:
        """A party announces a major event; its disclosure is due within two days."""
        p = _plan(ctx, plan)
        _party(ctx, p, *PARTY_FIELDS)
        _status(p, FILED, LISTED, ESTABLISHED, OUTSTANDING, DEFAULTED, REDEEMED)
        _text(title, "title")
        n = _schedule(ctx, p, "major_event", title, ctx.time + MAJOR_EVENT_DUE)
        _save(ctx, p)
        return {"plan": plan, "item": n}

    @tx
    def publish(self, ctx: Ctx, plan: str, item: int, summary: str, documents: list[str] = []) -> dict:  # noqa: B006
        """Publish a scheduled item (late if it is overdue). Published items are never edited."""
        p = _plan(ctx, plan)
        _party(ctx, p, "sponsor", "underwriter", "servicer")
        d = _item(ctx, plan, item)
        ensure(d["status"] in (SCHEDULED, OVERDUE),
               InvalidState(f"disclosure {item} is {d['status']}; publish a correction instead"))
        _text(summary, "summary", 4000)
        d.update(status=PUBLISHED, published_at=ctx.time, late=ctx.time > d["due"], summary=summary,
                 documents=_documents_of(ctx, p, documents), published_by=ctx.caller.org_id)
        ctx.state.put(f"disclosure/{plan}/{item:04d}", d)
        ctx.emit("DisclosurePublished", plan=plan, item=item, kind=d["kind"], late=d["late"],
                 documents=len(documents))
        return {"plan": plan, "item": item, "late": d["late"]}

    @tx
    def correct(self, ctx: Ctx, plan: str, item: int, summary: str, reason: str,
                documents: list[str] = []) -> dict:  # noqa: B006
        """A correction: a new published item that supersedes a published one (which stays)."""
        p = _plan(ctx, plan)
        _party(ctx, p, "sponsor", "underwriter", "servicer")
        old = _item(ctx, plan, item)
        ensure(old["status"] == PUBLISHED, InvalidState(f"disclosure {item} is {old['status']}, not published"))
        _text(summary, "summary", 4000)
        _text(reason, "reason", 500)
        docs = _documents_of(ctx, p, documents)
        p["disclosures"] += 1
        n = p["disclosures"]
        ctx.state.put(f"disclosure/{plan}/{n:04d}", {
            "plan": plan, "n": n, "kind": old["kind"], "title": f"correction of {item}: {old['title'][:150]}",
            "due": old["due"], "status": PUBLISHED, "scheduled_by": ctx.caller.org_id, "scheduled_at": ctx.time,
            "published_at": ctx.time, "late": False, "summary": summary, "documents": docs, "supersedes": item,
            "superseded_by": None, "published_by": ctx.caller.org_id, "reason": reason,
        })
        old.update(status=SUPERSEDED, superseded_by=n)
        ctx.state.put(f"disclosure/{plan}/{item:04d}", old)
        _save(ctx, p)
        ctx.emit("DisclosureCorrected", plan=plan, item=n, supersedes=item, reason=reason)
        return {"plan": plan, "item": n}

    def end_block(self, ctx: Ctx) -> None:
        """Mark unpublished items OVERDUE once block time passes their due time."""
        for due, plan_id, n in Deadlines(ctx.state).take(ctx.time):
            d = _item(ctx, plan_id, n)
            if d["status"] == SCHEDULED:
                d["status"] = OVERDUE
                ctx.state.put(f"disclosure/{plan_id}/{n:04d}", d)
                p = ctx.state.get(f"plan/{plan_id}")
                ctx.emit("DisclosureOverdue", plan=plan_id, item=n, kind=d["kind"], title=d["title"],
                         due=due, sponsor=p["sponsor"], underwriter=p["underwriter"])

    # -- queries ------------------------------------------------------------------------------------
    @query
    def plan(self, q: QueryCtx, id: str, prove: bool = False) -> dict:
        """A plan with its schedule, documents and (for its parties) holdings and payments."""
        p = _visible_plan(q, id)
        out = {"plan": p, "disclosures": [q.state.get(f"disclosure/{id}/{n:04d}") for n in
                                          range(1, p["disclosures"] + 1)]}
        if _party_view(q, p):
            out["documents"] = [q.state.get(f"doc/{h}") for h in q.state.get(f"docs/{id}", [])]
            out["holdings"] = [q.state.get(f"holding/{id}/{i}") for i in p["holders"]]
            out["payments"] = [q.state.get(f"payment/{id}/{n:04d}") for n in range(1, p["payments"] + 1)]
        elif q.caller is not None and q.caller.org_id in p["holders"]:
            out["holdings"] = [q.state.get(f"holding/{id}/{q.caller.org_id}")]
        if prove:
            out["proofs"] = {f"plan/{id}": q.proof(f"plan/{id}")}
        return out

    @query
    def plans(self, q: QueryCtx, status: str | None = None, sponsor: str | None = None,
              underwriter: str | None = None, investor: str | None = None, limit: int = 200) -> list:
        """Plans by status, sponsor, underwriter or investor, as far as the reader may see them."""
        field, value = next(((f, v) for f, v in (("sponsor", sponsor), ("underwriter", underwriter),
                                                 ("holders", investor), ("status", status)) if v is not None),
                            (None, None))
        ensure(field is not None, BadRequest("give status, sponsor, underwriter or investor"))
        out = []
        for _, p in q.find("plan", field, value, 10_000):
            if status is not None and p["status"] != status:
                continue
            if _may_see(q, p):
                out.append(_summary(p))
            if len(out) >= max(1, min(limit, 1000)):
                break
        return out

    @query
    def disclosures(self, q: QueryCtx, plan: str | None = None, status: str | None = None) -> list:
        """A plan's disclosure items, or every item in a status (OVERDUE: the regulator's list)."""
        ensure(plan is not None or status is not None, BadRequest("give plan or status"))
        if plan is not None:
            p = _visible_plan(q, plan)
            items = [q.state.get(f"disclosure/{plan}/{n:04d}") for n in range(1, p["disclosures"] + 1)]
            return [d for d in items if status is None or d["status"] == status]
        out = []
        for _, d in q.find("disclosure", "status", status):
            p = q.state.get(f"plan/{d['plan']}")
            if _may_see(q, p):
                out.append(d)
        return out

    @query
    def cash_flows(self, q: QueryCtx, plan: str) -> list:
        """Every cash flow of a plan, oldest first (its parties and the regulator)."""
        p = _party_plan(q, plan)
        return [q.state.get(f"cashflow/{plan}/{n:06d}") for n in range(1, p["cash_flows"] + 1)]

    @query
    def holding(self, q: QueryCtx, plan: str, investor: str) -> dict:
        """One investor's holding (the investor itself, the plan's parties, the regulator)."""
        p = _visible_plan(q, plan)
        if not (_party_view(q, p) or (q.caller is not None and q.caller.org_id == investor)):
            raise NotFound(f"no holding of {investor!r} in plan {plan!r}")
        return q.state.require(f"holding/{plan}/{investor}", "holding")

    @query
    def document(self, q: QueryCtx, hash: str) -> dict:
        """A document's on-chain record (its plan's parties and holders, the exchange, the regulator)."""
        return _document(q, hash)

    @query
    def penetrate(self, q: QueryCtx, plan: str, prove: bool = True) -> dict:
        """The plan and everything beneath it: pool, vouchers, invoices, documents, cash flows,
        disclosures; with `prove`, each element carries its proof against this height's app hash.
        `faechain.sdk.penetration.verify` checks the whole tree, completeness included."""
        p = _party_plan(q, plan)
        return penetration.build(q, p, prove)

    # -- the vault's questions (see faechain/api/vault.py) --------------------------------------------
    @query
    def vault_upload(self, q: QueryCtx, subject: str, hash: str) -> dict:
        """May the reader upload a document for plan `subject`? Its parties may, until it closes."""
        p = q.state.get(f"plan/{subject}")
        if p is None or q.caller is None or not any(p[f] == q.caller.org_id for f in PARTY_FIELDS):
            raise Unauthorized(f"only the parties of plan {subject!r} upload its documents")
        ensure(p["status"] != CLOSED, InvalidState(f"plan {subject} is closed"))
        return {"plan": subject}

    @query
    def vault_document(self, q: QueryCtx, hash: str) -> dict:
        """The record of a document the reader may download: its plan's parties and holders,
        the exchange and the regulator."""
        return _document(q, hash)


# -- who sees what ---------------------------------------------------------------------------------


def _party_view(q: QueryCtx, p: dict) -> bool:
    """Parties, the exchange and the regulator see a plan in full (holders see their own part)."""
    if q.caller is None or q.caller.role in SEE_ALL:
        return True  # anonymous reads exist only on a dev chain on loopback
    return q.caller.org_id in {p[f] for f in PARTY_FIELDS}


def _may_see(q: QueryCtx, p: dict) -> bool:
    """A listed (or later) plan is offered to qualified investors; a draft only to its parties."""
    if _party_view(q, p) or q.caller.org_id in p["holders"]:
        return True
    return p["status"] not in (DRAFT, FILED) and q.caller.role == "INVESTOR" and q.caller.has("qualified")


def _visible_plan(q: QueryCtx, plan_id: str) -> dict:
    p = q.state.get(f"plan/{plan_id}")
    if p is None or not _may_see(q, p):
        raise NotFound(f"plan {plan_id!r} not found")
    return p


def _party_plan(q: QueryCtx, plan_id: str) -> dict:
    """The plan, if the reader is party to it (parties, holders, exchange, regulator)."""
    p = q.state.get(f"plan/{plan_id}")
    if p is None:
        raise NotFound(f"plan {plan_id!r} not found")
    if not (_party_view(q, p) or q.caller.org_id in p["holders"]):
        raise Unauthorized(f"only the parties of plan {plan_id!r} and the regulator see this")
    return p


def _document(q: QueryCtx, doc_hash: str) -> dict:
    d = q.state.get(f"doc/{doc_hash}")
    if d is None:
        raise NotFound(f"document {doc_hash!r} not found")
    _party_plan(q, d["plan"])
    return d


def _summary(p: dict) -> dict:
    keys = ("id", "name", "sponsor", "underwriter", "status", "size", "coupon_bps", "term_days", "subscribed",
            "opens", "closes", "maturity", "pooled")
    return {k: p[k] for k in keys}
