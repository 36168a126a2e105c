"""What every receivables step shares: loading a piece and its root, checking that a piece
may move, and the piece mechanics (mint a child, consume a parent, split, cancel, pay).

Every step costs the same at any depth: a move touches the piece, its (at most two)
children, the root's totals and the live set, never the lineage.
"""

from __future__ import annotations

from typing import cast

from faechain.contracts.errors import Expired, Frozen, InvalidState, LimitExceeded, NotFound, Unauthorized, ensure
from faechain.contracts.money import ProRata
from faechain.contracts.runtime import Ctx
from faechain.modules.receivables.records import (
    CANCELLED,
    MOVABLE,
    PAID,
    SPLIT,
    TRANSFERRED,
    CoreCredit,
    Invoice,
    Payment,
    Root,
    Voucher,
    core_key,
    invoice_key,
    live_key,
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


def mint(ctx: Ctx, parent: Voucher, holder: str, amount: int, tier: int, status: str, sender: str) -> Voucher:
    """A child piece of `parent`: inherits root, payer, maturity and invoice lineage."""
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
    ctx.state.put(live_key(child["root"], child["id"]), amount)
    return child


def consume(ctx: Ctx, v: Voucher, status: str, children: list[Voucher]) -> None:
    """`v` is spent into `children`: it leaves the live set and keeps only its lineage."""
    v["status"] = status
    v["children"] = [c["id"] for c in children]
    ctx.state.put(voucher_key(v["id"]), v)
    ctx.state.delete(live_key(v["root"], v["id"]))


def split(ctx: Ctx, v: Voucher, to: str, amount: int, status_to: str,
          status_rest: str) -> tuple[Voucher, Voucher | None]:
    """Consume `v`: `amount` to `to` one tier down, the remainder back to the holder."""
    ensure(amount <= v["amount"], LimitExceeded(f"amount {amount} fen exceeds the piece's {v['amount']} fen"))
    moved = mint(ctx, v, to, amount, v["tier"] + 1, status_to, v["holder"])
    rest: Voucher | None = None
    if amount < v["amount"]:
        rest = mint(ctx, v, v["holder"], v["amount"] - amount, v["tier"], status_rest, v["holder"])
    consume(ctx, v, TRANSFERRED if rest is None else SPLIT, [moved] + ([rest] if rest else []))
    root: Root = ctx.state.get(root_key(v["root"]))
    root["live_count"] += 0 if rest is None else 1
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
    ctx.state.delete(live_key(v["id"], v["id"]))
    root["status"] = CANCELLED
    root["live_count"] = 0
    ctx.state.put(root_key(root["id"]), root)


def pay(ctx: Ctx, v: Voucher, plan: ProRata, payment: Payment) -> int:
    """One live piece becomes PAID with its pro-rata share of the payment (held if frozen)."""
    share = plan.share(v["amount"], v["id"])
    v["status"] = PAID
    v["paid"] = share
    v["paid_at"] = ctx.time
    v["held"] = v["frozen"]
    ctx.state.put(voucher_key(v["id"]), v)
    ctx.state.delete(live_key(v["root"], v["id"]))
    payment["paid_pieces"] += 1
    payment["paid_total"] += share
    return share
