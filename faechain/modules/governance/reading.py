"""Who may read each governance record and see each of its events (docs/confidentiality.md): every
member — proposals, votes, the validator set and its changes are the consortium's own business; an
anonymous reader does not.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.reading import any_member, read_by_kind
from faechain.contracts.runtime import QueryCtx
from faechain.modules.governance.records import VALIDATORS_KEY, proposal_key


class ReadRules:
    """The governance contract's `can_read` and `event_subjects` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, {}, default=any_member)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        if isinstance(attrs.get("proposal"), str):
            return (proposal_key(attrs["proposal"]),)
        if type_ == "ValidatorChanged":
            return (VALIDATORS_KEY,)
        return ()
