"""The receivables tests use the demo chain of tests/modules/conftest.py, and most of them the
driver `r` on it: every member warmed up, and a CNY 10m line from the settlement bank to Huaxin (core)."""

import pytest

from tests.modules.conftest import DAY, DemoChain, open_demo_chain  # noqa: F401
from tests.modules.receivables.rcv_support import Rcv


@pytest.fixture
def r(demo_chain) -> Rcv:
    r = Rcv(demo_chain)
    r.warm()
    r.line(10_000_000_00)  # CNY 10m line from the settlement bank to Huaxin (core)
    return r
