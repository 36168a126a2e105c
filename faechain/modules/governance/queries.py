"""What governance shows: proposals with their votes, and the validator set. Every member sees all of it."""

from __future__ import annotations

from faechain.contracts.errors import NotFound
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.governance.records import OPEN, VALIDATORS_KEY, Proposal, Validator, proposal_key
from faechain.modules.governance.steps import current_config


class Queries:
    @query
    def proposal(self, q: QueryCtx, id: str) -> dict:
        """One proposal with its votes (every member sees every proposal)."""
        p: Proposal | None = q.state.get(proposal_key(id))
        if p is None:
            raise NotFound(f"proposal {id!r} not found")
        return dict(p)

    @query
    def proposals(self, q: QueryCtx, status: str | None = None, kind: str | None = None,
                  proposer: str | None = None) -> list:
        """Proposals by status (default OPEN), kind or proposer, oldest first."""
        if status is None and kind is None and proposer is None:
            status = OPEN
        if kind is not None:
            rows = q.find("proposal", "kind", kind)
        elif proposer is not None:
            rows = q.find("proposal", "proposer", proposer)
        else:
            rows = q.find("proposal", "status", str(status))
        out = [p for _, p in rows if (status is None or p["status"] == status)
               and (kind is None or p["kind"] == kind) and (proposer is None or p["proposer"] == proposer)]
        return sorted(out, key=lambda p: (p["proposed_at"], p["id"]))

    @query
    def validators(self, q: QueryCtx) -> dict:
        """The validator set as governance holds it (what CometBFT runs from two blocks after a change)."""
        vals: list[Validator] = q.state.get(VALIDATORS_KEY) or []
        return {"validators": vals, "total_power": sum(v["power"] for v in vals),
                "voting_period": current_config(q)["voting_period"]}
