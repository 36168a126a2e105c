"""Process wiring: storage + Application + document vault + engine + API in one node process."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

from faechain.api.auth import is_loopback
from faechain.chain.application import Application
from faechain.chain.engine import Engine
from faechain.chain.results import Receipt
from faechain.core.genesis import Genesis
from faechain.engines.solo import SoloEngine
from faechain.ledger.integrity import StorageDamaged
from faechain.ledger.storage import Store
from faechain.ledger.vault import Vault
from faechain.node.block_signer import load_block_signer
from faechain.node.config import NodeConfig, paths
from faechain.node.erasure import VaultErasure
from faechain.node.startup import halt, open_ledger

log = logging.getLogger("faechain.node")


class Node:
    """A configured node: `Node(home).run()` serves until interrupted."""

    def __init__(self, home: str, config: NodeConfig | None = None):
        self.home = os.path.abspath(home)
        self.paths = paths(self.home)
        self.config = config or NodeConfig.load(self.home)
        self.genesis = Genesis.load(self.paths["genesis"])
        self._closed = False
        if self.config.anonymous_reads and not (self.genesis.dev and is_loopback(self.config.host)):
            raise ValueError("anonymous reads are allowed only on a dev chain listening on loopback")
        if self.config.open_reads and not self.config.anonymous_reads:
            raise ValueError("open_reads shows anonymous readers everything: it needs anonymous_reads (a dev "
                             "chain on loopback)")
        # a solo node signs each header with the block signer key genesis declares (read before
        # the ledger is opened: a missing or wrong key stops the start with what to do)
        signer = load_block_signer(self.home, self.genesis) if self.config.engine == "solo" else None
        # checked before it serves: a damaged ledger raises StorageDamaged with how to recover
        self.store, self.app = self.open_ledger()
        # off-chain documents whose hashes contracts record, checked with the chain's hash
        self.vault = Vault(self.paths["vault"], self.app.hash)
        # personal data erased on chain leaves this vault: now (a node that was down) and at each commit
        self.erasure = VaultErasure(self.store, self.vault, self.app.contracts)
        self.vault.erased = self.erasure.is_erased
        self.erasure.sweep()
        self.app.listeners.append(self.erasure.on_commit)
        if self.config.verify_workers != 0 and self.config.engine != "member":
            from faechain.crypto.verifier import ParallelVerifier

            workers = None if self.config.verify_workers < 0 else self.config.verify_workers
            self.app.verifier = ParallelVerifier(self.genesis.suite, workers)
        if self.config.engine == "member":
            self.engine: Engine = self.make_member_engine()
        elif self.config.engine == "cometbft":
            from faechain.engines.cometbft.engine import CometBFTEngine

            self.engine = CometBFTEngine(self.app, **self.config.abci)
        elif self.config.engine != "solo":
            raise ValueError(f"unknown engine {self.config.engine!r} (solo, cometbft or member)")
        else:
            self.engine = SoloEngine(
                self.app,
                block_interval=self.config.block_interval,
                max_block_txs=self.config.max_block_txs,
                max_mempool=self.config.max_mempool,
                heartbeat=self.config.heartbeat,
                signer=signer,
            )

    # a member node (faechain.member.node.MemberNode) holds one organisation's view and serves
    # only that organisation's readers; None on a validator or a solo node, which hold everything
    member_org: str | None = None

    def open_ledger(self) -> tuple[Store, Application]:
        """The node's store and state machine, after the startup checks (a member node opens
        its own: faechain.member.node)."""
        return open_ledger(self.paths["db"], self.genesis, synchronous=self.config.synchronous,
                           engine=self.config.engine, home=self.home)

    def relay_read(self, method: str, path: str, headers: dict[str, str],
                   body: bytes) -> tuple[int, bytes, str, str] | None:
        """A read this node cannot answer from what it holds, passed on as the reader signed it:
        (status, body, content type, who answered), or None where nobody is asked (a full node
        holds everything; a member node asks a validator: faechain.member.node)."""
        return None

    def make_member_engine(self) -> Engine:
        """A member node's engine: the member layer provides it (faechain.member.node.MemberNode)."""
        raise ValueError("a member node is started by faechain.member.node.MemberNode (`fae node start` does)")

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    def submit_as(self, name: str, contract: str, method: str, args: dict[str, Any]) -> Receipt:
        """Sign with a wallet identity and wait for the receipt (demo seeding, tools)."""
        from faechain.identity.wallet import Identity

        ident = Identity.load(self.home, name)
        raw = ident.sign_tx(self.app.chain_id, contract, method, args, now_ms=self.engine.now_ms())
        sub = self.engine.submit(raw)
        if not sub.check.ok:
            return Receipt(sub.check.tx_hash, 0, 0, sub.check.code, sub.check.message)
        assert sub.future is not None  # an accepted submission that waits has its receipt's future
        return sub.future.result(timeout=30)

    def halt(self, exc: StorageDamaged) -> StorageDamaged:
        """Storage found damaged while serving: stop taking transactions (see `startup.halt`)."""
        return halt(self.app, self.engine, exc, self.home, self.config.engine)

    def build_app(self):
        """The node's aiohttp application: the REST API with the web console beside it."""
        import faechain.console
        from faechain.api.server import build_app

        return build_app(self, extensions=[faechain.console])

    async def serve(self, ready: asyncio.Event | None = None) -> None:
        from aiohttp import web

        from faechain.api.limits import Runner

        self.engine.start()
        runner = Runner(self.build_app(), access_log=None)  # HTTP-level errors as JSON too
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        log.info("faechain node %s serving %s (height %d)", self.genesis.chain_id, self.url, self.app.height)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            self.close()

    def close(self) -> None:
        """Stop the engine, the verifier workers and the database (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.engine.stop()
        if self.app.verifier is not None:
            self.app.verifier.close()
        self.store.close()

    def run(self) -> None:
        asyncio.run(self.serve())
