"""A demo-consortium node served in-process for the API tests (members must sign reads)."""

from __future__ import annotations

import pytest

from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, Identity


@pytest.fixture(scope="module")
def api_node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("apinode"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    nt.start()
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def ids(api_node):
    cache: dict[str, Identity] = {}

    def get(name: str) -> Identity:
        if name not in cache:
            cache[name] = Identity.load(api_node.home, name)
        return cache[name]

    return get


@pytest.fixture(scope="module")
def exchange_client(api_node, ids):
    with Client(api_node.url, identity=ids("exchange")) as c:
        yield c
