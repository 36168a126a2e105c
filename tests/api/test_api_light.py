"""GET /v1/light/{height} on a solo node: the header bytes and the block signer's signature,
relayed for a member's light client to check against its own genesis (a CometBFT node's
answer is tested on a real localnet: tests/e2e/test_localnet_light_relay.py)."""

from __future__ import annotations

import os

from faechain.core.genesis import Genesis
from faechain.crypto.suite import get_suite
from faechain.node.config import NodeConfig, paths
from faechain.node.testing import free_port, running_node
from faechain.sdk.light.solo import verify_solo
from faechain.sdk.trust import VerificationError
from tests.api.test_api_rest import INVESTOR4_ORG, raw
from tests.conftest import build_consortium, wallet


def test_every_committed_header_is_served_signed_and_verifies(api_node, ids, exchange_client):
    r = exchange_client.submit(ids("exchange"), "membership", "set_attributes", org_id=INVESTOR4_ORG,
                               attributes={"light": 1})
    assert r.ok, r
    genesis = Genesis.load(paths(api_node.home)["genesis"])  # the member's own copy
    suite = get_suite(genesis.suite)
    key = genesis.block_signer_key()
    assert key is not None
    for h in range(r.height + 1):
        status, _, doc = raw(api_node, "GET", f"/v1/light/{h}", sign=ids("investor4"))
        assert status == 200, doc
        assert doc["engine"] == "solo" and doc["height"] == h and doc["signer"] == key.hex()
        _, _, block = raw(api_node, "GET", f"/v1/blocks/{h}", sign=ids("investor4"))
        assert doc["header"] == block["header"] and doc["block_hash"] == block["hash"]
        trusted = verify_solo(doc, genesis.chain_id, key, suite, suite.hash, height=h)
        assert trusted.app_hash.hex() == block["header"]["app_hash"]


def test_light_route_refusals(api_node, ids):
    status, _, doc = raw(api_node, "GET", "/v1/light/1")
    assert status == 401 and doc["code"] == "unauthenticated"  # a signed read, like every /v1/ read
    head = api_node.app.height
    status, _, doc = raw(api_node, "GET", f"/v1/light/{head + 1000}", sign=ids("exchange"))
    assert status == 404 and doc["code"] == "not_found" and f"height {head + 1000}" in doc["message"]
    for bad in ("latest", "-1", "1.5", "x"):
        status, _, doc = raw(api_node, "GET", f"/v1/light/{bad}", sign=ids("exchange"))
        assert status == 400 and doc["code"] == "bad_request", (bad, doc)
    _, _, openapi = raw(api_node, "GET", "/openapi.json")
    op = openapi["paths"]["/v1/light/{height}"]["get"]
    assert set(op["responses"]) >= {"200", "400", "401", "404", "503"}
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LightBlock"}


def test_a_chain_without_a_block_signer_serves_unsigned_headers_and_says_so(tmp_path):
    """A home made before genesis declared block signers: it runs, and its headers are
    plainly unsigned (the member's check refuses them rather than trusting the node)."""
    home = str(tmp_path / "old")
    genesis = build_consortium(home)
    assert genesis.block_signer is None and not os.path.exists(paths(home)["block_signer"])
    NodeConfig(port=free_port(), verify_workers=0, heartbeat=3600).save(home)
    ids = wallet(home)
    with running_node(home) as node:
        bank = next(o["id"] for o in genesis.orgs if o["type"] == "BANK")
        assert node.submit_as("exchange", "membership", "set_attributes", {"org_id": bank, "attributes": {}}).ok
        status, _, doc = raw(node, "GET", "/v1/light/1", sign=ids("exchange"))
    assert status == 200 and doc["engine"] == "solo" and doc["signer"] is None and doc["signature"] is None
    suite = get_suite(genesis.suite)
    try:
        verify_solo(doc, genesis.chain_id, b"\x00" * 32, suite, suite.hash)
    except VerificationError as exc:
        assert exc.code == "bad_header" and "block 1 is unsigned" in exc.message
    else:
        raise AssertionError("an unsigned header verified")
