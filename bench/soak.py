"""Soak: a mixed workload of every module against a node (or a 4-validator localnet) for a set time.

    python bench/soak.py [--seconds 300] [--workers 4] [--localnet] [--validators 4]

A real node process (`fae demo --empty`, solo engine) or a real network (`fae localnet
up`) is started in a fresh directory. Worker threads, on loopback only, each loop until
the deadline over a mix of business scenarios through the SDK, as the demo members:

  voucher   register an invoice, issue against it, accept, split down two tiers
  finance   a tier-3 piece financed by the factor (request, registration, fund)
  reuse     an attempt to issue against an exhausted invoice (must be refused: invoice_reuse alert)
  plan      a plan pooling a fresh voucher, filed, initial disclosure published, approved, subscribed
  freeze    the regulator freezes and unfreezes a piece
  read      signed queries: a holder's vouchers, a voucher's lineage with proofs, a plan's penetration

Each loop is bounded (one scenario, then the next); there is no open-ended flood. At
the end it checks, and prints:

  value conservation  every root's live pieces add up to the root amount; the core's open
                      voucher total equals the roots it issued; no refused call changed anything
                      that a later read shows (every reuse attempt refused)
  app-hash agreement  localnet: every node reports the same app hash at the same height;
                      solo: `fae verify` replays the whole chain from genesis after the run
  memory growth       the node processes' resident memory (VmRSS) after warm-up (20 % of the
                      run) and at the end
  throughput          scenarios and committed transactions per second, errors by code

Figures go in BENCHMARKS.md with the machine and the date.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from faechain.sdk import ApiError, Client, Identity

DAY = 86_400
YUAN = 100
NAMES = ("exchange", "regulator", "core", "supplier1", "supplier2", "supplier3", "factor", "bank", "underwriter",
         "investor1", "investor2", "registry")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


class Network:
    """The node process(es) under test: API URLs, pids, and how to stop them."""

    def __init__(self, args, work: str):
        self.work = work
        self.localnet = args.localnet
        self.home = os.path.join(work, "home")
        if self.localnet:
            from faechain.devnet.localnet import free_base_port

            subprocess.run([sys.executable, "-m", "faechain", "localnet", "up", "--validators", str(args.validators),
                            "--home", self.home, "--base-port", str(free_base_port(args.validators))],
                           check=True, stdout=subprocess.DEVNULL)
            try:
                status = json.loads(subprocess.run([sys.executable, "-m", "faechain", "localnet", "status", "--home",
                                                    self.home, "--json"], check=True, capture_output=True).stdout)
            except BaseException:
                self.stop()
                raise
            nodes = status["nodes"]
            self.urls = [n["api"] for n in nodes]
            self.pids = [n["fae_pid"] for n in nodes] + [n["cometbft_pid"] for n in nodes]
            self.proc = None
        else:
            port = free_port()
            self.log = open(os.path.join(work, "node.log"), "w")
            self.proc = subprocess.Popen([sys.executable, "-m", "faechain", "demo", "--home", self.home, "--port",
                                          str(port), "--no-browser", "--empty"], stdout=self.log,
                                         stderr=subprocess.STDOUT)
            self.urls = [f"http://127.0.0.1:{port}"]
            self.pids = [self.proc.pid]
        wait_http(self.urls[0], time.monotonic() + 120)

    def rss_kb(self) -> int:
        return sum(rss_kb(p) for p in self.pids)

    def stop(self) -> None:
        if self.localnet:
            subprocess.run([sys.executable, "-m", "faechain", "localnet", "down", "--home", self.home],
                           check=False, stdout=subprocess.DEVNULL)
        else:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)
            self.log.close()


class Soak:
    def __init__(self, net: Network, seconds: float, workers: int, seed: int):
        self.net = net
        self.deadline = time.monotonic() + seconds
        self.workers = workers
        self.ids = {n: Identity.load(net.home, n) for n in NAMES}
        self.o = {n: i.org_id for n, i in self.ids.items()}
        self.lock = threading.Lock()
        self.roots: dict[str, int] = {}  # root id -> amount
        self.counts: collections.Counter = collections.Counter()
        self.errors: collections.Counter = collections.Counter()
        self.committed = 0
        self.seed = seed
        self.invoice_no = 0

    # -- scenarios ----------------------------------------------------------------------------
    def tx(self, c: Client, who: str, contract: str, method: str, **args) -> dict:
        r = c.submit(self.ids[who], contract, method, **args)
        with self.lock:
            self.committed += 1
        if not r.ok:
            raise ApiError(r.code, f"{who} {contract}.{method}: {r.message}")
        return r.result

    def next_invoice(self) -> str:
        with self.lock:
            self.invoice_no += 1
            return f"{self.seed % 10**4:04d}{self.invoice_no:04d}"

    def voucher(self, c: Client, rnd: random.Random) -> tuple[str, str]:
        """A root split down two tiers; returns (root, the tier-3 piece)."""
        amount = rnd.randint(10_000, 1_000_000) * YUAN
        number = self.next_invoice()
        doc = hashlib.sha256(number.encode()).hexdigest()
        now = c.now_ms() // 1000
        self.tx(c, "supplier1", "receivables", "register_invoice", code="011009990001", number=number,
                seller=self.o["supplier1"], buyer=self.o["core"], amount=amount, date=now - DAY, doc_hash=doc)
        root = self.tx(c, "core", "receivables", "issue", to=self.o["supplier1"], amount=amount,
                       maturity=now + 90 * DAY, invoices=[[f"011009990001-{number}", amount]],
                       contract_hash=doc)["voucher"]
        with self.lock:
            self.roots[root] = amount
        self.tx(c, "supplier1", "receivables", "accept", id=root)
        t2 = self.tx(c, "supplier1", "receivables", "transfer", id=root, to=self.o["supplier2"],
                     amount=amount // 2)["voucher"]
        t3 = self.tx(c, "supplier2", "receivables", "transfer", id=t2, to=self.o["supplier3"],
                     amount=amount // 4)["voucher"]
        return f"011009990001-{number}", t3

    def finance(self, c: Client, rnd: random.Random) -> None:
        _, piece = self.voucher(c, rnd)
        self.tx(c, "regulator", "supervision", "freeze", asset=f"voucher:{piece}", reason="soak inquiry")
        self.tx(c, "regulator", "supervision", "unfreeze", asset=f"voucher:{piece}", reason="soak inquiry closed")
        v = c.query("receivables", "voucher", _as=self.ids["regulator"], id=piece)["voucher"]
        amount = v["amount"]
        fid = self.tx(c, "supplier3", "receivables", "request_financing", id=piece, funder=self.o["factor"],
                      amount=amount, rate_bps=500)["financing"]
        self.tx(c, "factor", "receivables", "record_registration", financing=fid, reg_no=f"ZDW-{fid}")
        self.tx(c, "registry", "receivables", "attest_registration", financing=fid, reg_no=f"ZDW-{fid}",
                kind="ASSIGNMENT", creditor=self.o["factor"], debtor=self.o["supplier3"], amount=amount, voucher=piece)
        self.tx(c, "registry", "receivables", "attest_search", financing=fid, search_no=f"S-{fid}", earlier=[])
        self.tx(c, "factor", "receivables", "fund", financing=fid)

    def reuse(self, c: Client, rnd: random.Random) -> None:
        invoice, _ = self.voucher(c, rnd)
        now = c.now_ms() // 1000
        r = c.submit(self.ids["core"], "receivables", "issue", to=self.o["supplier1"], amount=100,
                     maturity=now + 30 * DAY, invoices=[[invoice, 100]], contract_hash="ab" * 32)
        with self.lock:
            self.committed += 1
        if r.ok:
            raise ApiError("conservation", f"an exhausted invoice backed a second voucher: {invoice}")

    def plan(self, c: Client, rnd: random.Random) -> None:
        amount = rnd.randint(100_000, 500_000) * YUAN
        number = self.next_invoice()
        doc = hashlib.sha256(number.encode()).hexdigest()
        now = c.now_ms() // 1000
        self.tx(c, "supplier1", "receivables", "register_invoice", code="011009990002", number=number,
                seller=self.o["supplier1"], buyer=self.o["core"], amount=amount, date=now - DAY, doc_hash=doc)
        root = self.tx(c, "core", "receivables", "issue", to=self.o["supplier1"], amount=amount,
                       maturity=now + 120 * DAY, invoices=[[f"011009990002-{number}", amount]],
                       contract_hash=doc)["voucher"]
        with self.lock:
            self.roots[root] = amount
        self.tx(c, "supplier1", "receivables", "accept", id=root)
        plan = self.tx(c, "supplier1", "plans", "create", name=f"soak plan {number}",
                       underwriter=self.o["underwriter"], servicer=self.o["factor"], settlement_bank=self.o["bank"],
                       size=amount, coupon_bps=400, term_days=90)["plan"]
        self.tx(c, "supplier1", "plans", "pool", plan=plan, vouchers=[root])
        item = self.tx(c, "underwriter", "plans", "file", plan=plan)["initial_disclosure"]
        self.tx(c, "underwriter", "plans", "publish", plan=plan, item=item, summary="soak")
        self.tx(c, "exchange", "plans", "approve", plan=plan, approval_no=f"SOAK-{number}", opens=now,
                closes=now + 30 * DAY)
        self.tx(c, "investor1", "plans", "subscribe", plan=plan, amount=amount // 2)
        self.tx(c, "investor2", "plans", "subscribe", plan=plan, amount=amount - amount // 2)
        self.tx(c, "underwriter", "plans", "establish", plan=plan)
        seen = c.penetrate(plan, _as=self.ids["investor1"])
        if not seen.ok:
            raise ApiError("penetration", f"plan {plan}: {seen.problems[:2]}")

    def read(self, c: Client, rnd: random.Random) -> None:
        c.query("receivables", "vouchers", _as=self.ids["supplier2"], holder=self.o["supplier2"], limit=50)
        with self.lock:
            roots = list(self.roots)
        if roots:
            shown = c.query("receivables", "voucher", _as=self.ids["regulator"], id=rnd.choice(roots), prove=True)
            if not c.verify_query_proofs(shown):
                raise ApiError("proof", "a voucher proof did not verify")

    MIX = (("voucher", 4), ("finance", 2), ("reuse", 1), ("plan", 1), ("read", 4))

    def worker(self, n: int) -> None:
        rnd = random.Random(self.seed * 1000 + n)
        url = self.net.urls[n % len(self.net.urls)]
        kinds = [k for k, w in self.MIX for _ in range(w)]
        with Client(url, timeout=120) as c:
            while time.monotonic() < self.deadline:
                kind = rnd.choice(kinds)
                try:
                    getattr(self, kind)(c, rnd)
                    with self.lock:
                        self.counts[kind] += 1
                except ApiError as exc:
                    with self.lock:
                        self.errors[f"{kind}:{exc.code}"] += 1

    # -- checks ---------------------------------------------------------------------------------
    def check_conservation(self) -> list[str]:
        problems = []
        reg = self.ids["regulator"]
        with Client(self.net.urls[0], timeout=120) as c:
            for root, amount in sorted(self.roots.items()):
                pieces = c.query("receivables", "vouchers", _as=reg, root=root, limit=1000)
                live = [p for p in pieces if p["status"] in ("ISSUED", "ACTIVE", "FINANCING", "FINANCED")]
                if sum(p["amount"] for p in live) != amount:
                    problems.append(f"root {root}: live pieces sum to {sum(p['amount'] for p in live)}, not {amount}")
            credit = c.query("receivables", "credit", _as=reg, core=self.o["core"])
            if credit["open"] != sum(self.roots.values()):
                problems.append(f"core open {credit['open']} != roots issued {sum(self.roots.values())}")
        return problems

    def check_agreement(self) -> str:
        if not self.net.localnet:
            return "solo: see fae verify below"
        heights = []
        for url in self.net.urls:
            with Client(url) as c:
                heights.append(c.block("latest")["header"]["height"])
        h = min(heights)
        hashes = set()
        for url in self.net.urls:
            with Client(url) as c:
                hashes.add(c.block(h)["header"]["app_hash"])
        return f"{len(self.net.urls)} nodes agree at height {h}" if len(hashes) == 1 else \
            f"DISAGREEMENT at height {h}: {sorted(hashes)}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--localnet", action="store_true")
    ap.add_argument("--validators", type=int, default=4)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="fae-soak-")
    net = Network(args, work)
    try:
        with Client(net.urls[0]) as c:
            start_height = c.block("latest")["header"]["height"]
            soak = Soak(net, args.seconds, args.workers, args.seed)
            now = c.now_ms() // 1000
            c.submit(soak.ids["bank"], "receivables", "grant_credit", core=soak.o["core"], amount=2**62,
                     expires=now + 400 * DAY)
        t0 = time.monotonic()
        threads = [threading.Thread(target=soak.worker, args=(n,)) for n in range(args.workers)]
        for t in threads:
            t.start()
        samples = []
        warm = t0 + args.seconds * 0.2
        while any(t.is_alive() for t in threads):
            time.sleep(2)
            samples.append((time.monotonic(), net.rss_kb()))
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        with Client(net.urls[0]) as c:
            end_height = c.block("latest")["header"]["height"]
        after_warm = [kb for t, kb in samples if t >= warm] or [samples[-1][1]]
        problems = soak.check_conservation()
        agreement = soak.check_agreement()
    finally:
        net.stop()
    verify = ""
    if not args.localnet:
        out = subprocess.run([sys.executable, "-m", "faechain", "verify", "--home", net.home], capture_output=True,
                             text=True)
        lines = out.stdout.strip().splitlines()
        verify = next((line for line in lines if "blocks" in line), lines[-1] if lines else "?")
        verify += "" if out.returncode == 0 else " (FAILED)"
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
          f"date {time.strftime('%Y-%m-%d')}, {'localnet ' + str(args.validators) if args.localnet else 'solo'}")
    print(f"ran {elapsed:.0f} s with {args.workers} workers (seed {args.seed}): blocks {start_height}..{end_height}")
    print(f"scenarios: {dict(soak.counts)}  ({sum(soak.counts.values()) / elapsed:.1f}/s)")
    print(f"transactions submitted and awaited: {soak.committed} ({soak.committed / elapsed:.1f}/s)")
    print(f"errors by scenario:code: {dict(soak.errors) or 'none'}")
    print(f"value conservation over {len(soak.roots)} roots: {'ok' if not problems else problems[:5]}")
    print(f"app hashes: {agreement}")
    if verify:
        print(f"fae verify: {verify}")
    print(f"resident memory (all node processes): {after_warm[0] / 1024:.0f} MiB after warm-up, "
          f"{after_warm[-1] / 1024:.0f} MiB at the end ({(after_warm[-1] - after_warm[0]) / 1024:+.0f} MiB, "
          f"peak {max(kb for _, kb in samples) / 1024:.0f} MiB)")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if problems or "DISAGREEMENT" in agreement or "FAILED" in verify:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
