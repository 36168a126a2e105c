"""The payment leg of a root: rounds of payment, one clearing instruction per piece, and a piece
paid only by its own instruction's confirmation (docs/outside-world.md).

A round starts when the rail confirms what the payer paid (`confirm_payment`): the amount is
allocated pro rata over the pieces' outstanding amounts (largest remainder, to the fen) and
frozen. `end_block` then instructs the pieces, at most CLEAR_BATCH per block over all roots,
each an instruction of the `payments` contract: its holder (a pledged piece's pledgee) is paid
its share on the rail, at the account it registered. The rail's confirmation of an
instruction (`payments.confirm` → `instruction_paid`) credits that piece alone. A piece whose
confirmed payments reach its face is PAID; after a short round its remainder stays owed
(OVERDUE once the root is past maturity), claimable in a later round or by recourse.

Two pools keep a round's walk linear however many pieces a root has: the pieces awaiting the
round are under `<pool>/<root>/<piece>` (value: fen outstanding and not yet instructed); a
piece instructed with something left over moves to the other pool, and when the round's pool
is empty the other becomes the root's pool for the next round. Every piece with fen not yet
instructed is in exactly one pool; new pieces (a transfer's split) go to the root's pool.
"""

from __future__ import annotations

from typing import cast

from faechain.contracts.errors import InvalidState, LimitExceeded, ensure
from faechain.contracts.money import ProRata
from faechain.contracts.runtime import Ctx
from faechain.modules.receivables.records import (
    ACTIVE,
    CLEARING,
    CLEARING_QUEUE,
    OVERDUE,
    PAID,
    CoreCredit,
    Payment,
    Root,
    Voucher,
    core_key,
    locked_key,
    root_key,
    voucher_key,
)

CLEAR_BATCH = 2_000  # pieces instructed per block over all roots in a round: a root split 10,000 ways never stalls
POOLS = ("live", "rest")


def pool_of(root: Root) -> str:
    return root.get("pool", "live")


def other_pool(pool: str) -> str:
    return POOLS[1] if pool == POOLS[0] else POOLS[0]


def pool_prefix(pool: str, root_id: str) -> str:
    return f"{pool}/{root_id}/"


def pool_key(pool: str, root_id: str, piece: str) -> str:
    return f"{pool}/{root_id}/{piece}"


def outstanding(v: Voucher) -> int:
    """Fen of the piece's face not yet paid (a pending instruction included)."""
    return v["amount"] - v.get("paid", 0)


def awaiting(v: Voucher) -> int:
    """Fen of the piece not yet paid nor instructed: its weight in the next round."""
    return outstanding(v) - v.get("pending", 0)


def leave_pools(ctx: Ctx, root_id: str, piece: str) -> None:
    """Take a piece out of the pool it is in (it is consumed, paid, or paid otherwise than by a
    round). Only a key that is there is deleted: deleting an absent one would still be a write."""
    for pool in POOLS:
        key = pool_key(pool, root_id, piece)
        if ctx.state.has(key):
            ctx.state.delete(key)


def has_unpaid(ctx: Ctx, root: Root) -> bool:
    """Whether any piece of the root still has fen not yet instructed."""
    return any(ctx.state.scan(pool_prefix(pool, root["id"]), limit=1) for pool in POOLS)


def pool_total(ctx: Ctx, root: Root) -> tuple[list[str], list[int]]:
    """The pieces awaiting a round and their weights (fen not yet paid nor instructed)."""
    rows = ctx.state.scan(pool_prefix(pool_of(root), root["id"]))
    return [k.rsplit("/", 1)[1] for k, _ in rows], [w for _, w in rows]


def start_round(ctx: Ctx, root: Root, amount: int, rail: str, bank_ref: str) -> Payment:
    """Freeze the round's pro-rata allocation and queue the root for instructing."""
    ensure(not root.get("round"), InvalidState(f"root {root['id']} is still instructing its last payment"))
    ids, weights = pool_total(ctx, root)
    owed = sum(weights)
    ensure(owed > 0, InvalidState(f"root {root['id']} has nothing left to pay"))
    ensure(amount <= owed, LimitExceeded(f"payment {amount} fen exceeds the {owed} fen still owed on root "
                                         f"{root['id']}"))
    plan = ProRata.plan(amount, weights, ids)
    n = root.get("rounds", 0) + 1
    payment: Payment = {"n": n, "amount": amount, "bank": rail, "bank_ref": bank_ref, "confirmed_at": ctx.time,
                        "plan": plan.to_map(), "paid_pieces": 0, "paid_total": 0}
    root["rounds"] = n
    root["round"] = payment
    root["payment"] = payment  # the latest round, as queries have always shown it
    root["collected"] = root.get("collected", 0) + amount
    if rail not in root.get("rails", []):  # every rail that confirmed a payment on it reads the root
        root["rails"] = sorted(root.get("rails", []) + [rail])
    root["status"] = CLEARING
    ctx.state.put(root_key(root["id"]), root)
    ctx.state.put(CLEARING_QUEUE, ctx.state.get(CLEARING_QUEUE, []) + [root["id"]])
    return payment


def payee_of(v: Voucher) -> str:
    """Who a piece's payments go to: its pledgee while pledged, else its holder."""
    return v.get("pledgee") or v["holder"]


def instruct_round(ctx: Ctx, root_id: str, budget: int) -> int:
    """Instruct up to `budget` pieces of a root's round; returns how many were walked."""
    root: Root = ctx.state.get(root_key(root_id))
    payment = cast(Payment, root["round"])
    plan = ProRata.from_map(payment["plan"])
    pool = pool_of(root)
    rows = ctx.state.scan(pool_prefix(pool, root_id), limit=budget)
    for key, weight in rows:
        piece = key.rsplit("/", 1)[1]
        share = plan.share(weight, piece)
        ctx.state.delete(key)
        if weight - share > 0:
            ctx.state.put(pool_key(other_pool(pool), root_id, piece), weight - share)
        if share == 0:
            continue
        v: Voucher = ctx.state.get(voucher_key(piece))
        out = ctx.call("payments", "instruct", payer=root["payer"], payee=payee_of(v), rail=payment["bank"],
                       amount=share, ref=f"voucher:{piece}")
        v["pending"] = v.get("pending", 0) + share
        v["instructions"] = v.get("instructions", []) + [out["instruction"]]
        ctx.state.put(voucher_key(piece), v)
        root["pending"] = root.get("pending", 0) + 1
        payment["paid_pieces"] += 1
        payment["paid_total"] += share
    root["round"] = payment
    root["payment"] = payment  # the latest round, as queries show it
    if not ctx.state.scan(pool_prefix(pool, root_id), limit=1):  # the round is fully instructed
        root["pool"] = other_pool(pool)
        root["round"] = None
        ctx.state.put(CLEARING_QUEUE, [x for x in ctx.state.get(CLEARING_QUEUE, []) if x != root_id])
        ctx.emit("RoundInstructed", root=root_id, round=payment["n"], amount=payment["amount"],
                 pieces=payment["paid_pieces"], instructed=payment["paid_total"])
        settle_status(ctx, root)
    ctx.state.put(root_key(root_id), root)
    return len(rows)


def credit_piece(ctx: Ctx, v: Voucher, instruction: str, amount: int, rail_ref: str, forgiven: int = 0) -> bool:
    """The rail confirmed `amount` fen paid on one of the piece's instructions (`forgiven` more
    settled by an early-payment discount); True when the piece is now PAID."""
    v["paid"] = v.get("paid", 0) + amount
    v["pending"] = v.get("pending", 0) - amount - forgiven
    v["instructions"] = [i for i in v.get("instructions", []) if i != instruction]
    v["paid_at"] = ctx.time
    v["held"] = v["frozen"]
    done = outstanding(v) == forgiven
    if done:
        v["status"] = PAID
    ctx.state.put(voucher_key(v["id"]), v)
    root: Root = ctx.state.get(root_key(v["root"]))
    root["paid_total"] = root.get("paid_total", 0) + amount
    root["pending"] = root.get("pending", 1) - 1
    if done:
        root["live_count"] -= 1
        if ctx.state.has(locked_key(root["id"], v["id"])):
            ctx.state.delete(locked_key(root["id"], v["id"]))
            root["locked"] = root.get("locked", 1) - 1
    core: CoreCredit = ctx.state.get(core_key(root["payer"]))
    core["open"] -= amount + (forgiven if done else 0)
    ctx.state.put(core_key(root["payer"]), core)
    if v.get("locked_by"):  # a plan or product credits its collections in this same transaction
        ctx.call(str(v["locked_by"]), "voucher_paid", voucher=v["id"], root=root["id"], paid=amount,
                 payer=root["payer"], holder=v["holder"], bank_ref=rail_ref, held=v["held"])
    settle_status(ctx, root)
    ctx.state.put(root_key(root["id"]), root)
    return done


def settle_status(ctx: Ctx, root: Root) -> None:
    """A root with no round being instructed and no instruction pending: PAID when nothing is
    owed; OVERDUE when something is and it is past maturity; ACTIVE between instalments."""
    if root.get("round") or root.get("pending", 0) > 0 or root["status"] not in (CLEARING, ACTIVE, OVERDUE):
        return
    before = root["status"]
    if not has_unpaid(ctx, root):
        root["status"] = PAID
        root["live_count"] = 0
        ctx.emit("RootPaid", root=root["id"], amount=root.get("collected", 0), paid_total=root.get("paid_total", 0),
                 discounts=root.get("discounts", 0), rounds=root.get("rounds", 0))
    elif ctx.time >= root["maturity"]:
        root["status"] = OVERDUE
        if before == CLEARING:
            owed = root["amount"] - root.get("paid_total", 0) - root.get("discounts", 0)
            ctx.emit("PaymentShort", root=root["id"], payer=root["payer"], unpaid=owed,
                     collected=root.get("collected", 0))
    else:
        root["status"] = ACTIVE
