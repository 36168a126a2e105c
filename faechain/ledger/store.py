"""`ChainStore`: what the state machine (faechain.chain) needs of a ledger's storage.

The chain layer is written against this protocol, not against SQLite: it reads state
values (latest, or as of a height, with prefix scans), Merkle nodes, block headers,
transactions, the query index and the replay guard, and writes one `BlockWrite` per
block, atomically. `faechain.ledger.storage.Store` implements it; so may a test double.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from faechain.ledger.storage import BlockWrite, HeaderSignature


class ChainStore(Protocol):
    """The storage a chain runs on (`faechain.ledger.storage.Store`)."""

    def meta(self, key: str) -> bytes | None:
        """A head/genesis record (`head`, `genesis`, ...), None if absent."""

    def get_value(self, key: bytes, height: int | None = None) -> bytes | None:
        """The latest value of a state key, or its value as of `height`; None if absent."""

    def scan_prefix(self, prefix: bytes, height: int | None = None, limit: int = 1000) -> Iterable[tuple[bytes, bytes]]:
        """Live (key, value) pairs whose key starts with `prefix`, in key order (limit -1: all)."""

    def history(self, key: bytes) -> list[tuple[int, bytes | None]]:
        """Every committed version of a key: (height, value or None when deleted), oldest first."""

    def get_node(self, node_hash: bytes) -> bytes | None:
        """A sparse Merkle tree node by its hash."""

    def verify_nodes_with(self, hasher: Callable[[bytes], bytes]) -> bool:
        """Check Merkle nodes against their address as they come off the disk; True if it will."""

    def unexpired_txs(self, now_ms: int) -> list[tuple[bytes, int]]:
        """(hash, expires) of executed transactions still inside their validity window."""

    def block(self, height: int) -> tuple[bytes, bytes] | None:
        """(block hash, encoded header) of a committed height."""

    def header_signature(self, height: int) -> HeaderSignature | None:
        """The block signer's signature of block `height`'s header, None if it has none."""

    def unsigned_heights(self) -> list[int]:
        """Committed heights without a header signature."""

    def put_header_signature(self, height: int, signature: HeaderSignature) -> None:
        """Record the signature of an already committed header (kept if one is there)."""

    def tx(self, tx_hash: bytes) -> tuple[int, int, bytes, bytes] | None:
        """(height, index, envelope, receipt) of a committed, authenticated transaction."""

    def index_find(self, kind: str, field: str, value: str, limit: int = 1000, after: bytes = b"") -> list[bytes]:
        """State keys of the records of `kind` whose indexed `field` equals `value`."""

    def commit(self, w: BlockWrite) -> None:
        """Write one block and everything it changed, atomically and durably."""
