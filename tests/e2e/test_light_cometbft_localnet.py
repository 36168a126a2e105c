"""The SDK's CometBFT light client against a real 4-validator network (separate processes):
the headers, validator sets and votes CometBFT serves hash and verify here exactly as
CometBFT computes them; sequential and skipping verification reach the head from block 1
(trusted from the genesis validators); forgeries of live blocks are refused; header h+1
carries faechain's app hash after block h; and after a governance vote changes the
validator set, verification still crosses the change.

Run only these: python -m pytest -m localnet tests/e2e/test_light_cometbft_localnet.py
Refresh the captured vectors (tests/sdk/vectors/) with FAE_WRITE_LIGHT_VECTORS=1.
"""

from __future__ import annotations

import base64
import json
import os

import pytest
from localnet_support import client, running_localnet, wait_until

from faechain.devnet.demo import MEMBERS
from faechain.sdk import Client, Identity
from faechain.sdk.light.cometbft import (
    LightBlock,
    ValidatorSet,
    data_hash,
    light_block_from_json,
    trust_genesis,
    trusted_header,
    verify_adjacent,
    verify_to,
)
from faechain.sdk.light.rpc import CometRpc
from tests.sdk.light_support import VECTORS, assert_forgeries_refused, refused

pytestmark = pytest.mark.localnet

DAY_S = 86_400.0


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running_localnet(str(tmp_path_factory.mktemp("light") / "net"), 4) as network:
        yield network


def rpc(net, i: int) -> CometRpc:
    return CometRpc(net.nodes[i].rpc_url, timeout=10)


def reach(net, i: int, h: int) -> int:
    """Wait until node i's CometBFT has committed height h (bounded polling); its height."""
    src = rpc(net, i)

    def top() -> int | None:
        now = src.latest_height()
        return now if now >= h else None

    return wait_until(top, 60, f"node{i} CometBFT at height {h}")


def genesis_validators(net) -> ValidatorSet:
    """The genesis set as a member knows it from genesis (keys and power 10), not from a node."""
    return ValidatorSet.of([(base64.b64decode(n.pub_key), 10) for n in net.nodes])


def test_headers_hash_and_verify_as_cometbft_computes_them(net):
    c0 = client(net, 0)
    receipts = [c0.submit(c0.identity, "membership", "set_attributes", org_id=c0.identity.org_id,
                          attributes={"light": n}) for n in range(3)]
    assert all(r.ok for r in receipts), [(r.code, r.message) for r in receipts]
    tx_heights = sorted({r.height for r in receipts})
    head = max(tx_heights) + 5
    for i in range(4):
        reach(net, i, head)
    for i in range(4):
        src = rpc(net, i)
        blocks = {h: src.light_block(h) for h in range(1, head + 1)}
        for h, lb in blocks.items():  # the header hash recomputed here is CometBFT's block id
            assert lb.hash().hex().upper() == src.call("block", height=h)["block_id"]["hash"], (i, h)
            assert lb.validator_set.hash() == lb.header.validators_hash, (i, h)
        now = blocks[head].header.time_ms + 1_000  # injected: a second after the head
        first = trust_genesis(net.chain_id, genesis_validators(net), src)
        assert first == blocks[1]
        for h in range(2, head + 1):  # sequential: every header from its predecessor
            tally = verify_adjacent(blocks[h - 1], blocks[h], DAY_S, now)
            assert tally.power * 3 > tally.total_power * 2
        block, trace = verify_to(first, head, src, now_ms=now)  # skipping: one step, the set never changed
        assert block == blocks[head] and [b.height for b in trace] == [1, head]
        back, trace = verify_to(block, head - 3, src, now_ms=now)  # backwards, by header hashes
        assert back.hash() == blocks[head - 3].hash()
        assert [b.height for b in trace] == list(range(head, head - 4, -1))

    # header h+1 carries faechain's app hash after block h; header h its time and transactions
    src = rpc(net, 1)
    for h in tx_heights:
        after, header = src.light_block(h + 1), src.light_block(h).header
        trusted = trusted_header(after, header)
        fae = c0.block(h)
        assert trusted.height == h and trusted.app_hash.hex() == fae["header"]["app_hash"]
        assert trusted.time_ms == fae["header"]["time"]
        assert trusted.basis.startswith("signed by ") and f"CometBFT header {h + 1}" in trusted.basis
        txs = [base64.b64decode(t) for t in src.call("block", height=h)["block"]["data"]["txs"]]
        assert txs and data_hash(txs) == header.data_hash

    if os.environ.get("FAE_WRITE_LIGHT_VECTORS"):
        write_vectors(net, src, tx_heights[0], c0)


def write_vectors(net, src: CometRpc, h: int, c0: Client) -> None:
    """Capture real light blocks (CometBFT's JSON as served) for the fast unit tests."""
    blocks = {}
    for x in (1, h, h + 1, h + 4):
        lb = {"signed_header": src.commit(x)["signed_header"], "validator_set": {"validators": src.validators(x)}}
        assert light_block_from_json(lb) == src.light_block(x)
        blocks[str(x)] = {"light_block": lb, "block_id_hash": src.call("block", height=x)["block_id"]["hash"],
                          "faechain_app_hash_after_previous": c0.block(x - 1)["header"]["app_hash"] if x > 1 else None,
                          "faechain_block_time_ms": c0.block(x)["header"]["time"]}
    doc = {"about": "light blocks of a real 4-validator `fae localnet` (CometBFT "
                    f"{src.call('status')['node_info']['version']}), captured by "
                    "tests/e2e/test_light_cometbft_localnet.py with FAE_WRITE_LIGHT_VECTORS=1",
           "chain_id": net.chain_id, "genesis_validators": [n.pub_key for n in net.nodes], "genesis_power": 10,
           "heights": {"first": 1, "trusted": h, "adjacent": h + 1, "far": h + 4},
           "blocks": blocks}
    os.makedirs(os.path.dirname(VECTORS), exist_ok=True)
    with open(VECTORS, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def test_forgeries_of_live_blocks_are_refused(net):
    src = rpc(net, 2)
    top = reach(net, 2, 8)
    trusted, nxt, far = (src.light_block(h) for h in (top - 6, top - 5, top - 1))
    assert_forgeries_refused(trusted, nxt, far)


def test_verification_crosses_a_validator_set_change(net):
    """A governance vote gives node0 power 30 (the others keep 10): headers name a new
    validator set from two blocks after the vote; sequential verification crosses the
    change through next_validators_hash, and skipping from block 1 reaches past it in one
    step because the genesis validators who signed still hold more than 1/3 of their old power."""
    node = net.nodes[0]
    c0 = client(net, 0)
    r = c0.submit(c0.identity, "governance", "propose", kind="set_validator", summary="node0 to 30",
                  params={"pub_key": base64.b64decode(node.pub_key).hex(), "power": 30, "name": node.name,
                          "org_id": node.org_id})
    assert r.ok, (r.code, r.message)
    pid, need = r.result["proposal"], r.result["need"]
    pending = []
    for n, member in enumerate(m.name for m in MEMBERS[:need]):
        ci = Client(net.nodes[n % 4].api_url, identity=Identity.load(net.home, member), timeout=20)
        v = ci.submit(ci.identity, "governance", "vote", wait=False, proposal=pid, approve=True)
        assert v.ok or v.pending, (member, v.code, v.message)
        pending.append((ci, v.tx_hash))
    assert all(ci.wait(h, timeout=60).ok for ci, h in pending)
    src = rpc(net, 3)

    def changed_at() -> int | None:
        top = src.latest_height()
        powers = [v.voting_power for v in src.light_block(top).validator_set.validators]
        return top if max(powers) == 30 else None

    top = wait_until(changed_at, 60, "node0 at power 30 in CometBFT's validator set")
    head = reach(net, 3, top + 2)
    blocks = {h: src.light_block(h) for h in range(1, head + 1)}
    change = min(h for h, b in blocks.items() if b.header.validators_hash != blocks[1].header.validators_hash)
    assert blocks[change - 1].header.next_validators_hash == blocks[change].header.validators_hash
    assert blocks[change].validator_set.total_voting_power == 60
    now = blocks[head].header.time_ms + 1_000
    for h in range(2, head + 1):
        verify_adjacent(blocks[h - 1], blocks[h], DAY_S, now)
    first = trust_genesis(net.chain_id, genesis_validators(net), src)
    block, trace = verify_to(first, head, src, now_ms=now)
    assert block == blocks[head] and [b.height for b in trace] == [1, head]
    # a header after the change served with the genesis set instead of its own is refused
    forged = LightBlock(blocks[head].signed_header, blocks[1].validator_set)
    msg = refused(verify_to, first, head, lambda h: forged if h == head else src(h), now_ms=now)
    assert msg.startswith(f"validator set given for height {head} hashes to "), msg
    # and the change itself cannot be skipped over by a set the previous header did not announce
    msg = refused(verify_adjacent, blocks[change - 1], LightBlock(blocks[change].signed_header,
                                                                   blocks[change - 1].validator_set), DAY_S, now)
    assert msg.startswith(f"validator set given for height {change} hashes to "), msg
