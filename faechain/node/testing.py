"""Run a node's API in-process on a background thread (tests and tools).

    with running_node(home, port=free_port()) as node:
        Client(node.url).info()
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading
from collections.abc import Iterator

from faechain.node.config import NodeConfig
from faechain.node.node import Node


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeThread:
    """A Node serving its API from an event loop on a daemon thread."""

    def __init__(self, home: str, config: NodeConfig | None = None, *, node_class: type[Node] = Node, **overrides):
        base = config or NodeConfig.load(home)
        self.node = node_class(home, dataclasses.replace(base, **overrides) if overrides else base)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return self.node.url

    def start(self, timeout: float = 15.0) -> Node:
        started = threading.Event()

        async def main() -> None:
            ready = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.ensure_future(self.node.serve(ready))
            waiter = asyncio.ensure_future(ready.wait())
            await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            started.set()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            finally:
                waiter.cancel()

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread: start() re-raises it
                self._error = exc
                started.set()

        self._thread = threading.Thread(target=run, name="fae-node", daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError("the node did not start serving in time")
        if self._task is not None and self._task.done() and not self._task.cancelled():
            self._task.result()  # re-raise a startup failure (e.g. port in use)
        if self._error is not None:
            raise self._error
        return self.node

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is not None and self._task is not None and not self._task.done():
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError("the node did not stop in time")


@contextlib.contextmanager
def running_node(home: str, config: NodeConfig | None = None, *, node_class: type[Node] = Node,
                 **overrides) -> Iterator[Node]:
    """`home`'s node (a `node_class`: faechain.member.node.MemberNode for a member node) serving
    on a background thread for the `with` block."""
    nt = NodeThread(home, config, node_class=node_class, **overrides)
    nt.start()
    try:
        yield nt.node
    finally:
        nt.stop()
