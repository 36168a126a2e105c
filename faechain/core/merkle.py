"""Ordered Merkle roots (RFC 6962 shape) for a block's transactions and results."""

from __future__ import annotations

from collections.abc import Callable, Sequence

EMPTY_ROOT = bytes(32)


def merkle_root(hasher: Callable[[bytes], bytes], leaves: Sequence[bytes]) -> bytes:
    """Root over `leaves` (already hashes): leaf = H(0x00||h), node = H(0x01||l||r).

    The split point is the largest power of two below n, as in RFC 6962, so the
    tree shape depends only on the number of leaves.
    """
    if not leaves:
        return EMPTY_ROOT
    level = [hasher(b"\x00" + leaf) for leaf in leaves]
    return _root(hasher, level)


def _root(hasher: Callable[[bytes], bytes], nodes: Sequence[bytes]) -> bytes:
    n = len(nodes)
    if n == 1:
        return nodes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return hasher(b"\x01" + _root(hasher, nodes[:k]) + _root(hasher, nodes[k:]))
