"""The CometBFT engine: this node's faechain behind a CometBFT validator.

The node process serves the ABCI socket (`AbciServer`) that its CometBFT node
connects to, and offers the REST API the same engine surface as the solo
engine:

* `submit_async(raw, wait)` queues a submission. The intake thread checks
  whatever has arrived as one batch (`app.check_txs`: signatures verified
  together), then hands the accepted transactions to CometBFT with
  `broadcast_tx_async` (many calls in one JSON-RPC batch request). The check
  future resolves once CometBFT took the transaction into its mempool (or
  refused it: mempool full, too large, unreachable).
* CometBFT runs its own CheckTx through ABCI (cheap here: decoding and the
  signature check are cached from the intake check), gossips the transaction,
  and the validators agree on blocks. Each block reaches this node as
  FinalizeBlock + Commit; after Commit the waiting submitters get their
  receipts. A transaction CometBFT evicts (a recheck after a block failed) is
  answered with a receipt carrying the check's code and height 0 (in no block).

Block time is CometBFT's BFT time from the block header; the clock cannot be
advanced (`advance_time` refuses with `forbidden`).

`light_block(height)` fetches from this node's CometBFT what a member's light client needs
to check faechain block `height` by the validators' signatures: the commit of CometBFT
header height + 1 (which carries the app hash after faechain block height) and the
validator set that signed it, as CometBFT answered them. Nothing in them is trusted here:
the member verifies them.

`health()` asks CometBFT's RPC (`health`, a short timeout): while CometBFT is dead or
wedged, submissions are refused `unavailable` and GET /healthz answers 503 with the reason.
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
from faechain.core.encoding import decode
from faechain.core.tx import TxError, decode_tx
from faechain.engines.cometbft.abci import AbciApp, AbciServer
from faechain.engines.cometbft.rpc import RpcClient, RpcError, Unreachable
from faechain.engines.intake import Intake

log = logging.getLogger("faechain.cometbft")

IN_CACHE = "tx already exists in cache"
RECHECK_FULL = "still rechecking"
RETRY_SECONDS = 3.0
SWEEP_SECONDS = 30.0
HEALTH_TIMEOUT = 2.0  # seconds health() waits for CometBFT's RPC


class CometBFTEngine(Intake):
    """This node's faechain behind a CometBFT validator (an `faechain.chain.engine.Engine`)."""

    name = "cometbft"

    def __init__(
        self,
        app: Application,
        *,
        listen: str = "tcp://127.0.0.1:26658",
        rpc: str = "http://127.0.0.1:26657",
        max_block_txs: int = 5000,
        check_batch: int = 512,
        rpc_batch: int = 10,
        rpc_batch_bytes: int = 900_000,
        max_pending: int = 50_000,
        broadcast_linger: float = 0.005,
        **_ignored,
    ):
        self.app = app
        self.listen = listen
        self.rpc = RpcClient(rpc)
        self._probe = RpcClient(rpc, timeout=HEALTH_TIMEOUT)  # for health(): a wedged CometBFT must not hang it
        self._init_intake(check_batch, max_pending)
        self.rpc_batch = max(1, rpc_batch)
        self.rpc_batch_bytes = rpc_batch_bytes
        self.max_broadcast = max(self.rpc_batch * 4, 256)  # txs per broadcaster round (several requests)
        # Wait this long for more transactions before a broadcast round: CometBFT's cost per
        # transaction (RPC, ABCI CheckTx flushes, gossip messages) is several times higher when
        # they arrive one by one than in bursts (see BENCHMARKS.md).
        self.broadcast_linger = broadcast_linger
        self.abci = AbciApp(app, max_block_txs=max_block_txs, on_check=self._on_check, on_commit=self._on_commit)
        self.server = AbciServer(self.abci, listen, on_connections=self._on_connections)
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        # accepted, not yet committed: tx hash -> (raw tx, receipt futures)
        self._inflight: dict[bytes, tuple[bytes, list[cf.Future]]] = {}
        self._last_sweep = time.monotonic()
        # checked, waiting for the broadcaster: (raw, check future, receipt future, check result)
        self._outbox: collections.deque[tuple[bytes, cf.Future, cf.Future | None, CheckResult]] = collections.deque()
        self._outbox_cv = threading.Condition()
        self._threads: list[threading.Thread] = []
        self.connected = 0  # open ABCI connections from CometBFT

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.server.start()
        self._threads += self._spawn((self._intake_loop, "cometbft-intake"),
                                     (self._broadcast_loop, "cometbft-broadcast"))

    def stop(self) -> None:
        self._stop = True
        self._wake_intake()
        with self._outbox_cv:
            self._outbox_cv.notify_all()
        for t in self._threads:
            t.join(timeout=10)
        self.server.stop()
        self.rpc.close()
        self._probe.close()

    # -- the surface the API uses --------------------------------------------------------------
    def halt(self, exc: BaseException) -> None:
        """Refuse submissions from now on (storage found damaged); the application refuses
        the next FinalizeBlock, which stops CometBFT."""
        self._error = exc

    @property
    def error(self) -> BaseException | None:
        return self._error or self.abci.error

    @property
    def healthy(self) -> bool:
        return self.error is None

    def health(self) -> EngineHealth:
        """Not ok when block production stopped, or when CometBFT's RPC cannot be reached (a
        dead or wedged CometBFT: submissions are refused `unavailable` meanwhile). Asks the RPC
        each time, with a short timeout of its own."""
        if self.error is not None:
            return EngineHealth.down(f"block production stopped: {self.error}")
        try:
            self._probe.call("health")
        except Unreachable as exc:
            return EngineHealth.down(f"consensus engine unreachable: {exc}")
        except RpcError as exc:
            return EngineHealth.down(f"consensus engine unhealthy: {exc}")
        return EngineHealth(True)

    def light_block(self, height: int) -> dict[str, Any] | None:
        """CometBFT's commit and validator set at height + 1 (see `Engine.light_block`); None
        until faechain block `height` is committed here and CometBFT has header height + 1."""
        if height < 0 or height > self.app.height or self.app.store.block(height) is None:
            return None
        try:
            commit = self.rpc.commit(height + 1)
            validators = self.rpc.validators(height + 1)
        except Unreachable as exc:
            raise EngineError("unavailable", f"the consensus node is unreachable: {exc}") from None
        except RpcError as exc:  # "height ... must be less than or equal to the current blockchain height"
            log.debug("no light block for height %d yet: %s", height, exc)
            return None
        return {"commit": commit, "validators": validators}

    @property
    def blocks_made(self) -> int:
        return self.abci.blocks

    @property
    def block_seconds(self) -> float:
        return self.abci.block_seconds

    @property
    def mempool_size(self) -> int:
        return len(self._intake) + len(self._outbox) + len(self._inflight)

    def now_ms(self) -> int:
        return max(int(time.time() * 1000), self.app.last_time)

    def advance_time(self, seconds: int) -> int:
        raise EngineError("forbidden", "block time on a CometBFT network is the validators' BFT time; "
                          "it cannot be advanced")

    # -- intake: check, then broadcast (two threads, so that checking the next batch overlaps
    # -- the RPC round trip of the previous one, and broadcasts grow into large batches) ------
    def _intake_loop(self) -> None:
        while (batch := self._take_batch(poll=1.0)) is not None:
            try:
                self._admit(batch)
            except BaseException as exc:  # never leave a submitter hanging
                log.exception("admitting a batch failed")
                for _, check, _ in batch:
                    if not check.done():
                        check.set_result(CheckResult("internal_error", f"admission failed: {type(exc).__name__}"))

    def _broadcast_loop(self) -> None:
        while True:
            with self._outbox_cv:
                while not self._outbox and not self._stop:
                    self._outbox_cv.wait(1.0)
                if self._stop:
                    while self._outbox:
                        _, check, _, res = self._outbox.popleft()
                        if not check.done():
                            check.set_result(CheckResult("unavailable", "the node is shutting down", res.tx_hash))
                    return
            if self.broadcast_linger and len(self._outbox) < self.max_broadcast:
                time.sleep(self.broadcast_linger)
            with self._outbox_cv:
                batch = [self._outbox.popleft() for _ in range(min(self.max_broadcast, len(self._outbox)))]
            try:
                self._send(batch)
            except BaseException as exc:  # never leave a submitter hanging
                log.exception("broadcasting a batch failed")
                for _, check, receipt, res in batch:
                    if not check.done():
                        self._forget(res.tx_hash, receipt)
                        check.set_result(CheckResult("internal_error", f"broadcast failed: {type(exc).__name__}",
                                                     res.tx_hash))

    def _admit(self, batch: list[tuple[bytes, cf.Future, cf.Future | None]]) -> None:
        with self.app.lock:
            results = self.app.check_txs([raw for raw, _, _ in batch], self.now_ms())
        accepted: list[tuple[bytes, cf.Future, cf.Future | None, CheckResult]] = []
        for (raw, check, receipt), res in zip(batch, results, strict=True):
            if not res.ok:
                check.set_result(res)
                continue
            with self._lock:
                entry = self._inflight.setdefault(res.tx_hash, (raw, []))
                if receipt is not None:
                    entry[1].append(receipt)
            accepted.append((raw, check, receipt, res))
        if accepted:
            with self._outbox_cv:
                self._outbox.extend(accepted)
                self._outbox_cv.notify()

    def _send(self, accepted: list[tuple[bytes, cf.Future, cf.Future | None, CheckResult]]) -> None:
        outcomes = self._broadcast([raw for raw, _, _, _ in accepted])
        for (_, check, receipt, res), (code, message) in zip(accepted, outcomes, strict=True):
            if code == "ok":
                check.set_result(res)
            elif code == "in_cache":  # already in the mempool, or already committed
                check.set_result(res)
                self._resolve_if_committed(res.tx_hash)
            else:
                self._forget(res.tx_hash, receipt)
                check.set_result(CheckResult(code, message, res.tx_hash))

    def _broadcast(self, txs: list[bytes]) -> list[tuple[str, str]]:
        """broadcast_tx_async each tx: ("ok"|"in_cache"|"mempool_full"|"too_large"|"unavailable", message)."""
        outcomes: list[tuple[str, str] | None] = [None] * len(txs)
        todo = list(range(len(txs)))
        deadline = time.monotonic() + RETRY_SECONDS
        while todo:
            retry: list[int] = []
            for chunk in self._chunks(todo, txs):
                try:
                    answers = self.rpc.batch(self.rpc.broadcast_async_calls([txs[i] for i in chunk]))
                except Unreachable as exc:
                    for i in chunk:
                        outcomes[i] = ("unavailable", f"the consensus node is unreachable: {exc.data or exc}")
                    continue
                except RpcError as exc:
                    answers = [(None, exc)] * len(chunk)
                for i, (_, err) in zip(chunk, answers, strict=True):
                    if err is None:
                        outcomes[i] = ("ok", "")
                        continue
                    text = f"{err.message}: {err.data}".lower()
                    if IN_CACHE in text:
                        outcomes[i] = ("in_cache", "")
                    elif RECHECK_FULL in text:
                        retry.append(i)  # transient: the mempool is rechecking after a block
                        outcomes[i] = ("mempool_full", "the mempool is busy rechecking; retry later")
                    elif "mempool is full" in text:
                        outcomes[i] = ("mempool_full", "the mempool is full; retry later")
                    elif "too large" in text:
                        outcomes[i] = ("too_large", err.data or err.message)
                    else:
                        outcomes[i] = ("unavailable", f"CometBFT refused the transaction: {err}")
            if not retry or time.monotonic() > deadline or self._stop:
                break
            todo = retry
            time.sleep(0.02)
        return outcomes  # type: ignore[return-value]

    def _chunks(self, indexes: list[int], txs: list[bytes]):
        chunk: list[int] = []
        size = 0
        for i in indexes:
            n = len(txs[i]) * 4 // 3 + 100
            if chunk and (len(chunk) >= self.rpc_batch or size + n > self.rpc_batch_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append(i)
            size += n
        if chunk:
            yield chunk

    # -- resolution ---------------------------------------------------------------------------
    def _forget(self, tx_hash: bytes, receipt: cf.Future | None) -> None:
        with self._lock:
            entry = self._inflight.get(tx_hash)
            if entry is None:
                return
            if receipt is not None and receipt in entry[1]:
                entry[1].remove(receipt)
            if not entry[1]:
                del self._inflight[tx_hash]

    def _resolve_if_committed(self, tx_hash: bytes) -> None:
        row = self.app.store.tx(tx_hash)
        if row is None:
            return
        receipt = Receipt.from_map(decode(row[3]))
        self._settle([receipt])

    def _settle(self, receipts: list[Receipt]) -> None:
        with self._lock:
            waiting = [(r, self._inflight.pop(r.tx_hash, None)) for r in receipts]
        for receipt, entry in waiting:
            if entry is None:
                continue
            for f in entry[1]:
                if not f.done():
                    f.set_result(receipt)

    def _on_commit(self, result: BlockResult) -> None:
        if self._inflight:
            self._settle(result.receipts)
            self._sweep(result.time)

    def _on_check(self, results: list[tuple[bytes, CheckResult]], recheck: bool) -> None:
        """CometBFT's own CheckTx refused a tx (e.g. it expired while waiting): tell its submitters."""
        if not self._inflight:
            return
        failed = [Receipt(r.tx_hash, 0, 0, r.code, r.message) for _, r in results if not r.ok and r.tx_hash]
        if failed:
            self._settle(failed)

    def _sweep(self, block_time: int) -> None:
        """Drop accepted txs that expired unseen (e.g. CometBFT restarted and lost its mempool).

        Runs at most every SWEEP_SECONDS, so the hot path never decodes a tx for its expiry."""
        if time.monotonic() - self._last_sweep < SWEEP_SECONDS:
            return
        self._last_sweep = time.monotonic()
        with self._lock:
            entries = list(self._inflight.items())
        dead = [h for h, (raw, _) in entries if _expiry(raw, self.app) < block_time]
        if dead:
            self._settle([Receipt(h, 0, 0, "tx_expired", "the transaction expired before it was committed")
                          for h in dead])

    def _on_connections(self, count: int) -> None:
        before, self.connected = self.connected, count
        if count == 0 and before > 0:
            log.warning("CometBFT disconnected from the ABCI server (it stops itself when it loses the app; "
                        "start it again to resume)")
        elif before == 0 and count > 0:
            log.info("CometBFT connected to the ABCI server")


def _expiry(raw: bytes, app: Application) -> int:
    try:
        return decode_tx(raw, app.hash).expires
    except TxError:
        return 0
