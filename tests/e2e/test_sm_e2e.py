"""End to end on SM2/SM3: `fae demo --crypto sm` and `fae localnet up --crypto sm` as a user
runs them, as subprocesses, driven through the SDK.

CometBFT's own consensus keys (validators, node ids) stay Ed25519: CometBFT has no SM2.
Everything faechain signs or hashes (certificates, transactions, reads, blocks, state,
proofs, documents) is SM2/SM3 on such a chain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from cryptography import x509
from localnet_support import require_cometbft

from faechain.core.genesis import Genesis
from faechain.crypto import sm2
from faechain.crypto.suite import get_suite
from faechain.devnet.demo import demo_org_id
from faechain.ledger.smt import verify_proof
from faechain.node.testing import free_port
from faechain.sdk import Client, Identity
from faechain.sdk.light.client import LightClient
from faechain.sdk.trust import VerificationError

SM3 = get_suite("sm2-sm3").hash
SHA256 = get_suite("ed25519").hash


def _fae_command() -> list[str]:
    return [sys.executable, "-m", "faechain"]


def _info(url: str) -> dict:
    with urllib.request.urlopen(url + "/v1/info", timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture()
def sm_demo(tmp_path):
    home = str(tmp_path / "demo")
    port = free_port()
    proc = subprocess.Popen([*_fae_command(), "demo", "--crypto", "sm", "--home", home, "--port", str(port),
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while True:  # wait for the banner, then for the samples
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise AssertionError("fae demo --crypto sm exited early:\n" + "".join(lines))
            lines.append(line)
            if line.startswith("seeded samples:") or line.startswith("warning: seeding"):
                break
            if time.monotonic() > deadline:
                raise AssertionError("no samples seeded within 120 s:\n" + "".join(lines))
        yield proc, url, home, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_fae_demo_crypto_sm(sm_demo, tmp_path):
    proc, url, home, out = sm_demo
    assert "suite sm2-sm3" in out and "seeded samples: receivables, plans" in out, out
    info = _info(url)
    assert info["suite"] == "sm2-sm3" and info["chain_id"] == "fae-demo"
    with open(os.path.join(home, "genesis.json")) as f:
        assert json.load(f)["suite"] == "sm2-sm3"
    exchange, investor1 = Identity.load(home, "exchange"), Identity.load(home, "investor1")
    assert isinstance(exchange.key, sm2.Sm2PrivateKey)
    cert = x509.load_der_x509_certificate(exchange.cert)
    assert cert.signature_algorithm_oid.dotted_string == "1.2.156.10197.1.501"

    with Client(url, identity=exchange) as c:
        c.trust = LightClient(Genesis.load(os.path.join(home, "genesis.json")), c)  # SM2 block signer
        r = c.submit(exchange, "membership", "set_attributes", org_id=demo_org_id(12), attributes={"e2e": "sm"})
        assert r.ok, r
        assert len(r.tx_hash) == 64
        tx = c.tx(r.tx_hash)
        assert tx["height"] == r.height
        proof = c.prove(f"membership/org/{demo_org_id(12)}")
        assert proof["verified"] and proof["decoded"]["attributes"]["e2e"] == "sm"
        args = (proof["app_hash"], proof["key"], proof["value"], proof["proof"])
        assert verify_proof(SM3, *args) and not verify_proof(SHA256, *args)
        block = c.block(r.height)
        assert block["header"]["app_hash"] == proof["header_app_hash"].hex() or block["height"] == r.height
        assert c.document_hash(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        [plan] = c.query("plans", "plans", status="OUTSTANDING")
    with Client(url, identity=investor1) as c:
        c.trust = LightClient(Genesis.load(os.path.join(home, "genesis.json")), c)
        seen = c.penetrate(plan["id"])  # every proof checked with SM3
        assert seen.ok and seen.checked > 10, seen.problems
    # the CLI talks SM too: a signed read and a signed transaction
    r = subprocess.run([*_fae_command(), "query", "--home", home, "--as", "regulator", "membership", "whoami"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "regulator" in r.stdout, r.stderr
    # stop the node, then `fae verify` re-checks every hash and SM2 signature of the chain
    proc.terminate()
    proc.wait(30)
    r = subprocess.run([*_fae_command(), "verify", "--home", home], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.startswith("ok:"), r.stdout + r.stderr
    # the same home cannot be reopened as an Ed25519 demo
    r = subprocess.run([*_fae_command(), "demo", "--crypto", "ed25519", "--home", home, "--no-browser"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "sm2-sm3" in r.stderr


@pytest.mark.localnet
def test_fae_localnet_up_crypto_sm_four_validators_commit(tmp_path):
    from faechain.devnet.localnet import Localnet, free_base_port

    require_cometbft()
    home = str(tmp_path / "net")
    base = free_base_port(4)

    def fae(*argv, timeout=60):
        env = {k: v for k, v in os.environ.items() if k != "FAE_DEBUG"}
        return subprocess.run([*_fae_command(), *argv], capture_output=True, text=True, timeout=timeout, env=env)

    try:
        r = fae("localnet", "up", "--crypto", "sm", "--validators", "4", "--home", home, "--base-port", str(base),
                timeout=240)
        assert r.returncode == 0, r.stdout + r.stderr
        net = Localnet.load(home)
        with open(os.path.join(home, "genesis.json")) as f:
            genesis = json.load(f)
        assert genesis["suite"] == "sm2-sm3"
        assert {v["key_type"] for v in genesis["validators"]} == {"ed25519"}  # CometBFT's own keys
        exchange = Identity.load(home, "exchange")
        assert isinstance(exchange.key, sm2.Sm2PrivateKey)
        with Client(net.nodes[0].api_url, identity=exchange) as c0:
            assert c0.info()["suite"] == "sm2-sm3"
            r0 = c0.submit(exchange, "membership", "set_attributes", org_id=demo_org_id(12),
                           attributes={"e2e": "sm-localnet"})
            assert r0.ok, r0
        # every validator commits the same SM3 app hash, and its proofs verify with SM3
        deadline = time.monotonic() + 60
        while True:
            hashes = set()
            for n in net.nodes:
                with Client(n.api_url, identity=exchange) as c:
                    c.trust = LightClient(Genesis.load(os.path.join(net.home, "genesis.json")), c)
                    got = c.query("membership", "org", org_id=demo_org_id(12))
                    try:
                        proof = c.prove(f"membership/org/{demo_org_id(12)}")
                    except VerificationError as exc:  # a node still at its first block: no signed state yet
                        assert exc.code == "unavailable", exc
                        hashes.add((False, None))
                        continue
                    hashes.add((proof["height"] >= r0.height, got["attributes"].get("e2e")))
                    assert proof["verified"]
                    assert verify_proof(SM3, proof["app_hash"], proof["key"], proof["value"], proof["proof"])
            if hashes == {(True, "sm-localnet")}:
                break
            assert time.monotonic() < deadline, hashes
            time.sleep(0.5)
        r = fae("localnet", "status", "--home", home, "--json")
        rows = json.loads(r.stdout)["nodes"]
        assert len(rows) == 4 and all(row["height"] and row["height"] >= r0.height for row in rows)
        at = min(row["height"] for row in rows)
        heads = set()
        for n in net.nodes:
            with Client(n.api_url, identity=exchange) as c:
                heads.add(c.block(at)["header"]["app_hash"])
        assert len(heads) == 1  # one chain
        r = fae("localnet", "up", "--crypto", "ed25519", "--home", home)
        assert r.returncode == 2 and "sm2-sm3" in r.stderr
    finally:
        if os.path.exists(home):
            Localnet.load(home).stop()
