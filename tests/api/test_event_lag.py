"""Slow event-stream subscribers are dropped by lag, not only by a full queue (issue 24).

200 unfiltered subscribers once fell 169 s behind a node making few blocks without being
told `too_slow`: their 1,024-block queues never filled. The hub now also drops a
subscriber whose oldest untaken block has waited longer than its lag bound. The hub's
clock is injected, so these tests do not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from faechain.api import events
from faechain.api.events import EventHub, Subscriber


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def block(height: int) -> SimpleNamespace:
    header = SimpleNamespace(time=height, app_hash=bytes(32))
    return SimpleNamespace(height=height, block_hash=bytes(32), header=header, receipts=[], end_events=[])


def hub_with(clock: Clock, *subs: Subscriber) -> EventHub:
    node = SimpleNamespace(app=SimpleNamespace(listeners=[], height=0))
    hub = EventHub(node, clock=clock, max_lag_seconds=30.0)
    hub.subscribers.update(subs)
    return hub


def subscriber(size: int = events.QUEUE_BLOCKS) -> Subscriber:
    return Subscriber(asyncio.Queue(size), None, None, True)


def test_a_subscriber_whose_oldest_block_waited_too_long_is_dropped():
    async def run() -> None:
        clock = Clock()
        idle, keeping_up = subscriber(), subscriber()
        hub = hub_with(clock, idle, keeping_up)
        for h in range(1, 4):  # three blocks, 10 s apart: nobody is late yet
            hub._on_block(block(h))
            keeping_up.queue.get_nowait()
            keeping_up.waiting_since.popleft()
            clock.now += 10
        assert not idle.dropped and idle.queue.qsize() == 3
        clock.now += 10.5  # the idle one's first block has now waited 30.5 s
        hub._on_block(block(4))
        assert idle.dropped and idle.queue.qsize() == 1 and idle.queue.get_nowait() is events._DROPPED
        assert not keeping_up.dropped and keeping_up.queue.qsize() == 1

    asyncio.run(run())


def test_a_full_queue_still_drops():
    async def run() -> None:
        clock = Clock()
        small = subscriber(size=2)
        hub = hub_with(clock, small)
        for h in range(1, 4):
            hub._on_block(block(h))
        assert small.dropped and small.queue.get_nowait() is events._DROPPED

    asyncio.run(run())
