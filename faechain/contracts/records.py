"""Small checks every business contract makes on its records and on other members.

    member(ctx, org_id, types, what)     an ACTIVE member organisation of one of `types`
    ensure_status(kind, rec, *allowed)   a record's status is one of `allowed` (invalid_state)
"""

from __future__ import annotations

from faechain.contracts.errors import BadRequest, InvalidState, NotFound, ensure


def member(ctx, org_id: str, types: tuple[str, ...], what: str) -> dict:
    """The organisation record of `org_id`, which must be an active member of one of `types`
    (`what` names the part it would play, for the message)."""
    org = ctx.read("membership", f"org/{org_id}")
    ensure(org is not None and org["status"] == "ACTIVE",
           NotFound(f"organisation {org_id!r} is not a consortium member"))
    ensure(org["type"] in types, BadRequest(f"{org_id} cannot be the {what} (it is {org['type']})"))
    return org


def ensure_status(kind: str, rec: dict, *allowed: str) -> None:
    ensure(rec["status"] in allowed,
           InvalidState(f"{kind} {rec['id']} is {rec['status']}; this needs {' or '.join(allowed)}"))
