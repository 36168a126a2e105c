"""The receivables module's end-of-block work: instructing the pieces of the payment rounds in
progress, in batches; telling the payers and rails what falls due, when it does (`PaymentDue`:
a whole root at maturity, or an instalment); and on each China-time day that has ended,
marking its unpaid roots OVERDUE (or letting unaccepted ones lapse)."""

from __future__ import annotations

from faechain.contracts.deadlines import MAX_CATCH_UP, Deadlines, day_of
from faechain.contracts.runtime import Ctx
from faechain.modules.receivables.clearing import CLEAR_BATCH, instruct_round
from faechain.modules.receivables.pieces import cancel
from faechain.modules.receivables.records import (
    ACTIVE,
    CLEARING_QUEUE,
    CURSOR,
    ISSUED,
    OVERDUE,
    Root,
    due_key,
    root_key,
    voucher_key,
)

__all__ = ["CLEAR_BATCH", "EndOfBlock", "mark_matured", "payment_due"]


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


PAY_DUE = "paydue"  # Deadlines prefix: [due, "root", root id] at maturity, [due, "instalment", root id, n]


def payment_due(ctx: Ctx) -> Deadlines:
    """When payments fall due: each root's maturity and each instalment but the last, to the second."""
    return Deadlines(ctx.state, PAY_DUE, "paydue_cursor")


def announce_due(ctx: Ctx) -> None:
    """Tell each payer and rail what falls due now (`PaymentDue`): an accepted root at its maturity
    (what is still owed on it), an instalment at its due time. The rail may confirm it from this
    block on, so an automated rail acts on the event without being refused."""
    for entry in payment_due(ctx).take(ctx.time):
        due, kind, root_id = entry[0], entry[1], entry[2]
        r: Root = ctx.state.get(root_key(root_id))
        if r["status"] != ACTIVE:
            continue
        if kind == "root":
            owed = r["amount"] - r.get("collected", 0) - r.get("discounts", 0)
            if owed > 0:
                ctx.emit("PaymentDue", root=root_id, payer=r["payer"], rail=r["settlement_bank"], amount=owed,
                         due=due, instalment=0)
        else:
            n = entry[3]
            ctx.emit("PaymentDue", root=root_id, payer=r["payer"], rail=r["settlement_bank"],
                     amount=r["instalments"][n - 1][1], due=due, instalment=n)


class EndOfBlock:
    def end_block(self, ctx: Ctx) -> None:
        """Each block: continue instructing payment rounds; for each China-time day that has begun,
        announce what falls due; for each that has ended, mark its unpaid roots OVERDUE and let
        its never-accepted roots lapse."""
        budget = CLEAR_BATCH
        for root_id in list(ctx.state.get(CLEARING_QUEUE, [])):
            if budget <= 0:
                break
            budget -= instruct_round(ctx, root_id, budget)
        announce_due(ctx)
        today = day_of(ctx.time)
        cursor = ctx.state.get(CURSOR)
        # a root maturing on day d (China time) is OVERDUE from the first block of day d+1 that finds it unpaid
        for day in range(cursor + 1, min(today, cursor + 1 + MAX_CATCH_UP)):
            mark_matured(ctx, day)
            ctx.state.put(CURSOR, day)
