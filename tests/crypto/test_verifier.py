"""ParallelVerifier: the same verdicts as verifying one by one, in the same order."""

from __future__ import annotations

import os

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


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc: parent pid is field 4 of stat)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        out += children
        todo += children
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")
def test_the_pool_dies_with_a_killed_node():
    """Issue 24: kill -9 of `fae demo` left the verifier's worker processes and the resource
    tracker running for good (they block on a queue whose both ends they hold)."""
    import signal
    import subprocess
    import sys
    import time

    code = ("import os, time\n"
            "from faechain.crypto.verifier import ParallelVerifier\n"
            "v = ParallelVerifier('ed25519', workers=1)\n"
            "print(os.getpid(), flush=True)\n"
            "time.sleep(3600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(proc.stdout.readline())
        below = _descendants(pid)
        assert below, "the verifier started no worker process"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 120  # generous: a busy machine; the workers look every second
    while any(_alive(p) for p in below) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in below if _alive(p)] == []
