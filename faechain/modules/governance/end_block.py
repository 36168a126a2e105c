"""governance's end-of-block work: proposals whose voting period ended while OPEN or PASSED become EXPIRED."""

from __future__ import annotations

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.runtime import Ctx
from faechain.modules.governance.records import EXPIRED, OPEN, PASSED, Proposal, proposal_key


class EndOfBlock:
    def end_block(self, ctx: Ctx) -> None:
        """Proposals whose voting period ended while OPEN or PASSED become EXPIRED."""
        for _, pid in Deadlines(ctx.state).take(ctx.time):
            p: Proposal | None = ctx.state.get(proposal_key(pid))
            if p is not None and p["status"] in (OPEN, PASSED):
                p["status"] = EXPIRED
                ctx.state.put(proposal_key(pid), p)
                ctx.emit("ProposalExpired", proposal=pid, kind=p["kind"], yes=p["yes"], need=p["need"])
