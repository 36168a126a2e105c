"""Member nodes following a 4-validator CometBFT localnet under load, in one run (issue 18).

    python -m bench.member_localnet [--txs 4000] [--members 3]

`fae localnet` with --members member nodes (supplier3, bank2, investor4) each its own process;
the validators take --txs transactions through their REST API in batches of 100 (round robin),
a quarter supplier3's invoices, the rest bank's credit lines to core2. Printed: the network's
commit rate (transactions / time from the first submission to the block holding the last), and
for each member node when it held that block — its following rate over the same window and
how far it was behind the validators when they finished.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
import urllib.request

from faechain.devnet import localnet as L
from faechain.sdk import Client, Identity


def head(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/v1/info", timeout=5) as resp:
            return int(json.loads(resp.read())["height"])
    except OSError:
        return -1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--txs", type=int, default=4000)
    ap.add_argument("--members", type=int, default=3)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="fae-member-localnet-")
    net = L.create(f"{root}/net", 4, base_port=L.free_base_port(4, members=args.members), members=args.members)
    try:
        net.start(timeout=180)
        ids = {n: Identity.load(net.home, n) for n in ("supplier3", "bank", "core", "core2")}
        now = Client(net.nodes[0].api_url).info()["time"] // 1000
        batches = []
        for k in range(0, args.txs, 100):
            if (k // 100) % 4 == 0:  # supplier3's own business
                calls = [("receivables", "register_invoice", {
                    "code": "0110026BNCH", "number": f"B{i:09d}", "seller": ids["supplier3"].org_id,
                    "buyer": ids["core"].org_id, "amount": 100_000 + i, "date": now - 86_400, "doc_hash": "cd" * 32})
                    for i in range(k, k + 100)]
                batches.append(("supplier3", calls))
            else:  # bank's and core2's only
                calls = [("receivables", "grant_credit", {"core": ids["core2"].org_id, "amount": 1_000_000 + i,
                                                          "expires": now + 300 * 86_400}) for i in range(k, k + 100)]
                batches.append(("bank", calls))
        target: list[int | None] = [None]
        seen: dict[str, float] = {}
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                for m in net.members:
                    if m.name not in seen and target[0] is not None and head(m.api_url) >= target[0]:
                        seen[m.name] = time.perf_counter()
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        heights: list[int] = []
        lock = threading.Lock()

        def send(j: int) -> None:
            who, calls = batches[j]
            client = Client(net.nodes[j % 4].api_url, identity=ids[who], timeout=300)
            got = client.submit_many(ids[who], calls, wait=True, timeout=300)
            with lock:
                heights.extend(r.height for r in got if r.ok and r.height is not None)

        t0 = time.perf_counter()
        pending = list(range(len(batches)))
        while pending:  # four client threads, one per validator
            threads = [threading.Thread(target=send, args=(j,)) for j in pending[:4]]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            pending = pending[4:]
        t_net = time.perf_counter() - t0
        committed = len(heights)
        target[0] = max(heights)
        deadline = time.monotonic() + 600
        while len(seen) < len(net.members) and time.monotonic() < deadline:
            time.sleep(0.05)
        done.set()
        print(f"network: {committed} of {args.txs} txs committed by block {target[0]} in {t_net:.2f} s: "
              f"{committed / t_net:,.0f} tx/s (4 validators, REST batches of 100)")
        for m in net.members:
            t_m = seen[m.name] - t0
            print(f"member {m.name}: held block {target[0]} {t_m - t_net:+.2f} s after the validators committed "
                  f"it; {committed / t_m:,.0f} chain tx/s over the run = {t_net / t_m:.2f}x the network's rate")
    finally:
        net.stop(timeout=15)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
