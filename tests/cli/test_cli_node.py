"""A chain built with the CLI alone: `fae ca create/issue` → `fae genesis create` →
`fae node init` → `fae node start` (a subprocess), then signed reads and a transaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

from fae_cli_helpers import fae, free_port, wait_healthy

EXCHANGE = "91110000MA0000801E"
BANK = "91110000MA0000802B"


def ok(res: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_chain_from_the_cli(tmp_path):
    t = str(tmp_path)
    ok(fae("ca", "create", "--dir", f"{t}/ca-ex", "--org-id", EXCHANGE, "--name", "CLI Exchange", "--type", "exchange"))
    ok(fae("ca", "create", "--dir", f"{t}/ca-bank", "--org-id", BANK, "--name", "CLI Bank", "--type", "BANK"))
    ok(fae("genesis", "create", "--chain-id", "cli-net", "--out", f"{t}/genesis.json",
           "--org", f"{t}/ca-ex", "--org", f"{t}/ca-bank"))
    home = f"{t}/node"
    port = free_port()
    ok(fae("node", "init", "--home", home, "--genesis", f"{t}/genesis.json", "--port", str(port)))
    ok(fae("ca", "issue", "--dir", f"{t}/ca-ex", "--wallet", f"{home}/wallet", "--name", "ops"))
    ok(fae("ca", "issue", "--dir", f"{t}/ca-bank", "--wallet", f"{home}/wallet", "--name", "teller",
           "--attr", "admin=true"))

    log = open(os.path.join(t, "node.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "faechain", "node", "start", "--home", home],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 60)
        info = json.loads(urllib.request.urlopen(url + "/v1/info", timeout=5).read())
        assert info["chain_id"] == "cli-net" and info["dev"] is False

        # not a dev chain: reads must be signed, and the clock cannot be advanced
        anon = fae("query", "--home", home, "membership", "orgs")
        assert anon.returncode == 1 and "unauthenticated" in anon.stderr and "--as" in anon.stderr
        orgs = json.loads(ok(fae("query", "--home", home, "--as", "teller", "membership", "orgs")).stdout)
        assert sorted(o["id"] for o in orgs) == sorted([BANK, EXCHANGE])
        adv = fae("dev", "advance-time", "10", "--home", home, "--as", "ops")
        assert adv.returncode == 1 and "forbidden" in adv.stderr

        r = json.loads(ok(fae("tx", "--home", home, "--as", "ops", "membership", "set_attributes",
                              f"org_id={BANK}", 'attributes={"rating":"AA"}')).stdout)
        assert r["ok"] and r["height"] >= 1  # committed (a slow machine may have made an empty block first)
        who = json.loads(ok(fae("query", "--home", home, "--as", "teller", "membership", "whoami")).stdout)
        assert who["org_id"] == BANK and who["role"] == "BANK" and who["attributes"]["rating"] == "AA"
        blk = json.loads(ok(fae("show", "block", "1", "--home", home, "--as", "ops")).stdout)
        assert blk["txs"][0]["hash"] == r["tx_hash"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
    assert proc.returncode == 0
    with open(os.path.join(t, "node.log")) as f:
        out = f.read()
    assert "serving" in out and "node stopped" in out
    res = ok(fae("verify", "--home", home))
    assert res.stdout.startswith("ok: 2 blocks verified")


def test_a_member_node_from_the_cli(tmp_path):
    """A bank runs a member node of a solo chain built with the CLI alone: `fae node init --member`,
    its identity in the home's wallet, `fae node start`; its reads and a transaction go through it."""
    t = str(tmp_path)
    ok(fae("ca", "create", "--dir", f"{t}/ca-ex", "--org-id", EXCHANGE, "--name", "CLI Exchange", "--type", "exchange"))
    ok(fae("ca", "create", "--dir", f"{t}/ca-bank", "--org-id", BANK, "--name", "CLI Bank", "--type", "BANK"))
    ok(fae("genesis", "create", "--chain-id", "cli-net", "--out", f"{t}/genesis.json", "--org", f"{t}/ca-ex",
           "--org", f"{t}/ca-bank", "--block-signer-key", f"{t}/signer.pem"))
    home, member = f"{t}/node", f"{t}/member"
    port, member_port = free_port(), free_port()
    ok(fae("node", "init", "--home", home, "--genesis", f"{t}/genesis.json", "--port", str(port),
           "--block-signer-key", f"{t}/signer.pem"))
    ok(fae("ca", "issue", "--dir", f"{t}/ca-ex", "--wallet", f"{home}/wallet", "--name", "ops"))
    url = f"http://127.0.0.1:{port}"
    bad = fae("node", "init", "--home", member, "--genesis", f"{t}/genesis.json", "--member", BANK)
    assert bad.returncode == 2 and "--identity" in bad.stderr
    bad = fae("node", "init", "--home", member, "--genesis", f"{t}/genesis.json", "--validator", url)
    assert bad.returncode == 2 and "--member" in bad.stderr
    ok(fae("node", "init", "--home", member, "--genesis", f"{t}/genesis.json", "--port", str(member_port),
           "--member", BANK, "--identity", "teller", "--validator", url))
    ok(fae("ca", "issue", "--dir", f"{t}/ca-bank", "--wallet", f"{member}/wallet", "--name", "teller",
           "--attr", "admin=true"))
    with open(f"{member}/config.json") as f:
        assert json.load(f)["member"] == {"org": BANK, "identity": "teller", "validators": [url]}
    procs = []
    logs = [open(os.path.join(t, f"{n}.log"), "w") for n in ("node", "member")]
    try:
        for h, log in zip((home, member), logs, strict=True):
            procs.append(subprocess.Popen([sys.executable, "-m", "faechain", "node", "start", "--home", h],
                                          stdout=log, stderr=subprocess.STDOUT))
        wait_healthy(url, procs[0], 60)
        wait_healthy(f"http://127.0.0.1:{member_port}", procs[1], 60)
        who = json.loads(ok(fae("query", "--home", member, "--as", "teller", "membership", "whoami")).stdout)
        assert who["org_id"] == BANK
        # forwarded to the validator, whose contract refuses it (the exchange is no core enterprise);
        # the receipt is answered once the member node holds its block
        res = fae("tx", "--home", member, "--as", "teller", "receivables", "grant_credit", f"core={EXCHANGE}",
                  "amount=100", "expires=4102444800")
        r = json.loads(res.stdout)
        assert res.returncode == 1 and r["code"] == "bad_request" and "not a core enterprise" in r["message"]
        tx = json.loads(ok(fae("show", "tx", r["tx_hash"], "--home", member, "--as", "teller")).stdout)
        assert tx["height"] == r["height"] and not tx.get("withheld")
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()
