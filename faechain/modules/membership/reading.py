"""Who may read each membership record and see each of its events (docs/confidentiality.md): every
member reads the roster — organisations, CA certificates, member certificates, revocations — so
that it knows its counterparties; an anonymous reader does not. An individual investor's personal
data record (`person/<commitment>`, `erased/<commitment>`) is read as `may_read_person` says
(faechain/contracts/personal.py).
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.personal import PersonalDataSteps, person_key
from faechain.contracts.reading import any_member, read_by_kind
from faechain.contracts.runtime import QueryCtx
from faechain.modules.membership.records import org_key

PERSON_EVENTS = ("PersonRegistered", "ErasureRequested", "PersonalDataErased", "ErasureRejected")


class ReadRules(PersonalDataSteps):
    """The membership contract's `can_read` and `event_subjects` (see the module docstring)."""

    def can_read(self, q: QueryCtx, key: str) -> bool:
        return read_by_kind(q, key, self.person_rules(), default=any_member)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        if type_ in PERSON_EVENTS and isinstance(attrs.get("person"), str):
            return (person_key(attrs["person"]),)
        if isinstance(attrs.get("org_id"), str):
            return (org_key(attrs["org_id"]),)
        return ()
