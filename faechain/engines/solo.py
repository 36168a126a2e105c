"""The solo engine: one process, no network, blocks every few milliseconds.

Two threads drive the Application:

* the **check thread** takes submitted transactions in batches (whatever has
  arrived, up to `check_batch`) and runs `check_txs` on them, so that under load
  signatures are verified in large batches on every core; accepted transactions
  join the mempool;
* the **block thread** takes up to `max_block_txs` of them as soon as any are
  waiting (after at most `block_interval` seconds of batching), runs
  `finalize_block` and `commit`, then resolves each submitter's future with its
  receipt. With nothing to do it still makes an empty block every `heartbeat`
  seconds so that block time (which drives maturities and deadlines) moves on.

Block time is the wall clock plus a dev offset, never earlier than the previous
block. Only a chain whose genesis says `"dev": true` lets `advance_time` move the
offset; any other node refuses.

If executing or persisting a block ever fails, the engine stops making blocks,
fails every waiting submitter and reports the error (`engine.error`): a node
must not carry on from a state it could not persist.

**Signed headers.** A solo chain has no validators to sign its blocks, so the node
itself does: when genesis declares a `block_signer`, the engine is given its key
(`HeaderSigner`, from the node's home) and signs each block's header between
`finalize_block` and `commit` (the block hash is known once the block is finalized), so
that the signature is written in the block's own SQLite transaction and a committed block
is never found without it. Block 0, which the application commits before any engine
exists, is signed when the engine starts. A member checks these signatures against the
key in its own copy of genesis (`faechain.sdk.light.solo`). A genesis without a signer
(homes made before it existed) runs as before, its headers unsigned.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import logging
import threading
import time
from typing import Any

from faechain.chain.application import Application
from faechain.chain.engine import EngineError, EngineHealth
from faechain.chain.results import BlockResult, CheckResult, Receipt
from faechain.core.block import header_signing_bytes
from faechain.crypto.suite import PrivateKey
from faechain.engines.intake import Intake
from faechain.ledger.storage import HeaderSignature

log = logging.getLogger("faechain.solo")


class HeaderSigner:
    """The solo chain's block signer: the private key whose public key genesis declares as
    `block_signer` (the node keeps it in its home, like CometBFT's priv_validator_key.json)."""

    def __init__(self, key: PrivateKey):
        self.key = key
        self.public_key = key.public().raw()

    def sign(self, chain_id: str, height: int, block_hash: bytes) -> HeaderSignature:
        """The signature of block `height` of `chain_id`, whose header hashes to `block_hash`."""
        return HeaderSignature(self.public_key, self.key.sign(header_signing_bytes(chain_id, height, block_hash)))


class SoloEngine(Intake):
    """The embedded engine (an `faechain.chain.engine.Engine`)."""

    name = "solo"

    def __init__(
        self,
        app: Application,
        *,
        block_interval: float = 0.005,
        max_block_txs: int = 2000,
        max_mempool: int = 50_000,
        heartbeat: float = 5.0,
        check_batch: int = 512,
        signer: HeaderSigner | None = None,
    ):
        self.app = app
        self.signer = _checked_signer(app, signer)
        self.block_interval = block_interval
        self.max_block_txs = max_block_txs
        self.max_mempool = max_mempool
        self.heartbeat = heartbeat
        self._init_intake(check_batch, max_mempool)
        # a dev chain whose clock was advanced before a restart carries on from its last block,
        # so that block time and the clock clients sign against stay together
        ahead = app.last_time - int(time.time() * 1000)
        self.time_offset_ms = ahead + 1 if app.genesis.dev and ahead > 0 else 0
        self.blocks_made = 0
        self.block_seconds = 0.0  # finalize + commit time, for /metrics
        self._error: BaseException | None = None
        self._mempool: collections.deque[tuple[bytes, bytes]] = collections.deque()
        self._in_pool: set[bytes] = set()
        self._waiters: dict[bytes, list[cf.Future]] = {}
        self._cv = threading.Condition()
        self._force_block = False
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self.sign_unsigned()
        self._threads += self._spawn((self._check_loop, "solo-check"), (self._block_loop, "solo-blocks"))

    def stop(self) -> None:
        self._stop = True
        self._wake_intake()
        with self._cv:
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=10)

    @property
    def error(self) -> BaseException | None:
        """Why block production stopped (executing or persisting a block failed, or storage
        was found damaged), None while it runs."""
        return self._error

    @property
    def healthy(self) -> bool:
        return self._error is None

    def health(self) -> EngineHealth:
        """Ok while blocks are made (the solo engine depends on nothing outside this process)."""
        if self._error is not None:
            return EngineHealth.down(f"block production stopped: {self._error}")
        return EngineHealth(True)

    # -- submission ------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.time_offset_ms

    def advance_time(self, seconds: int) -> int:
        """Dev chains only: move block time forward; returns the new offset in ms."""
        if not self.app.genesis.dev:
            raise EngineError("forbidden", "this is not a dev chain: its clock cannot be advanced")
        if seconds <= 0 or seconds > 10 * 365 * 86400:
            raise EngineError("bad_request", "seconds must be positive and at most ten years")
        with self._cv:
            self.time_offset_ms += seconds * 1000
            self._force_block = True
            self._cv.notify()
        return self.time_offset_ms

    @property
    def mempool_size(self) -> int:
        return len(self._mempool) + len(self._intake)

    # -- the check thread --------------------------------------------------------------
    def _check_loop(self) -> None:
        while (batch := self._take_batch()) is not None:
            try:
                with self.app.lock:
                    results = self.app.check_txs([raw for raw, _, _ in batch], self.now_ms())
            except BaseException as exc:  # never leave a submitter hanging
                log.exception("check_txs failed")
                results = [CheckResult("internal_error", f"check failed: {type(exc).__name__}")] * len(batch)
            with self._cv:
                for (raw, _, receipt), result in zip(batch, results, strict=True):
                    if not result.ok:
                        continue
                    if receipt is not None:
                        self._waiters.setdefault(result.tx_hash, []).append(receipt)
                    if result.tx_hash not in self._in_pool:
                        self._in_pool.add(result.tx_hash)
                        self._mempool.append((result.tx_hash, raw))
                self._cv.notify()
            for (_, check, _), result in zip(batch, results, strict=True):
                check.set_result(result)

    # -- the block thread ----------------------------------------------------------------
    def _block_loop(self) -> None:
        last_block = time.monotonic()
        while True:
            with self._cv:
                while not self._stop and not self._mempool and not self._force_block:
                    remaining = self.heartbeat - (time.monotonic() - last_block)
                    if remaining <= 0:
                        break
                    self._cv.wait(remaining)
                if self._stop:
                    return
            if self._mempool and len(self._mempool) < self.max_block_txs and self.block_interval:
                time.sleep(self.block_interval)  # let a burst gather into one block
            with self._cv:
                batch = [self._mempool.popleft() for _ in range(min(self.max_block_txs, len(self._mempool)))]
                self._force_block = False
            try:
                self.make_block([raw for _, raw in batch])
            except BaseException as exc:  # noqa: BLE001 - a block that failed stops production (see _fail)
                self._fail(exc)
                return
            with self._cv:
                for tx_hash, _ in batch:
                    self._in_pool.discard(tx_hash)
            last_block = time.monotonic()

    def make_block(self, txs: list[bytes]) -> BlockResult:
        started = time.perf_counter()
        with self.app.lock:
            height = self.app.height + 1
            result = self.app.finalize_block(height, self.now_ms(), txs, proposer=b"solo")
            signature = self.signer.sign(self.app.chain_id, height, result.block_hash) if self.signer else None
            self.app.commit(signature)
        self.block_seconds += time.perf_counter() - started
        self.blocks_made += 1
        self._resolve(result.receipts)
        return result

    # -- signed headers ------------------------------------------------------------------
    def sign_unsigned(self) -> list[int]:
        """Sign the committed headers that have no signature yet (block 0, which the
        application commits before the engine exists); the heights signed. Nothing on a
        chain without a block signer."""
        if self.signer is None:
            return []
        store = self.app.store
        with self.app.lock:
            heights = store.unsigned_heights()
            for height in heights:
                row = store.block(height)
                if row is not None:
                    store.put_header_signature(height, self.signer.sign(self.app.chain_id, height, row[0]))
        return heights

    def light_block(self, height: int) -> dict[str, Any] | None:
        """The block signer's signature of block `height` (see `Engine.light_block`): signer
        and signature None when this chain's genesis declares no signer."""
        store = self.app.store
        if height < 0 or height > self.app.height or store.block(height) is None:
            return None
        signature = store.header_signature(height)
        if signature is None:
            return {"signer": None, "signature": None}
        return {"signer": signature.signer, "signature": signature.signature}

    def _resolve(self, receipts: list[Receipt]) -> None:
        with self._cv:
            waiting = [(r, self._waiters.pop(r.tx_hash, [])) for r in receipts]
        for receipt, futures in waiting:
            for f in futures:
                if not f.done():
                    f.set_result(receipt)

    def halt(self, exc: BaseException) -> None:
        """Stop making blocks and fail every waiting submitter (storage found damaged)."""
        self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        log.critical("block production stopped: %s", exc, exc_info=exc)
        self._error = exc
        with self._cv:
            waiters, self._waiters = self._waiters, {}
        for futures in waiters.values():
            for f in futures:
                if not f.done():
                    f.set_exception(EngineError("unavailable", "block production stopped after an error"))


def _checked_signer(app: Application, signer: HeaderSigner | None) -> HeaderSigner | None:
    """`signer`, if it is the block signer the chain's genesis declares. A chain that declares
    one must be given its key (else it would make unsigned blocks members refuse), and a key
    that is not the declared one would sign headers no member accepts: both refused here."""
    declared = app.genesis.block_signer_key()
    if declared is None:
        if signer is not None:
            raise ValueError("this chain's genesis declares no block signer: its headers are not signed")
        return None
    if signer is None:
        raise ValueError(f"genesis declares block signer {declared.hex()}: the solo engine needs its key")
    if signer.public_key != declared:
        raise ValueError(f"the block signer key given is {signer.public_key.hex()}, but genesis declares "
                         f"{declared.hex()}")
    return signer
