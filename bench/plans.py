"""Plans at their limits: a 200-asset pool, its penetration answer, and paying 200 locked pieces.

    python bench/plans.py [--assets 200]

1. Pooling: supplier1 passes `--assets` pieces of one root to supplier2 (1 fen each
   plus change), supplier2 sponsors a plan and pools all of them (50 per transaction).
2. Penetration: `plans.penetrate(prove=True)` over that plan (each asset brings its
   pool entry, voucher, root and invoice), then `faechain.sdk.penetration.verify` of
   the JSON answer, as an investor's SDK runs it. Times are the median of 5.
3. Paying locked pieces: at maturity the settlement bank confirms the root (end_block
   instructs every piece in that block); then the rail confirms every piece's instruction,
   500 to a transaction, in one block: all `--assets` locked pieces are paid, and the plan
   credited, inside those confirmations. That block is timed against the rail's block
   confirming a root of the same size with no locks.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import tempfile
import time

from bench.demo_chain import DemoChain
from faechain.core.encoding import decode
from faechain.core.wire import jsonable
from faechain.sdk.penetration import verify

DAY = 86_400
DOC = hashlib.sha256(b"bench").hexdigest()


class Chain(DemoChain):
    def sign(self, who: str, contract: str, method: str, **args) -> bytes:
        return self.sign_call(who, contract, method, **args)

    def block(self, txs: list[bytes]):
        """Commit one block; its result and the seconds it took to execute and commit."""
        assert all(c.ok for c in self.app.check_txs(txs, self.clock))
        t0 = time.perf_counter()
        result = self.commit(txs, check=False)
        return result, time.perf_counter() - t0

    def run(self, who: str, contract: str, method: str, **args):
        return self.block([self.sign(who, contract, method, **args)])[0].receipts[0].result


def pay_root(c: Chain, root: str, amount: int):
    """The bank confirms `amount` paid on `root` (end_block instructs the pieces in that block), then
    confirms every instruction PAID, 500 to a transaction, all in one block: that block's result
    and the seconds it took."""
    _, _ = c.block([c.sign("bank", "receivables", "confirm_payment", root=root, amount=amount, bank_ref=root)])
    rows = [decode(v) for _, v in c.store.scan_prefix(b"payments/instruction/", None, 10**9)]
    todo = sorted(i["id"] for i in rows if i["status"] == "PENDING")
    result, seconds = c.block([c.sign("bank", "payments", "confirm", results=[[i, "PAID", f"RAIL-{i}"]
                                                                              for i in todo[at:at + 500]])
                               for at in range(0, len(todo), 500)])
    assert all(r.ok for r in result.receipts), [(r.code, r.message) for r in result.receipts if not r.ok][:3]
    assert c.app.run_query("receivables", "voucher", {"id": root}, None)["root"]["status"] == "PAID"
    return result, seconds


def split_root(c: Chain, pieces: int, days: int) -> tuple[str, list[str]]:
    """A root of `core` whose `pieces` pieces of 1 fen sit with supplier2; (root, pieces)."""
    now = c.clock // 1000
    amount = pieces + 1_000_000
    number = f"{c.nonce:08d}"
    c.run("supplier1", "receivables", "register_invoice", code="011002600111", number=number,
          seller=c.org["supplier1"], buyer=c.org["core"], amount=amount, date=now - DAY, doc_hash=DOC)
    root = c.run("core", "receivables", "issue", to=c.org["supplier1"], amount=amount, maturity=now + days * DAY,
                 invoices=[[f"011002600111-{number}", amount]], contract_hash=DOC, settlement_bank=c.org["bank"])
    root = root["voucher"]
    c.run("supplier1", "receivables", "accept", id=root)
    out, rest = [], root
    for _ in range(pieces):  # each transfer consumes the previous remainder: one per block
        res = c.run("supplier1", "receivables", "transfer", id=rest, to=c.org["supplier2"], amount=1)
        out.append(res["voucher"])
        rest = res["remainder"]
    return root, out


def header_checks(c: Chain, height: int) -> tuple[float, float]:
    """Seconds (median of 5) to establish the app hash of block `height` by signature, as
    the light client does before a penetration is checked: a solo chain's block signer
    signature over this chain's real header (`verify_solo`), and a CometBFT commit by 4
    validators reached in one skipping step (`verify_to` over a synthetic chain, the same
    hashing and Ed25519 checks as a real network's)."""
    from faechain.core.block import header_signing_bytes
    from faechain.sdk.light import cometbft as cb
    from faechain.sdk.light.solo import verify_solo
    from faechain.sdk.light.synthetic import NANOS, Signer, SyntheticChain, private_key

    block_hash, header = c.store.block(height)
    key = c.app.suite.generate()
    doc = {"engine": "solo", "height": height, "header_bytes": header.hex(), "block_hash": block_hash.hex(),
           "signer": key.public().raw().hex(),
           "signature": key.sign(header_signing_bytes(c.genesis.chain_id, height, block_hash)).hex()}
    solo = []
    for _ in range(5):
        t0 = time.perf_counter()
        verify_solo(doc, c.genesis.chain_id, key.public().raw(), c.app.suite, c.app.hash, height=height)
        solo.append(time.perf_counter() - t0)
    signers = [Signer(private_key(f"bench validator {i}"), 10) for i in range(4)]
    comet = []
    for _ in range(5):
        chain = SyntheticChain("bench", lambda h: signers, 1_800_000_000 * NANOS)
        anchor, target = chain(1), cb.light_block_to_json(chain(height + 1))
        t0 = time.perf_counter()
        block = cb.light_block_from_json(target)
        cb.verify_to(anchor, height + 1, lambda h, block=block: block, now_ms=(1_800_000_000 + height + 2) * 1000)
        comet.append(time.perf_counter() - t0)
    return statistics.median(solo), statistics.median(comet)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=200)
    args = ap.parse_args()
    n = args.assets
    tmp = tempfile.mkdtemp(prefix="bench-plans-")
    try:
        c = Chain(os.path.join(tmp, "home"))
        c.run("bank", "receivables", "grant_credit", core=c.org["core"], amount=10**12,
              expires=c.clock // 1000 + 400 * DAY)
        root, pieces = split_root(c, n, days=30)
        plain_root, _ = split_root(c, n, days=30)
        plan = c.run("supplier2", "plans", "create", name="bench plan", underwriter=c.org["underwriter"],
                     servicer=c.org["factor"], settlement_bank=c.org["bank"], size=n, coupon_bps=400,
                     term_days=90)["plan"]
        t0 = time.perf_counter()
        for i in range(0, n, 50):
            c.run("supplier2", "plans", "pool", plan=plan, vouchers=pieces[i:i + 50])
        pool_s = time.perf_counter() - t0

        answer = None
        build, check = [], []
        for _ in range(5):
            t0 = time.perf_counter()
            answer = jsonable(c.app.run_query("plans", "penetrate", {"plan": plan, "prove": True},
                                              c.caller("regulator")))
            build.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            res = verify(answer, c.app.app_hash, c.app.hash)
            check.append(time.perf_counter() - t0)
            assert res.ok, res.problems[:3]
        elements = res.checked
        headers = header_checks(c, answer["height"])

        c.clock += 31 * DAY * 1000
        _, plain_s = pay_root(c, plain_root, n + 1_000_000)
        result, locked_s = pay_root(c, root, n + 1_000_000)
        credited = sum(1 for r in result.receipts for e in r.events if e["type"] == "CashFlowRecorded")
        assert credited == n, credited
        print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
              f"date {time.strftime('%Y-%m-%d')}")
        print(f"pooling {n} vouchers in {(n + 49) // 50} transactions: {pool_s * 1000:.0f} ms "
              f"({n / pool_s:,.0f} assets/s)")
        print(f"penetrate {n} assets ({elements} proven elements, {len(str(answer)) // 1024} KiB as JSON): "
              f"build {statistics.median(build) * 1000:.0f} ms, SDK verify {statistics.median(check) * 1000:.0f} ms "
              f"({elements / statistics.median(check):,.0f} elements/s)")
        solo_s, comet_s = headers
        median = statistics.median(check)
        print(f"with the header check: a solo block signer's signature {solo_s * 1000:.2f} ms "
              f"({(median + solo_s) / median:.2f}x the proofs alone); a CometBFT commit of 4 validators, one "
              f"skipping step from a trusted header {comet_s * 1000:.2f} ms ({(median + comet_s) / median:.2f}x)")
        print(f"the rail confirming the instructions of {n} locked pieces (+ change), plan credited {credited} times: "
              f"{locked_s * 1000:.0f} ms; the same root without locks: {plain_s * 1000:.0f} ms "
              f"(ratio {locked_s / plain_s:.1f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
