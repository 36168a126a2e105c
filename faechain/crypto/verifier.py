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
from typing import Sequence

from faechain.crypto.suite import get_suite

Item = tuple[bytes, bytes, bytes]  # (raw public key, signature, message)
INLINE_BELOW = 48


def _verify_chunk(suite_name: str, items: Sequence[Item]) -> list[bool]:
    suite = get_suite(suite_name)
    keys: dict[bytes, object] = {}
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


class ParallelVerifier:
    """Verify batches of signatures across `workers` processes plus the caller."""

    def __init__(self, suite_name: str, workers: int | None = None):
        self.suite_name = suite_name
        cpus = os.cpu_count() or 1
        self.workers = max(0, (cpus - 1) if workers is None else workers)
        self._pool: cf.ProcessPoolExecutor | None = None
        if self.workers:
            # forkserver: workers never inherit the node's threads or open database
            ctx = mp.get_context("forkserver")
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx)
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
