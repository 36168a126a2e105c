"""Crash safety as a user meets it: kill -9 `fae demo` while clients commit over HTTP.

Client threads submit signed transactions through the REST API with wait=true and
note each hash whose receipt came back "ok" (reported committed). The node process
is killed with SIGKILL at a random moment, restarted on the same home, and the
round repeats. Afterwards every reported transaction must be served by the node
with its ok receipt, and `fae verify` must pass on the node's data.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from faechain.node.testing import free_port
from faechain.sdk import ApiError, Client, Identity

ROUNDS = 3


def _fae(*args: str) -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "fae")
    base = [script] if os.path.exists(script) else [sys.executable, "-m", "faechain"]
    return [*base, *args]


def _start(home: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(_fae("demo", "--home", home, "--port", str(port), "--no-browser", "--empty"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"fae demo exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("fae demo did not come up")


def _client_loop(url: str, ident: Identity, org_id: str, stop: threading.Event, reported: list, lock) -> None:
    client = Client(url, identity=ident, timeout=10)
    i = 0
    while not stop.is_set():
        i += 1
        try:
            r = client.submit(ident, "membership", "set_attributes", org_id=org_id,
                              attributes={"round": i, "who": ident.name})
        except (ApiError, OSError):
            return  # the node died under us: whatever was not reported does not count
        if r.ok:
            with lock:
                reported.append(r.tx_hash)


@pytest.mark.timeout(240)
def test_kill_9_during_commits_loses_nothing_reported(tmp_path):
    home = str(tmp_path / "demo")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    reported: list[str] = []
    lock = threading.Lock()
    rng = random.Random(7)
    proc = _start(home, port)
    exchange = Identity.load(home, "exchange")
    targets = [Identity.load(home, n).org_id for n in ("investor1", "investor2", "investor3")]
    try:
        for _ in range(ROUNDS):
            stop = threading.Event()
            threads = [threading.Thread(target=_client_loop, args=(url, exchange, org, stop, reported, lock))
                       for org in targets]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.8, 2.0))
            before = len(reported)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            stop.set()
            for t in threads:
                t.join(15)
            assert before > 0, "nothing was committed before the kill"
            proc = _start(home, port)
        client = Client(url, identity=exchange)
        with lock:
            hashes = list(reported)
        assert len(hashes) >= ROUNDS
        for h in hashes:
            doc = client.tx(h)
            assert doc["receipt"]["code"] == "ok", doc
        head = client.info()["height"]
        assert client.block(head)["height"] == head
    finally:
        proc.terminate()
        proc.wait(30)
    verify = subprocess.run(_fae("verify", "--home", home), capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("ok"), verify.stdout
