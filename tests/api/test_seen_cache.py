"""The event hub's memo of what each reader sees of each block (`SeenCache`): one filtering per
(block, reader) however many streams the reader opens, and never one reader's answer for another."""

from __future__ import annotations

from faechain.api import confidential
from faechain.api.confidential import SeenCache
from faechain.contracts.runtime import Caller


def reader(org: str, **attributes) -> Caller:
    return Caller(cert_id=org.encode(), org_id=org, org_name=org, name=org, role="INVESTOR", attributes=attributes)


def test_a_reader_is_filtered_once_per_block_and_readers_never_share(monkeypatch):
    computed: list[tuple[str, int, bool]] = []

    def visible(node, caller, height):
        computed.append((caller.org_id, height, caller.has("qualified")))
        return {len(computed)}, 10  # a different answer every time it is computed

    monkeypatch.setattr(confidential, "visible_indexes", visible)
    cache = SeenCache(size=3)
    a, b, a_qualified = reader("A"), reader("B"), reader("A", qualified=True)
    first = cache.visible(None, a, 5)
    assert [cache.visible(None, a, 5) for _ in range(20)] == [first] * 20  # 20 more streams of A
    assert cache.visible(None, b, 5) != first  # another reader: its own answer
    assert cache.visible(None, a_qualified, 5) != first  # the same organisation with other attributes
    assert cache.visible(None, a, 6) != first  # another block
    assert computed == [("A", 5, False), ("B", 5, False), ("A", 5, True), ("A", 6, False)]
    # bounded: the oldest entries go first
    assert cache.visible(None, a, 5) != first and len(computed) == 5


def test_who_sees_everything_is_never_filtered(monkeypatch):
    monkeypatch.setattr(confidential, "visible_indexes", lambda *a: (_ for _ in ()).throw(AssertionError("asked")))
    regulator = Caller(cert_id=b"r", org_id="R", org_name="R", name="r", role="REGULATOR")
    assert SeenCache().visible(None, regulator, 5) is None and SeenCache().visible(None, None, 5) is None
