"""Who may read each plans record and see each of its events: the one definition the queries
(`queries.py`) and the raw routes (`faechain.chain.visibility`) share (docs/confidentiality.md).

    plan/<id>                      its parties (sponsor, underwriter, servicer, settlement bank) and its
                                   investors: the pool, the holders, the instructions, the totals
    asset/<kind>:<id>              the readers of the plan the entry names (entries are kept after
                                   release); so too the pooled voucher or invoice in receivables
                                   (`lock_entry`)
    docs/<plan>, doc/<hash>, cashflow/<plan>/<n>, payment/<plan>/<n>
                                   the plan's readers (penetration shows an investor every one)
    holding/<plan>/<org>           that investor and the plan's parties (not the other investors)
    disclosure/<plan>/<n>          the plan's readers; once the exchange has approved the plan, every
                                   qualified investor: disclosures are what a plan is offered on
    bankref/<plan>/<ref>           the plan's parties
    due/…, cursor                  the regulator and the exchange only

A listed plan is *offered* to qualified investors (`offered`): they see its offering terms
(`OFFER_FIELDS`) and disclosures, a projection the queries make, not the plan record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faechain.contracts.reading import KeyRule, by_record, org_of, read_by_kind, signed_in
from faechain.contracts.runtime import QueryCtx, sees_all
from faechain.modules.plans.records import (
    Document,
    Plan,
    PoolEntry,
    asset_key,
    asset_ref,
    cash_flow_key,
    disclosure_key,
    doc_key,
    holding_key,
    parties,
    plan_key,
)

# what an offered plan shows a qualified investor outside it: its terms, not its pool or investors —
# nor the subscribed total, which read at two heights tells one investor's subscription
OFFER_FIELDS = ("id", "name", "sponsor", "underwriter", "servicer", "settlement_bank", "status", "size", "coupon_bps",
                "term_days", "min_ticket", "report_every_days", "opens", "closes", "value_date", "maturity",
                "approval")


def party(q: QueryCtx, p: Plan) -> bool:
    """The plan's parties (and the regulator and the exchange) see it in full."""
    return sees_all(q.caller) or (signed_in(q) and org_of(q) in parties(p).values())


def reader(q: QueryCtx, p: Plan) -> bool:
    """Its parties and its investors read the plan record and what hangs from it."""
    return party(q, p) or (signed_in(q) and org_of(q) in p["holders"])


def offered(q: QueryCtx, p: Plan) -> bool:
    """A plan the exchange approved (LISTED or later) is offered to every qualified investor."""
    c = q.caller
    return (p["approval"] is not None and c is not None and c.role == "INVESTOR" and c.has("qualified"))


def offer_view(p: Plan) -> dict[str, Any]:
    return {k: p[k] for k in OFFER_FIELDS}  # type: ignore[literal-required]


def _plan(q: QueryCtx, plan_id: str) -> Plan | None:
    p: Plan | None = q.state.get(plan_key(plan_id))
    return p


def _by_plan(test: Callable[[QueryCtx, Plan], bool]) -> KeyRule:
    """A rule for keys `<kind>/<plan>/...`: as the plan is read by `test`."""
    return by_record(_plan, test)


def read_entry(q: QueryCtx, ref: str) -> bool:
    entry: PoolEntry | None = q.state.get(asset_key(ref))
    p = _plan(q, entry["plan"]) if entry is not None else None
    return p is not None and reader(q, p)


def read_doc(q: QueryCtx, doc_hash: str) -> bool:
    d: Document | None = q.state.get(doc_key(doc_hash))
    p = _plan(q, d["plan"]) if d is not None else None
    return p is not None and reader(q, p)


def read_holding(q: QueryCtx, rest: str) -> bool:
    plan_id, _, investor = rest.partition("/")
    p = _plan(q, plan_id)
    return p is not None and (party(q, p) or org_of(q) == investor)


def read_disclosure(q: QueryCtx, rest: str) -> bool:
    p = _plan(q, rest.split("/", 1)[0])
    return p is not None and (reader(q, p) or offered(q, p))


RULES: dict[str, KeyRule] = {
    "plan": _by_plan(reader), "asset": read_entry, "docs": _by_plan(reader), "doc": read_doc,
    "cashflow": _by_plan(reader), "payment": _by_plan(reader), "holding": read_holding,
    "disclosure": read_disclosure, "bankref": _by_plan(party),
}

PLAN_EVENTS = ("PlanCreated", "AssetsPooled", "AssetUnpooled", "PlanFiled", "FilingReturned", "PlanListed",
               "PlanEstablished", "PlanFunded", "PlanPaid", "PlanRedeemed", "PlanDefaulted", "PlanClosed",
               "PlanPaymentLegPaid")
DISCLOSURE_EVENTS = ("DisclosureScheduled", "DisclosurePublished", "DisclosureCorrected", "DisclosureOverdue")


class ReadRules:
    """The plans contract's `can_read`, `event_subjects` and `lock_entry` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, RULES)

    def related(self, key: str, record: Any) -> tuple[str, ...]:
        """A plan: its pooled assets (the receivables vouchers and invoices, and their pool
        entries), which its readers — a new investor among them — may read."""
        if not key.startswith("plan/") or type(record) is not dict:
            return ()
        out: list[str] = []
        for ref in record.get("assets") or []:
            kind, _, ident = str(ref).partition(":")
            out += [f"plans/asset/{ref}", f"receivables/{kind}/{ident}"]
        return tuple(out)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        plan = attrs.get("plan")
        if not isinstance(plan, str):
            return ()
        if type_ in PLAN_EVENTS:
            return (plan_key(plan),)
        if type_ in DISCLOSURE_EVENTS and isinstance(attrs.get("item"), int):
            return (disclosure_key(plan, attrs["item"]),)
        if type_ == "PlanSubscribed" and isinstance(attrs.get("investor"), str):
            return (holding_key(plan, attrs["investor"]),)
        if type_ == "CashFlowRecorded" and isinstance(attrs.get("n"), int):
            return (cash_flow_key(plan, attrs["n"]),)
        if type_ == "DocumentRegistered" and isinstance(attrs.get("hash"), str):
            return (doc_key(attrs["hash"]),)
        return ()

    def lock_entry(self, kind: str, asset_id: str) -> str | None:
        return asset_key(asset_ref(kind, asset_id)) if kind in ("voucher", "invoice") else None

