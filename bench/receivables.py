"""Receivables at scale: transfer cost by tier, and clearing a root split 10,000 ways.

    python bench/receivables.py [--transfers N] [--pieces N]

1. Transfers at tier 2 and at tier 50: a voucher is passed down 49 tiers first; then
   N transfers are made from a tier-2 piece and N from a tier-50 piece (each from the
   previous transfer's remainder, which stays at the same tier), committed in blocks of
   500 through check_txs + finalize_block + commit. Per-step cost must not depend on depth.
2. Clearing: one root is split into `--pieces` live pieces, the settlement bank confirms
   payment at maturity (a round), the blocks whose end_block instructs the pieces are timed
   one by one, and then the rail's confirmations of every piece's instruction (500 a
   transaction, the most one carries, 10 transactions a block) until the root is PAID.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import tempfile
import time

from bench.demo_chain import DemoChain
from faechain.core.encoding import decode

DAY = 86_400
DOC = hashlib.sha256(b"bench").hexdigest()


class Chain(DemoChain):
    def sign(self, who: str, method: str, **args) -> bytes:
        return self.sign_call(who, "receivables", method, **args)

    def block(self, txs: list[bytes]):
        return self.commit(txs)

    def run(self, who: str, method: str, **args):
        return self.block([self.sign(who, method, **args)]).receipts[0].result

    def root(self, amount: int) -> str:
        """An accepted root voucher of `core` held by supplier1."""
        now = self.clock // 1000
        number = f"{self.nonce:08d}"
        self.run("supplier1", "register_invoice", code="011002600111", number=number, seller=self.org["supplier1"],
                 buyer=self.org["core"], amount=amount, date=now - DAY, doc_hash=DOC)
        # the tax service attests it: an unverified invoice backs only a small amount
        self.run("taxservice", "verify_invoice", invoice=f"011002600111-{number}", seller=self.org["supplier1"],
                 buyer=self.org["core"], amount=amount, status="NORMAL", reference=f"SW-{number}")
        vid = self.run("core", "issue", to=self.org["supplier1"], amount=amount, maturity=now + 30 * DAY,
                       invoices=[[f"011002600111-{number}", amount]], contract_hash=DOC)["voucher"]
        self.run("supplier1", "accept", id=vid)
        return vid


HOLDERS = ("supplier1", "supplier2", "supplier3")


def chained_transfers(c: Chain, vid: str, holder: str, n: int, block_size: int = 500) -> float:
    """n transfers of 1 fen each from `vid` and then from each remainder; seconds taken."""
    to = c.org[HOLDERS[(HOLDERS.index(holder) + 1) % 3]]
    start = time.perf_counter()
    done = 0
    while done < n:
        size = min(block_size, n - done)
        height = c.app.height + 1
        txs = []
        for i in range(size):
            txs.append(c.sign(holder, "transfer", id=vid, to=to, amount=1))
            vid = f"V-{height}-{i}-2"  # the remainder this transfer will mint (ids are deterministic)
        c.block(txs)
        done += size
    return time.perf_counter() - start


def _on_copy(home: str, measure) -> float:
    """Run `measure(chain)` on a copy of the ledger in `home` (best of two copies)."""
    best = None
    for _ in range(2):
        copy = tempfile.mkdtemp(prefix="fae-bench-copy-")
        try:
            shutil.copytree(home, copy, dirs_exist_ok=True)
            k = Chain(copy)
            k.clock = _next_clock(k)
            k.nonce = 10**6  # fresh nonces: new transactions, not replays
            t = measure(k)
            rows = k.store.read.execute("SELECT COUNT(*) FROM kv WHERE height=?", (k.app.height,)).fetchone()[0]
            txs = len(k.store.block_txs(k.app.height))
            _writes.append(rows / txs)
            k.store.close()
            best = t if best is None else min(best, t)
        finally:
            shutil.rmtree(copy, ignore_errors=True)
    return best


_writes: list[float] = []  # state keys written per transaction in the last block measured


def _next_clock(c: Chain) -> int:
    return c.app.last_time + 1000


def bench_tiers(n: int) -> None:
    home = tempfile.mkdtemp(prefix="fae-bench-rcv-")
    try:
        c = Chain(home)
        c.run("bank", "grant_credit", core=c.org["core"], amount=10**15, expires=c.clock // 1000 + 300 * DAY)
        vid = c.root(10**12)
        # tier 2: one transfer down
        r = c.block([c.sign("supplier1", "transfer", id=vid, to=c.org["supplier2"], amount=10**11)]).receipts[0]
        tier2, rest = r.result["voucher"], r.result["remainder"]
        r = c.block([c.sign("supplier1", "transfer", id=rest, to=c.org["supplier2"], amount=10**11)]).receipts[0]
        # tier 50: keep passing a second tier-2 piece down, 1 fen less each time
        deep, holder, amount = r.result["voucher"], "supplier2", 10**11
        for _ in range(48):
            nxt = HOLDERS[(HOLDERS.index(holder) + 1) % 3]
            amount -= 1
            r = c.block([c.sign(holder, "transfer", id=deep, to=c.org[nxt], amount=amount)]).receipts[0]
            deep, holder = r.result["voucher"], nxt
        tier = c.app.run_query("receivables", "voucher", {"id": deep}, None)["voucher"]["tier"]
        assert tier == 50, tier
        # measure each on its own copy of the same ledger, so both start from the
        # same state size (the Merkle tree deepens as state grows, whatever the tier)
        c.store.close()
        t2 = _on_copy(home, lambda k: chained_transfers(k, tier2, "supplier2", n))
        t50 = _on_copy(home, lambda k: chained_transfers(k, deep, holder, n))
        print(f"transfers at tier 2:  {n / t2:,.0f} /s ({t2 / n * 1e6:,.0f} us each, {n} transfers)")
        print(f"transfers at tier 50: {n / t50:,.0f} /s ({t50 / n * 1e6:,.0f} us each, {n} transfers)")
        print(f"ratio tier-50 cost / tier-2 cost: {t50 / t2:.2f} (1.00 = independent of depth)")
        print(f"state keys written per transfer: tier 2 {_writes[0]:.2f}, tier 50 {_writes[-1]:.2f}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def pending_instructions(c: Chain) -> list[dict]:
    """Every PENDING clearing instruction, oldest first, read straight from the committed state."""
    rows = [decode(v) for _, v in c.store.scan_prefix(b"payments/instruction/", None, 10**9)]
    return sorted((i for i in rows if i["status"] == "PENDING"), key=lambda i: (i["created_at"], i["id"]))


def bench_clearing(pieces: int) -> None:
    home = tempfile.mkdtemp(prefix="fae-bench-clear-")
    try:
        c = Chain(home)
        c.run("bank", "grant_credit", core=c.org["core"], amount=10**15, expires=c.clock // 1000 + 300 * DAY)
        total = pieces * 100
        vid = c.root(total)
        t = chained_transfers(c, vid, "supplier1", pieces - 1, block_size=1000)
        print(f"split one root into {pieces} live pieces: {t:.1f} s")
        root = c.app.run_query("receivables", "voucher", {"id": vid}, None)["root"]
        c.clock = (root["maturity"] + 1) * 1000
        confirm = c.sign("bank", "confirm_payment", root=vid, amount=total, bank_ref="BENCH-1")
        times = []
        start = time.perf_counter()
        r = c.block([confirm])
        times.append(time.perf_counter() - start)
        instructed_now = sum(1 for e in r.end_events if e["type"] == "ClearingInstructed")
        while c.app.run_query("receivables", "voucher", {"id": vid}, None)["root"]["round"]:
            s = time.perf_counter()
            c.block([])
            times.append(time.perf_counter() - s)
        print(f"instructing {pieces} pieces: {len(times)} blocks; confirm block {times[0]:.2f} s "
              f"({instructed_now} pieces instructed in it); following blocks "
              f"{', '.join(f'{x:.2f}' for x in times[1:])} s; longest {max(times):.2f} s, total {sum(times):.2f} s")
        todo = pending_instructions(c)
        batches = [c.sign_call("bank", "payments", "confirm",
                               results=[[i["id"], "PAID", f"RAIL-{i['id']}"] for i in todo[at:at + 500]])
                   for at in range(0, len(todo), 500)]
        paying = []
        for at in range(0, len(batches), 10):
            s = time.perf_counter()
            r = c.block(batches[at:at + 10])
            paying.append(time.perf_counter() - s)
            assert all(x.ok for x in r.receipts), [(x.code, x.message) for x in r.receipts if not x.ok][:3]
        status = c.app.run_query("receivables", "voucher", {"id": vid}, None)["root"]["status"]
        assert status == "PAID", status
        print(f"the rail confirming {len(todo)} instructions ({len(batches)} transactions of up to 500): "
              f"{len(paying)} blocks, longest {max(paying):.2f} s, total {sum(paying):.2f} s "
              f"({sum(paying) / len(todo) * 1e6:,.0f} us a piece paid); root {status}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transfers", type=int, default=2000)
    ap.add_argument("--pieces", type=int, default=10_000)
    a = ap.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    bench_tiers(a.transfers)
    bench_clearing(a.pieces)


if __name__ == "__main__":
    main()
