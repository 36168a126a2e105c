"""Small checks every business contract makes on its records and on other members.

    member(ctx, org_id, types, what)     an ACTIVE member organisation of one of `types`
    active_member(ctx, org_id)           an ACTIVE member organisation of any type
    ensure_status(kind, rec, *allowed)   a record's status is one of `allowed` (invalid_state)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faechain.contracts.errors import BadRequest, InvalidState, NotFound, ensure
from faechain.contracts.roles import a_role
from faechain.contracts.runtime import Ctx


def member(ctx: Ctx, org_id: str, types: tuple[str, ...], what: str) -> dict[str, Any]:
    """The organisation record of `org_id`, which must be an active member of one of `types`
    (`what` names the part it would play, for the message)."""
    org = active_member(ctx, org_id)
    ensure(org["type"] in types, BadRequest(f"{org_id} cannot be the {what} (it is {a_role(org['type'])})"))
    return org


def ensure_status(kind: str, rec: Mapping[str, Any], *allowed: str) -> None:
    ensure(rec["status"] in allowed,
           InvalidState(f"{kind} {rec['id']} is {rec['status']}; this needs {' or '.join(allowed)}"))


def active_member(ctx: Ctx, org_id: str) -> dict[str, Any]:
    """The organisation record of `org_id`, which must be an active consortium member (of any
    type: the caller checks the type in its own words, or uses `member`)."""
    org: dict[str, Any] | None = ctx.read("membership", f"org/{org_id}")
    if org is None or org["status"] != "ACTIVE":
        raise NotFound(f"organisation {org_id!r} is not a consortium member")
    return org
