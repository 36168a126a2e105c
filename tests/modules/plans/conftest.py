"""Plans tests run on the demo chain (tests/modules/conftest.py) through `Pl`."""

from __future__ import annotations

import pytest

from tests.modules.plans.plan_support import Pl


@pytest.fixture
def p(demo_chain) -> Pl:
    pl = Pl(demo_chain)
    pl.warm()
    pl.rcv.line(1_000_000_000_00)
    return pl
