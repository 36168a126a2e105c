"""ABCI `Query` with proofs on a real 4-validator network, and CometBFT's own light client.

* `/abci_query ... prove=true` at any validator answers a state value with one ProofOp of
  type `fae:smt` that verifies against the app hash in CometBFT's header `h + 1` — the
  header the validators sign — for a present key and for an absent one.
* `cometbft light` (the upstream binary, a light-client proxy with a witness) follows this
  chain's signed headers from a trusted height and serves verified commits; it refuses the
  `fae:smt` proof of an `/abci_query`, because its proof runtime knows only CometBFT's
  `simple:v` operator (merkle.DefaultProofRuntime): a faechain value is checked by
  faechain's light client (faechain.sdk.light), not by the upstream proxy. This test pins
  both halves, so the README's claim stays exactly true.

Run only these: python -m pytest -m localnet
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest
from localnet_support import client, running_localnet, wait_until

from faechain.core.encoding import decode
from faechain.crypto.suite import get_suite
from faechain.engines.cometbft import find_cometbft
from faechain.engines.cometbft.rpc import RpcClient, RpcError
from faechain.ledger.smt import verify_proof

pytestmark = pytest.mark.localnet


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running_localnet(str(tmp_path_factory.mktemp("light") / "net"), 4) as network:
        yield network


def _org_key(net) -> bytes:
    org = client(net, 0).query("membership", "whoami")["org_id"]
    return f"membership/org/{org}".encode()


def _abci_query(rpc_url: str, key: bytes, path: str = "/state") -> dict:
    return RpcClient(rpc_url).call("abci_query", path=path, data=key.hex(), prove=True)["response"]


def _commit(rpc_url: str, height: int) -> dict | None:
    """CometBFT's signed header at `height`, None while it does not exist yet."""
    try:
        return RpcClient(rpc_url).call("commit", height=str(height))["signed_header"]
    except RpcError:
        return None


def test_abci_query_proofs_verify_against_the_signed_app_hash(net):
    c0 = client(net, 0)
    ident = c0.identity
    org = c0.query("membership", "whoami")["org_id"]
    r = c0.submit(ident, "membership", "set_attributes", org_id=org, attributes={"light": 1})
    assert r.ok, r
    wait_until(lambda: all((client(net, i).info()["height"] or 0) >= r.height + 1 for i in range(4)), 60,
               "every node past the transaction's block")
    hasher = get_suite(c0.info().get("suite", "ed25519")).hash
    for key in (_org_key(net), b"membership/org/91110000NOSUCHORG9"):
        for i in (1, 3):
            res = _abci_query(net.nodes[i].rpc_url, key)
            assert int(res.get("code", 0)) == 0, res
            height = int(res["height"])
            value = base64.b64decode(res["value"]) if res.get("value") else None
            ops = res["proofOps"]["ops"]
            assert [op["type"] for op in ops] == ["fae:smt"] and base64.b64decode(ops[0]["key"]) == key
            proof = decode(base64.b64decode(ops[0]["data"]))
            signed = wait_until(lambda i=i, h=height + 1: _commit(net.nodes[i].rpc_url, h), 60,
                                f"CometBFT header {height + 1} (it carries the app hash of block {height})")
            app_hash = bytes.fromhex(signed["header"]["app_hash"])
            assert len(signed["commit"]["signatures"]) == 4
            assert verify_proof(hasher, app_hash, key, value, proof)
            forged = (value or b"") + b" forged"
            assert not verify_proof(hasher, app_hash, key, forged, proof)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    """A JSON-RPC GET; an error answer (HTTP 500 with a JSON body) is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def test_cometbft_light_follows_the_chain_and_refuses_a_faechain_proof(net, tmp_path):
    primary, witness = net.nodes[0].rpc_url, net.nodes[1].rpc_url
    rpc = RpcClient(primary)
    c0 = client(net, 0)
    assert c0.submit(c0.identity, "membership", "set_attributes", org_id=c0.query("membership", "whoami")["org_id"],
                     attributes={"proxy": 1}).ok
    wait_until(lambda: int(rpc.call("status")["sync_info"]["latest_block_height"]) >= 3, 60, "CometBFT height 3")
    trusted = rpc.call("commit", height="1")["signed_header"]["commit"]["block_id"]["hash"]
    chain_id = rpc.call("status")["node_info"]["network"]
    port = _free_port()
    log = open(tmp_path / "light.log", "w")
    proc = subprocess.Popen(
        [find_cometbft(), "light", chain_id, "-p", primary, "-w", witness, "--height", "1", "--hash", trusted,
         "--laddr", f"tcp://127.0.0.1:{port}", "--home-dir", str(tmp_path / "light-home"), "--log_level", "info"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        base = f"http://127.0.0.1:{port}"
        status = wait_until(lambda: _get(base + "/status"), 60, "the light proxy to serve")
        assert status["result"]["node_info"]["network"] == chain_id
        head = int(rpc.call("status")["sync_info"]["latest_block_height"])
        verified = _get(f"{base}/commit?height={head}")
        assert "result" in verified, verified
        verified = verified["result"]["signed_header"]
        assert verified["header"]["app_hash"] == rpc.call("commit", height=str(head))["signed_header"]["header"][
            "app_hash"]
        # a height whose app hash is already in a signed header (CometBFT's header head)
        query = urllib.parse.urlencode({"path": '"/store/faechain/key"', "data": "0x" + _org_key(net).hex(),
                                        "height": head - 1})
        answer = _get(f"{base}/abci_query?{query}")
        assert "error" in answer, answer
        text = json.dumps(answer["error"])
        print("cometbft light on a faechain proof:", text)
        assert "fae:smt" in text or "unrecognized" in text.lower(), text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()
