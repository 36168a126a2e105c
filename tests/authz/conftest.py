"""The authorization matrix's world, built once per session (see `authz_support`)."""

from __future__ import annotations

import pytest

from tests.authz.authz_support import World, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    w = build_world(str(tmp_path_factory.mktemp("authz")))
    yield w
    w.chain.close()
