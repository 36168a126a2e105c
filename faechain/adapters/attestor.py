"""The attestor: follows the chain's events, asks the outside system, signs attestations.

    attestor = Attestor(Chain(client, identity, "tax attestor"), TaxHandler(adapter), StateFile(path))
    attestor.run(stop)          # until `stop` (a threading.Event) is set

What it guarantees (docs/adapters.md):

* **Nothing missed across a restart.** It follows `GET /v1/events` from the block after the
  last one it finished, which it keeps in a small JSON state file (written atomically after
  each block). A block counts as finished once the handler has dealt with all its events:
  the stream sends a block's contract events before the block itself, so the block event
  is the mark.
* **Nothing recorded twice.** A crash between an attestation and the state file's write
  hands the same block over again. The handler asks the chain first and skips what it
  already records (an invoice already verified); what slips through is refused by the
  contract's own checks (`invalid_state`, `duplicate`), logged as already recorded. The
  adapters are idempotent by reference (interfaces.py), so the outside system does not act
  twice either. At-least-once delivery, exactly-once on the chain.
* **Transient failures are retried** with exponential back-off (a node or an outside
  system that is down, a full mempool), the same call again, never skipped.
* **One log line per attestation**: what was attested, or why not.

The event stream is read by a thread of its own into a bounded queue; the loop takes one
block at a time from it and, between blocks, lets the handler poll the outside system
(voided invoices) and the chain (conditional payments whose condition is met).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from faechain.adapters.interfaces import ServiceUnavailable
from faechain.identity.wallet import Identity
from faechain.sdk import ApiError, Client
from faechain.sdk.client import Receipt

log = logging.getLogger("faechain.adapters")

T = TypeVar("T")

# Receipt codes that say "not now" rather than "no": the same transaction is sent again.
TRANSIENT_CODES = frozenset({"mempool_full", "pending", "tx_expired", "unavailable", "timeout"})
# Refusals that mean the chain already holds the attestation (or moved past it): logged, not retried.
ALREADY_CODES = frozenset({"invalid_state", "duplicate", "replay"})
FIRST_DELAY = 0.5  # seconds before the first retry; doubled each time up to MAX_DELAY
MAX_DELAY = 30.0
POLL_SECONDS = 2.0  # how often the handler polls between blocks
QUEUE_ITEMS = 2000  # events held between the stream's thread and the loop


class Stopped(Exception):
    """The attestor was asked to stop while waiting to retry."""


class StateFile:
    """The attestor's memory across restarts: `{"height": last finished block, "data": {...}}`,
    `data` being the handler's own (a feed cursor, payments it watches). Written to a
    temporary file and renamed over the old one, so a crash leaves the old or the new."""

    def __init__(self, path: str) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        try:
            with open(self.path) as f:
                doc = json.load(f)
        except FileNotFoundError:
            return {"height": 0, "data": {}}
        if not isinstance(doc, dict) or not isinstance(doc.get("height"), int):
            raise ValueError(f"{self.path} is not an attestor state file (delete it to start from block 1)")
        return {"height": doc["height"], "data": doc.get("data") or {}}

    def save(self, height: int, data: dict[str, Any]) -> None:
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        tmp = f"{self.path}.tmp"
        with open(tmp, "w") as f:
            json.dump({"height": height, "data": data}, f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


class Chain:
    """The attestor's access to the chain: reads and attestations signed as the service
    member, with the retry policy. `label` starts every log line ("tax simulator")."""

    def __init__(self, client: Client, identity: Identity, label: str, *,
                 stop: threading.Event | None = None, first_delay: float = FIRST_DELAY,
                 max_delay: float = MAX_DELAY) -> None:
        self.client = client
        self.identity = identity
        self.label = label
        self.stop = stop or threading.Event()
        self.first_delay = first_delay
        self.max_delay = max_delay

    @property
    def org_id(self) -> str:
        return self.identity.org_id

    def say(self, text: str, level: int = logging.INFO) -> None:
        log.log(level, "%s: %s", self.label, text)

    def retrying(self, what: str, call: Callable[[], T]) -> T:
        """`call()`, again after a back-off while it fails transiently (the node or the outside
        system is unreachable); `Stopped` when asked to stop meanwhile."""
        delay = self.first_delay
        while True:
            try:
                return call()
            except ApiError as exc:
                if exc.code in ("bad_request", "unknown_contract", "unknown_method"):
                    raise
                problem = str(exc)
            except (ServiceUnavailable, OSError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            self.say(f"{what} failed ({problem}); retrying in {delay:g} s", logging.WARNING)
            if self.stop.wait(delay):
                raise Stopped()
            delay = min(delay * 2, self.max_delay)

    def query(self, contract: str, method: str, **args: Any) -> Any:
        """The query's answer as the service member reads it; None when the chain has no such
        record or does not show it to this member (`not_found`)."""
        def ask() -> Any:
            try:
                return self.client.query(contract, method, _as=self.identity, **args)
            except ApiError as exc:
                if exc.code in ("not_found", "unknown_contract", "unknown_method"):
                    return None
                raise
        return self.retrying(f"query {contract}.{method}", ask)

    def attest(self, contract: str, method: str, subject: str, **args: Any) -> Receipt:
        """Submit one attestation and log one line for it: attested, already recorded, or
        refused (with the chain's code). Transient refusals are sent again."""
        delay = self.first_delay
        while True:
            receipt = self.retrying(f"{method} {subject}",
                                    lambda: self.client.submit_args(self.identity, contract, method, args))
            if receipt.code not in TRANSIENT_CODES:
                break
            self.say(f"{method} {subject}: {receipt.code} ({receipt.message}); retrying in {delay:g} s",
                     logging.WARNING)
            if self.stop.wait(delay):
                raise Stopped()
            delay = min(delay * 2, self.max_delay)
        if receipt.ok:
            self.say(f"{method} {subject}: attested (tx {receipt.tx_hash[:16]} at height {receipt.height})")
        elif receipt.code in ALREADY_CODES:
            self.say(f"{method} {subject}: already recorded on chain ({receipt.code}: {receipt.message})")
        else:
            self.say(f"{method} {subject}: refused by the chain ({receipt.code}: {receipt.message})", logging.WARNING)
        return receipt


class Handler(Protocol):
    """One service's part: what it does with a finished block's events, and between blocks."""

    def restore(self, data: dict[str, Any]) -> None:
        """Take back the state saved with the last finished block (`dump()`'s)."""
        ...

    def dump(self) -> dict[str, Any]:
        """What to keep across a restart, JSON-ready."""
        ...

    def handle_block(self, height: int, events: list[dict], chain: Chain) -> None:
        """Deal with every contract event of block `height` this member sees (in order)."""
        ...

    def poll(self, chain: Chain) -> None:
        """Between blocks: ask the outside system and the chain what changed without an event."""
        ...


class _Follower(threading.Thread):
    """Reads the event stream into a bounded queue; puts ("error", exc) when it ends."""

    def __init__(self, client: Client, from_height: int, out: queue.Queue) -> None:
        super().__init__(name="fae-attestor-events", daemon=True)
        self.client = client
        self.from_height = from_height
        self.out = out
        self.done = threading.Event()

    def put(self, item: tuple[str, Any]) -> bool:
        while not self.done.is_set():
            try:
                self.out.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        try:
            for ev in self.client.events(from_height=self.from_height):
                if not self.put(("event", ev)):
                    return
            self.put(("error", ApiError("unavailable", "the node closed the event stream")))
        except Exception as exc:  # noqa: BLE001 - handed to the loop, which reconnects
            self.put(("error", exc))


class Attestor:
    """The loop (see the module docstring). `run(stop)` returns when `stop` is set."""

    def __init__(self, chain: Chain, handler: Handler, state: StateFile, *, poll_seconds: float = POLL_SECONDS,
                 from_height: int | None = None) -> None:
        self.chain = chain
        self.handler = handler
        self.state = state
        self.poll_seconds = poll_seconds
        self.from_height = from_height  # a first run's starting block (default 1); a state file overrides it
        self.height = 0  # the last finished block

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or self.chain.stop
        self.chain.stop = stop
        saved = self.state.load()
        self.height = saved["height"] or max((self.from_height or 1) - 1, 0)
        self.handler.restore(saved["data"])
        self.chain.say(f"following the chain from block {self.height + 1} as {self.chain.identity.name} "
                       f"({self.chain.org_id})")
        delay = self.chain.first_delay
        while not stop.is_set():
            items: queue.Queue = queue.Queue(QUEUE_ITEMS)
            follower = _Follower(self.chain.client, self.height + 1, items)
            follower.start()
            try:
                progressed = self.consume(items, stop)
            except Stopped:
                break
            except Exception:  # an adapter's or a handler's bug: the block is handled again after a back-off
                log.exception("%s: handling block %d failed", self.chain.label, self.height + 1)
                progressed = False
            finally:
                follower.done.set()
            if stop.is_set():
                break
            delay = self.chain.first_delay if progressed else min(delay * 2, self.chain.max_delay)
            self.chain.say(f"reconnecting to the event stream in {delay:g} s", logging.WARNING)
            if stop.wait(delay):
                break
        self.chain.say(f"stopped after block {self.height}")

    def consume(self, items: queue.Queue, stop: threading.Event) -> bool:
        """Take events until the stream fails; True if a block was finished meanwhile."""
        progressed = False
        pending: list[dict] = []
        next_poll = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_poll:
                self.poll()
                next_poll = time.monotonic() + self.poll_seconds
            try:
                kind, item = items.get(timeout=max(0.05, next_poll - time.monotonic()))
            except queue.Empty:
                continue
            if kind == "error":
                self.chain.say(f"event stream ended: {item}", logging.WARNING)
                return progressed
            if item.get("event") == "contract":
                if int(item.get("height", 0)) > self.height:
                    pending.append(item)
            elif item.get("event") == "block":
                height = int(item["height"])
                if height > self.height:
                    self.handler.handle_block(height, [ev for ev in pending if ev.get("height") == height], self.chain)
                    self.height = height
                    self.state.save(height, self.handler.dump())
                    progressed = True
                pending = []
        return progressed

    def poll(self) -> None:
        before = json.dumps(self.handler.dump(), sort_keys=True)
        self.handler.poll(self.chain)
        after = self.handler.dump()
        if json.dumps(after, sort_keys=True) != before:
            self.state.save(self.height, after)


def attr(event: dict, name: str) -> Any:
    """An attribute of a contract event as the stream carries it (`attrs`)."""
    return (event.get("attrs") or {}).get(name)
