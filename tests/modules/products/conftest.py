"""Products tests run on the demo chain through `Pr`."""

from __future__ import annotations

import pytest

from tests.modules.products.product_support import Pr


@pytest.fixture
def p(demo_chain) -> Pr:
    pr = Pr(demo_chain)
    pr.warm()
    pr.rcv.line(1_000_000_000_00)
    return pr
