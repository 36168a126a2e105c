"""Crash safety: kill -9 a node while it commits, restart it, lose nothing it reported.

A child process runs an Application and a SoloEngine on a node home and streams
signed transactions into it, printing each transaction's hash (flushed) only after
its receipt future resolved, i.e. after the engine reported it committed. The parent
kills the child with SIGKILL at a random moment, restarts it on the same database, and
repeats. At the end every reported hash must be in the store with an ok receipt, the
head block must be complete, and `verify_chain` must pass.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from faechain.chain.application import Application
from faechain.core.encoding import decode
from faechain.core.genesis import Genesis
from faechain.ledger.storage import Store
from faechain.node.config import paths
from faechain.node.verify import verify_chain

CHILD = r'''
import collections, sys
from faechain.chain.application import Application
from faechain.engines.solo import SoloEngine
from faechain.ledger.storage import Store
from faechain.node.config import paths
from faechain.core.genesis import Genesis
from faechain.identity.wallet import Identity

home, round_no = sys.argv[1], int(sys.argv[2])
p = paths(home)
genesis = Genesis.load(p["genesis"])
app = Application(Store(p["db"]), genesis)
engine = SoloEngine(app, block_interval=0.002, heartbeat=3600)
engine.start()
signer = Identity.load(home, "exchange")
target = next(o["id"] for o in genesis.orgs if o["type"] == "BANK")
out = sys.stdout
out.write(f"ready {app.height} {app.app_hash.hex()}\n")
out.flush()
pending = collections.deque()
i = 0
while True:
    while len(pending) < 48:  # keep the engine busy: blocks of many transactions
        raw = signer.sign_tx(genesis.chain_id, "membership", "set_attributes",
                             {"org_id": target, "attributes": {"round": round_no, "i": i}},
                             now_ms=engine.now_ms())
        i += 1
        pending.append(engine.submit_async(raw))
    check, receipt = pending.popleft()
    c = check.result(60)
    if not c.ok:
        out.write(f"error check {c.code} {c.message}\n")
        out.flush()
        sys.exit(3)
    r = receipt.result(60)
    if r.code != "ok":
        out.write(f"error receipt {r.code} {r.message}\n")
        out.flush()
        sys.exit(4)
    out.write(f"{r.tx_hash.hex()} {r.height}\n")  # one write, one flush: reported committed
    out.flush()
'''

ROUNDS = 4


def _reader(stream, lines: queue.Queue) -> None:
    buf = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        buf += chunk
        *complete, buf = buf.split(b"\n")
        for line in complete:
            lines.put(line.decode())
    if buf:
        lines.put(("partial", buf.decode(errors="replace")))  # an unfinished line reports nothing
    lines.put(None)


class Child:
    def __init__(self, home: str, round_no: int, log_path: str):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, home, str(round_no)],
            stdout=subprocess.PIPE, stderr=self.log, cwd=home,
        )
        self.lines: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=_reader, args=(self.proc.stdout, self.lines), daemon=True)
        self.thread.start()

    def next_line(self, timeout: float):
        return self.lines.get(timeout=timeout)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL
        self.thread.join(timeout=30)
        self.log.close()

    def drain(self) -> list:
        out = []
        while True:
            item = self.lines.get(timeout=30)
            if item is None:
                return out
            out.append(item)


def _log_text(path: str) -> str:
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")[-4000:]


@pytest.mark.timeout(180)
def test_kill9_loses_nothing_reported(consortium_home, tmp_path):
    home = consortium_home
    rnd = random.Random(int.from_bytes(os.urandom(4), "big"))
    log_path = str(tmp_path / "child.log")
    reported: dict[str, int] = {}  # tx hash -> height the child reported
    last_reported_height = 0
    for round_no in range(ROUNDS):
        child = Child(home, round_no, log_path)
        try:
            first = child.next_line(timeout=60)
        except queue.Empty:
            child.kill()
            pytest.fail(f"child did not start:\n{_log_text(log_path)}")
        assert isinstance(first, str) and first.startswith("ready "), (first, _log_text(log_path))
        ready_height = int(first.split()[1])
        # durability: the restarted node is at least as far as everything reported before
        assert ready_height >= last_reported_height
        # let it commit for a while, then kill it at a random moment
        want = rnd.randint(50, 1200)
        got = []
        deadline = time.monotonic() + 20
        while len(got) < want and time.monotonic() < deadline:
            try:
                item = child.next_line(timeout=5)
            except queue.Empty:
                continue
            if item is None:
                break
            got.append(item)
        time.sleep(rnd.uniform(0, 0.05))  # land anywhere inside the commit cycle
        child.kill()
        got += child.drain()
        errors = [g for g in got if isinstance(g, str) and g.startswith("error")]
        assert not errors, (errors, _log_text(log_path))
        hashes = [g for g in got if isinstance(g, str)]
        assert hashes, f"round {round_no} reported nothing:\n{_log_text(log_path)}"
        for line in hashes:
            tx_hash, height = line.split()
            assert len(tx_hash) == 64
            reported[tx_hash] = int(height)
        last_reported_height = max(reported.values())
        print(f"round {round_no}: ready at {ready_height}, {len(hashes)} reported, up to height {last_reported_height}")

    # restart once more, in-process: everything reported is there, complete and verifiable
    p = paths(home)
    genesis = Genesis.load(p["genesis"])
    store = Store(p["db"])
    try:
        app = Application(store, genesis)
        head = app.info()
        assert head.height >= last_reported_height
        assert head.height == max(store.all_heights())
        head_hash, header = store.block(head.height)
        assert head_hash == head.block_hash and decode(header)["app_hash"] == head.app_hash
        for tx_hash, height in reported.items():
            row = store.tx(bytes.fromhex(tx_hash))
            assert row is not None, f"reported transaction {tx_hash} (height {height}) is missing"
            got_height, _, _, receipt = row
            rec = decode(receipt)
            assert got_height == height and rec["code"] == "ok" and rec["tx"].hex() == tx_hash
        report = verify_chain(store, genesis)
        assert report.ok, report
        assert report.txs >= len(reported)
        # and the node keeps working after the last crash
        from faechain.identity.wallet import Identity

        ident = Identity.load(home, "exchange")
        bank = next(o["id"] for o in genesis.orgs if o["type"] == "BANK")
        now = max(app.last_time, int(time.time() * 1000))
        raw = ident.sign_tx(genesis.chain_id, "membership", "set_attributes",
                            {"org_id": bank, "attributes": {"after": True}}, now_ms=now)
        assert app.check_tx(raw, now).ok
        r = app.finalize_block(app.height + 1, now, [raw])
        app.commit()
        assert r.receipts[0].ok
    finally:
        store.close()
