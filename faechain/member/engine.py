"""`MemberEngine`: a member node's engine — it follows the validators instead of executing.

A member node runs no consensus and executes nothing. Its engine

  * follows: block after block it asks a validator for what its organisation may keep
    (`GET /v1/sync/{h}`, signed as the organisation), checks it against the validators'
    signed headers (`faechain.member.verify`, the light client) and keeps it in the node's
    own ledger (`Application.commit_synced`: one SQLite transaction per block, so a kill -9
    loses nothing and duplicates nothing — the next start resumes after the last kept block);
  * forwards: a submission goes to a validator (the one in use, then the others), and its
    receipt is answered once this node has kept the block that holds it, so a submitter's
    next read here already sees its effect;
  * switches: a validator that cannot be reached is passed over for the next; one that sends
    something the signed headers contradict is dropped for good and reported (`dropped`,
    /healthz, the log) — it lied, or its storage is damaged.

It implements `faechain.chain.engine.Engine`, so the API, the console and the event stream
run over a member node unchanged.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from faechain.chain.application import Application
from faechain.chain.engine import EngineError, EngineHealth, Submission
from faechain.chain.results import CheckResult, Receipt, Rejected
from faechain.core.encoding import decode
from faechain.core.genesis import Genesis
from faechain.identity.wallet import Identity
from faechain.ledger.smt import ProofError, verify_proof
from faechain.member.verify import check_block, check_snapshot_page
from faechain.sdk.client import ApiError, Client
from faechain.sdk.light.client import Checkpoint, LightClient
from faechain.sdk.trust import VerificationError

log = logging.getLogger("faechain.member")
T = TypeVar("T")

POLL_SECONDS = 0.2  # how often an idle member node asks for a new block
FORWARD_WORKERS = 16  # submissions forwarded at once
LOOK_AROUND_POLLS = 10  # polls without a new block before the other validators' heads are asked
RECEIPT_WAIT_SECONDS = 60.0  # how long a forwarded receipt waits for this node to keep its block


class Upstream:
    """The validators a member node follows: the one in use first, the others in order after
    it; those that lied are out for good."""

    def __init__(self, urls: Sequence[str], identity: Identity, timeout: float = 30.0):
        if not urls:
            raise ValueError("a member node needs at least one validator URL to follow")
        self.clients = [Client(url, identity=identity, timeout=timeout) for url in urls]
        self.current = 0
        self.dropped: dict[str, str] = {}  # validator URL -> what it sent that signed headers contradict
        self.down: dict[str, str] = {}  # validator URL -> why it could not be reached, last time tried
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.clients[self.current].url

    def in_order(self) -> list[Client]:
        """The validators not dropped, the one in use first."""
        with self._lock:
            n = len(self.clients)
            order = [self.clients[(self.current + i) % n] for i in range(n)]
            return [c for c in order if c.url not in self.dropped]

    def call(self, what: str, fn: Callable[[Client], T]) -> T:
        """`fn` on the validator in use, or on the next one that answers (which becomes the one
        in use). EngineError `unavailable` when none answers."""
        problems = []
        for client in self.in_order():
            try:
                out = fn(client)
            except ApiError as exc:
                if exc.code not in ("unavailable", "internal", "busy", "storage_damaged"):
                    raise
                problems.append(f"{client.url}: {exc.message}")
                with self._lock:
                    self.down[client.url] = exc.message
                continue
            with self._lock:
                self.down.pop(client.url, None)
                self.current = self.clients.index(client)
            return out
        if not problems:
            raise EngineError("unavailable", "every validator this member node follows has been dropped: "
                              + "; ".join(f"{u}: {why}" for u, why in self.dropped.items()))
        raise EngineError("unavailable", f"no validator answered to {what}: " + "; ".join(problems))

    def prefer(self, url: str) -> None:
        """Make the validator at `url` the one in use (one not dropped)."""
        with self._lock:
            for i, c in enumerate(self.clients):
                if c.url == url and url not in self.dropped:
                    self.current = i

    def drop(self, url: str, why: str) -> None:
        with self._lock:
            self.dropped[url] = why
            alive = [i for i, c in enumerate(self.clients) if c.url not in self.dropped]
            if alive and self.clients[self.current].url in self.dropped:
                self.current = alive[0]
        log.error("validator %s dropped: %s", url, why)

    def close(self) -> None:
        for c in self.clients:
            c.close()


class _CurrentSource:
    """The light client's primary: whichever validator is in use now."""

    def __init__(self, upstream: Upstream):
        self.upstream = upstream

    @property
    def url(self) -> str:
        return self.upstream.url

    def light_block(self, height: int) -> dict[str, Any] | None:
        return self.upstream.clients[self.upstream.current].light_block(height)

    def head_height(self) -> int:
        return self.upstream.clients[self.upstream.current].head_height()


class MemberEngine:
    """The engine of a member node (see the module docstring)."""

    name = "member"

    def __init__(self, app: Application, genesis: Genesis, identity: Identity, validators: Sequence[str], *,
                 light_store: str | None = None, poll_seconds: float = POLL_SECONDS, timeout: float = 30.0,
                 checkpoint: dict[str, Any] | None = None):
        self.app = app
        self.genesis = genesis
        self.identity = identity
        self.consensus = "cometbft" if genesis.validators else "solo"  # what the validators run
        self.upstream = Upstream(validators, identity, timeout)
        # a checkpoint: {"height": H, "hash": CometBFT header H's hash (hex; a CometBFT network)}: an
        # empty node starts from block H's state instead of replaying from genesis (`join`)
        self.checkpoint = dict(checkpoint or {})
        self.light = self._light_client(light_store)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = cf.ThreadPoolExecutor(FORWARD_WORKERS, thread_name_prefix="member-forward")
        self._error: BaseException | None = None
        self._kept = threading.Condition()
        self._blocks = 0
        self._seconds = 0.0
        self._forwarding = 0
        self._idle = 0  # polls in a row that kept nothing
        self.last_problem = ""  # why the last attempt to follow did not get further, for /healthz

    def _light_client(self, store_path: str | None) -> LightClient:
        anchor = None
        if self.consensus == "cometbft" and self.checkpoint.get("hash"):
            anchor = Checkpoint(int(self.checkpoint["height"]), bytes.fromhex(self.checkpoint["hash"]))
        return LightClient(self.genesis, _CurrentSource(self.upstream), store_path=store_path, checkpoint=anchor)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="member-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._kept:
            self._kept.notify_all()
        self.upstream.close()

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def healthy(self) -> bool:
        return self._error is None

    def health(self) -> EngineHealth:
        if self._error is not None:
            return EngineHealth.down(f"this member node stopped following the chain: {self._error}")
        if not self.upstream.in_order():
            return EngineHealth.down("every validator this member node follows has been dropped: "
                                     + "; ".join(f"{u}: {w}" for u, w in self.upstream.dropped.items()))
        if len(self.upstream.down) == len(self.upstream.in_order()):
            return EngineHealth.down("no validator answers: " + "; ".join(
                f"{u}: {w}" for u, w in self.upstream.down.items()))
        return EngineHealth(True)

    def halt(self, exc: BaseException) -> None:
        self._error = exc

    # -- following -------------------------------------------------------------------------------
    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                progressed = self.sync_once()
            except Exception as exc:  # noqa: BLE001 - keep following; say why on /healthz and in the log
                self.last_problem = str(exc)
                log.warning("member node could not follow the chain: %s", exc)
                progressed = False
            if not progressed:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def sync_once(self, limit: int = 500) -> bool:
        """Keep the blocks the validator in use has signed headers for, up to `limit` of them;
        True if at least one was kept."""
        if self._error is not None:
            return False
        start = int(self.checkpoint.get("height") or 0)
        if self.app.height == 0 and start > 0 and not self.join(start):
            return False
        # /healthz, not /v1/info: a validator whose consensus stopped still answers its height, which
        # no longer moves; its health says so (503), and the next validator is asked instead
        head = self.upstream.call("tell its head", lambda c: int(c.health()["height"]))
        if self.app.height >= head - 1 and self._idle >= LOOK_AROUND_POLLS:
            head = self._look_around(head)
        target = head - 1 if self.consensus == "cometbft" else head  # block h's app hash is signed in h+1
        kept = 0
        while self.app.height < target and kept < limit and not self._stop.is_set():
            if not self.keep(self.app.height + 1):
                break
            kept += 1
        self._idle = 0 if kept else self._idle + 1
        return kept > 0

    def _look_around(self, head: int) -> int:
        """Nothing new for a while: ask the other validators how far they are, and follow the one
        furthest ahead (a validator can be healthy yet behind, e.g. catching up after a restart).
        Believing a head costs nothing: every block is checked against signed headers anyway."""
        self._idle = 0
        best_url, best = self.upstream.url, head
        for client in self.upstream.in_order()[1:]:
            try:
                theirs = int(client.health()["height"])
            except (ApiError, KeyError, ValueError, TypeError):
                continue
            if theirs > best:
                best_url, best = client.url, theirs
        if best_url != self.upstream.url:
            log.warning("validator %s is at block %d, %s at %d: following %s", self.upstream.url, head, best_url,
                        best, best_url)
            self.upstream.prefer(best_url)
        return best

    def join(self, height: int) -> bool:
        """Start from block `height`'s state (the checkpoint) instead of from genesis: every value
        the organisation may read as of it, page by page, each proven against the signed app hash,
        then kept at once. False when it cannot be checked yet (retried)."""
        url = self.upstream.url
        try:
            trusted = self.light.trusted(height)
            values: dict[bytes, bytes] = {}
            after, doc = b"", None
            while True:
                def fetch(c: Client, a: bytes = after) -> dict[str, Any]:
                    return c.snapshot(height, a)

                page = self.upstream.call(f"send the state of block {height}", fetch)
                url = self.upstream.url
                header = check_snapshot_page(page, height, trusted, chain_id=self.app.chain_id,
                                             hasher=self.app.hash, values=values)
                doc = doc or header
                if page.get("next") is None:
                    break
                after = bytes.fromhex(page["next"])
        except VerificationError as exc:
            return self._not_checked(url, exc)
        assert doc is not None
        self.app.commit_snapshot(doc, values)
        log.info("member node joined at block %d from its checkpoint: %d values", height, len(values))
        return True

    def _not_checked(self, url: str, exc: VerificationError) -> bool:
        """What a failed check means (False: nothing kept): not yet (no signed header, retried), or
        a validator that sent what the signed headers contradict (dropped, the next one used)."""
        if exc.code in ("unavailable", "untrusted"):
            self.last_problem = exc.message
            return False
        self.upstream.drop(url, exc.message)
        self.light = self._light_client(self.light.store_path)
        return False

    def keep(self, height: int) -> bool:
        """Fetch, check and keep block `height`; False if it cannot be checked yet."""
        started = time.perf_counter()
        url = self.upstream.url
        try:
            doc = self.upstream.call(f"send block {height}", lambda c: c.sync_block(height))
            url = self.upstream.url
            trusted = self.light.trusted(height)
            ties = self.light.ties(height) if self.consensus == "cometbft" else None
            block = check_block(doc, height, trusted, chain_id=self.app.chain_id, hasher=self.app.hash,
                                prev=self.app.block_hash, ties=ties)
        except VerificationError as exc:
            return self._not_checked(url, exc)
        self.app.commit_synced(block.header, block.txs, block.withheld, block.events, block.writes, block.receipts,
                               block.end_events, end_block=(block.end_block_hash, block.end_block_whole),
                               revealed=block.revealed, hidden=block.hidden)
        self._blocks += 1
        self._seconds += time.perf_counter() - started
        self.last_problem = ""
        with self._kept:
            self._kept.notify_all()
        return True

    def wait_for(self, height: int, timeout: float) -> bool:
        """Block until this node has kept block `height` (True), or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        with self._kept:
            while self.app.height < height and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.set()
                self._kept.wait(min(left, self.poll_seconds))
        return self.app.height >= height

    def ask_state(self, key: bytes, height: int) -> dict[str, Any] | None:
        """A validator's `/v1/state` answer for `key` at `height` with its proof, signed as this
        node's organisation; None when it refuses (the organisation may not read the key)."""
        def state(c: Client) -> dict[str, Any] | None:
            try:
                return c.state(key, height, prove=True)
            except ApiError as exc:
                if exc.code == "not_found":
                    return None
                raise

        try:
            return self.upstream.call(f"read {key.decode('utf-8', 'replace')}", state)
        except EngineError as exc:
            raise Rejected("not_available_here", f"this member node does not hold "
                           f"{key.decode('utf-8', 'replace')} and no validator answered: {exc.message}") from None

    def proof_of(self, key: bytes, height: int, value: bytes | None, app_hash: bytes) -> dict[str, Any]:
        """The Merkle proof that `key` holds `value` (this node's, proven when it was kept) under
        `app_hash` (this node's header at `height`): asked of a validator, since a member node
        keeps no tree, and checked before it is passed on. `not_available_here` when the
        organisation may not read the key or no validator gives a proof that holds."""
        name = key.decode("utf-8", "replace")
        answer = self.ask_state(key, height)
        if answer is None:
            raise Rejected("not_available_here", f"no validator proves {name} at block {height} to this member node's "
                           "organisation")
        raw = answer.get("proof") or {}
        try:
            proof = {"siblings": [bytes.fromhex(x) for x in raw.get("siblings", [])],
                     "leaf": [bytes.fromhex(x) for x in raw["leaf"]] if raw.get("leaf") else None}
            ok = verify_proof(self.app.hash, app_hash, key, value, proof)
        except (ProofError, ValueError, TypeError, AttributeError):
            ok = False
        if not ok:
            raise Rejected("not_available_here", f"the validator's proof of {name} at block {height} does not hold "
                           "for the value and signed app hash this node keeps; not answered")
        return proof

    # -- submissions -------------------------------------------------------------------------------
    def submit_async(self, raw: bytes, wait: bool = True) -> tuple[cf.Future[CheckResult], cf.Future[Receipt] | None]:
        check: cf.Future[CheckResult] = cf.Future()
        receipt: cf.Future[Receipt] | None = cf.Future() if wait else None
        try:
            self._pool.submit(self._forward, raw, check, receipt)
        except RuntimeError:  # stopped
            check.set_result(CheckResult("unavailable", "this member node is shutting down"))
            if receipt is not None:
                receipt.cancel()
        return check, receipt

    def submit(self, raw: bytes, wait: bool = True) -> Submission:
        check, receipt = self.submit_async(raw, wait)
        result = check.result()
        return Submission(result, receipt if result.ok else None)

    def _forward(self, raw: bytes, check: cf.Future[CheckResult], receipt: cf.Future[Receipt] | None) -> None:
        """Send the envelope to a validator; answer its check, then (once this node has kept its
        block) its receipt."""
        self._forwarding += 1
        try:
            def post(c: Client) -> tuple[int, Any]:
                status, doc = c.submit_raw(raw, wait=receipt is not None)
                if status >= 500 and status != 504:
                    raise ApiError(doc.get("code", "unavailable") if isinstance(doc, dict) else "unavailable",
                                   doc.get("message", "") if isinstance(doc, dict) else f"HTTP {status}", status)
                return status, doc

            try:
                status, doc = self.upstream.call("take a transaction", post)
            except EngineError as exc:
                check.set_result(CheckResult("unavailable", exc.message))
                return
            if not isinstance(doc, dict):
                check.set_result(CheckResult("unavailable", f"the validator answered HTTP {status} without JSON"))
                return
            tx_hash = bytes.fromhex(doc.get("tx_hash", "")) if isinstance(doc.get("tx_hash"), str) else b""
            if status not in (200, 202):
                check.set_result(CheckResult(doc.get("code", "unavailable"), doc.get("message", ""), tx_hash))
                return
            check.set_result(CheckResult("ok", "", tx_hash))
            if receipt is None:
                return
            if status == 202:  # accepted, not committed within the validator's wait
                receipt.set_exception(EngineError("timeout", "the validator accepted the transaction but did not "
                                                  "commit it in time; look it up later"))
                return
            height = int(doc["height"])
            if not self.wait_for(height, RECEIPT_WAIT_SECONDS):
                receipt.set_exception(EngineError("unavailable", f"the validators committed transaction "
                                                  f"{tx_hash.hex()} at block {height}, but this member node has not "
                                                  "kept that block yet; look it up here later"))
                return
            row = self.app.store.tx(tx_hash)
            if row is not None:
                receipt.set_result(Receipt.from_map(decode(row[3])))
            else:
                receipt.set_result(Receipt(tx_hash, height, int(doc.get("index", 0)), doc.get("code", ""),
                                           doc.get("message", ""), doc.get("result"), doc.get("events") or []))
        except BaseException as exc:  # noqa: BLE001 - a forwarding failure is the submitter's answer
            if not check.done():
                check.set_result(CheckResult("unavailable", f"forwarding failed: {exc}"))
            elif receipt is not None and not receipt.done():
                receipt.set_exception(EngineError("unavailable", f"forwarding failed: {exc}"))
        finally:
            self._forwarding -= 1

    # -- the clock, light blocks, metrics ------------------------------------------------------------
    def now_ms(self) -> int:
        return max(int(time.time() * 1000), self.app.last_time)

    def advance_time(self, seconds: int) -> int:
        raise EngineError("forbidden", "a member node does not own the chain's clock: the validators make the "
                          "blocks")

    def light_block(self, height: int) -> dict[str, Any] | None:
        """The validators' evidence for block `height`, relayed from the one in use (the reader's
        light client checks it; this node is no more trusted for it than any other)."""
        doc = self.upstream.call(f"relay the light block of {height}", lambda c: c.light_block(height))
        if doc is None:
            return None
        keep = ("commit", "validators") if self.consensus == "cometbft" else ("signer", "signature")
        return {k: doc[k] for k in keep if k in doc}

    @property
    def blocks_made(self) -> int:
        return self._blocks

    @property
    def block_seconds(self) -> float:
        return self._seconds

    @property
    def mempool_size(self) -> int:
        return self._forwarding
