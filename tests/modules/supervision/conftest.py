"""Supervision tests: the demo chain with drivers for supervision and the modules it watches."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.modules.driver import Driver
from tests.modules.plans.plan_support import Pl
from tests.modules.products.product_support import Pr


@pytest.fixture
def w(demo_chain):
    sup = Driver(demo_chain, "supervision")
    sup.warm()
    products = Pr(demo_chain)
    products.rcv.line(1_000_000_000_00)
    return SimpleNamespace(c=demo_chain, o=sup.o, sup=sup, rcv=products.rcv, plans=Pl(demo_chain), products=products)


def alerts(res, rule: str | None = None) -> list[dict]:
    """The Alert events of a block (optionally of one rule)."""
    return [e["attrs"] for e in res.end_events
            if e["contract"] == "supervision" and e["type"] == "Alert" and (rule is None or e["attrs"]["rule"] == rule)]
