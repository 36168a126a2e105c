"""The authenticated state map: a compacted binary sparse Merkle tree.

Each state key is placed by the bits of `hash(key)`, most significant first. A
subtree holding exactly one key is represented by that key's leaf alone (the
compaction of Diem's Jellyfish tree and of RFC 6962-style sparse trees), so a tree
of n keys is about log2(n) deep and an update costs O(log n) hashes no matter how
much history the chain has.

    leaf     = 0x00 || hash(key) || hash(value)       node hash = hash(leaf)
    internal = 0x01 || left hash || right hash        node hash = hash(internal)
    empty    = 32 zero bytes (not hashed)

Nodes are content-addressed (stored by their hash), so every historical root stays
readable and a proof can be produced against any committed height. A block's
changes are applied in one batch: every node on the changed paths is rebuilt and
hashed exactly once per block.

`verify_proof` is the standalone checker: it needs only the hash function, the
root, the key, the claimed value (or None for absence) and the proof.

Every node read from storage is checked on the way in: its bytes must hash to the
address it was read under (the store is content-addressed), else `StorageDamaged`
(faechain.ledger.integrity) is raised instead of a wrong root, value or proof. A source
that offers `verify_nodes_with(hasher)` (the `Store`) checks each node once, when it
comes off the disk, and keeps only checked nodes in its cache; any other source's nodes
are checked here on every read. See docs/integrity.md for the cost.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from faechain.core.errors import FaeError
from faechain.ledger.integrity import MissingNode, StorageDamaged

EMPTY = bytes(32)
LEAF = 0
INTERNAL = 1
Hasher = Callable[[bytes], bytes]
Change = tuple[bytes, bytes | None]  # (key hash, value hash), None: delete the key


class ProofError(FaeError, ValueError):
    """A proof is malformed or does not match the root."""

    code = "bad_proof"


class NodeSource(Protocol):
    def get_node(self, node_hash: bytes) -> bytes | None: ...


def check_node(hasher: Hasher, node_hash: bytes, enc: bytes, recovery: str | None = None) -> None:
    """Content addressing: a node's bytes must hash to the address it was read under."""
    if hasher(enc) != node_hash:
        raise StorageDamaged("nodes", f"node {node_hash.hex()}", "its bytes do not hash to its address "
                             "(a damaged Merkle node)", recovery=recovery)


def _bit(h: bytes, depth: int) -> int:
    return (h[depth >> 3] >> (7 - (depth & 7))) & 1


class SparseMerkleTree:
    """Reads nodes from `source`; new nodes collect in `pending` until persisted.

    Every node read from `source` is re-hashed against its address, unless
    `source_checks` says the source does that itself (a Store after
    `verify_nodes_with`, which then checks each node once, as it comes off the disk)
    or holds only nodes this process computed."""

    def __init__(self, hasher: Hasher, source: NodeSource, *, source_checks: bool = False):
        self.hash = hasher
        self.source = source
        self.pending: dict[bytes, bytes] = {}
        self.check_reads = not source_checks

    # -- node access -------------------------------------------------------------
    def node(self, node_hash: bytes) -> bytes:
        enc = self.pending.get(node_hash)
        if enc is None:
            enc = self.source.get_node(node_hash)
            if enc is None:
                raise MissingNode(node_hash)
            if self.check_reads:
                check_node(self.hash, node_hash, enc)
        return enc

    def _put(self, enc: bytes) -> bytes:
        h = self.hash(enc)
        self.pending[h] = enc
        return h

    def _leaf(self, key_hash: bytes, value_hash: bytes) -> bytes:
        return self._put(b"\x00" + key_hash + value_hash)

    # -- batch update ---------------------------------------------------------
    def update(self, root: bytes, changes: Mapping[bytes, bytes | None]) -> bytes:
        """New root after setting each key hash to a value hash (None deletes)."""
        if not changes:
            return root
        items = sorted(changes.items())
        return self._update(root, 0, items)

    def _split(self, items: Sequence[Change], depth: int) -> int:
        return bisect_left(items, 1, key=lambda it: _bit(it[0], depth))

    def _update(self, node_hash: bytes, depth: int, items: list[Change]) -> bytes:
        if not items:
            return node_hash
        if node_hash == EMPTY:
            return self._build(depth, [(k, v) for k, v in items if v is not None])
        enc = self.node(node_hash)
        if enc[0] == LEAF:
            existing = enc[1:33]
            if not any(k == existing for k, _ in items):
                items = sorted(items + [(existing, enc[33:65])])
            return self._build(depth, [(k, v) for k, v in items if v is not None])
        left, right = enc[1:33], enc[33:65]
        cut = self._split(items, depth)
        new_left = self._update(left, depth + 1, items[:cut])
        new_right = self._update(right, depth + 1, items[cut:])
        return self._join(new_left, new_right)

    def _join(self, left: bytes, right: bytes) -> bytes:
        """An internal node, collapsed to its only leaf when the other side is empty."""
        if left == EMPTY and right == EMPTY:
            return EMPTY
        if right == EMPTY and self.node(left)[0] == LEAF:
            return left
        if left == EMPTY and self.node(right)[0] == LEAF:
            return right
        return self._put(b"\x01" + left + right)

    def _build(self, depth: int, items: list[tuple[bytes, bytes]]) -> bytes:
        if not items:
            return EMPTY
        if len(items) == 1:
            return self._leaf(items[0][0], items[0][1])
        cut = self._split(items, depth)
        # two or more keys below: never collapses, even if one side is empty
        left = self._build(depth + 1, items[:cut])
        right = self._build(depth + 1, items[cut:])
        return self._put(b"\x01" + left + right)

    # -- reads and proofs -------------------------------------------------------
    def lookup(self, root: bytes, key_hash: bytes) -> tuple[bytes | None, list[bytes], tuple[bytes, bytes] | None]:
        """(value hash or None, siblings top-down, terminal leaf or None)."""
        siblings: list[bytes] = []
        node_hash, depth = root, 0
        while node_hash != EMPTY:
            enc = self.node(node_hash)
            if enc[0] == LEAF:
                leaf = (enc[1:33], enc[33:65])
                return (leaf[1] if leaf[0] == key_hash else None), siblings, leaf
            if _bit(key_hash, depth):
                siblings.append(enc[1:33])
                node_hash = enc[33:65]
            else:
                siblings.append(enc[33:65])
                node_hash = enc[1:33]
            depth += 1
        return None, siblings, None

    def prove(self, root: bytes, key_hash: bytes) -> dict[str, Any]:
        _, siblings, leaf = self.lookup(root, key_hash)
        return {"siblings": siblings, "leaf": list(leaf) if leaf else None}

    def iter_leaves(self, root: bytes) -> Iterable[tuple[bytes, bytes]]:
        stack = [root]
        while stack:
            h = stack.pop()
            if h == EMPTY:
                continue
            enc = self.node(h)
            if enc[0] == LEAF:
                yield enc[1:33], enc[33:65]
            else:
                stack.append(enc[33:65])
                stack.append(enc[1:33])


def verify_proof(hasher: Hasher, root: bytes, key: bytes, value: bytes | None, proof: dict[str, Any]) -> bool:
    """True when `proof` shows `key` maps to `value` (or is absent, value None) under root.

    Standalone: uses nothing but the hash function. Raises ProofError on a
    malformed proof, returns False on a well-formed proof that does not match.
    """
    try:
        siblings = list(proof["siblings"])
        leaf = proof["leaf"]
    except (KeyError, TypeError):
        raise ProofError("proof must have 'siblings' and 'leaf'") from None
    if len(siblings) > 256 or any(not isinstance(s, bytes) or len(s) != 32 for s in siblings):
        raise ProofError("siblings must be at most 256 hashes of 32 bytes")
    key_hash = hasher(key)
    if leaf is None:
        if value is not None:
            return False
        node = EMPTY
    else:
        if not (isinstance(leaf, (list, tuple)) and len(leaf) == 2
                and all(isinstance(x, bytes) and len(x) == 32 for x in leaf)):
            raise ProofError("leaf must be [key hash, value hash]")
        leaf_key, leaf_value = leaf
        if value is not None:
            if leaf_key != key_hash or leaf_value != hasher(value):
                return False
        else:
            if leaf_key == key_hash:
                return False  # the key is present: this is not an absence proof
            # the other leaf must lie on our path for the depth it sits at
            if any(_bit(leaf_key, d) != _bit(key_hash, d) for d in range(len(siblings))):
                return False
        node = hasher(b"\x00" + leaf_key + leaf_value)
    for depth in range(len(siblings) - 1, -1, -1):
        sib = siblings[depth]
        if _bit(key_hash, depth):
            node = hasher(b"\x01" + sib + node)
        else:
            node = hasher(b"\x01" + node + sib)
    return node == root
