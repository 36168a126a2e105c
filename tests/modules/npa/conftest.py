"""NPA tests run on the demo chain (tests/modules/conftest.py) through `Np`, with the real auctions contract."""

from __future__ import annotations

import pytest

from tests.modules.npa.npa_support import Np


@pytest.fixture
def n(demo_chain) -> Np:
    np_ = Np(demo_chain)
    np_.warm()
    return np_
