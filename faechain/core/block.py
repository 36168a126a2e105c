"""Blocks: a header linking to its parent by hash, and the ordered transactions.

    header = canonical map {
        "chain":        chain id,
        "height":       0 (the genesis block: no transactions), 1, 2, 3, ...
        "time":         block time, unix milliseconds (from the engine, not the node's clock)
        "prev":         hash of the previous header (height 0: hash(canonical genesis))
        "txs_root":     Merkle root of the transaction hashes, in block order
        "results_root": Merkle root of hash(receipt) for each transaction, in block order
        "app_hash":     root of the authenticated state after this block
        "proposer":     engine-specific proposer id (bytes)
    }
    block hash = hash(canonical header)

results_root leaves are hash(receipt) for each transaction in order, followed, when
the contracts' end_block hooks emitted events, by one more leaf:
hash(canonical {"end_block": [event, ...]}).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faechain.core.encoding import decode, encode


@dataclass(frozen=True)
class Header:
    chain: str
    height: int
    time: int
    prev: bytes
    txs_root: bytes
    results_root: bytes
    app_hash: bytes
    proposer: bytes

    def to_map(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "height": self.height,
            "time": self.time,
            "prev": self.prev,
            "txs_root": self.txs_root,
            "results_root": self.results_root,
            "app_hash": self.app_hash,
            "proposer": self.proposer,
        }

    def encode(self) -> bytes:
        return encode(self.to_map())

    @classmethod
    def decode(cls, data: bytes) -> Header:
        return cls(**decode(data))

    def hash(self, hasher: Callable[[bytes], bytes]) -> bytes:
        return hasher(self.encode())


def end_block_record(events: list[dict[str, Any]]) -> bytes:
    """What the extra results-root leaf of a block with end_block events commits to."""
    return encode({"end_block": events})
