"""A demo-consortium chain driven block by block, for the receivables tests."""

from __future__ import annotations

import os
import shutil

import pytest

from faechain.application import Application
from faechain.ledger.storage import Store
from faechain.node.config import paths
from faechain.node.demo import MEMBERS, create_demo
from faechain.node.genesis import Genesis
from faechain.sdk.identity import Identity
from tests.conftest import TestChain

DAY = 86_400


class DemoChain(TestChain):
    __test__ = False

    @property
    def org_ids(self) -> dict[str, str]:
        return {name: ident.org_id for name, ident in self.ids.items()}

    @property
    def now(self) -> int:
        """The next block's time in unix seconds."""
        return self.clock // 1000

    def q(self, method: str, as_: str | None = None, **args):
        caller = None
        if as_ is not None:
            caller = self.app.caller_for_cert(self.ids[as_].cert_id, self.ids[as_].cert)
        return self.app.run_query("receivables", method, args, caller)

    def advance(self, seconds: int) -> None:
        self.clock += seconds * 1000


def open_demo_chain(home: str) -> DemoChain:
    p = paths(home)
    genesis = Genesis.load(p["genesis"])
    store = Store(p["db"])
    app = Application(store, genesis)
    ids = {m.name: Identity.load(home, m.name) for m in MEMBERS}
    chain = DemoChain(home, genesis, store, app, ids)
    chain.clock = max(app.last_time, genesis.genesis_time + 60_000) + (1000 if app.height else 0)
    return chain


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> str:
    home = str(tmp_path_factory.mktemp("demo"))
    create_demo(home)
    return home


@pytest.fixture
def demo_chain(demo_template, tmp_path):
    home = str(tmp_path / "home")
    shutil.copytree(demo_template, home)
    c = open_demo_chain(home)
    yield c
    c.close()
