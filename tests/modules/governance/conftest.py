"""Governance tests run on the demo chain through `Gov` (gov_support.py)."""

from __future__ import annotations

import pytest

from faechain.contracts.runtime import REGISTRY
from tests.modules.governance.gov_support import VAL_A, VAL_B, Gov, gov_chain, stand_in_supervision


@pytest.fixture
def make_gov(demo_template, tmp_path):
    """A factory: Gov over a fresh demo chain with the given genesis validators / governance config."""
    registered = stand_in_supervision()
    chains = []

    def factory(validators=(VAL_A, VAL_B), governance: dict | None = None) -> Gov:
        c = gov_chain(demo_template, str(tmp_path / f"home{len(chains)}"), validators, governance)
        chains.append(c)
        return Gov(c)

    yield factory
    for c in chains:
        c.close()
    if registered:
        REGISTRY.pop("supervision", None)


@pytest.fixture
def g(make_gov) -> Gov:
    return make_gov()

