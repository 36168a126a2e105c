"""Member nodes against a full node, in one run (issue 18): sync rate against the chain's commit
rate, read latency on a member node against the validator, disk of each after the same workload.

    python -m bench.member_sync [--txs 3000]

A solo validator (signed headers) is seeded with the demo's sample business, then takes
`--txs` transactions through its engine: a quarter supplier3's invoices (which supplier3 sees),
the rest bank's credit lines to core2 (which supplier3 may not see). A member node of supplier3 then
catches up from block 0 over HTTP, checking every block. Figures are printed; ratios are the
ones to compare across machines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time

from faechain.cli.demo import seed_node
from faechain.devnet.demo import MEMBERS, create_demo
from faechain.identity.wallet import Identity
from faechain.member.node import MemberNode
from faechain.node.config import NodeConfig, paths
from faechain.node.testing import free_port, running_node
from faechain.sdk import Client


def disk(home: str) -> int:
    data = os.path.join(home, "data")
    return sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--txs", type=int, default=3000)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="fae-member-bench-")
    try:
        v_home = os.path.join(root, "validator")
        create_demo(v_home, free_port())
        with running_node(v_home, heartbeat=3600.0) as v:
            seed_node(v)
            ids = {m.name: Identity.load(v_home, m.name) for m in MEMBERS}
            now_ms = v.engine.now_ms()
            now = now_ms // 1000

            def tx(i: int) -> bytes:
                if i % 4 == 0:  # supplier3's own business: an invoice on core
                    return ids["supplier3"].sign_tx(v.app.chain_id, "receivables", "register_invoice", {
                        "code": "0110026BNCH", "number": f"BENCH{i:08d}", "seller": ids["supplier3"].org_id,
                        "buyer": ids["core"].org_id, "amount": 100_000 + i, "date": now - 86_400,
                        "doc_hash": "ab" * 32}, nonce=10_000 + i, now_ms=now_ms)
                return ids["bank"].sign_tx(v.app.chain_id, "receivables", "grant_credit", {  # bank's and core2's
                    "core": ids["core2"].org_id, "amount": 1_000_000 + i, "expires": now + 300 * 86_400},
                    nonce=10_000 + i, now_ms=now_ms)

            raws = [tx(i) for i in range(args.txs)]
            h0, t0 = v.app.height, time.perf_counter()
            futures = [v.engine.submit_async(raw, True) for raw in raws]
            for check, receipt in futures:
                assert check.result().ok
                assert receipt is not None and receipt.result(timeout=300).ok
            commit_s = time.perf_counter() - t0
            blocks = v.app.height - h0
            total_txs = sum(v.store.tx_count(h) for h in range(1, v.app.height + 1))
            print(f"validator: {args.txs} txs in {blocks} blocks committed in {commit_s:.2f} s: "
                  f"{args.txs / commit_s:,.0f} tx/s, {blocks / commit_s:,.1f} blocks/s")
            m_home = os.path.join(root, "member")
            os.makedirs(os.path.join(m_home, "wallet"))
            shutil.copy(paths(v_home)["genesis"], paths(m_home)["genesis"])
            shutil.copytree(os.path.join(v_home, "wallet", "supplier3"), os.path.join(m_home, "wallet", "supplier3"))
            NodeConfig(engine="member", port=free_port(), verify_workers=0,
                       member={"org": ids["supplier3"].org_id, "identity": "supplier3",
                               "validators": [v.url]}).save(m_home)
            t0 = time.perf_counter()
            with running_node(m_home, node_class=MemberNode) as m:
                head = v.app.height
                while m.app.height < head:
                    time.sleep(0.01)
                sync_s = time.perf_counter() - t0
                print(f"member (supplier3): caught up {head} blocks ({total_txs} txs) in {sync_s:.2f} s: "
                      f"{head / sync_s:,.1f} blocks/s, {total_txs / sync_s:,.0f} chain tx/s "
                      f"= {(total_txs / sync_s) / (args.txs / commit_s):.2f}x the validator's commit rate")
                me = ids["supplier3"]
                for name, url in (("validator", v.url), ("member", m.url)):
                    c = Client(url, identity=me)
                    c.query("membership", "org", org_id=me.org_id)
                    times = []
                    for _ in range(300):
                        s = time.perf_counter()
                        c.query("receivables", "vouchers", holder=me.org_id)
                        times.append(time.perf_counter() - s)
                    print(f"read latency on the {name}: receivables.vouchers(holder) median "
                          f"{statistics.median(times) * 1000:.2f} ms, p95 "
                          f"{sorted(times)[int(len(times) * 0.95)] * 1000:.2f} ms")
                    c.close()
                m_disk, v_disk = disk(m_home), disk(v_home)
                kept = m.store.read.execute("SELECT COUNT(*) FROM txs").fetchone()[0]
            print(f"disk: member {m_disk / 1e6:.2f} MB ({kept} txs in full), validator {v_disk / 1e6:.2f} MB "
                  f"({total_txs} txs): {m_disk / v_disk:.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
