"""ParallelVerifier: the same verdicts as verifying one by one, in the same order."""

from __future__ import annotations

import pytest

from faechain.crypto.suite import get_suite
from faechain.crypto.verifier import INLINE_BELOW, ParallelVerifier

SUITE = get_suite("ed25519")


def items(n: int):
    keys = [SUITE.generate() for _ in range(3)]
    out, expected = [], []
    for i in range(n):
        k = keys[i % 3]
        msg = b"message %d" % i
        sig = k.sign(msg)
        kind = i % 5
        if kind == 1:
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        elif kind == 2:
            msg += b"!"
        raw = k.public().raw()
        if kind == 3:
            raw = b"\x01" * 5  # malformed key
        out.append((raw, sig, msg))
        expected.append(kind in (0, 4))
    return out, expected


def test_inline_only():
    v = ParallelVerifier("ed25519", workers=0)
    batch, expected = items(100)
    assert v.verify_many(batch) == expected
    v.close()


@pytest.mark.timeout(60)
def test_with_a_worker_process():
    v = ParallelVerifier("ed25519", workers=1)
    try:
        for n in (0, 1, INLINE_BELOW - 1, INLINE_BELOW, 301):
            batch, expected = items(n)
            assert v.verify_many(batch) == expected
    finally:
        v.close()
