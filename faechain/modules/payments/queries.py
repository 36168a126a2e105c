"""What payments shows, and to whom (reading.py): a record the reader may not read is answered
as not found, exactly as one that does not exist."""

from __future__ import annotations

from typing import Any

from faechain.contracts.errors import BadRequest, NotFound, ensure
from faechain.contracts.runtime import QueryCtx, query
from faechain.modules.payments.conditional import condition_met
from faechain.modules.payments.records import account_key, conditional_key, instruction_key

MAX_LIST = 500


class Queries:
    @query
    def account(self, q: QueryCtx, org: str, rail: str) -> dict[str, Any]:
        """The account `org` is paid at on `rail`."""
        key = account_key(org, rail)
        rec = q.state.get(key)
        if rec is None or not q.may_read(key):
            raise NotFound(f"no account of {org} on rail {rail}")
        return dict(rec)

    @query
    def instruction(self, q: QueryCtx, id: str) -> dict[str, Any]:
        """One clearing instruction."""
        rec = q.state.get(instruction_key(id))
        if rec is None or not q.may_read(instruction_key(id)):
            raise NotFound(f"instruction {id!r} not found")
        return dict(rec)

    @query
    def instructions(self, q: QueryCtx, field: str, value: str, status: str | None = None) -> list[dict[str, Any]]:
        """Instructions by payer, payee or rail (at most 500), optionally of one status."""
        ensure(field in ("payer", "payee", "rail", "source"), BadRequest("field is payer, payee, rail or source"))
        out = []
        for key, rec in q.find("instruction", field, value, MAX_LIST):
            if (status is None or rec["status"] == status) and q.may_read(key):
                out.append(dict(rec))
        return out

    @query
    def conditional(self, q: QueryCtx, id: str) -> dict[str, Any]:
        """One conditional payment, with whether the chain shows its condition met now (`met`)."""
        rec = q.state.get(conditional_key(id))
        if rec is None or not q.may_read(conditional_key(id)):
            raise NotFound(f"conditional payment {id!r} not found")
        return dict(rec) | {"met": condition_met(q, rec)}
