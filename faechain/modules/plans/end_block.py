"""plans' end-of-block work: a disclosure item still unpublished at its due time becomes OVERDUE."""

from __future__ import annotations

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.runtime import Ctx
from faechain.modules.plans.records import OVERDUE, SCHEDULED, Plan, disclosure_key, plan_key
from faechain.modules.plans.rules import load_item


class EndOfBlock:
    def end_block(self, ctx: Ctx) -> None:
        """Mark unpublished items OVERDUE once block time passes their due time."""
        for due, plan_id, n in Deadlines(ctx.state).take(ctx.time):
            d = load_item(ctx, plan_id, n)
            if d["status"] == SCHEDULED:
                d["status"] = OVERDUE
                ctx.state.put(disclosure_key(plan_id, n), d)
                p: Plan = ctx.state.get(plan_key(plan_id))
                ctx.emit("DisclosureOverdue", plan=plan_id, item=n, kind=d["kind"], title=d["title"],
                         due=due, sponsor=p["sponsor"], underwriter=p["underwriter"])
