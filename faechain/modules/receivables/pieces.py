"""What every receivables step shares: loading a piece and its root, checking that a piece
may move, and the piece mechanics (mint a child, consume a parent, split, cancel); paying is clearing.py's.

Every step costs the same at any depth: a move touches the piece, its (at most two)
children, the root's totals and the live set, never the lineage.
"""

from __future__ import annotations

from typing import cast

from faechain.contracts.errors import Expired, Frozen, InvalidState, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.runtime import Ctx
from faechain.modules.receivables.clearing import leave_pools, outstanding, pool_key, pool_of
from faechain.modules.receivables.records import (
    CANCELLED,
    CLEARING,
    MOVABLE,
    SPLIT,
    TRANSFERRED,
    CoreCredit,
    Invoice,
    Root,
    Voucher,
    core_key,
    invoice_key,
    root_key,
    voucher_key,
)


def load_voucher(ctx: Ctx, voucher_id: str) -> Voucher:
    v = ctx.state.get(voucher_key(voucher_id))
    ensure(v is not None, NotFound(f"voucher {voucher_id!r} not found"))
    return cast(Voucher, v)


def load_root(ctx: Ctx, root_id: str) -> Root:
    r = ctx.state.get(root_key(root_id))
    ensure(r is not None, NotFound(f"voucher root {root_id!r} not found"))
    return cast(Root, r)


def ensure_movable(ctx: Ctx, v: Voucher, root: Root) -> None:
    """The checks every step that moves a piece makes, in one place."""
    ensure(v["holder"] == ctx.caller.org_id, Unauthorized("only the holder moves a voucher"))
    ensure(not v["frozen"], Frozen(f"voucher {v['id']} is frozen: {v.get('frozen_reason', '')}"))
    ensure(not root["frozen"], Frozen(f"voucher root {root['id']} is frozen"))
    ensure(v["status"] in MOVABLE, InvalidState(f"voucher {v['id']} is {v['status']}, not movable"))
    ensure(not v.get("locked_by"), InvalidState(f"voucher {v['id']} is locked in {v.get('locked_by')}"))
    ensure(ctx.time < v["maturity"], Expired(f"voucher {v['id']} has reached maturity"))
    ensure(not v.get("pending"), InvalidState(f"voucher {v['id']} has a payment the rail has not yet confirmed"))
    ensure(root["status"] != CLEARING, InvalidState(f"voucher root {root['id']} is being paid (an instalment)"))


def mint(ctx: Ctx, parent: Voucher, holder: str, amount: int, tier: int, status: str, sender: str,
         pool: str | None = None) -> Voucher:
    """A child piece of `parent`: inherits root, payer, maturity and invoice lineage; it awaits the
    next payment round in the root's pool (`pool`, read from the root if not given)."""
    child: Voucher = {
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
    ctx.state.put(voucher_key(child["id"]), child)
    if pool is None:
        pool = pool_of(ctx.state.get(root_key(child["root"])))
    ctx.state.put(pool_key(pool, child["root"], child["id"]), amount)
    return child


def consume(ctx: Ctx, v: Voucher, status: str, children: list[Voucher]) -> None:
    """`v` is spent into `children`: it leaves the live set and keeps only its lineage."""
    v["status"] = status
    v["children"] = [c["id"] for c in children]
    ctx.state.put(voucher_key(v["id"]), v)
    leave_pools(ctx, v["root"], v["id"])


def split(ctx: Ctx, v: Voucher, to: str, amount: int, status_to: str,
          status_rest: str) -> tuple[Voucher, Voucher | None]:
    """Consume `v`: `amount` to `to` one tier down, the remainder back to the holder.

    What moves is what is still owed on the piece: after an instalment was paid on it, its
    `paid` stays with it as history and the children carry the outstanding fen."""
    owed = outstanding(v)
    ensure(amount <= owed, LimitExceeded(f"amount {amount} fen exceeds the piece's {owed} fen"))
    root: Root = ctx.state.get(root_key(v["root"]))
    pool = pool_of(root)  # a piece that moves is in its root's pool (no round runs while pieces move)
    moved = mint(ctx, v, to, amount, v["tier"] + 1, status_to, v["holder"], pool)
    rest: Voucher | None = None
    if amount < owed:
        rest = mint(ctx, v, v["holder"], owed - amount, v["tier"], status_rest, v["holder"], pool)
    v["status"] = TRANSFERRED if rest is None else SPLIT
    v["children"] = [moved["id"]] + ([rest["id"]] if rest else [])
    ctx.state.put(voucher_key(v["id"]), v)
    ctx.state.delete(pool_key(pool, v["root"], v["id"]))
    if rest is not None:
        root["live_count"] += 1
        ctx.state.put(root_key(v["root"]), root)
    return moved, rest


def cancel(ctx: Ctx, v: Voucher, root: Root, reason: str) -> None:
    """An issued root that never became a debt: CANCELLED, its invoices and credit released."""
    for inv_id, draw in root["invoice_refs"]:
        inv: Invoice = ctx.state.get(invoice_key(inv_id))
        inv["drawn"] -= draw
        ctx.state.put(invoice_key(inv_id), inv)
    core: CoreCredit = ctx.state.get(core_key(v["payer"]))
    core["open"] -= v["amount"]
    ctx.state.put(core_key(v["payer"]), core)
    v["status"] = CANCELLED
    v["reason"] = reason
    ctx.state.put(voucher_key(v["id"]), v)
    leave_pools(ctx, v["id"], v["id"])
    root["status"] = CANCELLED
    root["live_count"] = 0
    ctx.state.put(root_key(root["id"]), root)
