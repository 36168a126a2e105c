"""Read rules by key kind: the shape every business module's `can_read` takes.

A contract's keys are `<kind>/<rest>` (`plan/P-1`, `holding/P-1/investor4`). Who may read
one is decided in three steps, always in this order, so that no module can forget one:

1. the regulator and the exchange read everything (`sees_all`);
2. an anonymous reader, or a caller without an organisation, reads nothing;
3. otherwise the rule for the key's kind decides, given `rest`; a kind with no rule is
   readable by the regulator and the exchange only, unless the module names a default.

A module writes its rules as a table `{kind: rule}` (its `reading.py`) and its
`can_read` is `read_by_kind(q, key, RULES)`. Rules that follow a record — everything hanging
from a plan is read as the plan is — are built with `by_record`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from faechain.contracts.runtime import QueryCtx, is_member, sees_all

KeyRule = Callable[[QueryCtx, str], bool]
R = TypeVar("R")


def signed_in(q: QueryCtx) -> bool:
    """A caller that belongs to an organisation (not anonymous)."""
    return q.caller is not None and bool(q.caller.org_id)


def org_of(q: QueryCtx) -> str:
    """The caller's organisation, or "" for an anonymous reader."""
    return q.caller.org_id if q.caller is not None else ""


def read_by_kind(q: QueryCtx, key: str, rules: Mapping[str, KeyRule], default: KeyRule | None = None) -> bool:
    """May `q.caller` read `key`? The three steps of the module docstring."""
    if sees_all(q.caller):
        return True
    if not signed_in(q):
        return False
    kind, _, rest = key.partition("/")
    rule = rules.get(kind, default)
    return rule is not None and rule(q, rest)


def any_member(q: QueryCtx, rest: str) -> bool:
    """A record every consortium member reads (the roster, auctions, the rules in force)."""
    return is_member(q.caller)


def by_record(load: Callable[[QueryCtx, str], R | None], test: Callable[[QueryCtx, R], bool]) -> KeyRule:
    """A rule for keys `<kind>/<id>/...`: readable as the record `load(q, id)` is by `test`;
    nobody but the regulator and the exchange reads what hangs from a record that does not exist."""
    def rule(q: QueryCtx, rest: str) -> bool:
        record = load(q, rest.split("/", 1)[0])
        return record is not None and test(q, record)
    return rule
