"""An evidence bundle of a 200-asset plan: its size, and how long verifying it takes.

    python bench/evidence.py [--assets 200]

Builds the pool of bench/plans.py (supplier2 sponsors a plan of `--assets` one-fen pieces
of one root), starts the demo node on it (solo engine: the block signer signs every
header), exports the plan's penetration as an evidence bundle through the SDK's light
client (`faechain.sdk.evidence.export`), and times, median of 5:

  * the SDK's verifier (`faechain.sdk.evidence.verify`);
  * the standalone verifier (`faechain/sdk/evidence_standalone.py`) in this process;
  * the standalone verifier as `python evidence_standalone.py FILE`, a fresh interpreter
    with only site-packages (start-up, JSON parsing and all, as a court's clerk runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.plans import Chain, split_root
from faechain.core.genesis import Genesis
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, evidence
from faechain.sdk import evidence_standalone as standalone
from faechain.sdk.light.client import LightClient

DAY = 86_400


def median_s(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=200)
    ap.add_argument("--out", metavar="FILE", help="keep the bundle here")
    args = ap.parse_args()
    n = args.assets
    tmp = tempfile.mkdtemp(prefix="bench-evidence-")
    try:
        home = os.path.join(tmp, "home")
        c = Chain(home)
        c.run("bank", "receivables", "grant_credit", core=c.org["core"], amount=10**12,
              expires=c.clock // 1000 + 400 * DAY)
        _, pieces = split_root(c, n, days=30)
        plan = c.run("supplier2", "plans", "create", name="bench plan", underwriter=c.org["underwriter"],
                     servicer=c.org["factor"], settlement_bank=c.org["bank"], size=n, coupon_bps=400,
                     term_days=90)["plan"]
        for i in range(0, n, 50):
            c.run("supplier2", "plans", "pool", plan=plan, vouchers=pieces[i:i + 50])
        c.store.close()
        nt = NodeThread(home, port=free_port(), heartbeat=3600.0)  # signs the headers made above on start
        nt.start()
        try:
            client = Client(nt.node.url, identity=c.ids["regulator"])
            client.trust = LightClient(Genesis.load(os.path.join(home, "genesis.json")), client)
            t0 = time.perf_counter()
            bundle = evidence.export(client, "plan", plan)
            export_s = time.perf_counter() - t0
        finally:
            nt.stop()
        text = json.dumps(bundle, separators=(",", ":"))
        path = os.path.join(tmp, "plan.json")
        with open(path, "w") as f:
            f.write(text)
        if args.out:
            shutil.copy(path, args.out)
        parts = {k: len(json.dumps(bundle[k], separators=(",", ":"))) for k in ("genesis", "records", "signed_headers")}
        sdk_s = median_s(lambda: evidence.verify(json.loads(text)))
        alone_s = median_s(lambda: standalone.verify(json.loads(text)))
        assert evidence.verify(bundle).ok and standalone.verify(bundle).ok
        copy = os.path.join(tmp, "evidence_standalone.py")
        shutil.copy(standalone.__file__, copy)
        import cryptography

        site = os.path.dirname(os.path.dirname(cryptography.__file__))  # without `site`: faechain not importable
        cmd = [sys.executable, "-I", "-S", "-c",
               f"import runpy, sys; sys.path.append({site!r}); sys.argv = ['evidence_standalone.py', {path!r}]; "
               f"runpy.run_path({copy!r}, run_name='__main__')"]
        process_s = median_s(lambda: subprocess.run(cmd, check=True, capture_output=True))
        print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
              f"date {time.strftime('%Y-%m-%d')}")
        print(f"plan of {n} assets: bundle {len(bundle['records'])} records, {len(text) / 1024:.0f} KiB as compact "
              f"JSON (records {parts['records'] / 1024:.0f} KiB, genesis {parts['genesis'] / 1024:.0f} KiB, "
              f"signed header {parts['signed_headers'] / 1024:.1f} KiB); exported in {export_s * 1000:.0f} ms")
        print(f"verify (median of 5): SDK {sdk_s * 1000:.0f} ms, standalone in process {alone_s * 1000:.0f} ms, "
              f"standalone as `python evidence_standalone.py FILE` {process_s * 1000:.0f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
