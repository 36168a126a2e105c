"""What plans shows, and to whom (the rules: `reading.py`, which the raw routes apply too).

    - the plan's parties (sponsor, underwriter, servicer, settlement bank), the exchange and the
      regulator see a plan in full: documents, every holding, payments, cash flows;
    - its investors see the plan, its schedule, documents and cash flows, and their own holding;
    - a plan the exchange approved is offered to qualified investors: its terms (`OFFER_FIELDS`)
      and its disclosures, not its pool, investors or cash flows;
    - a plan the reader may not see is answered as not found, as one that does not exist;
    - the vault asks `vault_upload` / `vault_document` who may store and fetch a plan's documents.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, InvalidState, NotFound, Unauthorized, ensure
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.plans import penetration
from faechain.modules.plans.reading import OFFER_FIELDS, offer_view, offered, party, reader
from faechain.modules.plans.records import (
    CLOSED,
    CashFlow,
    DisclosureItem,
    Document,
    Holding,
    Plan,
    cash_flow_key,
    disclosure_key,
    doc_key,
    docs_key,
    holding_key,
    parties,
    payment_key,
    plan_key,
)

SUMMARY_FIELDS = ("id", "name", "sponsor", "underwriter", "status", "size", "coupon_bps", "term_days", "subscribed",
                  "opens", "closes", "maturity", "pooled")  # what a listing of plans shows of each
OFFER_SUMMARY = tuple(f for f in SUMMARY_FIELDS if f in OFFER_FIELDS)  # ... to an offered qualified investor


class Queries:
    @query
    def plan(self, q: QueryCtx, id: str, prove: bool = False) -> dict[str, Any]:
        """A plan with its schedule, documents and (for its parties) holdings and payments; to a
        qualified investor it is offered to, its terms and disclosures only."""
        p = _visible_plan(q, id)
        disclosures = [q.state.get(disclosure_key(id, n)) for n in range(1, p["disclosures"] + 1)]
        if not reader(q, p):  # offered: the terms (not provable without the record) and each disclosure
            offer: dict[str, Any] = {"plan": offer_view(p), "disclosures": disclosures}
            if prove:
                offer["proofs"] = {k: q.proof(k) for k in [disclosure_key(id, n) for n in
                                                           range(1, p["disclosures"] + 1)]}
            return offer
        out: dict[str, Any] = {"plan": p, "disclosures": disclosures}
        if party(q, p):
            out["documents"] = [q.state.get(doc_key(h)) for h in q.state.get(docs_key(id), [])]
            out["holdings"] = [q.state.get(holding_key(id, i)) for i in p["holders"]]
            out["payments"] = [q.state.get(payment_key(id, n)) for n in range(1, p["payments"] + 1)]
        elif q.caller is not None and q.caller.org_id in p["holders"]:
            out["holdings"] = [q.state.get(holding_key(id, q.caller.org_id))]
        if prove:  # every record shown (and the document list the documents come from)
            keys = [plan_key(id)] + [disclosure_key(id, n) for n in range(1, p["disclosures"] + 1)]
            if "documents" in out:
                keys += [docs_key(id)] + [doc_key(h) for h in q.state.get(docs_key(id), [])]
                keys += [holding_key(id, i) for i in p["holders"]]
                keys += [payment_key(id, n) for n in range(1, p["payments"] + 1)]
            elif "holdings" in out and q.caller is not None:
                keys.append(holding_key(id, q.caller.org_id))
            out["proofs"] = {k: q.proof(k) for k in keys}
        return out

    @query
    def plans(self, q: QueryCtx, status: str | None = None, sponsor: str | None = None,
              underwriter: str | None = None, investor: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Plans by status, sponsor, underwriter or investor, as far as the reader may see them."""
        given = [(f, v) for f, v in (("sponsor", sponsor), ("underwriter", underwriter), ("holders", investor),
                                     ("status", status)) if v is not None]
        ensure(given, BadRequest("give status, sponsor, underwriter or investor"))
        field, value = given[0]
        out = []
        for _, p in q.find("plan", field, value, 10_000):
            if status is not None and p["status"] != status:
                continue
            if reader(q, p):
                out.append({k: p[k] for k in SUMMARY_FIELDS})
            elif offered(q, p):
                out.append({k: p[k] for k in OFFER_SUMMARY})
            if len(out) >= max(1, min(limit, 1000)):
                break
        return out

    @query
    def disclosures(self, q: QueryCtx, plan: str | None = None, status: str | None = None) -> list[DisclosureItem]:
        """A plan's disclosure items, or every item in a status (OVERDUE: the regulator's list)."""
        if plan is not None:
            p = _visible_plan(q, plan)
            items: list[DisclosureItem] = [q.state.get(disclosure_key(plan, n)) for n in range(1, p["disclosures"] + 1)]
            return [d for d in items if status is None or d["status"] == status]
        if status is None:
            raise BadRequest("give plan or status")
        return [d for _, d in q.find("disclosure", "status", status) if q.may_read(disclosure_key(d["plan"], d["n"]))]

    @query
    def cash_flows(self, q: QueryCtx, plan: str) -> list[CashFlow]:
        """Every cash flow of a plan, oldest first (its parties and investors, the exchange, the regulator)."""
        p = _party_plan(q, plan)
        return [q.state.get(cash_flow_key(plan, n)) for n in range(1, p["cash_flows"] + 1)]

    @query
    def holding(self, q: QueryCtx, plan: str, investor: str) -> Holding:
        """One investor's holding (the investor itself, the plan's parties, the regulator)."""
        h: Holding | None = q.state.get(holding_key(plan, investor))
        if h is None or not q.may_read(holding_key(plan, investor)):
            raise NotFound(f"no holding of {investor!r} in plan {plan!r}")
        return h

    @query
    def document(self, q: QueryCtx, hash: str) -> Document:
        """A document's on-chain record (its plan's parties and holders, the exchange, the regulator)."""
        return _document(q, hash)

    @query
    def penetrate(self, q: QueryCtx, plan: str, prove: bool = True) -> dict[str, Any]:
        """The plan and everything beneath it: pool, vouchers, invoices, documents, cash flows,
        disclosures; with `prove`, each element carries its proof against this height's app hash.
        `faechain.sdk.penetration.verify` checks the whole tree, completeness included."""
        p = _party_plan(q, plan)
        return penetration.build(q, p, prove)

    # -- the vault's questions (see faechain/api/vault.py) --------------------------------------------
    @query
    def vault_upload(self, q: QueryCtx, subject: str, hash: str) -> dict[str, Any]:
        """May the reader upload a document for plan `subject`? Its parties may, until it closes."""
        p: Plan | None = q.state.get(plan_key(subject))
        if p is None or q.caller is None or q.caller.org_id not in parties(p).values():
            raise Unauthorized(f"only the parties of plan {subject!r} (its sponsor, underwriter, servicer and "
                               "settlement bank) upload its documents")
        ensure(p["status"] != CLOSED, InvalidState(f"plan {subject} is closed"))
        return {"plan": subject}

    @query
    def vault_document(self, q: QueryCtx, hash: str) -> Document:
        """The record of a document the reader may download: its plan's parties and holders,
        the exchange and the regulator."""
        return _document(q, hash)


# -- who sees what (the rules are reading.py's) -------------------------------------------------


def _visible_plan(q: QueryCtx, plan_id: str) -> Plan:
    """The plan, if the reader may read it or it is offered to the reader."""
    p: Plan | None = q.state.get(plan_key(plan_id))
    if p is None or not (reader(q, p) or offered(q, p)):
        raise NotFound(f"plan {plan_id!r} not found")
    return p


def _party_plan(q: QueryCtx, plan_id: str) -> Plan:
    """The plan, if the reader may read it (parties, investors, exchange, regulator)."""
    p: Plan | None = q.state.get(plan_key(plan_id))
    if p is None or not reader(q, p):
        raise NotFound(f"plan {plan_id!r} not found")
    return p


def _document(q: QueryCtx, doc_hash: str) -> Document:
    d: Document | None = q.state.get(doc_key(doc_hash))
    if d is None or not q.may_read(doc_key(doc_hash)):
        raise NotFound(f"document {doc_hash!r} not found")
    return d
