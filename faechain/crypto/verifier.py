"""Signature verification on every core.

Ed25519 verification through OpenSSL holds Python's GIL, so threads do not help:
a batch is split between worker processes and the calling thread, which
verifies its own share while the workers do theirs. Small batches are verified
inline (a process round trip costs more than a few checks).

Only (public key bytes, signature, message) cross the process boundary; the
result is a list of booleans in the same order.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Sequence

from faechain.crypto.suite import PublicKey, get_suite

Item = tuple[bytes, bytes, bytes]  # (raw public key, signature, message)
INLINE_BELOW = 48
WATCH_SECONDS = 1.0  # how often a worker checks that its node is still alive


def _verify_chunk(suite_name: str, items: Sequence[Item]) -> list[bool]:
    suite = get_suite(suite_name)
    keys: dict[bytes, PublicKey] = {}
    out = []
    for raw, sig, msg in items:
        key = keys.get(raw)
        if key is None:
            try:
                key = keys[raw] = suite.public_key(raw)
            except ValueError:
                out.append(False)
                continue
        out.append(key.verify(sig, msg))
    return out


def _warm(_: int) -> int:
    return os.getpid()


def _die_with(parent_pid: int) -> None:
    """Worker initializer: exit when the node process that started this worker is gone.

    A worker blocks on its task queue, which it holds both ends of, so it never sees its
    parent die: after `kill -9` of a node, its workers (and through them the resource
    tracker) would live on for good. Spawned workers are the node's own children, so a
    parent pid that changes (re-parented to init) means the node has died."""

    def watch() -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="die-with-node", daemon=True).start()


class ParallelVerifier:
    """Verify batches of signatures across `workers` processes plus the caller."""

    def __init__(self, suite_name: str, workers: int | None = None):
        self.suite_name = suite_name
        cpus = os.cpu_count() or 1
        self.workers = max(0, (cpus - 1) if workers is None else workers)
        self._pool: cf.ProcessPoolExecutor | None = None
        if self.workers:
            # spawn: workers are fresh interpreters (never the node's threads or open database)
            # and the node's direct children, so each can tell when the node has died
            ctx = mp.get_context("spawn")
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_die_with,
                                                initargs=(os.getpid(),))
            list(self._pool.map(_warm, range(self.workers)))

    def verify_many(self, items: Sequence[Item]) -> list[bool]:
        n = len(items)
        if self._pool is None or n < INLINE_BELOW:
            return _verify_chunk(self.suite_name, items)
        shares = self.workers + 1
        size = (n + shares - 1) // shares
        chunks = [items[i : i + size] for i in range(0, n, size)]
        futures = [self._pool.submit(_verify_chunk, self.suite_name, c) for c in chunks[1:]]
        out = _verify_chunk(self.suite_name, chunks[0])
        for f in futures:
            out.extend(f.result())
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
