"""What tamper detection costs: the startup check, `fae verify`, and the on-read checks.

    python bench/integrity.py [--transfers N] [--repeat N]

Builds a receivables ledger (chained voucher transfers: ~4 state keys written per
transaction, a state tree of tens of thousands of keys), then prints:
  * the startup check (`open_ledger`: quick_check, head block, root node, head values
    and a sample) and SQLite's quick_check alone, beside the database size;
  * `fae verify` (verify_home) over the whole ledger;
  * the on-read checks on the hot path: the same transfer workload on a freshly opened
    ledger (cold caches: every key is read from disk once), with the checks and without
    (interleaved copies, best of --repeat), and the time spent inside the checks
    themselves (node re-hashes and value-against-leaf lookups) as a share of the run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.receivables import DAY, HOLDERS, Chain, chained_transfers
from faechain.core.genesis import Genesis
from faechain.ledger import integrity, storage
from faechain.node import startup
from faechain.node.config import paths


def build(home: str, transfers: int) -> tuple[str, int]:
    c = Chain(home)
    c.run("bank", "grant_credit", core=c.org["core"], amount=10**15, expires=c.clock // 1000 + 300 * DAY)
    for _ in range(3):  # several chains of transfers: a wider state
        vid = c.root(10**9)
        chained_transfers(c, vid, "supplier1", transfers // 3)
    height = c.app.height
    c.store.close()
    return vid, height


class Timed:
    """Accumulates the time spent in the on-read checks."""

    def __init__(self) -> None:
        self.node_checks = 0
        self.node_seconds = 0.0
        self.value_checks = 0
        self.value_seconds = 0.0

    def install(self, store, hasher) -> None:
        timed = self
        original = storage.check_node

        def check_node(h, node_hash, enc, recovery=None):
            t = time.perf_counter()
            original(h, node_hash, enc, recovery)
            timed.node_seconds += time.perf_counter() - t
            timed.node_checks += 1

        storage.check_node = check_node
        checker = integrity.ValueChecker(store, hasher)

        def check_value(key, height, value):
            t = time.perf_counter()
            checker(key, height, value)
            timed.value_seconds += time.perf_counter() - t
            timed.value_checks += 1

        store.check_value = check_value


def workload(home: str, n: int, checks: bool, timed: Timed | None = None) -> float:
    """Seconds for n more transfers on a freshly opened copy of the ledger in `home`."""
    copy = tempfile.mkdtemp(prefix="fae-bench-integrity-")
    original_check = storage.check_node
    try:
        shutil.copytree(home, copy, dirs_exist_ok=True)
        genesis = Genesis.load(paths(copy)["genesis"])
        if checks:
            store, app = startup.open_ledger(paths(copy)["db"], genesis, engine="solo", home=copy)
            if timed is not None:
                timed.install(store, app.hash)
        else:
            from faechain.chain.application import Application
            from faechain.ledger.storage import Store

            store = Store(paths(copy)["db"])
            app = Application(store, genesis)
            store._node_hasher = None  # what a store without the checks does
            app.tree.check_reads = False
        c = Chain.__new__(Chain)
        c.genesis, c.store, c.app = genesis, store, app
        from faechain.devnet.demo import MEMBERS
        from faechain.identity.wallet import Identity

        c.ids = {m.name: Identity.load(copy, m.name) for m in MEMBERS}
        c.org = {k: v.org_id for k, v in c.ids.items()}
        c.clock = app.last_time + 1000
        c.nonce = 10**6
        vid = c.root(10**9)
        started = time.perf_counter()
        chained_transfers(c, vid, "supplier1", n)
        elapsed = time.perf_counter() - started
        store.close()
        return elapsed
    finally:
        storage.check_node = original_check
        shutil.rmtree(copy, ignore_errors=True)


def _vouchers_query(home: str):
    from faechain.devnet.demo import MEMBERS, demo_org_id

    supplier2 = demo_org_id([m.name for m in MEMBERS].index("supplier2") + 1)  # holds every piece passed on
    return "receivables", "vouchers", {"holder": supplier2, "limit": 1000}


def listing_cold(home: str, checks: bool) -> tuple[float, int]:
    """(seconds, records) of the first run of a listing query on a freshly opened ledger
    (Merkle nodes and, with the checks, every value's leaf looked up for the first time)."""
    from faechain.chain.application import Application
    from faechain.ledger.storage import Store

    genesis = Genesis.load(paths(home)["genesis"])
    db = paths(home)["db"]
    if checks:
        store, app = startup.open_ledger(db, genesis, engine="solo", home=None)
    else:
        store = Store(db)
        app = Application(store, genesis)
        store._node_hasher = None
        app.tree.check_reads = False
    try:
        started = time.perf_counter()
        rows = app.run_query(*_vouchers_query(home), None)
        return time.perf_counter() - started, len(rows)
    finally:
        store.close()


def listing_warm(home: str, repeat: int) -> tuple[float, float, int]:
    """(best seconds without, with the value checks, values read) of the same listing run
    again and again in one process, the checks switched off and on in turn."""
    genesis = Genesis.load(paths(home)["genesis"])
    store, app = startup.open_ledger(paths(home)["db"], genesis, engine="solo", home=None)
    checker, reads = store.check_value, [0]

    def counting(key, height, value):
        reads[0] += 1
        checker(key, height, value)

    try:
        query = _vouchers_query(home)
        store.check_value = counting
        app.run_query(*query, None)
        values = reads[0]
        runs = {False: [], True: []}
        for _ in range(max(repeat, 5)):
            for on in (False, True):
                store.check_value = checker if on else None
                started = time.perf_counter()
                app.run_query(*query, None)
                runs[on].append(time.perf_counter() - started)
        return min(runs[False]), min(runs[True]), values
    finally:
        store.close()


def served_rows(home: str, repeat: int) -> tuple[float, float, float, int]:
    """(best seconds without the row checks, first pass with them, again with them, rows) of
    reading every block as the API serves it: the header, the block's transactions and each
    transaction again by its hash (GET /v1/blocks/{h} then GET /v1/txs/{hash})."""
    from faechain.ledger.served import BlockChecker

    genesis = Genesis.load(paths(home)["genesis"])
    store, app = startup.open_ledger(paths(home)["db"], genesis, engine="solo", home=None)

    def read_all() -> int:
        rows = 0
        for h in range(app.height + 1):
            store.block(h)
            for _, tx_hash, _, _ in store.block_txs(h):
                store.tx(tx_hash)
                rows += 1
        return rows

    try:
        off, first, again = [], [], []
        rows = 0
        for _ in range(repeat):
            store.check_rows = None
            t = time.perf_counter()
            rows = read_all()
            off.append(time.perf_counter() - t)
            store.check_rows = BlockChecker(store, app.hash, genesis.chain_id, max_blocks=app.height + 1)
            t = time.perf_counter()
            read_all()
            first.append(time.perf_counter() - t)
            t = time.perf_counter()
            read_all()
            again.append(time.perf_counter() - t)
        return min(off), min(first), min(again), rows
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transfers", type=int, default=6000, help="transfers in the ledger built first")
    ap.add_argument("--work", type=int, default=2000, help="transfers in the measured workload")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    home = tempfile.mkdtemp(prefix="fae-bench-integrity-home-")
    try:
        _, height = build(home, args.transfers)
        db = paths(home)["db"]
        genesis = Genesis.load(paths(home)["genesis"])
        size = os.path.getsize(db) + (os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0)
        from faechain.ledger.storage import Store

        store = Store(db)
        keys = store.read.execute("SELECT COUNT(DISTINCT key) FROM kv").fetchone()[0]
        nodes = store.read.execute("SELECT COUNT(*) FROM nodes").fetchone()[0]
        best_qc = min(_quick_check(store) for _ in range(args.repeat))
        best = None
        for _ in range(args.repeat):
            r = integrity.check_startup(store, genesis, mark=integrity.HeadMark(db))
            best = r if best is None or r.seconds < best.seconds else best
        store.close()
        print(f"ledger: {height} blocks, {keys:,} state keys, {nodes:,} Merkle nodes, {size / 1e6:.1f} MB")
        print(f"startup check: {best.seconds * 1000:.0f} ms (quick_check {best_qc * 1000:.0f} ms of it; "
              f"{best.values_checked} values against their leaves)")
        from faechain.cli.verify import verify_home

        t = time.perf_counter()
        report = verify_home(home)
        print(f"fae verify: {time.perf_counter() - t:.2f} s ({'ok' if report.ok else report.first})")

        on, off = [], []
        for _ in range(args.repeat):
            off.append(workload(home, args.work, False))
            on.append(workload(home, args.work, True))
        print(f"{args.work} transfers on a freshly opened ledger: without the on-read checks "
              f"{args.work / min(off):,.0f} tx/s, with them {args.work / min(on):,.0f} tx/s "
              f"({min(on) / min(off) - 1:+.1%} time; best of {args.repeat})")
        cold = {False: [], True: []}
        for _ in range(args.repeat):
            for checks in (False, True):
                seconds, records = listing_cold(home, checks)
                cold[checks].append(seconds)
        off, on = min(cold[False]), min(cold[True])
        warm_off, warm_on, values = listing_warm(home, args.repeat)
        print(f"a listing query returning {records:,} records (receivables.vouchers by holder; "
              f"{values:,} values read), "
              f"first run after start: {off * 1000:.0f} ms without the checks, {on * 1000:.0f} ms with them "
              f"({on / off - 1:+.0%}: {(on - off) / values * 1e6:.0f} us per value); run again: "
              f"{warm_off * 1000:.0f} ms / {warm_on * 1000:.0f} ms ({warm_on / warm_off - 1:+.1%})")
        off, first, again, rows = served_rows(home, args.repeat)
        print(f"serving every block and each of its {rows:,} transactions twice (by block, then by hash): "
              f"{off * 1000:.0f} ms without the row checks, {first * 1000:.0f} ms checking each block the first "
              f"time ({first / off - 1:+.0%}), {again * 1000:.0f} ms with the blocks already checked "
              f"({again / off - 1:+.0%}; best of {args.repeat})")
        timed = Timed()
        total = workload(home, args.work, True, timed)
        print(f"inside the checks: {timed.node_checks:,} nodes re-hashed ({timed.node_seconds * 1000:.0f} ms), "
              f"{timed.value_checks:,} values against their leaves ({timed.value_seconds * 1000:.0f} ms): "
              f"{(timed.node_seconds + timed.value_seconds) / total:.1%} of the run "
              f"({(timed.value_seconds / max(timed.value_checks, 1)) * 1e6:.0f} us per value, "
              f"{(timed.node_seconds / max(timed.node_checks, 1)) * 1e6:.1f} us per node)")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _quick_check(store) -> float:
    t = time.perf_counter()
    integrity.quick_check(store.read)
    return time.perf_counter() - t


if __name__ == "__main__":
    _ = HOLDERS
    main()
