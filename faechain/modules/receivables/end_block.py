"""The receivables module's end-of-block work: paying out roots being cleared, in batches, and
marking the roots of each China-time day that has ended OVERDUE (or lapsed, if never accepted)."""

from __future__ import annotations

from typing import cast

from faechain.contracts.deadlines import MAX_CATCH_UP, day_of
from faechain.contracts.money import ProRata
from faechain.contracts.runtime import Ctx
from faechain.modules.receivables.pieces import cancel, pay
from faechain.modules.receivables.records import (
    ACTIVE,
    CLEARING_QUEUE,
    CURSOR,
    ISSUED,
    OVERDUE,
    PAID,
    Payment,
    Root,
    due_key,
    live_prefix,
    piece_of,
    root_key,
    voucher_key,
)

CLEAR_BATCH = 2_000  # pieces paid per block over all roots being cleared: a root split 10,000 ways never stalls


def clear(ctx: Ctx, root_id: str, budget: int) -> int:
    """Pay up to `budget` live pieces of a root being cleared; returns how many."""
    r: Root = ctx.state.get(root_key(root_id))
    payment = cast(Payment, r["payment"])  # a root in the clearing queue has its payment confirmed
    plan = ProRata.from_map(payment["plan"])
    pieces = ctx.state.scan(live_prefix(root_id), limit=budget)
    for key, _ in pieces:
        pay(ctx, ctx.state.get(voucher_key(piece_of(key))), plan, payment)
    remaining = ctx.state.scan(live_prefix(root_id), limit=1)
    ctx.emit("ClearingProgress", root=root_id, paid=len(pieces), paid_pieces=payment["paid_pieces"],
             paid_total=payment["paid_total"])
    if not remaining:
        r["status"] = PAID
        r["live_count"] = 0
        queue = ctx.state.get(CLEARING_QUEUE, [])
        ctx.state.put(CLEARING_QUEUE, [x for x in queue if x != root_id])
        ctx.emit("RootPaid", root=root_id, amount=payment["amount"], pieces=payment["paid_pieces"],
                 paid_total=payment["paid_total"])
    ctx.state.put(root_key(root_id), r)
    return len(pieces)


def mark_matured(ctx: Ctx, day: int) -> None:
    """The roots maturing on `day`, which has ended: unpaid ones fall OVERDUE, unaccepted ones lapse."""
    for root_id in ctx.state.get(due_key(day), []):
        r: Root = ctx.state.get(root_key(root_id))
        if r["status"] == ISSUED and not r["frozen"]:
            # never accepted before maturity: it lapses, releasing invoices and credit
            cancel(ctx, ctx.state.get(voucher_key(root_id)), r, "lapsed unaccepted at maturity")
            ctx.emit("VoucherLapsed", root=root_id, payer=r["payer"], amount=r["amount"], maturity=r["maturity"])
            continue
        if r["status"] == ACTIVE and r["maturity"] <= ctx.time:
            r["status"] = OVERDUE
            ctx.state.put(root_key(root_id), r)
            ctx.emit("VoucherOverdue", root=root_id, payer=r["payer"], amount=r["amount"], maturity=r["maturity"])


class EndOfBlock:
    def end_block(self, ctx: Ctx) -> None:
        """Each block: continue clearing, then, for each China-time day that has ended,
        mark its unpaid roots OVERDUE and let its never-accepted roots lapse."""
        budget = CLEAR_BATCH
        for root_id in list(ctx.state.get(CLEARING_QUEUE, [])):
            if budget <= 0:
                break
            budget -= clear(ctx, root_id, budget)
        today = day_of(ctx.time)
        cursor = ctx.state.get(CURSOR)
        # a root maturing on day d (China time) is OVERDUE from the first block of
        # day d+1 that finds it unpaid; at most MAX_CATCH_UP days are caught up per block
        for day in range(cursor + 1, min(today, cursor + 1 + MAX_CATCH_UP)):
            mark_matured(ctx, day)
            ctx.state.put(CURSOR, day)
