"""A plan's documents and its disclosure schedule.

    register_document     a party records a document it put in the node's vault (hash, kind, name)
    schedule_disclosure   the underwriter or the exchange adds an item to the schedule
    report_event          a party announces a major event; its disclosure is due within two days
    publish               publish a scheduled (or overdue) item, with its documents
    correct               a correction: a new published item that supersedes a published one

Nothing disclosed is ever edited or removed: a corrected document or item stays on
record, marked superseded, and names what superseded it. Items still unpublished
when their due time passes are marked OVERDUE at the end of the block
(`end_block.py`); filing, establishment and a default schedule items too
(`rules.schedule`).
"""

from __future__ import annotations

import re
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
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.time import DAY
from faechain.contracts.validators import HEX64
from faechain.modules.plans.records import (
    CLOSED,
    DEFAULTED,
    DISCLOSURE_KINDS,
    DOC_KINDS,
    DRAFT,
    ESTABLISHED,
    FILED,
    LISTED,
    MAJOR_EVENT_DUE,
    MAX_DOCS,
    OUTSTANDING,
    OVERDUE,
    PARTY_FIELDS,
    PUBLISHED,
    REDEEMED,
    SCHEDULED,
    SUPERSEDED,
    DisclosureItem,
    Document,
    Plan,
    disclosure_key,
    doc_key,
    docs_key,
)
from faechain.modules.plans.rules import ensure_party, ensure_plan_status, load_item, load_plan, save_plan, schedule

MEDIA_TYPE = re.compile(r"^[a-z]+/[0-9a-z.+-]{1,64}$")


class DisclosureSteps:
    # -- documents -------------------------------------------------------------------------------
    @tx
    def register_document(self, ctx: Ctx, plan: str, hash: str, kind: str, name: str, size: int,
                          media_type: str = "application/octet-stream", asset: str | None = None,
                          supersedes: str | None = None) -> dict[str, Any]:
        """A plan party records a document it uploaded to the vault: its hash, kind and name.

        Documents are never replaced: a corrected one names the document it
        `supersedes`, which stays on record marked as superseded.
        """
        p = load_plan(ctx, plan)
        ensure_party(ctx, p, *PARTY_FIELDS)
        ensure(p["status"] != CLOSED, InvalidState(f"plan {plan} is closed"))
        ensure(HEX64.match(hash) is not None, BadRequest("hash must be 64 lowercase hex characters"))
        validators.one_of(kind, DOC_KINDS, "kind")
        validators.text(name, "name")
        ensure(0 < size <= 2**40, BadRequest("size must be 1 .. 2^40 bytes"))
        ensure(MEDIA_TYPE.match(media_type) is not None, BadRequest("media_type must look like type/subtype"))
        ensure(asset is None or asset in p["assets"], NotFound(f"{asset} is not in plan {plan}"))
        ensure(not ctx.state.has(doc_key(hash)), Duplicate(f"document {hash} is already registered"))
        ensure(p["docs"] < MAX_DOCS, LimitExceeded(f"a plan holds at most {MAX_DOCS} documents"))
        if supersedes is not None:
            old: Document | None = ctx.state.get(doc_key(supersedes))
            if old is None or old["plan"] != plan:
                raise NotFound(f"document {supersedes} is not in plan {plan}")
            ensure(old["superseded_by"] is None, InvalidState(f"document {supersedes} is already superseded"))
            old["superseded_by"] = hash
            ctx.state.put(doc_key(supersedes), old)
        doc: Document = {
            "hash": hash, "plan": plan, "kind": kind, "name": name, "size": size, "media_type": media_type,
            "asset": asset, "uploader": ctx.caller.org_id, "registered_at": ctx.time, "supersedes": supersedes,
            "superseded_by": None,
        }
        ctx.state.put(doc_key(hash), doc)
        ctx.state.put(docs_key(plan), ctx.state.get(docs_key(plan)) + [hash])
        p["docs"] += 1
        save_plan(ctx, p)
        ctx.emit("DocumentRegistered", plan=plan, hash=hash, kind=kind, name=name, supersedes=supersedes)
        return {"plan": plan, "document": hash}

    # -- disclosure --------------------------------------------------------------------------------
    @tx
    def schedule_disclosure(self, ctx: Ctx, plan: str, kind: str, title: str, due: int) -> dict[str, Any]:
        """The underwriter (or the exchange) adds an item to the disclosure schedule."""
        p = load_plan(ctx, plan)
        ensure(ctx.caller.role == "EXCHANGE" or ctx.caller.org_id == p["underwriter"],
               Unauthorized("only the underwriter or the exchange schedules disclosures"))
        ensure_plan_status(p, DRAFT, FILED, LISTED, ESTABLISHED, OUTSTANDING, DEFAULTED, REDEEMED)
        validators.one_of(kind, DISCLOSURE_KINDS, "kind")
        validators.text(title, "title")
        ensure(ctx.time < due <= ctx.time + 400 * DAY, BadRequest("due must lie within the next 400 days"))
        n = schedule(ctx, p, kind, title, due)
        save_plan(ctx, p)
        return {"plan": plan, "item": n}

    @tx
    def report_event(self, ctx: Ctx, plan: str, title: str) -> dict[str, Any]:
        """A party announces a major event; its disclosure is due within two days."""
        p = load_plan(ctx, plan)
        ensure_party(ctx, p, *PARTY_FIELDS)
        ensure_plan_status(p, FILED, LISTED, ESTABLISHED, OUTSTANDING, DEFAULTED, REDEEMED)
        validators.text(title, "title")
        n = schedule(ctx, p, "major_event", title, ctx.time + MAJOR_EVENT_DUE)
        save_plan(ctx, p)
        return {"plan": plan, "item": n}

    @tx
    def publish(self, ctx: Ctx, plan: str, item: int, summary: str,
                documents: list[str] = []) -> dict[str, Any]:  # noqa: B006
        """Publish a scheduled item (late if it is overdue). Published items are never edited."""
        p = load_plan(ctx, plan)
        ensure_party(ctx, p, "sponsor", "underwriter", "servicer")
        d = load_item(ctx, plan, item)
        ensure(d["status"] in (SCHEDULED, OVERDUE),
               InvalidState(f"disclosure {item} is {d['status']}; publish a correction instead"))
        validators.text(summary, "summary", 4000)
        d.update({"status": PUBLISHED, "published_at": ctx.time, "late": ctx.time > d["due"], "summary": summary,
                  "documents": current_documents(ctx, p, documents), "published_by": ctx.caller.org_id})
        ctx.state.put(disclosure_key(plan, item), d)
        ctx.emit("DisclosurePublished", plan=plan, item=item, kind=d["kind"], late=d["late"],
                 documents=len(documents))
        return {"plan": plan, "item": item, "late": d["late"]}

    @tx
    def correct(self, ctx: Ctx, plan: str, item: int, summary: str, reason: str,
                documents: list[str] = []) -> dict[str, Any]:  # noqa: B006
        """A correction: a new published item that supersedes a published one (which stays)."""
        p = load_plan(ctx, plan)
        ensure_party(ctx, p, "sponsor", "underwriter", "servicer")
        old = load_item(ctx, plan, item)
        ensure(old["status"] == PUBLISHED, InvalidState(f"disclosure {item} is {old['status']}, not published"))
        validators.text(summary, "summary", 4000)
        validators.text(reason, "reason", 500)
        docs = current_documents(ctx, p, documents)
        p["disclosures"] += 1
        n = p["disclosures"]
        correction: DisclosureItem = {
            "plan": plan, "n": n, "kind": old["kind"], "title": f"correction of {item}: {old['title'][:150]}",
            "due": old["due"], "status": PUBLISHED, "scheduled_by": ctx.caller.org_id, "scheduled_at": ctx.time,
            "published_at": ctx.time, "late": False, "summary": summary, "documents": docs, "supersedes": item,
            "superseded_by": None, "published_by": ctx.caller.org_id, "reason": reason,
        }
        ctx.state.put(disclosure_key(plan, n), correction)
        old.update({"status": SUPERSEDED, "superseded_by": n})
        ctx.state.put(disclosure_key(plan, item), old)
        save_plan(ctx, p)
        ctx.emit("DisclosureCorrected", plan=plan, item=n, supersedes=item, reason=reason)
        return {"plan": plan, "item": n}


def current_documents(ctx: Ctx, p: Plan, hashes: list[str]) -> list[str]:
    """`hashes`, each a document registered to the plan and not superseded (what a disclosure may cite)."""
    ensure(len(hashes) <= 50, BadRequest("at most 50 documents per disclosure"))
    ensure(len(set(hashes)) == len(hashes), Duplicate("a document is listed twice"))
    for h in hashes:
        d: Document | None = ctx.state.get(doc_key(h))
        if d is None or d["plan"] != p["id"]:
            raise NotFound(f"document {h} is not registered to plan {p['id']}")
        ensure(d["superseded_by"] is None, InvalidState(f"document {h} has been superseded by {d['superseded_by']}"))
    return hashes
