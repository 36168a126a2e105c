"""The demo consortium's chain in process, for the business benchmarks: blocks are built and
committed by calling the `Application` directly (no engine, no HTTP), so a figure measures the
contracts and the ledger alone. Each benchmark adds its own helpers on top."""

from __future__ import annotations

from typing import Any

from faechain.chain.application import Application
from faechain.chain.results import BlockResult
from faechain.contracts.runtime import Caller
from faechain.core.genesis import Genesis
from faechain.devnet.demo import MEMBERS, create_demo
from faechain.identity.wallet import Identity
from faechain.ledger.storage import Store
from faechain.node.config import paths


class DemoChain:
    """A fresh `fae demo` chain at `home`, its 19 members' identities, and a clock that moves one
    second per block (blocks must carry increasing times)."""

    def __init__(self, home: str):
        create_demo(home)
        self.genesis = Genesis.load(paths(home)["genesis"])
        self.store = Store(paths(home)["db"])
        self.app = Application(self.store, self.genesis)
        self.ids = {m.name: Identity.load(home, m.name) for m in MEMBERS}
        self.org = {n: i.org_id for n, i in self.ids.items()}
        self.clock = self.genesis.genesis_time + 60_000
        self.nonce = 0

    def sign_call(self, who: str, contract: str, method: str, **args: Any) -> bytes:
        """A transaction signed by member `who`, with a fresh nonce, at the chain's clock."""
        self.nonce += 1
        return self.ids[who].sign_tx(self.genesis.chain_id, contract, method, args, nonce=self.nonce,
                                     now_ms=self.clock)

    def commit(self, txs: list[bytes], check: bool = True) -> BlockResult:
        """Admit (when `check`), execute and commit one block; every transaction must succeed."""
        if check:
            bad = [c for c in self.app.check_txs(txs, self.clock) if not c.ok]
            assert not bad, bad[:3]
        result = self.app.finalize_block(self.app.height + 1, self.clock, txs)
        self.app.commit()
        self.clock += 1000
        failed = [r for r in result.receipts if not r.ok]
        assert not failed, failed[:3]
        return result

    def caller(self, who: str) -> Caller:
        """Member `who` as the contracts see a reader."""
        return self.app.caller_for_cert(self.ids[who].cert_id, self.ids[who].cert)
