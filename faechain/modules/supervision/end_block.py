"""The supervision module's end-of-block work: the risk rules (rules.py) run over what the
block did, and each firing becomes an alert.

An alert is an `Alert` event (the regulator's live stream is
`/v1/events?contract=supervision&type=Alert`) and an `alert/<n>` record (its history).
`supervision` runs last among the contracts' end_block hooks, so it sees the end-of-block
events of all the others (OVERDUE and the like).
"""

from __future__ import annotations

from faechain.contracts.runtime import Ctx
from faechain.modules.supervision import rules as risk
from faechain.modules.supervision.records import ALERTS, AlertRecord, alert_key, once_key
from faechain.modules.supervision.thresholds import thresholds

ONCE = frozenset({"holders_near_limit", "holders_at_limit", "payer_concentration"})  # once per subject
MAX_ALERTS_PER_BLOCK = 1000


class EndOfBlock:
    def end_block(self, ctx: Ctx) -> None:
        """Evaluate the risk rules over the block: each firing is an alert with its evidence."""
        if not ctx.block.txs and not ctx.block.events:
            return  # the common idle block: nothing read
        limits = thresholds(ctx.state)
        count = ctx.state.get(ALERTS) or 0
        raised = 0
        for rule, subject, severity, evidence in risk.evaluate(ctx, limits, ctx.read):
            if rule in ONCE:
                key = once_key(rule, subject, evidence["payer"] if "payer" in evidence else None)
                if ctx.state.has(key):
                    continue
                ctx.state.put(key, ctx.height)
            if raised >= MAX_ALERTS_PER_BLOCK:
                break
            count += 1
            raised += 1
            alert: AlertRecord = {"n": count, "rule": rule, "subject": subject, "severity": severity,
                                  "height": ctx.height, "time": ctx.time, "threshold": limits[rule],
                                  "evidence": evidence}
            ctx.state.put(alert_key(count), alert)
            ctx.emit("Alert", **alert)
        if raised:
            ctx.state.put(ALERTS, count)
