"""npa's end-of-block work: a delivered package whose transfer notice is late is flagged (NoticeOverdue)."""

from __future__ import annotations

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.runtime import Ctx
from faechain.modules.npa.records import DELIVERED, Package, package_key
from faechain.modules.npa.rules import save_package


class EndOfBlock:
    def end_block(self, ctx: Ctx) -> None:
        """A delivered package whose transfer notice is not out by its due time raises NoticeOverdue."""
        for due, kind, package in Deadlines(ctx.state).take(ctx.time):
            p: Package = ctx.state.get(package_key(package))
            if kind == "notice" and p["status"] == DELIVERED and p["notice_due"] == due:
                p["notice_overdue"] = True
                save_package(ctx, p)
                ctx.emit("NoticeOverdue", package=package, seller=p["seller"], buyer=p["winner"], due=due)
