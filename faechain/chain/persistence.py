"""From an executed block to what storage writes: the new state root and one `BlockWrite`.

`BlockWriter` folds a block's state writes into the sparse Merkle tree (the app hash),
and gathers everything the block adds — header, transactions and receipts, spent
hashes, events, state values, Merkle nodes, query-index changes, the new head — into
the `BlockWrite` that `ChainStore.commit` writes in one atomic transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from faechain.chain.execution import EventRow, SpentRow, TxRow
from faechain.contracts.runtime import Contract
from faechain.core.block import Header
from faechain.core.encoding import decode_trusted, encode
from faechain.ledger.smt import SparseMerkleTree
from faechain.ledger.storage import BlockWrite
from faechain.ledger.store import ChainStore

IndexRow = tuple[str, str, str, bytes]  # (kind, field, value, state key)


class BlockWriter:
    """The persistence rows of the blocks of one chain."""

    def __init__(self, store: ChainStore, contracts: Mapping[str, Contract], tree: SparseMerkleTree,
                 hasher: Callable[[bytes], bytes]):
        self.store = store
        self.contracts = contracts
        self.tree = tree
        self.hash = hasher

    def state_root(self, root: bytes, writes: Mapping[bytes, bytes | None]) -> bytes:
        """Fold a block's writes into the sparse Merkle tree at `root` once; return the new
        root (the new nodes wait in `tree.pending` until the block is written)."""
        h = self.hash
        changes = {h(k): (h(v) if v is not None else None) for k, v in writes.items()}
        return self.tree.update(root, changes)

    def block_write(self, header: Header, tx_rows: list[TxRow], executed: list[SpentRow], event_rows: list[EventRow],
                    writes: Mapping[bytes, bytes | None], meta: dict[str, bytes]) -> BlockWrite:
        """Everything block `header` adds to storage, with the head record pointing at it."""
        block_hash = header.hash(self.hash)
        index_del, index_add = self.index_changes(writes)
        head = encode({"height": header.height, "app_hash": header.app_hash, "block_hash": block_hash,
                       "time": header.time})
        return BlockWrite(
            height=header.height,
            block_hash=block_hash,
            header=header.encode(),
            app_hash=header.app_hash,
            txs=tx_rows,
            executed=executed,
            events=event_rows,
            values=dict(writes),
            nodes=dict(self.tree.pending),
            index_del=index_del,
            index_add=index_add,
            meta={**meta, "head": head},
        )

    def index_changes(self, writes: Mapping[bytes, bytes | None]) -> tuple[list[IndexRow], list[IndexRow]]:
        """Query-index rows to drop (old values) and add (new values) for changed records."""
        dels: list[IndexRow] = []
        adds: list[IndexRow] = []
        for key in sorted(writes):
            parts = key.decode().split("/", 2)
            if len(parts) < 3:
                continue
            contract = self.contracts.get(parts[0])
            if contract is None or parts[1] not in contract.indexes:
                continue
            kind = f"{parts[0]}/{parts[1]}"
            old = self.store.get_value(key)
            if old is not None:
                dels.extend((kind, f, v, key) for f, v in contract.index_rows(parts[1], decode_trusted(old)))
            new = writes[key]
            if new is not None:
                adds.extend((kind, f, v, key) for f, v in contract.index_rows(parts[1], decode_trusted(new)))
        return dels, adds
