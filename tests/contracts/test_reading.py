"""The shape every module's read rule takes (`faechain.contracts.reading.read_by_kind`): the
regulator and the exchange first, anonymous readers out, then the rule for the key's kind — and
a kind with no rule is nobody else's."""

from __future__ import annotations

import pytest

from faechain.contracts.reading import any_member, by_record, read_by_kind
from faechain.contracts.runtime import NOBODY, Caller, QueryCtx
from faechain.core.encoding import encode


class Access:
    def __init__(self, values: dict[str, object]):
        self.values = {f"c/{k}".encode(): encode(v) for k, v in values.items()}

    def get_raw(self, key: bytes) -> bytes | None:
        return self.values.get(key)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        raise AssertionError("a read rule never writes")

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        return sorted((k, v) for k, v in self.values.items() if k.startswith(prefix))


def member(org: str, role: str = "BANK") -> Caller:
    return Caller(cert_id=org.encode(), org_id=org, org_name=org, name=org, role=role)


def ctx(caller: Caller | None) -> QueryCtx:
    return QueryCtx("c", caller, Access({"deal/D-1": {"parties": ["A", "B"]}}), index=None, height=1)  # type: ignore[arg-type]


def deal(q: QueryCtx, ident: str):
    return q.state.get(f"deal/{ident}")


RULES = {
    "deal": by_record(deal, lambda q, d: q.caller.org_id in d["parties"]),
    "note": by_record(deal, lambda q, d: q.caller.org_id in d["parties"]),  # note/<deal>/<n>: as its deal
    "notice": any_member,
}


@pytest.mark.parametrize("key, reader, expected", [
    ("deal/D-1", member("A"), True),
    ("deal/D-1", member("C"), False),             # not a party
    ("deal/D-2", member("A"), False),             # no such deal: nobody's but the regulator's and exchange's
    ("note/D-1/7", member("B"), True),            # hangs from the deal: read as the deal
    ("note/D-1/7", member("C"), False),
    ("notice/1", member("C"), True),              # every member
    ("notice/1", NOBODY, False),                  # ... not an anonymous reader
    ("deal/D-1", NOBODY, False),
    ("cursor", member("A"), False),               # a kind with no rule
    ("cursor", member("R", "REGULATOR"), True),   # the regulator and the exchange see all,
    ("deal/D-2", member("X", "EXCHANGE"), True),  # present or not
])
def test_read_by_kind(key, reader, expected):
    assert read_by_kind(ctx(reader), key, RULES) is expected


def test_a_default_rule_covers_the_kinds_without_one():
    assert read_by_kind(ctx(member("C")), "cursor", RULES, default=any_member) is True
    assert read_by_kind(ctx(NOBODY), "cursor", RULES, default=any_member) is False
