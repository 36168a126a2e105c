"""Auction tests: the demo chain with the `lot_probe` owner registered."""

from __future__ import annotations

import pytest

from faechain.contracts.runtime import REGISTRY, register
from tests.modules.auctions.auction_support import Au, LotProbe


@pytest.fixture
def a(demo_template, tmp_path):
    import shutil

    from tests.modules.conftest import open_demo_chain

    register(LotProbe)
    home = str(tmp_path / "home")
    shutil.copytree(demo_template, home)
    c = open_demo_chain(home)
    try:
        au = Au(c)
        au.warm()
        yield au
    finally:
        c.close()
        REGISTRY.pop(LotProbe.name, None)
