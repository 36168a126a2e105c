"""GET /v1/blocks/{height}?raw=true: the bytes a block's header commits to, for evidence bundles.

Each transaction's envelope and stored receipt, and the end-block record, must be exactly
what the header's txs_root and results_root are computed over (the SDK's evidence export
relies on it, and verifies it); without `raw` the answer is as before.
"""

from __future__ import annotations

from faechain.core.block import Header
from faechain.core.encoding import decode
from faechain.core.merkle import merkle_root
from faechain.sdk.evidence import tx_id
from tests.api.test_api_rest import raw


def test_a_raw_block_is_what_its_roots_commit_to(api_node, exchange_client, ids):
    me = ids("exchange")
    org = exchange_client.query("membership", "whoami")["org_id"]
    ok = exchange_client.submit(me, "membership", "set_attributes", org_id=org, attributes={"raw": 1})
    bad = exchange_client.submit(me, "receivables", "accept", id="V-0-0-404")
    assert ok.ok and bad.code == "not_found"
    hasher = api_node.app.hash
    for height in (ok.height, bad.height):
        doc = exchange_client.block(height, raw=True)
        header = Header.decode(api_node.store.block(height)[1])
        txs = doc["txs"]
        envelopes = [bytes.fromhex(t["envelope"]) for t in txs]
        receipts = [bytes.fromhex(t["receipt"]) for t in txs]
        assert merkle_root(hasher, [tx_id(e, hasher) for e in envelopes]) == header.txs_root
        leaves = [hasher(r) for r in receipts]
        if doc["end_block"] is not None:
            leaves.append(hasher(bytes.fromhex(doc["end_block"])))
            assert set(decode(bytes.fromhex(doc["end_block"]))) == {"end_block"}
        assert merkle_root(hasher, leaves) == header.results_root
        assert [decode(r)["code"] for r in receipts] == [t["code"] for t in txs]
    plain = exchange_client.block(bad.height)
    assert "end_block" not in plain and all("envelope" not in t for t in plain["txs"])


def test_raw_is_documented(api_node):
    _, _, openapi = raw(api_node, "GET", "/openapi.json")
    assert "raw" in {p["name"] for p in openapi["paths"]["/v1/blocks/{height}"]["get"]["parameters"]}
