"""Helpers for the multi-process CometBFT network tests (tests/e2e/test_localnet*.py).

`running_localnet(path, n)` creates and starts an n-validator network on free
ports and always stops every process it started (even when the test fails).
`Load` submits a steady stream of transactions from a background thread.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from faechain.devnet import localnet as L
from faechain.engines.cometbft import CometBFTNotFound, find_cometbft
from faechain.sdk import ApiError, Client, Identity

NETWORKS: list[L.Localnet] = []


def _stop_all() -> None:
    for net in NETWORKS:
        try:
            net.stop(timeout=10)
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


atexit.register(_stop_all)


def require_cometbft() -> str:
    try:
        return find_cometbft()
    except CometBFTNotFound as exc:
        if os.environ.get("FAE_SKIP_LOCALNET"):
            pytest.skip(f"FAE_SKIP_LOCALNET is set and {exc}")
        pytest.fail(f"{exc} (or set FAE_SKIP_LOCALNET=1 to skip the CometBFT network tests)")


@contextlib.contextmanager
def running_localnet(home: str, validators: int = 4, **create_kw) -> Iterator[L.Localnet]:
    require_cometbft()
    net = L.create(home, validators, base_port=L.free_base_port(validators), **create_kw)
    NETWORKS.append(net)
    try:
        net.start(timeout=120)
        yield net
    finally:
        net.stop(timeout=15)
        NETWORKS.remove(net)
        leftover = [f"node{i}.{k}" for i in range(len(net.nodes)) for k in ("fae", "cometbft") if net.pid(i, k)]
        assert not leftover, f"processes still running after stop: {leftover}"


def wait_until(cond: Callable[[], object], timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = cond()
        except (ApiError, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def client(net: L.Localnet, i: int, who: str = "exchange") -> Client:
    return Client(net.nodes[i].api_url, identity=Identity.load(net.home, who), timeout=20)


def height(net: L.Localnet, i: int) -> int | None:
    info = L._get_json(net.nodes[i].api_url + "/v1/info", 2)
    return info["height"] if info else None


def heights(net: L.Localnet, nodes=None) -> dict[int, int | None]:
    return {i: height(net, i) for i in (range(len(net.nodes)) if nodes is None else nodes)}


def app_hashes(net: L.Localnet, i: int, first: int, last: int) -> list[tuple[str, str]]:
    """(app hash, block hash) of node i's blocks first..last."""
    c = client(net, i)
    out = []
    for h in range(first, last + 1):
        doc = c.block(h)
        out.append((doc["header"]["app_hash"], doc["hash"]))
    return out


def assert_same_app_hashes(net: L.Localnet, nodes=None, first: int = 1) -> int:
    """Every node reports the same app hash (and the same faechain block hash, which covers
    time, proposer, transaction and receipt roots) at every height they all have; returns
    that height."""
    nodes = list(range(len(net.nodes))) if nodes is None else list(nodes)
    top = min(height(net, i) for i in nodes)
    assert top >= first, f"heights {heights(net, nodes)}"
    reference = app_hashes(net, nodes[0], first, top)
    for i in nodes[1:]:
        other = app_hashes(net, i, first, top)
        diverged = [first + k for k, (a, b) in enumerate(zip(reference, other, strict=True)) if a != b]
        assert not diverged, f"node{i} diverges from node{nodes[0]} at heights {diverged[:5]}"
    return top


def wait_caught_up(net: L.Localnet, nodes=None, timeout: float = 90.0) -> int:
    """Wait until every given node reached the height the most advanced one had when we started."""
    nodes = list(range(len(net.nodes))) if nodes is None else list(nodes)
    target = max(h for h in heights(net, nodes).values() if h is not None)
    wait_until(lambda: all((height(net, i) or -1) >= target for i in nodes), timeout,
               f"nodes {nodes} to reach height {target} (now {heights(net, nodes)})")
    return target


class Load:
    """Submit set_attributes transactions round-robin to some nodes, at about `rate` per second.

    wait=False submissions; `accepted` collects (node, tx hash) of every accepted one;
    with `wait=True` (one at a time) `receipts` collects (node, receipt) of committed ones.
    """

    def __init__(self, net: L.Localnet, nodes: list[int], rate: float = 20.0, wait: bool = False, tag: str = "load"):
        self.net = net
        self.nodes = nodes
        self.rate = rate
        self.wait = wait
        self.tag = tag
        self.accepted: list[tuple[int, str]] = []
        self.receipts: list[tuple[int, object]] = []
        self.errors: list[str] = []
        self.rejected: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"load-{tag}", daemon=True)
        self.exchange = Identity.load(net.home, "exchange")
        self.target = Identity.load(net.home, "investor1").org_id
        self.clients = {i: Client(net.nodes[i].api_url, identity=self.exchange, timeout=15) for i in nodes}

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            i = self.nodes[n % len(self.nodes)]
            n += 1
            started = time.monotonic()
            try:
                r = self.clients[i].submit(self.exchange, "membership", "set_attributes", wait=self.wait,
                                           org_id=self.target, attributes={self.tag: n})
                if r.ok or r.pending:
                    self.accepted.append((i, r.tx_hash))
                    if r.ok:
                        self.receipts.append((i, r))
                else:
                    self.rejected.append(f"node{i}: {r.code} {r.message}")
            except (ApiError, OSError) as exc:
                self.errors.append(f"node{i}: {exc}")
                time.sleep(0.2)
            pause = 1.0 / self.rate - (time.monotonic() - started)
            if pause > 0:
                self._stop.wait(pause)
