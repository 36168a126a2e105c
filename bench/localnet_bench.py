"""faechain on a 4-validator CometBFT localnet, next to CometBFT's built-in kvstore.

    python bench/localnet_bench.py [--validators 4] [--txs 8000] [--rate 150] [--seconds 20]
                                   [--tuning KEY=VALUE ...] [--skip-kvstore] [--json FILE]

Both networks are built the same way (`faechain.devnet.localnet`: same
config.toml tuning, same consensus parameters, same loopback topology), one
after the other in the same run:

  faechain  `fae localnet` (4 faechain nodes + 4 CometBFT nodes); each transaction is
            a signed membership.set_attributes (signature checks at every node, the
            contract, the authenticated state, SQLite commit per block)
  kvstore   4 `cometbft node` with proxy_app = "kvstore" (in-memory key=value store, Go),
            transactions `key=value` padded to the size of the faechain ones

Phases per network:
  saturate  submit --txs transactions as fast as the client can; committed tx/s is
            (transactions committed) / (last commit seen - first submission)
  paced     submit at --rate tx/s for --seconds; submit-to-commit latency p50/p99

Submission: faechain through its REST API (POST /v1/txs?wait=false, the product's
path, round-robin over the nodes, several client threads) and, for comparison,
straight into CometBFT's RPC (broadcast_tx_async in JSON-RPC batches), which is
how kvstore is fed. Commits are observed identically for both: a watcher polls
node 0's CometBFT RPC for new blocks and stamps every transaction (by SHA-256 of
its bytes) with the time its block was first seen.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from faechain.devnet import localnet as L
from faechain.engines.cometbft import cometbft_version, find_cometbft
from faechain.engines.cometbft.rpc import RpcClient
from faechain.sdk import Client, Identity


# -- commit watcher ------------------------------------------------------------------------------
class Watcher:
    """Polls a CometBFT RPC for new blocks; records when each awaited tx was first seen committed."""

    def __init__(self, rpc_url: str, start_height: int):
        self.rpc = RpcClient(rpc_url, timeout=30)
        self.next = start_height + 1
        self.submitted: dict[bytes, float] = {}
        self.committed: dict[bytes, float] = {}
        self.codes: dict[int, int] = {}
        self.blocks: list[tuple[int, int, float]] = []  # (height, txs, seen)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def expect(self, raw: bytes, t: float) -> None:
        with self._lock:
            self.submitted[hashlib.sha256(raw).digest()] = t

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                top = int(self.rpc.status()["sync_info"]["latest_block_height"])
            except Exception:  # noqa: BLE001 - keep polling
                time.sleep(0.05)
                continue
            while self.next <= top:
                block = self.rpc.call("block", height=str(self.next))["block"]
                seen = time.monotonic()
                txs = block["data"]["txs"] or []
                with self._lock:
                    for b64 in txs:
                        h = hashlib.sha256(base64.b64decode(b64)).digest()
                        if h not in self.committed:
                            self.committed[h] = seen
                self.blocks.append((self.next, len(txs), seen))
                self.next += 1
            self._stop.wait(0.02)

    def wait_all(self, hashes: list[bytes], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(h in self.committed for h in hashes):
                    return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def results(self, hashes: list[bytes]) -> dict:
        with self._lock:
            known = [h for h in hashes if h in self.submitted]
            lat = sorted(self.committed[h] - self.submitted[h] for h in known if h in self.committed)
            done = [self.committed[h] for h in known if h in self.committed]
            first_submit = min((self.submitted[h] for h in known), default=0.0)
        n = len(lat)
        out = {"submitted": len(hashes), "committed": n}
        if n:
            span = max(done) - first_submit
            out.update(tps=n / span if span > 0 else 0.0, seconds=span,
                       p50_ms=1000 * lat[n // 2], p99_ms=1000 * lat[min(n - 1, (99 * n) // 100)],
                       max_ms=1000 * lat[-1])
        return out


# -- submitters ------------------------------------------------------------------------------------
def _rest_worker(urls: list[str], txs: list[tuple[int, bytes]], threads: int, start: float, rate: float | None,
                 out) -> None:
    """A client process: POST its share of the transactions on `threads` keep-alive connections."""
    import queue as _queue

    work: _queue.Queue = _queue.Queue()
    for item in txs:
        work.put(item)
    stamps: list[tuple[int, float]] = []
    failed: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        conns: dict[int, http.client.HTTPConnection] = {}
        while True:
            try:
                n, raw = work.get_nowait()
            except _queue.Empty:
                return
            if rate:
                delay = start + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            i = n % len(urls)
            for attempt in (0, 1):
                if i not in conns:
                    host, port = urls[i].split("//")[1].split(":")
                    conns[i] = http.client.HTTPConnection(host, int(port), timeout=60)
                t = time.monotonic()
                try:
                    conns[i].request("POST", "/v1/txs?wait=false", body=raw,
                                     headers={"Content-Type": "application/octet-stream"})
                    resp = conns[i].getresponse()
                    body = resp.read()
                    with lock:
                        stamps.append((n, t))
                        if resp.status not in (200, 202):
                            failed.append(f"HTTP {resp.status} {body[:200]!r}")
                    break
                except (OSError, http.client.HTTPException) as exc:
                    conns.pop(i).close()
                    if attempt:
                        with lock:
                            failed.append(str(exc))

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((stamps, failed))


class RestSubmitter:
    """POST /v1/txs?wait=false from client processes (several keep-alive threads each),
    round-robin over the nodes; the submit time of each tx is taken just before its request."""

    def __init__(self, urls: list[str], procs: int = 2, threads: int = 8):
        self.urls = urls
        self.procs = procs
        self.threads = threads
        self.failed: list[str] = []

    def submit_all(self, txs: list[bytes], watcher: Watcher, rate: float | None = None) -> float:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        out = ctx.Queue()
        start = time.monotonic() + 0.2
        shares = [[(n, raw) for n, raw in enumerate(txs) if n % self.procs == p] for p in range(self.procs)]
        workers = [ctx.Process(target=_rest_worker, args=(self.urls, share, self.threads, start, rate, out))
                   for share in shares]
        for w in workers:
            w.start()
        results = [out.get() for _ in workers]
        for w in workers:
            w.join()
        last = 0.0
        for stamps, failed in results:
            self.failed.extend(failed)
            for n, t in stamps:
                watcher.expect(txs[n], t)
                last = max(last, t)
        return max(last - start, 1e-9)

    def close(self) -> None:
        pass


class RpcSubmitter:
    """broadcast_tx_async in JSON-RPC batches, round-robin over the nodes' CometBFT RPC."""

    def __init__(self, rpc_urls: list[str], batch: int = 100):
        self.clients = [RpcClient(u, timeout=60) for u in rpc_urls]
        self.batch = batch
        self.failed: list[str] = []

    def submit_all(self, txs: list[bytes], watcher: Watcher, rate: float | None = None) -> float:
        start = time.monotonic()
        step = self.batch if not rate else max(1, int(rate / 20))  # paced: 20 batches per second
        for n, k in enumerate(range(0, len(txs), step)):
            chunk = txs[k:k + step]
            if rate:
                delay = start + k / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            now = time.monotonic()
            for raw in chunk:
                watcher.expect(raw, now)
            rpc = self.clients[n % len(self.clients)]
            for _, err in rpc.batch(rpc.broadcast_async_calls(chunk)):
                if err is not None:
                    self.failed.append(str(err))
        return time.monotonic() - start


# -- workloads -----------------------------------------------------------------------------------
def faechain_txs(home: str, chain_id: str, count: int, now_ms: int, tag: str) -> list[bytes]:
    ident = Identity.load(home, "exchange")
    targets = [Identity.load(home, n).org_id for n in ("investor1", "investor2", "investor3", "bank", "factor")]
    return [ident.sign_tx(chain_id, "membership", "set_attributes",
                          {"org_id": targets[i % len(targets)], "attributes": {tag: i}},
                          attach_cert=False, nonce=i, now_ms=now_ms) for i in range(count)]


def kv_txs(count: int, size: int, tag: str) -> list[bytes]:
    out = []
    for i in range(count):
        key = f"{tag}{i:08d}".encode()
        value = b"v" * max(1, size - len(key) - 1)
        out.append(key + b"=" + value)
    return out


def run_phases(name: str, rpc0: str, submitters: dict, make_txs, n_sat: int, rate: float, seconds: float) -> dict:
    out = {}
    for label, sub in submitters.items():
        start_h = RpcClient(rpc0).height()
        txs = make_txs(n_sat, f"s{label}")
        w = Watcher(rpc0, start_h)
        submit_s = sub.submit_all(txs, w)
        hashes = [hashlib.sha256(t).digest() for t in txs]
        w.wait_all(hashes, 180)
        w.stop()
        res = w.results(hashes)
        res["submit_rate"] = len(txs) / submit_s
        res["failed"] = len(sub.failed)
        if sub.failed:
            print(f"    e.g. {sub.failed[0]}", flush=True)
            sub.failed.clear()
        res["max_block_txs"] = max((b[1] for b in w.blocks), default=0)
        out[f"saturate/{label}"] = res
        print(f"  {name} saturate via {label}: {_fmt(res)}", flush=True)
        time.sleep(2)
    for label, sub in submitters.items():
        start_h = RpcClient(rpc0).height()
        txs = make_txs(int(rate * seconds), f"p{label}")
        w = Watcher(rpc0, start_h)
        sub.submit_all(txs, w, rate=rate)
        hashes = [hashlib.sha256(t).digest() for t in txs]
        w.wait_all(hashes, 120)
        w.stop()
        res = w.results(hashes)
        res["failed"] = len(sub.failed)
        if sub.failed:
            print(f"    e.g. {sub.failed[0]}", flush=True)
            sub.failed.clear()
        out[f"paced/{label}"] = res
        print(f"  {name} paced {rate:g} tx/s via {label}: {_fmt(res)}", flush=True)
        time.sleep(1)
    return out


def _fmt(r: dict) -> str:
    if not r.get("committed"):
        return f"nothing committed ({r})"
    return (f"{r['committed']}/{r['submitted']} committed, {r['tps']:,.0f} tx/s, p50 {r['p50_ms']:.0f} ms, "
            f"p99 {r['p99_ms']:.0f} ms" + (f", client submit rate {r['submit_rate']:,.0f}/s"
                                           if "submit_rate" in r else "")
            + (f", {r['failed']} failed submissions" if r.get("failed") else ""))


def bench_faechain(args, tuning: dict) -> dict:
    home = tempfile.mkdtemp(prefix="fae-lnbench-")
    net = L.create(os.path.join(home, "net"), args.validators, base_port=L.free_base_port(args.validators),
                   tuning=tuning, max_block_txs=args.max_block_txs)
    try:
        net.start(timeout=120)
        # register the signer's certificate once (later transactions carry no certificate)
        c = Client(net.nodes[0].api_url, identity=Identity.load(net.home, "exchange"))
        r = c.submit(c.identity, "membership", "set_attributes",
                     org_id=Identity.load(net.home, "investor1").org_id, attributes={"warm": 1})
        assert r.ok, r
        for n in net.nodes:  # every node must know the signer before the load starts
            node = Client(n.api_url)
            while node.info()["height"] < r.height:
                time.sleep(0.05)
        now = c.now_ms()
        size = len(faechain_txs(net.home, net.chain_id, 1, now, "x")[0])
        submitters = {
            "REST": RestSubmitter([n.api_url for n in net.nodes], procs=args.client_procs,
                                  threads=args.client_threads),
            "CometBFT RPC": RpcSubmitter([n.rpc_url for n in net.nodes]),
        }
        res = run_phases("faechain", net.nodes[0].rpc_url, submitters,
                         lambda n, tag: faechain_txs(net.home, net.chain_id, n, c.now_ms(), tag),
                         args.txs, args.rate, args.seconds)
        res["tx_bytes"] = size
        res["heights"] = [row["height"] for row in net.status()]
        hashes = {row["app_hash"] for row in net.status()}
        res["agree"] = len(hashes) == 1
        submitters["REST"].close()
        return res
    finally:
        net.stop()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


def bench_kvstore(args, tuning: dict, tx_bytes: int) -> dict:
    binary = find_cometbft()
    home = tempfile.mkdtemp(prefix="kv-lnbench-")
    base = L.free_base_port(args.validators)
    nodes = [L.NodeSpec(i, f"kv{i}", "", **{k: base + 10 * i + off for k, off in L.PORTS.items()})
             for i in range(args.validators)]
    genesis_ms = (int(time.time() * 1000) // 1000) * 1000 - 1000
    L.init_cometbft_homes(home, nodes, binary, "kv-localnet", genesis_ms, app_state={}, proxy_app="kvstore",
                          tuning=tuning, cmt_home=lambda i: os.path.join(home, f"node{i}"))
    procs = []
    try:
        for n in nodes:
            logf = open(os.path.join(home, f"node{n.index}.log"), "wb")
            procs.append(subprocess.Popen([binary, "node", "--home", os.path.join(home, f"node{n.index}")],
                                          stdout=logf, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 60
        while True:
            try:
                if RpcClient(nodes[0].rpc_url, timeout=2).height() >= 1:
                    break
            except Exception:  # noqa: BLE001
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("kvstore network made no block")
            time.sleep(0.2)
        submitters = {"CometBFT RPC": RpcSubmitter([n.rpc_url for n in nodes])}
        return run_phases("kvstore", nodes[0].rpc_url, submitters, lambda n, tag: kv_txs(n, tx_bytes, tag),
                          args.kv_txs or args.txs, args.rate, args.seconds)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cores {model}, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--validators", type=int, default=4)
    ap.add_argument("--txs", type=int, default=8000, help="transactions per saturation phase")
    ap.add_argument("--kv-txs", type=int, default=0, help="kvstore saturation transactions (default --txs)")
    ap.add_argument("--rate", type=float, default=150.0, help="offered rate of the paced phase (tx/s)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the paced phase")
    ap.add_argument("--client-procs", type=int, default=2, help="REST client processes")
    ap.add_argument("--client-threads", type=int, default=8, help="keep-alive connections per client process")
    ap.add_argument("--max-block-txs", type=int, default=L.MAX_BLOCK_TXS)
    ap.add_argument("--tuning", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config.toml setting for both networks, e.g. consensus.timeout_commit=500ms")
    ap.add_argument("--skip-kvstore", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the network directories")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    tuning = {}
    for kv in args.tuning:
        k, _, v = kv.partition("=")
        tuning[k] = int(v) if v.isdigit() else {"true": True, "false": False}.get(v, v)
    binary = find_cometbft()
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, CometBFT {cometbft_version(binary)}")
    print(f"tuning: {json.dumps({**L.TUNING, **tuning})}")
    print(f"max block txs (faechain PrepareProposal): {args.max_block_txs}, block max_bytes {L.MAX_BLOCK_BYTES}")
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "tuning": {**L.TUNING, **tuning},
               "args": vars(args)}
    results["faechain"] = fae = bench_faechain(args, tuning)
    print(f"  faechain: nodes agree on the app hash: {fae['agree']} (heights {fae['heights']})")
    if not args.skip_kvstore:
        results["kvstore"] = kv = bench_kvstore(args, tuning, fae["tx_bytes"])
        a, b = fae["saturate/REST"].get("tps", 0), kv["saturate/CometBFT RPC"].get("tps", 0)
        c = fae["saturate/CometBFT RPC"].get("tps", 0)
        if b:
            print(f"ratio faechain/kvstore, committed tx/s: {a / b:.2f} via REST, {c / b:.2f} via CometBFT RPC "
                  "(goal >= 0.50)")
            results["ratio_rest"], results["ratio_rpc"] = a / b, c / b
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
