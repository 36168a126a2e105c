"""`fae localnet up|status|down` as a user runs them, as subprocesses: `up` returns while
the network keeps running in the background; `down` leaves no process behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from localnet_support import require_cometbft


def fae(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FAE_DEBUG"}
    return subprocess.run([sys.executable, "-m", "faechain", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.localnet
def test_up_status_down_as_subprocesses(tmp_path):
    from faechain.devnet.localnet import Localnet, free_base_port

    require_cometbft()
    home = str(tmp_path / "net")
    base = free_base_port(2)
    try:
        r = fae("localnet", "up", "--validators", "2", "--home", home, "--base-port", str(base), timeout=180)
        assert r.returncode == 0, r.stderr
        assert "node0" in r.stdout and "node1" in r.stdout and f"http://127.0.0.1:{base}" in r.stdout
        net = Localnet.load(home)
        assert all(net.pid(i, k) for i in (0, 1) for k in ("fae", "cometbft"))  # still running after `up`
        r = fae("localnet", "status", "--home", home, "--json")
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)["nodes"]
        assert [row["member"] for row in rows] == ["exchange", "regulator"] and rows[0]["height"] >= 1
        # the root home talks to node 0, like `fae demo`'s home
        r = fae("query", "--home", home, "--as", "exchange", "membership", "whoami")
        assert r.returncode == 0 and "exchange" in r.stdout, r.stderr
        r = fae("localnet", "up", "--validators", "3", "--home", home)
        assert r.returncode == 2 and "2 validators" in r.stderr
        r = fae("localnet", "down", "--home", home, "--node", "1")
        assert r.returncode == 0 and "node1.cometbft" in r.stdout and "node1.fae" in r.stdout
        r = fae("localnet", "status", "--home", home)
        assert r.returncode == 1 and "down" in r.stdout  # not every process is up
        r = fae("localnet", "down", "--home", home, "--purge")
        assert r.returncode == 0 and not os.path.exists(home)
        assert not any(net.pid(i, k) for i in (0, 1) for k in ("fae", "cometbft"))
    finally:
        if os.path.exists(home):
            Localnet.load(home).stop()
