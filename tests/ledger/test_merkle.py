"""Ordered Merkle roots: RFC 6962 shape (checked against Certificate Transparency's vectors)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faechain.core.merkle import EMPTY_ROOT, merkle_root


def H(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 Merkle Tree Hash, written from the RFC (recursive, k < n)."""
    n = len(leaves)
    if n == 1:
        return H(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return H(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


# RFC 6962 / certificate-transparency test leaves and roots of the first n leaves
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("n", range(1, 9))
def test_certificate_transparency_vectors(n):
    leaves = [bytes.fromhex(x) for x in CT_LEAVES[:n]]
    assert merkle_root(H, leaves).hex() == CT_ROOTS[n - 1]


def test_empty_and_single():
    assert merkle_root(H, []) == EMPTY_ROOT == bytes(32)
    leaf = H(b"tx")
    assert merkle_root(H, [leaf]) == H(b"\x00" + leaf)  # a single leaf is still domain-separated
    assert merkle_root(H, [leaf]) != leaf


hashes = st.binary(min_size=32, max_size=32)


@settings(deadline=None)
@given(st.lists(hashes, min_size=1, max_size=70))
def test_matches_rfc6962(leaves):
    assert merkle_root(H, leaves) == mth(leaves)


@settings(deadline=None)
@given(st.lists(hashes, min_size=1, max_size=40), st.data())
def test_any_change_changes_the_root(leaves, data):
    root = merkle_root(H, leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    changed = list(leaves)
    changed[i] = bytes([changed[i][0] ^ 1]) + changed[i][1:]
    assert merkle_root(H, changed) != root
    assert merkle_root(H, leaves + [leaves[-1]]) != root  # no CVE-2012-2459 style duplication
    if len(set(leaves)) > 1:
        assert merkle_root(H, list(reversed(leaves))) != root or leaves == list(reversed(leaves))


def test_shape_depends_only_on_count():
    """Left subtree is the largest power of two below n: 5 leaves = (4-tree, 1)."""
    leaves = [H(bytes([i])) for i in range(5)]
    left = merkle_root(H, leaves[:4])
    right = H(b"\x00" + leaves[4])
    assert merkle_root(H, leaves) == H(b"\x01" + left + right)
    four = H(b"\x01" + H(b"\x01" + H(b"\x00" + leaves[0]) + H(b"\x00" + leaves[1]))
             + H(b"\x01" + H(b"\x00" + leaves[2]) + H(b"\x00" + leaves[3])))
    assert left == four


def test_interior_node_is_not_a_leaf():
    """Second-preimage resistance: a root over [a, b] is not a root over one 64-byte leaf."""
    a, b = H(b"a"), H(b"b")
    assert merkle_root(H, [a, b]) != merkle_root(H, [H(b"\x00" + a) + H(b"\x00" + b)])
