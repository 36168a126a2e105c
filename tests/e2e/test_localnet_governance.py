"""The validator set changes by a governance vote on a running 4-validator CometBFT network:
a fifth node joins as a full node, the member organisations vote it in (it appears in
CometBFT's validator set and signs blocks), then vote an original validator out (it
leaves; the network keeps committing with four, even once the removed node is stopped).

Run only these: python -m pytest -m localnet
"""

from __future__ import annotations

import base64
import contextlib

import pytest
from localnet_support import NETWORKS, assert_same_app_hashes, client, height, heights, require_cometbft, wait_until

from faechain.devnet import localnet as L
from faechain.devnet.demo import MEMBERS
from faechain.engines.cometbft.rpc import RpcClient
from faechain.modules.governance.records import need_for
from faechain.sdk import Client, Identity

pytestmark = pytest.mark.localnet

NEED = need_for(len(MEMBERS))  # two thirds of the demo's member organisations, rounded up


@contextlib.contextmanager
def localnet_with_room(home: str, validators: int = 4, spare: int = 1):
    """A running network whose block of free ports has room for `spare` more nodes."""
    require_cometbft()
    net = L.create(home, validators, base_port=L.free_base_port(validators + spare))
    NETWORKS.append(net)
    try:
        net.start(timeout=120)
        yield net
    finally:
        net.stop(timeout=15)
        NETWORKS.remove(net)
        leftover = [f"node{i}.{k}" for i in range(len(net.nodes)) for k in ("fae", "cometbft") if net.pid(i, k)]
        assert not leftover, f"processes still running after stop: {leftover}"


def cometbft_validators(net: L.Localnet, i: int) -> dict[str, int]:
    """CometBFT's current validator set at node i: base64 ed25519 key -> voting power."""
    rpc = RpcClient(net.nodes[i].rpc_url, timeout=5)
    try:
        vals = rpc.call("validators", per_page="100")["validators"]
    finally:
        rpc.close()
    return {v["pub_key"]["value"]: int(v["voting_power"]) for v in vals}


def signers(net: L.Localnet, i: int, h: int) -> set[str]:
    """Validator addresses whose signatures are in the commit of block h (CometBFT's view at node i)."""
    rpc = RpcClient(net.nodes[i].rpc_url, timeout=5)
    try:
        sigs = rpc.call("commit", height=str(h))["signed_header"]["commit"]["signatures"]
    finally:
        rpc.close()
    return {s["validator_address"] for s in sigs if s.get("signature")}


def vote_through(net: L.Localnet, spec: L.NodeSpec, power: int, proposer: str = "exchange") -> dict:
    """Propose set_validator for node `spec`'s key at `power`, and let NEED organisations vote
    yes through different nodes; the executed proposal."""
    c0 = client(net, 0, proposer)
    r = c0.submit(c0.identity, "governance", "propose", kind="set_validator", summary=f"{spec.label} {power}",
                  params={"pub_key": base64.b64decode(spec.pub_key).hex(), "power": power, "name": spec.name,
                          "org_id": spec.org_id})
    assert r.ok, (r.code, r.message)
    pid = r.result["proposal"]
    assert r.result["need"] == NEED
    live = [i for i in range(len(net.nodes)) if net.pid(i, "fae")]
    pending = []
    for n, member in enumerate(m.name for m in MEMBERS[:NEED]):
        i = live[n % len(live)]
        ci = Client(net.nodes[i].api_url, identity=Identity.load(net.home, member), timeout=20)
        v = ci.submit(ci.identity, "governance", "vote", wait=False, proposal=pid, approve=True)
        assert v.ok or v.pending, (member, v.code, v.message)
        pending.append((ci, v.tx_hash))
    receipts = [ci.wait(h, timeout=60) for ci, h in pending]
    assert all(x.ok for x in receipts), [(x.code, x.message) for x in receipts]
    assert sorted(x.result["status"] for x in receipts)[0] == "EXECUTED"  # the deciding vote executed it
    p = c0.query("governance", "proposal", id=pid)
    assert p["status"] == "EXECUTED" and p["yes"] == NEED, p
    return p


def test_a_validator_joins_by_vote_and_another_leaves(tmp_path):
    with localnet_with_room(str(tmp_path / "net")) as net:
        originals = {n.pub_key: 10 for n in net.nodes}
        assert cometbft_validators(net, 0) == originals

        # a fifth node, operated by bank2, joins as a full node and syncs
        new = net.add_node()
        assert (new.index, new.name) == (4, "bank2") and new.pub_key not in originals
        net.start([4], timeout=120)
        target = height(net, 0)
        wait_until(lambda: (height(net, 4) or 0) >= target, 60, f"node4 to sync to {target} ({heights(net)})")

        # voted in: CometBFT runs it two blocks after the vote's block, and it signs
        p = vote_through(net, new, 10)
        assert p["result"]["validators"] == 5
        wait_until(lambda: cometbft_validators(net, 0).get(new.pub_key) == 10, 60,
                   "node4 in CometBFT's validator set")
        assert cometbft_validators(net, 4) == {**originals, new.pub_key: 10}
        joined = height(net, 0)
        wait_until(lambda: any(new.address in signers(net, 0, h) for h in range(joined, height(net, 0))), 60,
                   "a block signed by node4")

        # voted out: an original validator (the registrar's node3) leaves
        gone = net.nodes[3]
        p = vote_through(net, gone, 0, proposer="regulator")
        assert p["result"]["validators"] == 4
        wait_until(lambda: gone.pub_key not in cometbft_validators(net, 4), 60, "node3 out of the validator set")
        assert cometbft_validators(net, 0) == {k: 10 for k in originals if k != gone.pub_key} | {new.pub_key: 10}
        held = client(net, 4).query("governance", "validators")
        assert sorted(base64.b64encode(bytes.fromhex(v["pub_key"])).decode() for v in held["validators"]) == \
            sorted(cometbft_validators(net, 4))

        # the four keep committing, also once the removed node is stopped altogether
        net.stop([3])
        h0 = height(net, 0)
        wait_until(lambda: min(height(net, i) or 0 for i in (0, 1, 2, 4)) >= h0 + 3, 60,
                   f"3 more blocks without node3 ({heights(net)})")
        assert gone.address not in signers(net, 4, height(net, 4) - 1)
        assert_same_app_hashes(net, nodes=[0, 1, 2, 4])
