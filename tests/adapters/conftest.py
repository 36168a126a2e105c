"""A demo node (the 22 demo members, no sample business) served in-process per test module."""

from __future__ import annotations

import pytest

from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from tests.conftest import wallet


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("outside"))
    create_demo(home, free_port())
    nt = NodeThread(home, heartbeat=1.0)
    nt.start()
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def who(node):
    return wallet(node.home)
