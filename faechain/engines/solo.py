"""The solo engine: one process, no network, blocks every few milliseconds.

Transactions pass `check_tx` on submission and wait in the mempool. A block
thread takes up to `max_block_txs` of them as soon as any are waiting (after at
most `block_interval` seconds of batching), runs `finalize_block` and `commit`,
then resolves each submitter's future with its receipt. With nothing to do it
still makes an empty block every `heartbeat` seconds so that block time (which
drives maturities and deadlines) keeps moving.

Block time is the wall clock plus a dev offset, never earlier than the previous
block. Only a chain whose genesis says `"dev": true` lets `advance_time` move the
offset; any other node refuses.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import threading
import time
from dataclasses import dataclass

from faechain.application import Application, BlockResult, CheckResult, Receipt


class EngineError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Submission:
    check: CheckResult
    future: cf.Future | None  # resolves to the Receipt once committed


class SoloEngine:
    name = "solo"

    def __init__(
        self,
        app: Application,
        *,
        block_interval: float = 0.005,
        max_block_txs: int = 2000,
        max_mempool: int = 50_000,
        heartbeat: float = 5.0,
    ):
        self.app = app
        self.block_interval = block_interval
        self.max_block_txs = max_block_txs
        self.max_mempool = max_mempool
        self.heartbeat = heartbeat
        self.time_offset_ms = 0
        self._mempool: collections.deque[tuple[bytes, bytes]] = collections.deque()
        self._in_pool: set[bytes] = set()
        self._waiters: dict[bytes, list[cf.Future]] = {}
        self._cv = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.blocks_made = 0
        self.block_seconds = 0.0

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="solo-blocks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        if self._thread:
            self._thread.join(timeout=10)

    # -- submission ------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.time_offset_ms

    def submit(self, raw: bytes, wait: bool = True) -> Submission:
        """check_tx, then queue; the future resolves when the block commits."""
        if len(self._mempool) >= self.max_mempool:
            return Submission(CheckResult("mempool_full", "the mempool is full; retry later"), None)
        with self.app.lock:
            check = self.app.check_tx(raw, self.now_ms())
        if not check.ok:
            return Submission(check, None)
        future: cf.Future | None = cf.Future() if wait else None
        with self._cv:
            if check.tx_hash in self._in_pool:
                if future is not None:
                    self._waiters.setdefault(check.tx_hash, []).append(future)
                return Submission(check, future)
            self._in_pool.add(check.tx_hash)
            self._mempool.append((check.tx_hash, raw))
            if future is not None:
                self._waiters.setdefault(check.tx_hash, []).append(future)
            self._cv.notify()
        return Submission(check, future)

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
        return len(self._mempool)

    # -- the block loop ----------------------------------------------------------------
    _force_block = False

    def _run(self) -> None:
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
            self.make_block([raw for _, raw in batch])
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
        self.block_seconds += time.perf_counter() - started  # finalize + commit, for /metrics
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
