"""The views of state a contract runs against: pending writes laid over committed state.

    CommittedState   committed state, latest or at a height (queries, admission checks)
    BlockState       a block's pending writes over the committed store
    TxState          one transaction's writes over its block; merged only if it succeeds
    TrialState       a dry run's writes over committed state at one height; thrown away

Each offers what `faechain.contracts.runtime.StateAccess` asks (`get_raw`, `put_raw`,
`scan_raw`). Nothing here touches the store's tables: a block's writes reach storage
only through `Application.commit`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from faechain.ledger.store import ChainStore

Rows = list[tuple[bytes, bytes]]
NO_WRITES: Mapping[bytes, bytes | None] = MappingProxyType({})


def overlay_scan(base: Callable[[bytes, int | None], Rows], writes: Mapping[bytes, bytes | None], prefix: bytes,
                 limit: int | None) -> Rows:
    """Prefix scan of `base` with pending `writes` laid over it, in key order.

    Each pending key can hide or replace at most one base row, so fetching
    `limit + len(pending)` base rows is enough for the first `limit` results.
    """
    pending = {k: v for k, v in writes.items() if k.startswith(prefix)}
    base_limit = None if limit is None else limit + len(pending)
    merged: dict[bytes, bytes | None] = dict(base(prefix, base_limit))
    merged.update(pending)
    items = sorted((k, v) for k, v in merged.items() if v is not None)
    return items if limit is None else items[:limit]


class CommittedState:
    """Read-only view of committed state, latest (`height` None) or at a height."""

    # nothing pending over committed state (what `BlockState.writes` holds for a block)
    writes: Mapping[bytes, bytes | None] = NO_WRITES

    def __init__(self, store: ChainStore, height: int | None):
        self.store = store
        self.height = height

    def get_raw(self, key: bytes) -> bytes | None:
        return self.store.get_value(key, self.height)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        raise PermissionError("queries cannot write state")

    def scan_raw(self, prefix: bytes, limit: int | None) -> Rows:
        return list(self.store.scan_prefix(prefix, self.height, -1 if limit is None else limit))


class BlockState:
    """A block's pending writes over the committed store."""

    def __init__(self, store: ChainStore):
        self.store = store
        self.writes: dict[bytes, bytes | None] = {}

    def get_raw(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.store.get_value(key)

    def merge(self, writes: dict[bytes, bytes | None]) -> None:
        self.writes.update(writes)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        self.writes[key] = value

    def scan_raw(self, prefix: bytes, limit: int | None) -> Rows:
        return overlay_scan(self._committed_scan, self.writes, prefix, limit)

    def _committed_scan(self, prefix: bytes, limit: int | None) -> Rows:
        return list(self.store.scan_prefix(prefix, None, -1 if limit is None else limit))


class TxState:
    """One transaction's writes over its block; merged only if the tx succeeds."""

    def __init__(self, block: BlockState):
        self.block = block
        self.writes: dict[bytes, bytes | None] = {}

    def get_raw(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.block.get_raw(key)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        self.writes[key] = value

    def scan_raw(self, prefix: bytes, limit: int | None) -> Rows:
        return overlay_scan(self.block.scan_raw, self.writes, prefix, limit)


class TrialState(BlockState):
    """A dry run's block: committed state as of `height`, with the writes of the one
    transaction tried on it, which are thrown away. Every read is pinned to `height`, so
    a block committed while the trial runs cannot mix two states into one answer."""

    def __init__(self, store: ChainStore, height: int):
        super().__init__(store)
        self.height = height

    def get_raw(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.store.get_value(key, self.height)

    def _committed_scan(self, prefix: bytes, limit: int | None) -> Rows:
        return list(self.store.scan_prefix(prefix, self.height, -1 if limit is None else limit))
