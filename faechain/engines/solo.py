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
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import logging
import threading
import time

from faechain.chain.application import Application
from faechain.chain.engine import EngineError, EngineHealth
from faechain.chain.results import BlockResult, CheckResult, Receipt
from faechain.engines.intake import Intake

log = logging.getLogger("faechain.solo")


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
    ):
        self.app = app
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
            self.app.commit()
        self.block_seconds += time.perf_counter() - started
        self.blocks_made += 1
        self._resolve(result.receipts)
        return result

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
