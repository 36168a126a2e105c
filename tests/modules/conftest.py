"""A demo-consortium chain driven block by block, for the business-module tests.

    demo_template   a `fae demo` home (all 19 demo members), created once per session
    demo_chain      a `DemoChain` on a fresh copy of it: `TestChain` plus the members' org
                    ids, the next block's time and a clock you can advance
"""

from __future__ import annotations

import os
import shutil

import pytest

from faechain.devnet.demo import MEMBERS, create_demo
from tests.conftest import SUITE_NOW, TestChain, open_chain

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

    def q(self, method: str, as_: str | None = None, contract: str = "receivables", **args):
        """Run a query of `contract` as member `as_` (anonymous when None)."""
        caller = None
        if as_ is not None:
            caller = self.app.caller_for_cert(self.ids[as_].cert_id, self.ids[as_].cert)
        return self.app.run_query(contract, method, args, caller)

    def advance(self, seconds: int) -> None:
        self.clock += seconds * 1000


def open_demo_chain(home: str) -> DemoChain:
    return open_chain(home, [m.name for m in MEMBERS], DemoChain)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> str:
    home = str(tmp_path_factory.mktemp("demo"))
    # FAE_TEST_SUITE=sm2-sm3 runs every module scenario on an SM2/SM3 chain
    create_demo(home, suite=os.environ.get("FAE_TEST_SUITE", "ed25519"), now=SUITE_NOW)
    return home


@pytest.fixture
def demo_chain(demo_template, tmp_path):
    home = str(tmp_path / "home")
    shutil.copytree(demo_template, home)
    c = open_demo_chain(home)
    yield c
    c.close()
