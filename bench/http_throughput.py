"""End-to-end committed transactions per second over the REST API.

A `fae demo --empty` node runs in a child process; client processes (each with
several threads and one keep-alive connection per thread) POST pre-signed
envelopes to /v1/txs?wait=true and count the receipts that come back "ok".
Signing is done before the clock starts, so the figure is the node's rate.

With `--batch N` each client thread instead posts its envelopes N at a time to
/v1/txs/batch?wait=true (a canonical CBOR array) and counts the "ok" results.

    python bench/http_throughput.py [--txs N] [--procs P] [--threads T] [--batch N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from faechain.core.encoding import encode
from faechain.identity.wallet import Identity


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("node did not become healthy")


def _post_all(port: int, envelopes: list[bytes], out: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ok = 0
    for env in envelopes:
        conn.request("POST", "/v1/txs?wait=true", body=env, headers={"Content-Type": "application/octet-stream"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status == 200 and json.loads(body).get("code") == "ok":
            ok += 1
    out.append(ok)


def _post_batches(port: int, envelopes: list[bytes], out: list, batch: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    ok = 0
    for i in range(0, len(envelopes), batch):
        body = encode(envelopes[i:i + batch])
        conn.request("POST", "/v1/txs/batch?wait=true&timeout=100", body=body,
                     headers={"Content-Type": "application/cbor"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status == 200:
            ok += sum(1 for r in json.loads(data)["results"] if r.get("code") == "ok")
    out.append(ok)


def _client_proc(port: int, envelopes: list[bytes], threads: int, q, batch: int = 0) -> None:
    out: list[int] = []
    chunks = [envelopes[i::threads] for i in range(threads)]
    ts = [threading.Thread(target=_post_batches, args=(port, c, out, batch)) if batch else
          threading.Thread(target=_post_all, args=(port, c, out)) for c in chunks if c]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    q.put(sum(out))


def http_rate(count: int = 5000, procs: int = 2, threads: int = 16, batch: int = 0) -> dict:
    home = tempfile.mkdtemp(prefix="fae-bench-http-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    node = subprocess.Popen(
        [sys.executable, "-m", "faechain", "demo", "--home", home, "--port", str(port), "--no-browser", "--empty"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(url)
        with urllib.request.urlopen(url + "/v1/info") as r:
            info = json.loads(r.read())
        exchange, inv = Identity.load(home, "exchange"), Identity.load(home, "investor1")
        now = int(time.time() * 1000)
        # register the exchange's certificate first, then sign the rest without it
        first = exchange.sign_tx(info["chain_id"], "membership", "set_attributes",
                                 {"org_id": inv.org_id, "attributes": {"score": -1}}, now_ms=now)
        req = urllib.request.Request(url + "/v1/txs?wait=true", data=first,
                                     headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req).read()
        envs = [
            exchange.sign_tx(info["chain_id"], "membership", "set_attributes",
                             {"org_id": inv.org_id, "attributes": {"score": i}}, attach_cert=False, nonce=i, now_ms=now)
            for i in range(count)
        ]
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        parts = [envs[i::procs] for i in range(procs)]
        start = time.perf_counter()
        ps = [ctx.Process(target=_client_proc, args=(port, part, threads, q, batch)) for part in parts]
        for p in ps:
            p.start()
        ok = sum(q.get() for _ in ps)
        elapsed = time.perf_counter() - start
        for p in ps:
            p.join()
        return {"txs": ok, "seconds": elapsed, "tps": ok / elapsed, "clients": procs * threads, "batch": batch}
    finally:
        node.terminate()
        node.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--txs", type=int, default=5000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--batch", type=int, default=0,
                    help="post N envelopes per request to /v1/txs/batch (default: one per POST /v1/txs)")
    a = ap.parse_args()
    if not 0 <= a.batch <= 1000:
        ap.error("--batch must lie in [0, 1000]")
    r = http_rate(a.txs, a.procs, a.threads, a.batch)
    how = f"batches of {a.batch}" if a.batch else "one tx per request"
    print(f"end-to-end over HTTP ({how}): {r['tps']:,.0f} tx/s ({r['txs']} ok in {r['seconds']:.2f} s, "
          f"{r['clients']} clients)")
