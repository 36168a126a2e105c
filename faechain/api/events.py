"""Server-sent events: committed blocks and contract events, history then live.

The engine commits on its own thread and calls `Application.listeners` there.
The hub's listener does nothing on that thread but hand the result to the event
loop (`call_soon_threadsafe`); on the loop the block is turned into JSON-ready
payloads once and offered to each subscriber's bounded queue. A subscriber whose
queue is full is dropped: it receives a final `event: error` (`too_slow`) and can
reconnect with `from` (or `Last-Event-ID`) to resume without gaps.

Stream format, per block, in order: each matching `event: contract`, then
`event: block` carrying `id: <height>`, so the last id a client saw always names
the last block it received completely.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from faechain.api.wire import json_default, jsonable
from faechain.application import BlockResult, Receipt
from faechain.ledger.block import Header
from faechain.ledger.encoding import decode

log = logging.getLogger("faechain.api.events")

HEARTBEAT_SECONDS = 15.0
QUEUE_BLOCKS = 1024
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
    dropped: bool = False

    def wants(self, ev: dict) -> bool:
        return (self.contract is None or ev["contract"] == self.contract) and (
            self.type is None or ev["type"] == self.type)


class EventHub:
    """Fans committed blocks out to SSE subscribers and to in-process waiters."""

    def __init__(self, node, metrics=None):
        self.node = node
        self.metrics = metrics
        self.loop: asyncio.AbstractEventLoop | None = None
        self.subscribers: set[Subscriber] = set()
        self.closing = False
        self.new_block: asyncio.Condition | None = None  # made on the loop in start()
        self._listener = None

    # -- lifecycle (aiohttp on_startup / on_shutdown) -------------------------------------
    async def start(self, _app=None) -> None:
        self.loop = asyncio.get_running_loop()
        self.new_block = asyncio.Condition()

        def listener(result: BlockResult) -> None:  # engine thread: never raise, never block
            try:
                self.loop.call_soon_threadsafe(self._on_block, result)
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
                for sub in list(self.subscribers):
                    if sub.dropped:
                        continue
                    try:
                        sub.queue.put_nowait(payload)
                    except asyncio.QueueFull:
                        sub.dropped = True
                        _drain(sub.queue)
                        sub.queue.put_nowait(_DROPPED)
            if self.new_block is not None:
                asyncio.ensure_future(self._notify())
        except Exception:  # a bug here must not take the node down
            log.exception("event fan-out failed")

    async def _notify(self) -> None:
        async with self.new_block:
            self.new_block.notify_all()

    async def wait_for_height(self, height: int, timeout: float) -> bool:
        """Wait (without polling) until the committed height reaches `height`."""
        app = self.node.app

        async def reached() -> None:
            async with self.new_block:
                await self.new_block.wait_for(lambda: app.height >= height or self.closing)

        try:
            await asyncio.wait_for(reached(), timeout)
        except asyncio.TimeoutError:
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
                p = block_payload(h, row[0], header, receipts)
                p.contract_events = []  # taken from the events table below, like the brief's contract
                by_height[h] = p
        for h, idx, n, contract, type_, data in store.events_between(first, last):
            p = by_height.get(h)
            if p is None:
                p = by_height[h] = BlockPayload(h, {})
            p.contract_events.append({"height": h, "tx": idx, "n": n, "contract": contract, "type": type_,
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
    def __init__(self, resp: web.StreamResponse, sub: Subscriber):
        self.resp = resp
        self.sub = sub

    async def send(self, p: BlockPayload) -> None:
        parts = [_frame("contract", ev) for ev in p.contract_events if self.sub.wants(ev)]
        if self.sub.blocks and p.block:
            parts.append(_frame("block", p.block, str(p.height)))
        if parts:
            await self.resp.write(b"".join(parts))


async def stream_events(request: web.Request, hub: EventHub, first: int | None, contract: str | None,
                        type_: str | None, blocks: bool) -> web.StreamResponse:
    """The SSE response: history from `first` (if given), then live blocks."""
    app = hub.node.app
    loop = asyncio.get_running_loop()
    resp = web.StreamResponse(headers={
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    })
    await resp.prepare(request)
    sub = Subscriber(asyncio.Queue(QUEUE_BLOCKS), contract, type_, blocks)
    stream = _Stream(resp, sub)
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
            except asyncio.TimeoutError:
                await resp.write(b": ping\n\n")
                continue
            if item is _CLOSE:
                await resp.write(_frame("error", {"code": "unavailable", "message": "the node is shutting down"}))
                break
            if item is _DROPPED:
                await resp.write(_frame("error", {
                    "code": "too_slow",
                    "message": f"subscriber fell more than {QUEUE_BLOCKS} blocks behind; reconnect with from={next_h}",
                    "from": next_h}))
                break
            if item.height < next_h:
                continue
            await stream.send(item)
            next_h = item.height + 1
    except ConnectionError:  # the client went away
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
