"""Server-sent events: committed blocks and contract events, history then live.

The engine commits on its own thread and calls `Application.listeners` there.
The hub's listener does nothing on that thread but hand the result to the event
loop (`call_soon_threadsafe`); on the loop the block is turned into JSON-ready
payloads once and offered to each subscriber's bounded queue. A subscriber that falls
too far behind is dropped: its queue is full (`QUEUE_BLOCKS` blocks), or the oldest
block waiting for it was committed more than `MAX_LAG_SECONDS` ago (a node making few
blocks never fills a queue, yet a client served minutes late is useless to a desk
watching a live auction). It receives a final `event: error` (`too_slow`) and can
reconnect with `from` (or `Last-Event-ID`) to resume without gaps.

Stream format, per block, in order: each matching `event: contract`, then
`event: block` carrying `id: <height>`, so the last id a client saw always names
the last block it received completely.

Each subscriber sees what its reader may (docs/confidentiality.md): the events of the
transactions it may see and the end-of-block events it may see; a block's codes of the
others are null (`faechain.api.confidential.filter_block_events`, off the event loop).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from faechain.api.confidential import SeenCache, filter_block_events
from faechain.chain.results import BlockResult, Receipt
from faechain.contracts.runtime import Caller, sees_all
from faechain.core.block import Header
from faechain.core.encoding import decode
from faechain.core.wire import json_default, jsonable
from faechain.ledger.integrity import StorageDamaged

log = logging.getLogger("faechain.api.events")

HEARTBEAT_SECONDS = 15.0
QUEUE_BLOCKS = 1024
MAX_LAG_SECONDS = 30.0  # the oldest block a subscriber has not taken may wait this long
HISTORY_CHUNK = 200
_CLOSE = object()
_DROPPED = object()


@dataclass
class BlockPayload:
    height: int
    block: dict
    contract_events: list[dict] = field(default_factory=list)


def block_payload(height: int, block_hash: bytes, header: Header, receipts: list[Receipt],
                  end_events: list[dict] | None = None) -> BlockPayload:
    """A block and its contract events; the contracts' end-of-block events come last,
    numbered as the transaction after the last one (as in the events table)."""
    events = []
    for r in receipts:
        for n, ev in enumerate(r.events):
            events.append({"height": height, "tx": r.index, "n": n, "contract": ev["contract"],
                           "type": ev["type"], "attrs": jsonable(ev["attrs"])})
    for n, ev in enumerate(end_events or []):
        events.append({"height": height, "tx": len(receipts), "n": n, "contract": ev["contract"],
                       "type": ev["type"], "attrs": jsonable(ev["attrs"])})
    block = {"height": height, "hash": block_hash.hex(), "time": header.time, "app_hash": header.app_hash.hex(),
             "txs": len(receipts), "codes": [r.code for r in receipts]}
    return BlockPayload(height, block, events)


@dataclass(eq=False)  # hashed by identity: kept in a set
class Subscriber:
    queue: asyncio.Queue
    contract: str | None
    type: str | None
    blocks: bool
    caller: Caller | None = None  # the reader: what it is shown is filtered by its read rules
    dropped: bool = False
    # when each queued block reached the hub (the hub's clock), oldest first: the lag
    waiting_since: collections.deque = field(default_factory=collections.deque)

    def wants(self, ev: dict) -> bool:
        return (self.contract is None or ev["contract"] == self.contract) and (
            self.type is None or ev["type"] == self.type)


class EventHub:
    """Fans committed blocks out to SSE subscribers and to in-process waiters."""

    def __init__(self, node, metrics=None, *, clock: Callable[[], float] = time.monotonic,
                 max_lag_seconds: float = MAX_LAG_SECONDS):
        self.node = node
        self.metrics = metrics
        self.clock = clock
        self.max_lag_seconds = max_lag_seconds
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[Subscriber] = set()
        self.closing = False
        self.new_block: asyncio.Condition | None = None  # made on the loop in start()
        self._listener: Callable[[BlockResult], None] | None = None
        self.seen = SeenCache()  # what each reader sees of each block, shared by its streams

    # -- lifecycle (aiohttp on_startup / on_shutdown) -------------------------------------
    async def start(self, _app=None) -> None:
        loop = self.loop = asyncio.get_running_loop()
        self.new_block = asyncio.Condition()

        def listener(result: BlockResult) -> None:  # engine thread: never raise, never block
            try:
                loop.call_soon_threadsafe(self._on_block, result)
            except RuntimeError:  # loop closed: the node is shutting down
                pass

        self._listener = listener
        self.node.app.listeners.append(listener)

    async def close(self, _app=None) -> None:
        self.closing = True
        if self._listener in self.node.app.listeners:
            self.node.app.listeners.remove(self._listener)
        for sub in list(self.subscribers):
            _drain(sub.queue)
            sub.queue.put_nowait(_CLOSE)
        if self.new_block is not None:
            async with self.new_block:
                self.new_block.notify_all()

    # -- fan-out (event loop) ------------------------------------------------------------
    def _on_block(self, result: BlockResult) -> None:
        try:
            if self.metrics is not None:
                self.metrics.on_block(result)
            if self.subscribers:
                payload = block_payload(result.height, result.block_hash, result.header, result.receipts,
                                        result.end_events)
                now = self.clock()
                for sub in list(self.subscribers):
                    if sub.dropped:
                        continue
                    if self.too_late(sub, now):
                        self.drop(sub)
                        continue
                    try:
                        sub.queue.put_nowait(payload)
                    except asyncio.QueueFull:
                        self.drop(sub)
                        continue
                    sub.waiting_since.append(now)
            if self.new_block is not None:
                asyncio.ensure_future(self._notify())
        except Exception:  # a bug here must not take the node down
            log.exception("event fan-out failed")

    def too_late(self, sub: Subscriber, now: float) -> bool:
        """Whether the oldest block `sub` has not taken has waited more than the lag bound."""
        return bool(sub.waiting_since) and now - sub.waiting_since[0] > self.max_lag_seconds

    def drop(self, sub: Subscriber) -> None:
        """Give up on a subscriber that fell behind: it is told `too_slow` next."""
        sub.dropped = True
        _drain(sub.queue)
        sub.waiting_since.clear()
        sub.queue.put_nowait(_DROPPED)

    def _condition(self) -> asyncio.Condition:
        if self.new_block is None:
            raise RuntimeError("the event hub is not started: start() makes its condition on the loop")
        return self.new_block

    async def _notify(self) -> None:
        new_block = self._condition()
        async with new_block:
            new_block.notify_all()

    async def wait_for_height(self, height: int, timeout: float) -> bool:
        """Wait (without polling) until the committed height reaches `height`."""
        app = self.node.app

        new_block = self._condition()

        async def reached() -> None:
            async with new_block:
                await new_block.wait_for(lambda: app.height >= height or self.closing)

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            pass
        return app.height >= height

    # -- history ------------------------------------------------------------------------
    def history(self, first: int, last: int, blocks: bool) -> list[BlockPayload]:
        """Committed blocks first..last as payloads (runs in a worker thread)."""
        store = self.node.store
        by_height: dict[int, BlockPayload] = {}
        if blocks:
            for h in range(first, last + 1):
                row = store.block(h)
                if row is None:
                    continue
                header = Header.decode(row[1])
                receipts = [Receipt.from_map(decode(rec)) for _, _, _, rec in store.block_txs(h)]
                withheld = store.withheld_txs(h)  # a member node holds only the hashes of some
                if withheld:
                    receipts += [Receipt(tx_hash, h, i, "withheld") for i, tx_hash, _ in withheld]
                    receipts.sort(key=lambda r: r.index)
                p = block_payload(h, row[0], header, receipts)
                p.contract_events = []  # taken from the events table below, like the brief's contract
                by_height[h] = p
        for h, idx, n, contract, type_, data in store.events_between(first, last):
            entry = by_height.get(h)
            if entry is None:
                entry = by_height[h] = BlockPayload(h, {})
            entry.contract_events.append({"height": h, "tx": idx, "n": n, "contract": contract, "type": type_,
                                          "attrs": jsonable(decode(data))})
        return [by_height[h] for h in sorted(by_height)]


def _drain(q: asyncio.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except asyncio.QueueEmpty:
            return


def _frame(event: str, data: Any, event_id: str | None = None) -> bytes:
    text = json.dumps(data, default=json_default, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {text}\n\n".encode()


class _Stream:
    def __init__(self, resp: web.StreamResponse, sub: Subscriber, hub: EventHub):
        self.resp = resp
        self.sub = sub
        self.hub = hub

    async def send(self, p: BlockPayload) -> None:
        events = [ev for ev in p.contract_events if self.sub.wants(ev)]
        block = p.block if self.sub.blocks else {}
        if not sees_all(self.sub.caller) and (events or block.get("codes")):
            loop = asyncio.get_running_loop()
            block, events = await loop.run_in_executor(None, filter_block_events, self.hub.node, self.sub.caller,
                                                       p.height, block, events, self.hub.seen)
        parts = [_frame("contract", ev) for ev in events]
        if block:
            parts.append(_frame("block", block, str(p.height)))
        if parts:
            await self.resp.write(b"".join(parts))


async def stream_events(request: web.Request, hub: EventHub, first: int | None, contract: str | None,
                        type_: str | None, blocks: bool, *, caller: Caller | None) -> web.StreamResponse:
    """The SSE response: history from `first` (if given), then live blocks, as `caller` may see
    them (None: all)."""
    app = hub.node.app
    loop = asyncio.get_running_loop()
    resp = web.StreamResponse(headers={
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    })
    await resp.prepare(request)
    sub = Subscriber(asyncio.Queue(QUEUE_BLOCKS), contract, type_, blocks, caller)
    stream = _Stream(resp, sub, hub)
    await resp.write(b": faechain event stream\nretry: 2000\n\n")
    next_h = app.height + 1 if first is None else max(first, 0)
    try:
        # History in chunks until close to the head, then subscribe and fill the last gap,
        # so a long history never overflows the live queue.
        subscribed = False
        while not hub.closing:
            top = app.height
            if top - next_h < HISTORY_CHUNK and not subscribed:
                hub.subscribers.add(sub)
                subscribed = True
                top = app.height
            while next_h <= top:
                last = min(top, next_h + HISTORY_CHUNK - 1)
                for p in await loop.run_in_executor(None, hub.history, next_h, last, blocks):
                    await stream.send(p)
                next_h = last + 1
            if subscribed:
                break
        while not hub.closing:
            try:
                item = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await resp.write(b": ping\n\n")
                continue
            if item is _CLOSE:
                await resp.write(_frame("error", {"code": "unavailable", "message": "the node is shutting down"}))
                break
            if item is not _DROPPED and sub.waiting_since:
                if hub.too_late(sub, hub.clock()):
                    hub.drop(sub)  # the queue now holds only the drop notice
                    item = sub.queue.get_nowait()
                else:
                    sub.waiting_since.popleft()
            if item is _DROPPED:
                await resp.write(_frame("error", {
                    "code": "too_slow",
                    "message": f"subscriber fell more than {QUEUE_BLOCKS} blocks or {hub.max_lag_seconds:g} s "
                               f"behind; reconnect with from={next_h}",
                    "from": next_h}))
                break
            if item.height < next_h:
                continue
            await stream.send(item)
            next_h = item.height + 1
    except ConnectionError:  # the client went away
        pass
    except StorageDamaged as exc:  # never stream from damaged storage: stop, and halt the node
        hub.node.halt(exc)
        try:
            await resp.write(_frame("error", {"code": exc.code, "message": f"damaged storage: {exc.what}; this node "
                                              "has stopped taking transactions until its operator recovers it"}))
        except (ConnectionError, RuntimeError):
            pass
    except Exception:  # the response is already streaming: report in-band, never as a new response
        log.exception("event stream failed")
        try:
            await resp.write(_frame("error", {"code": "internal", "message": "internal error; see the node's log"}))
        except (ConnectionError, RuntimeError):
            pass
    finally:
        hub.subscribers.discard(sub)
    try:
        await resp.write_eof()
    except (ConnectionError, RuntimeError):
        pass
    return resp
