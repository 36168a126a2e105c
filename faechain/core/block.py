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

A header signature (the solo engine's, by the block signer genesis declares) is over
`header_signing_bytes(chain, height, block hash)`: the domain `faechain/header/v1\\0`
followed by canonical {"chain", "height", "block_hash"}. The domain keeps such a
signature from ever being mistaken for a transaction's or a read's, and the chain id and
height in it keep one chain's or one height's signature from being replayed for another.
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


HEADER_SIGNATURE_DOMAIN = b"faechain/header/v1\x00"


def header_signing_bytes(chain_id: str, height: int, block_hash: bytes) -> bytes:
    """What a block signer signs for block `height` of chain `chain_id` whose header hashes
    to `block_hash` (see the module docstring)."""
    return HEADER_SIGNATURE_DOMAIN + encode({"chain": chain_id, "height": height, "block_hash": block_hash})


def end_block_record(events: list[dict[str, Any]]) -> bytes:
    """What the extra results-root leaf of a block with end_block events commits to."""
    return encode({"end_block": events})
