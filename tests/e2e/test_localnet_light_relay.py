"""GET /v1/light/{h} on a real 4-validator CometBFT network (separate processes): the node
relays CometBFT's commit and validator set at h + 1, and the app hash in that
validator-signed header is faechain block h's.

Run only these: python -m pytest -m localnet
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request

import pytest
from localnet_support import client, running_localnet, wait_until

from faechain.core.block import Header
from faechain.devnet.demo import demo_org_id
from faechain.engines.cometbft.rpc import RpcClient
from faechain.sdk import Identity

pytestmark = pytest.mark.localnet

BLOCK_ID_FLAG_COMMIT = 2  # a validator's precommit for the block (CometBFT's BlockIDFlag)


def get(url: str) -> tuple[int, dict]:
    """(status, JSON body) of a GET (the localnet's nodes allow anonymous reads: a dev chain on loopback)."""
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_light_block_is_cometbft_commit_and_validators_at_h_plus_1(tmp_path):
    with running_localnet(str(tmp_path / "net"), 4) as net:
        c0 = client(net, 0)
        r = c0.submit(Identity.load(net.home, "exchange"), "membership", "set_attributes",
                      org_id=demo_org_id(15), attributes={"light": "relay"})
        assert r.ok, r
        h = r.height
        api = net.nodes[0].api_url
        # served once CometBFT has header h + 1 (empty blocks follow within seconds)
        status, doc = wait_until(lambda: (lambda s, d: (s, d) if s == 200 else None)(*get(f"{api}/v1/light/{h}")),
                                 60, f"a light block for height {h}")
        block = c0.block(h)
        assert doc["engine"] == "cometbft" and doc["height"] == h
        raw_header = bytes.fromhex(doc["header_bytes"])
        assert hashlib.sha256(raw_header).hexdigest() == doc["block_hash"] == block["hash"]
        assert Header.decode(raw_header).app_hash.hex() == block["header"]["app_hash"]

        signed = doc["commit"]["signed_header"]
        assert int(signed["header"]["height"]) == h + 1 and int(signed["commit"]["height"]) == h + 1
        assert signed["header"]["chain_id"] == net.chain_id
        # CometBFT header h + 1 carries the app hash after faechain block h
        assert signed["header"]["app_hash"].lower() == block["header"]["app_hash"]
        committed = [s for s in signed["commit"]["signatures"] if s["block_id_flag"] == BLOCK_ID_FLAG_COMMIT]
        assert len(committed) >= 3  # more than 2/3 of 4 equal powers signed it

        vals = doc["validators"]
        assert int(vals["block_height"]) == h + 1
        assert int(vals["count"]) == int(vals["total"]) == len(vals["validators"]) == 4
        assert sorted(v["pub_key"]["value"] for v in vals["validators"]) == sorted(n.pub_key for n in net.nodes)
        # verbatim: what CometBFT itself answers, at another validator too
        rpc1 = RpcClient(net.nodes[1].rpc_url)
        # three of four validators commit without it: node 1 may still be catching up
        wait_until(lambda: int(rpc1.call("status")["sync_info"]["latest_block_height"]) >= h + 1, 60,
                   f"node 1's CometBFT at height {h + 1}")
        assert vals == rpc1.call("validators", height=str(h + 1))
        assert rpc1.call("commit", height=str(h + 1))["signed_header"]["header"] == signed["header"]
        # all pages merged: the same set read two at a time
        assert RpcClient(net.nodes[0].rpc_url).validators(h + 1, per_page=2)["validators"] == vals["validators"]

        status, missing = get(f"{api}/v1/light/{h + 100_000}")
        assert status == 404 and missing["code"] == "not_found" and "CometBFT" in missing["message"]
