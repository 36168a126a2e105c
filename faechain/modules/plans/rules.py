"""The checks and moves every plans step shares: a plan is loaded, checked and saved the same way by
all of them, a disclosure item is scheduled and a pooled asset released only here."""

from __future__ import annotations

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.errors import Unauthorized, ensure
from faechain.contracts.freeze import ensure_not_frozen
from faechain.contracts.records import ensure_status
from faechain.contracts.runtime import Ctx
from faechain.modules.plans.records import (
    SCHEDULED,
    DisclosureItem,
    Plan,
    PoolEntry,
    asset_key,
    disclosure_key,
    parties,
    plan_key,
)


def load_plan(ctx: Ctx, plan_id: str) -> Plan:
    p: Plan = ctx.state.require(plan_key(plan_id), "plan")
    return p


def movable_plan(ctx: Ctx, plan_id: str) -> Plan:
    """The plan, for a step that moves it or its money (refused while the regulator has it frozen)."""
    p = load_plan(ctx, plan_id)
    ensure_not_frozen(ctx, f"plan:{plan_id}")
    return p


def save_plan(ctx: Ctx, p: Plan) -> None:
    ctx.state.put(plan_key(p["id"]), p)


def ensure_plan_status(p: Plan, *allowed: str) -> None:
    ensure_status("plan", p, *allowed)


def ensure_party(ctx: Ctx, p: Plan, *fields: str) -> str:
    """The caller's organisation, if it is one of the plan's `fields` parties (`sponsor`, `servicer`, ...)."""
    who = ctx.caller.org_id
    ensure(any(parties(p)[f] == who for f in fields),
           Unauthorized(f"only the plan's {' or '.join(f.replace('_', ' ') for f in fields)} may do this"))
    return who


def load_item(ctx: Ctx, plan_id: str, n: int) -> DisclosureItem:
    item: DisclosureItem = ctx.state.require(disclosure_key(plan_id, n), "disclosure item")
    return item


def schedule(ctx: Ctx, p: Plan, kind: str, title: str, due: int) -> int:
    """Add a disclosure item to the plan's schedule, due at `due`; returns its number.

    The item is filed with the deadlines so that `end_block` marks it OVERDUE if it is
    still unpublished when block time passes `due`. The caller saves the plan.
    """
    p["disclosures"] += 1
    n = p["disclosures"]
    item: DisclosureItem = {
        "plan": p["id"], "n": n, "kind": kind, "title": title, "due": due, "status": SCHEDULED,
        "scheduled_by": ctx.caller.org_id, "scheduled_at": ctx.time, "published_at": None, "late": False,
        "summary": None, "documents": [], "supersedes": None, "superseded_by": None,
    }
    ctx.state.put(disclosure_key(p["id"], n), item)
    Deadlines(ctx.state).add(due, p["id"], n)
    ctx.emit("DisclosureScheduled", plan=p["id"], item=n, kind=kind, title=title, due=due)
    return n


def release_asset(ctx: Ctx, asset: str) -> int:
    """Unlock a pooled asset (`voucher:<id>` or `invoice:<id>`) in receivables and mark its pool
    entry released; returns the amount it was pooled at. The caller updates the plan."""
    kind, asset_id = asset.split(":", 1)
    entry: PoolEntry = ctx.state.get(asset_key(asset))
    ctx.call("receivables", "unlock" if kind == "voucher" else "unlock_invoice", id=asset_id)
    entry["released_at"] = ctx.time
    ctx.state.put(asset_key(asset), entry)
    return entry["amount"]
