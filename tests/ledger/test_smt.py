"""The compacted sparse Merkle tree against a dict model and an independent reference root;
inclusion and absence proofs, and what must make them fail (property tests)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faechain.ledger.smt import EMPTY, ProofError, SparseMerkleTree, verify_proof

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def H(b: bytes) -> bytes:
    """Test hasher: 32-byte inputs (crafted key/value hashes) map to themselves, so tests can
    place keys anywhere (even 255 shared bits); node encodings (65 bytes) get SHA-256."""
    return b if len(b) == 32 else sha(b)


class NoNodes:
    def get_node(self, node_hash: bytes):
        return None


def new_tree(hasher=H) -> SparseMerkleTree:
    return SparseMerkleTree(hasher, NoNodes())


def bit(h: bytes, depth: int) -> int:
    return (h[depth // 8] >> (7 - depth % 8)) & 1


def ref_root(hasher, items: dict[bytes, bytes], depth: int = 0) -> bytes:
    """The specified root, computed from scratch (written from docs/encoding.md)."""
    if not items:
        return EMPTY
    if len(items) == 1:
        ((k, v),) = items.items()
        return hasher(b"\x00" + k + v)
    left = {k: v for k, v in items.items() if not bit(k, depth)}
    right = {k: v for k, v in items.items() if bit(k, depth)}
    return hasher(b"\x01" + ref_root(hasher, left, depth + 1) + ref_root(hasher, right, depth + 1))


def lcp_bits(a: bytes, b: bytes) -> int:
    n = 0
    while n < 256 and bit(a, n) == bit(b, n):
        n += 1
    return n


# crafted key hashes: random ones, and families sharing 160 or 248 leading bits
key_hashes = st.one_of(
    st.binary(min_size=32, max_size=32),
    st.builds(lambda t: b"\x00" * 20 + t, st.binary(min_size=12, max_size=12)),
    st.builds(lambda t: b"\xa5" * 31 + t, st.binary(min_size=1, max_size=1)),
)
value_hashes = st.binary(min_size=32, max_size=32)


@st.composite
def batches(draw):
    pool = draw(st.lists(key_hashes, min_size=1, max_size=14, unique=True))
    ops = st.dictionaries(st.sampled_from(pool), st.none() | value_hashes, max_size=10)
    return pool, draw(st.lists(ops, min_size=1, max_size=8))


@SETTINGS
@given(batches())
def test_matches_dict_model(data):
    pool, seq = data
    tree, root, model = new_tree(), EMPTY, {}
    for batch in seq:
        root = tree.update(root, batch)
        for k, v in batch.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        assert root == ref_root(H, model)
        assert dict(tree.iter_leaves(root)) == model
        for k in pool:
            value, _, _ = tree.lookup(root, k)
            assert value == model.get(k)
    # the same final state built in one batch, from scratch
    assert new_tree().update(EMPTY, model) == root
    # deleting everything gives the empty root
    assert tree.update(root, {k: None for k in pool}) == EMPTY


@SETTINGS
@given(st.dictionaries(key_hashes, value_hashes, max_size=16), st.randoms(use_true_random=False))
def test_root_independent_of_order_and_batching(model, rnd):
    expected = ref_root(H, model)
    items = list(model.items())
    rnd.shuffle(items)
    tree, root = new_tree(), EMPTY
    i = 0
    while i < len(items):  # random batch sizes, random order
        n = rnd.randint(1, 4)
        root = tree.update(root, dict(items[i : i + n]))
        i += n
    assert root == expected
    # detours: insert extra keys then delete them again, in another batching
    extra = {bytes([rnd.randrange(256)]) * 32: b"\x01" * 32 for _ in range(3)}
    extra = {k: v for k, v in extra.items() if k not in model}
    root2 = tree.update(root, extra)
    root2 = tree.update(root2, {k: None for k in extra})
    assert root2 == expected
    # overwriting with the same value changes nothing
    if model:
        assert tree.update(root, dict(items[:2])) == root


@SETTINGS
@given(st.dictionaries(key_hashes, value_hashes, min_size=1, max_size=16))
def test_compaction_proofs_are_minimal(model):
    """A leaf sits just below the first bit that separates it from every other key."""
    tree = new_tree()
    root = tree.update(EMPTY, model)
    for k in model:
        proof = tree.prove(root, k)
        others = [lcp_bits(k, o) for o in model if o != k]
        assert len(proof["siblings"]) == (max(others) + 1 if others else 0)


def test_empty_tree_and_single_leaf():
    tree = new_tree(sha)
    assert tree.update(EMPTY, {}) == EMPTY
    assert verify_proof(sha, EMPTY, b"k", None, tree.prove(EMPTY, sha(b"k")))
    root = tree.update(EMPTY, {sha(b"k"): sha(b"v")})
    assert root == sha(b"\x00" + sha(b"k") + sha(b"v"))
    assert verify_proof(sha, root, b"k", b"v", tree.prove(root, sha(b"k")))
    assert tree.update(root, {sha(b"k"): None}) == EMPTY
    assert tree.update(root, {sha(b"other"): None}) == root  # deleting an absent key


# -- proofs -----------------------------------------------------------------------

raw_keys = st.binary(min_size=0, max_size=12)


@st.composite
def proof_world(draw):
    """(hasher, tree, root, present {key: value}, absent keys), with real or crafted hashing."""
    crafted = draw(st.booleans())
    if crafted:
        keys = draw(st.lists(key_hashes, min_size=0, max_size=12, unique=True))
        absent = draw(st.lists(key_hashes, min_size=1, max_size=6, unique=True))
        values = st.binary(min_size=32, max_size=32)
        hasher = H
    else:
        keys = draw(st.lists(raw_keys, min_size=0, max_size=12, unique=True))
        absent = draw(st.lists(raw_keys, min_size=1, max_size=6, unique=True))
        values = st.binary(max_size=20).filter(lambda v: len(v) != 32)
        hasher = sha
    present = {k: draw(values) for k in keys}
    absent = [k for k in absent if k not in present]
    tree = new_tree(hasher)
    root = tree.update(EMPTY, {hasher(k): hasher(v) for k, v in present.items()})
    return hasher, tree, root, present, absent


def flip(b: bytes, i: int = 0) -> bytes:
    return bytes([b[i] ^ 1]) + b[i + 1 :] if i == 0 else b[:i] + bytes([b[i] ^ 1]) + b[i + 1 :]


@SETTINGS
@given(proof_world(), st.data())
def test_inclusion_proofs(world, data):
    hasher, tree, root, present, _ = world
    for k, v in present.items():
        proof = tree.prove(root, hasher(k))
        assert verify_proof(hasher, root, k, v, proof)
        assert not verify_proof(hasher, root, k, v + b"x", proof)  # wrong value
        assert not verify_proof(hasher, root, k, None, proof)  # present: not an absence proof
        assert not verify_proof(hasher, flip(root), k, v, proof)  # wrong root
        for other in present:
            if other != k:
                assert not verify_proof(hasher, root, other, v, proof)  # wrong key
                assert not verify_proof(hasher, root, other, present[other], proof)
        if proof["siblings"]:
            i = data.draw(st.integers(0, len(proof["siblings"]) - 1))
            bad = {"siblings": list(proof["siblings"]), "leaf": proof["leaf"]}
            bad["siblings"][i] = flip(bad["siblings"][i], data.draw(st.integers(0, 31)))
            assert not verify_proof(hasher, root, k, v, bad)  # flipped sibling
            assert not verify_proof(hasher, root, k, v, {"siblings": proof["siblings"][:-1], "leaf": proof["leaf"]})
        if len(proof["siblings"]) < 256:
            longer = {"siblings": list(proof["siblings"]) + [bytes(32)], "leaf": proof["leaf"]}
            assert not verify_proof(hasher, root, k, v, longer)


@SETTINGS
@given(proof_world(), st.data())
def test_absence_proofs(world, data):
    hasher, tree, root, present, absent = world
    for k in absent:
        proof = tree.prove(root, hasher(k))
        assert verify_proof(hasher, root, k, None, proof)
        assert not verify_proof(hasher, root, k, b"some value", proof)  # claims a value
        if root != EMPTY:
            assert not verify_proof(hasher, flip(root), k, None, proof)  # wrong root
        if proof["siblings"]:
            i = data.draw(st.integers(0, len(proof["siblings"]) - 1))
            bad = {"siblings": list(proof["siblings"]), "leaf": proof["leaf"]}
            bad["siblings"][i] = flip(bad["siblings"][i])
            assert not verify_proof(hasher, root, k, None, bad)
        # no proof of any key shows a present key absent
        for p in present:
            assert not verify_proof(hasher, root, p, None, proof)


@SETTINGS
@given(proof_world())
def test_no_proof_shows_a_present_key_absent(world):
    hasher, tree, root, present, absent = world
    proofs = [tree.prove(root, hasher(k)) for k in list(present) + absent]
    proofs.append({"siblings": [], "leaf": None})
    for p in present:
        for proof in proofs:
            assert not verify_proof(hasher, root, p, None, proof)


def test_proofs_against_historical_roots():
    tree = new_tree(sha)
    r1 = tree.update(EMPTY, {sha(b"a"): sha(b"1"), sha(b"b"): sha(b"2")})
    r2 = tree.update(r1, {sha(b"a"): sha(b"3"), sha(b"b"): None})
    assert verify_proof(sha, r1, b"a", b"1", tree.prove(r1, sha(b"a")))
    assert verify_proof(sha, r2, b"a", b"3", tree.prove(r2, sha(b"a")))
    assert verify_proof(sha, r2, b"b", None, tree.prove(r2, sha(b"b")))
    assert not verify_proof(sha, r2, b"a", b"1", tree.prove(r1, sha(b"a")))


@pytest.mark.parametrize(
    "proof",
    [
        {}, {"siblings": []}, {"leaf": None}, None, [], {"siblings": [b"x"], "leaf": None},
        {"siblings": [bytes(32)] * 257, "leaf": None}, {"siblings": ["00" * 32], "leaf": None},
        {"siblings": [], "leaf": [bytes(32)]}, {"siblings": [], "leaf": [bytes(31), bytes(32)]},
        {"siblings": [], "leaf": "leaf"}, {"siblings": [], "leaf": [bytes(32), None]},
    ],
)
def test_malformed_proofs_raise(proof):
    with pytest.raises(ProofError):
        verify_proof(sha, bytes(32), b"k", b"v", proof)


def test_leaf_as_tuple_is_accepted():
    tree = new_tree(sha)
    root = tree.update(EMPTY, {sha(b"a"): sha(b"1"), sha(b"b"): sha(b"2")})
    proof = tree.prove(root, sha(b"a"))
    assert verify_proof(sha, root, b"a", b"1", {"siblings": proof["siblings"], "leaf": tuple(proof["leaf"])})


def test_missing_node_is_reported():
    tree = new_tree(sha)
    root = tree.update(EMPTY, {sha(b"a"): sha(b"1"), sha(b"b"): sha(b"2")})
    tree.pending.clear()
    with pytest.raises(KeyError):
        tree.lookup(root, sha(b"a"))
