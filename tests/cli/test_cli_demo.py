"""`fae demo` as a real subprocess, and `fae tx/query/block/state/ca revoke/verify` against it.

The tests in this module share one demo node (started once) and run in file order;
the last one stops the node and verifies its ledger offline.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from fae_cli_helpers import CMD_TIMEOUT, fae, free_port, wait_healthy  # noqa: F401

from faechain.devnet.demo import MEMBERS, demo_org_id

INVESTOR4_ORG = demo_org_id([m.name for m in MEMBERS].index("investor4") + 1)
STARTUP_TIMEOUT = 60


class Demo:
    def __init__(self, home: str, port: int, proc: subprocess.Popen, log: str):
        self.home, self.port, self.proc, self.log = home, port, proc, log
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        with open(self.log) as f:
            return f.read()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("fae") / "demo")
    port = free_port()
    log = os.path.join(os.path.dirname(home), "demo.log")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("FAE_HOME", None)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "faechain", "demo", "--home", home, "--port", str(port), "--no-browser",
             "--empty"], stdout=out, stderr=subprocess.STDOUT, env=env)
    d = Demo(home, port, proc, log)
    try:
        wait_healthy(d.url, proc, STARTUP_TIMEOUT)
        yield d
    except AssertionError:
        d.stop()
        raise AssertionError(f"fae demo did not come up; its output:\n{d.output()}") from None
    finally:
        d.stop()


def receipt_of(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout)


def test_demo_serves_and_creates_the_consortium(demo):
    wallet = os.path.join(demo.home, "wallet")
    names = sorted(os.listdir(wallet))
    assert names == sorted(m.name for m in MEMBERS) and len(names) == len(MEMBERS)
    for m in MEMBERS:
        with open(os.path.join(wallet, m.name, "identity.json")) as f:
            ident = json.load(f)
        assert ident["role"] == m.org_type and ident["org_name"] == m.org_name
        for part in ("cert.pem", "key.pem"):
            assert os.path.exists(os.path.join(wallet, m.name, part))
    for _ in range(100):  # the banner follows the first /healthz by a moment
        out = demo.output()
        if "Ctrl-C" in out:
            break
        time.sleep(0.1)
    assert "fae-demo" in out and demo.url in out and demo.home in out and wallet in out
    assert "Individual investor 0014" in out and "INVESTOR" in out
    assert "from faechain.sdk import Client, Identity" in out
    # --empty: no samples, and they never will be seeded into this home
    marker = os.path.join(demo.home, ".samples_seeded")
    assert json.load(open(marker))["seeded"] == []
    with open(os.path.join(demo.home, "config.json")) as f:
        assert json.load(f)["port"] == demo.port


def test_tx_and_query(demo):
    res = fae("tx", "--home", demo.home, "--as", "exchange", "membership", "set_attributes",
              f"org_id={INVESTOR4_ORG}", 'attributes={"qualified":true,"tier":2}')
    assert res.returncode == 0, res.stderr
    receipt = receipt_of(res)
    assert receipt["ok"] is True and receipt["code"] == "ok" and receipt["height"] >= 1
    assert len(receipt["tx_hash"]) == 64
    # FAE_HOME picks the home; the URL comes from its config.json (reads are signed: docs/confidentiality.md)
    q = fae("query", "--as", "investor4", "membership", "org", f"org_id={INVESTOR4_ORG}", home=demo.home)
    assert q.returncode == 0, q.stderr
    org = json.loads(q.stdout)
    assert org["id"] == INVESTOR4_ORG and org["attributes"] == {"qualified": True, "tier": 2}
    # the state as of the block before still shows the old attributes
    q = fae("query", "--url", demo.url, "--as", "regulator", "--home", demo.home, "membership", "org",
            f"org_id={INVESTOR4_ORG}", "--height", str(receipt["height"] - 1))
    assert q.returncode == 0, q.stderr
    assert json.loads(q.stdout)["attributes"] == {"qualified": False}

    # block and tx-info
    b = fae("block", str(receipt["height"]), "--url", demo.url)
    assert b.returncode == 0, b.stderr
    assert receipt["tx_hash"] in b.stdout
    t = fae("tx-info", receipt["tx_hash"], "--url", demo.url, "--home", demo.home, "--as", "exchange")
    assert t.returncode == 0, t.stderr
    assert receipt["tx_hash"] in t.stdout and "set_attributes" in t.stdout
    t2 = fae("show", "tx", receipt["tx_hash"], "--url", demo.url, "--home", demo.home, "--as", "exchange")
    assert t2.returncode == 0 and t2.stdout == t.stdout
    hidden = fae("tx-info", receipt["tx_hash"], "--url", demo.url)  # unsigned: that it exists, not what it says
    assert hidden.returncode == 0 and '"withheld": true' in hidden.stdout and "set_attributes" not in hidden.stdout
    latest = fae("block", "latest", "--url", demo.url)
    assert latest.returncode == 0, latest.stderr


def test_unauthorized_tx_exits_1_with_code(demo):
    res = fae("tx", "--home", demo.home, "--as", "investor4", "membership", "set_attributes",
              f"org_id={INVESTOR4_ORG}", 'attributes={"qualified":true}')
    assert res.returncode == 1
    assert receipt_of(res)["code"] == "unauthorized"
    assert "unauthorized" in res.stderr and "Traceback" not in res.stderr
    # a query error is one line too
    q = fae("query", "--home", demo.home, "--as", "investor4", "membership", "org", "org_id=91110000MA9999999X")
    assert q.returncode == 1 and "not_found" in q.stderr and "Traceback" not in q.stderr


def test_state_with_proof(demo):
    res = fae("state", f"membership/org/{INVESTOR4_ORG}", "--prove", "--url", demo.url, "--home", demo.home,
              "--as", "investor4")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["verified"] is True and out["value"] and out["proof"]
    assert "block signer" in out["trust"]  # checked by the signature genesis names, not the node's word
    absent = fae("state", "membership/org/nobody", "--prove", "--url", demo.url, "--home", demo.home,
                 "--as", "investor4")
    assert absent.returncode == 0, absent.stderr
    out = json.loads(absent.stdout)
    assert out["value"] is None and out["verified"] is True


def test_an_unsigned_read_of_a_members_record_says_how_to_sign_it(demo):
    """The demo answers unsigned reads as a non-member's: a member's record reads as absent, and
    the one line says why and what to do; signed, the same command answers."""
    unsigned = fae("state", f"membership/org/{INVESTOR4_ORG}", "--url", demo.url, "--home", demo.home)
    assert unsigned.returncode == 1 and unsigned.stderr.startswith("fae: error: not_found")
    assert "--as NAME" in unsigned.stderr and unsigned.stderr.count("\n") == 1, unsigned.stderr
    signed = fae("state", f"membership/org/{INVESTOR4_ORG}", "--url", demo.url, "--home", demo.home,
                 "--as", "investor4")
    assert signed.returncode == 0 and json.loads(signed.stdout)["found"] is True, signed.stderr
    absent = fae("state", "membership/org/nobody", "--url", demo.url, "--home", demo.home, "--as", "investor4")
    assert "--as NAME" not in absent.stderr  # a signed reader is told nothing more


def test_query_with_proof_prints_the_verified_record(demo, tmp_path):
    core = demo_org_id([m.name for m in MEMBERS].index("core") + 1)
    expires = json.loads(fae("block", "latest", "--url", demo.url).stdout)["header"]["time"] // 1000 + 86400 * 365
    r = fae("tx", "--url", demo.url, "--home", demo.home, "--as", "bank", "receivables", "grant_credit",
            f"core={core}", "amount=123456789", f"expires={expires}")
    assert r.returncode == 0, r.stdout + r.stderr
    res = fae("query", "--prove", "--url", demo.url, "--home", demo.home, "--as", "bank", "receivables", "credit",
              f"core={core}")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert "123456789" in json.dumps(out)  # the verified record, rebuilt from proven bytes
    assert "block signer" in json.dumps(out)  # with what its check rests on
    res = fae("query", "--prove", "--url", demo.url, "--home", demo.home, "membership", "org",
              f"org_id={INVESTOR4_ORG}")
    assert res.returncode == 1 and "has no verifier" in res.stderr  # said, not shown unverified
    # another chain's genesis: nothing this node serves can verify against it
    other = tmp_path / "other-genesis.json"
    doc = json.loads(open(os.path.join(demo.home, "genesis.json")).read())
    doc["block_signer"]["pub_key"] = base64.b64encode(bytes(32)).decode()
    other.write_text(json.dumps(doc))
    bad = fae("state", f"membership/org/{INVESTOR4_ORG}", "--prove", "--url", demo.url, "--genesis", str(other),
              "--home", demo.home, "--as", "investor4")
    assert bad.returncode == 1 and "bad_header" in bad.stderr and "block signer genesis declares" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = fae("state", "x", "--prove", "--url", demo.url, "--genesis", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "your own copy of the chain's genesis" in missing.stderr


def test_revoke_through_the_node(demo):
    ca_dir = os.path.join(demo.home, "ca", "supplier1")
    wallet = os.path.join(demo.home, "wallet")
    for name in ("clerk", "temp"):
        r = fae("ca", "issue", "--dir", ca_dir, "--wallet", wallet, "--name", name, "--attr", "desk=ar")
        assert r.returncode == 0, r.stderr
    ids = {}
    for name in ("clerk", "temp"):
        with open(os.path.join(wallet, name, "identity.json")) as f:
            ids[name] = json.load(f)["cert_id"]
    # the clerk signs one transaction: submitting the CA-signed revocation of `temp`
    r = fae("ca", "revoke", "--dir", ca_dir, "--cert", ids["temp"], "--reason", "left the company",
            "--url", demo.url, "--home", demo.home, "--as", "clerk")
    assert r.returncode == 0, r.stdout + r.stderr
    assert receipt_of(r)["ok"] is True
    q = fae("query", "--url", demo.url, "--home", demo.home, "--as", "exchange", "membership", "cert",
            f"cert_id={ids['clerk']}")
    assert q.returncode == 0 and json.loads(q.stdout)["name"] == "clerk"  # registered by its tx
    # now the clerk's own certificate, submitted by the organisation's admin
    r = fae("ca", "revoke", "--dir", ca_dir, "--cert-file", os.path.join(wallet, "clerk", "cert.pem"),
            "--reason", "key compromised", "--chain-id", "fae-demo",
            "--url", demo.url, "--home", demo.home, "--as", "supplier1")
    assert r.returncode == 0, r.stdout + r.stderr
    q = fae("query", "--url", demo.url, "--home", demo.home, "--as", "exchange", "membership", "cert",
            f"cert_id={ids['clerk']}")
    rec = json.loads(q.stdout)
    assert rec["revoked"] is True and rec["reason"] == "key compromised"
    # a revocation for another chain is refused before anything is signed
    r = fae("ca", "revoke", "--dir", ca_dir, "--cert", ids["clerk"], "--reason", "x", "--chain-id", "other",
            "--url", demo.url, "--home", demo.home, "--as", "supplier1")
    assert r.returncode == 2 and "does not match" in r.stderr
    # its next transaction is rejected
    r = fae("ca", "revoke", "--dir", ca_dir, "--cert", "ab" * 32, "--reason", "x",
            "--url", demo.url, "--home", demo.home, "--as", "clerk")
    assert r.returncode == 1
    assert "revoked" in r.stdout + r.stderr and "Traceback" not in r.stderr
    r = fae("tx", "--url", demo.url, "--home", demo.home, "--as", "clerk", "membership", "set_attributes",
            f"org_id={INVESTOR4_ORG}", "attributes={}")
    assert r.returncode == 1 and "revoked" in r.stdout + r.stderr
    listing = fae("ca", "list", "--dir", ca_dir, "--json")
    revoked = {c["name"] for c in json.loads(listing.stdout)["issued"] if c["revoked"]}
    assert revoked == {"clerk", "temp"}


def test_advance_time(demo):
    before = json.loads(urllib.request.urlopen(demo.url + "/v1/info", timeout=5).read())
    r = fae("dev", "advance-time", "3600", "--url", demo.url)
    assert r.returncode == 0, r.stderr
    assert fae("dev", "advance-time", "0", "--url", demo.url).returncode == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = json.loads(urllib.request.urlopen(demo.url + "/v1/info", timeout=5).read())
        if after.get("time", 0) >= before.get("time", 0) + 3600_000:
            break
        time.sleep(0.2)
    assert after["time"] >= before["time"] + 3600_000


def test_second_demo_on_a_busy_port_fails_clearly(demo, tmp_path):
    r = fae("demo", "--home", str(tmp_path / "other"), "--port", str(demo.port), "--no-browser", "--empty",
            timeout=60)
    assert r.returncode == 1
    assert "already in use" in r.stderr and "Traceback" not in r.stderr


def test_unreachable_node_is_one_line(demo):
    r = fae("query", "--url", f"http://127.0.0.1:{free_port()}", "membership", "orgs")
    assert r.returncode == 1
    assert "cannot reach" in r.stderr and r.stderr.count("\n") == 1


def test_verify_beside_the_running_node(demo):
    r = fae("verify", "--home", demo.home)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok: ")


def test_verify_after_stop(demo):
    assert demo.stop() == 0, demo.output()
    assert "stopped" in demo.output()
    r = fae("verify", "--home", demo.home)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok: ") and "blocks verified" in r.stdout
    n = int(r.stdout.split()[1])
    assert n >= 4
