"""Reading committed state: raw values with their Merkle proofs, and contract queries.

Queries never see pending writes: they run against a height that is committed (the
head, or an earlier one), so every read of one query sees the same snapshot and a
proof checks against that height's app hash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from faechain.chain.results import Rejected
from faechain.chain.state import CommittedState
from faechain.chain.visibility import ReadView
from faechain.contracts.runtime import Caller, Contract, QueryCtx
from faechain.core.block import Header
from faechain.core.encoding import decode_trusted
from faechain.crypto.suite import Suite
from faechain.ledger.smt import SparseMerkleTree
from faechain.ledger.store import ChainStore


class StoreIndex:
    """The query index as a contract query sees it (`QueryCtx.find`)."""

    def __init__(self, store: ChainStore):
        self.store = store

    def find(self, kind: str, field: str, value: str, limit: int = 1000) -> list[bytes]:
        return self.store.index_find(kind, field, value, limit)


class Queries:
    """State values and contract queries of one chain, against committed heights."""

    def __init__(self, store: ChainStore, contracts: Mapping[str, Contract], tree: SparseMerkleTree,
                 hasher: Callable[[bytes], bytes], suite: Suite | None = None):
        self.store = store
        self.contracts = contracts
        self.tree = tree
        self.hash = hasher
        self.suite = suite
        # a member node's proofs: it keeps no Merkle tree, so (key, height, value, app hash) -> the
        # proof, asked of a validator and checked against the value and app hash it holds
        # (faechain.member); None: built from this node's own tree
        self.remote_proof: Callable[[bytes, int, bytes | None, bytes], dict[str, Any]] | None = None

    def state_value(self, key: bytes, height: int | None, head: int, prove: bool = False) -> dict[str, Any]:
        """A raw state value at a height (`head`, the last committed one, if None),
        optionally with its proof against that height's app hash."""
        h = head if height is None else height
        if not 0 <= h <= head:
            raise ValueError(f"height {h} is not committed")
        block = self.store.block(h)
        if block is None:  # a member node started from a checkpoint holds no block before it
            raise Rejected("not_available_here", f"this node holds no block {h}: it started from a later "
                           "checkpoint")
        header = Header.decode(block[1])
        value = self.store.get_value(key, h)
        out: dict[str, Any] = {"key": key, "value": value, "height": h, "app_hash": header.app_hash}
        if prove:
            if self.remote_proof is not None:
                out["proof"] = self.remote_proof(key, h, value, header.app_hash)
            else:
                out["proof"] = self.tree.prove(header.app_hash, self.hash(key))
        return out

    def run_query(self, contract: str, method: str, args: dict[str, Any], caller: Caller | None, height: int | None,
                  head: int) -> Any:
        """Run a contract's @query as `caller` at `height` (the head if None)."""
        c = self.contracts.get(contract)
        if c is None:
            raise Rejected("unknown_contract", f"no contract named {contract!r}")
        m = c.methods.get(method)
        if m is None or m.kind != "query":
            raise Rejected("unknown_method", f"contract {contract!r} has no query {method!r}")
        kwargs = m.bind(args)
        h = head if height is None else height
        block = self.store.block(h)
        if block is None:
            raise Rejected("not_found", f"height {h} is not committed")
        access = CommittedState(self.store, h)
        q = QueryCtx(
            contract, caller, access, StoreIndex(self.store), h,
            time=Header.decode(block[1]).time // 1000,
            # h is committed (checked above), and so is every height at or below it
            prover=lambda key, at: self.state_value(key, at, h, prove=True),
            historian=lambda key, prove: self.versions(key, h, prove),
            contracts=self.contracts,
        )
        return m.func(c, q, **kwargs)

    def view(self, caller: Caller | None, height: int) -> ReadView:
        """What `caller` may see of the ledger at committed `height` (docs/confidentiality.md)."""
        return ReadView(self.store, self.contracts, StoreIndex(self.store), self.hash, caller, height, self.suite)

    def versions(self, key: bytes, h: int, prove: bool) -> list[dict[str, Any]]:
        """Every version of `key` committed by height `h`: [{height, value}] oldest first. With
        `prove`, each also carries `proof` (the key at its height) and `before` (at the height
        before; None at genesis): a reader checks each version against its own block's app
        hash, and that the one before it is the version it replaced, so a version left out
        between two shown ones does not go unnoticed (`faechain.sdk.verified`)."""
        if h > 0 and self.store.block(1) is None:
            raise Rejected("not_available_here", "this node started from a checkpoint: it holds no history before "
                           "it")
        out: list[dict[str, Any]] = []
        for at, v in self.store.history(key):
            if at <= h:
                out.append({"height": at, "value": None if v is None else decode_trusted(v)})
                if prove:
                    out[-1]["proof"] = self.state_value(key, at, h, prove=True)
                    out[-1]["before"] = self.state_value(key, at - 1, h, prove=True) if at > 0 else None
        return out
