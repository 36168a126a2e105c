"""POST /v1/txs/batch and Client.submit_many against a live in-process node (tests/api/conftest.py)."""

from __future__ import annotations

import base64
import http.client
import json

from faechain.core.encoding import encode
from faechain.devnet.demo import demo_org_id
from faechain.sdk import Client

INVESTOR3_ORG = demo_org_id(14)
CBOR = {"Content-Type": "application/cbor"}
JSON = {"Content-Type": "application/json"}


def post(node, path: str, body: bytes, headers: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(node.config.host, node.config.port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.getheader("Content-Type", "").startswith("application/json")
        return resp.status, json.loads(data)
    finally:
        conn.close()


def get(node, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(node.config.host, node.config.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def sign(node, identity, attributes: dict, *, attach: bool = True) -> bytes:
    return identity.sign_tx(node.app.chain_id, "membership", "set_attributes",
                            {"org_id": INVESTOR3_ORG, "attributes": attributes}, attach_cert=attach,
                            now_ms=node.engine.now_ms())


def test_mixed_batch_per_item_results_in_order(api_node, ids):
    exchange, supplier = ids("exchange"), ids("supplier1")
    replayed = sign(api_node, exchange, {"b": 0})
    status, first = post(api_node, "/v1/txs/batch", encode([replayed]), CBOR)
    assert status == 200 and first["results"][0]["code"] == "ok", first
    good1, good2 = sign(api_node, exchange, {"b": 1}), sign(api_node, exchange, {"b": 2})
    unauthorized = sign(api_node, supplier, {"b": 3})
    batch = [good1, b"garbage", replayed, unauthorized, good2]
    status, doc = post(api_node, "/v1/txs/batch?wait=true&timeout=20", encode(batch), CBOR)
    assert status == 200, doc
    res = doc["results"]
    assert len(res) == 5
    # valid ones: committed receipts, the same shape as POST /v1/txs answers
    for i in (0, 4):
        assert res[i]["ok"] is True and res[i]["code"] == "ok" and res[i]["height"] >= 1, res[i]
        assert set(res[i]) == {"ok", "code", "message", "tx_hash", "height", "index", "result", "events"}
        assert res[i]["result"] == {"org_id": INVESTOR3_ORG}
    assert res[0]["tx_hash"] != res[4]["tx_hash"]
    # garbage: a check rejection, not a receipt
    assert "ok" not in res[1] and res[1]["code"] not in ("ok", "replay") and res[1]["message"], res[1]
    assert set(res[1]) == {"code", "message", "tx_hash"}
    # replay of an executed transaction
    assert res[2] == {"code": "replay", "message": res[2]["message"], "tx_hash": first["results"][0]["tx_hash"]}
    # unauthorized: committed, refused by the contract
    assert res[3]["ok"] is False and res[3]["code"] == "unauthorized" and res[3]["height"] >= 1
    # the good ones are on chain
    org = Client(api_node.url, identity=exchange).query("membership", "org", org_id=INVESTOR3_ORG)
    assert org["attributes"]["b"] == 2


def test_json_body_and_no_wait_pending_then_commit(api_node, ids):
    exchange = ids("exchange")
    envs = [sign(api_node, exchange, {"nw": i}) for i in range(3)]
    body = json.dumps({"txs": [base64.b64encode(e).decode() for e in envs]}).encode()
    status, doc = post(api_node, "/v1/txs/batch?wait=false", body, JSON)
    assert status == 200, doc
    hashes = [r["tx_hash"] for r in doc["results"]]
    assert [r["status"] for r in doc["results"]] == ["pending"] * 3 and len(set(hashes)) == 3
    c = Client(api_node.url, identity=exchange)
    for h in hashes:
        assert c.wait(h, timeout=15).ok
    # the JSON form with wait: receipts
    env = sign(api_node, exchange, {"nw": "j"})
    body = json.dumps({"txs": [base64.urlsafe_b64encode(env).decode().rstrip("=")]}).encode()
    status, doc = post(api_node, "/v1/txs/batch", body, JSON)
    assert status == 200 and doc["results"][0]["code"] == "ok"


def test_oversize_batches(api_node, ids):
    status, doc = post(api_node, "/v1/txs/batch", encode([b"x"] * 1001), CBOR)
    assert status == 413 and doc["code"] == "too_large" and "1000" in doc["message"]
    body = json.dumps({"txs": ["eA=="] * 1001}).encode()
    status, doc = post(api_node, "/v1/txs/batch", body, JSON)
    assert status == 413 and doc["code"] == "too_large"
    big = encode([b"\x00" * (api_node.config.max_body_bytes + 1)])
    status, doc = post(api_node, "/v1/txs/batch", big, CBOR)
    assert status == 413 and doc["code"] == "too_large"


def test_malformed_bodies_are_400_and_node_still_serves(api_node, ids):
    one = sign(api_node, ids("exchange"), {"m": 1})
    cases = [
        (b"\x98\x01\x41x", CBOR),  # array of one, length in a needless extra byte: not canonical
        (b"\x9f\x41x\xff", CBOR),  # indefinite-length array
        (b"\xff\x00", CBOR),  # not CBOR at all
        (encode({"txs": [one]}), CBOR),  # a map, not an array
        (encode([1, 2]), CBOR),  # not byte strings
        (encode(["text"]), CBOR),
        (encode([]), CBOR),  # empty
        (b"{not json", JSON),
        (json.dumps({"tx": base64.b64encode(one).decode()}).encode(), JSON),
        (json.dumps({"txs": base64.b64encode(one).decode()}).encode(), JSON),
        (json.dumps({"txs": [1]}).encode(), JSON),
        (json.dumps({"txs": ["!!not base64!!"]}).encode(), JSON),
        (json.dumps([base64.b64encode(one).decode()]).encode(), JSON),
        (encode([one]), {"Content-Type": "application/octet-stream"}),
    ]
    for body, headers in cases:
        status, doc = post(api_node, "/v1/txs/batch", body, headers)
        assert status == 400 and doc["code"] == "bad_request" and doc["message"], (body, doc)
    status, doc = post(api_node, "/v1/txs/batch?wait=maybe", encode([one]), CBOR)
    assert status == 400 and doc["code"] == "bad_request"
    status, doc = post(api_node, "/v1/txs/batch?timeout=0", encode([one]), CBOR)
    assert status == 400 and doc["code"] == "bad_request"
    # still serving, and the envelope none of those submitted is new
    assert get(api_node, "/healthz")[0] == 200
    status, doc = post(api_node, "/v1/txs/batch", encode([one]), CBOR)
    assert status == 200 and doc["results"][0]["code"] == "ok", doc


def test_batch_route_is_counted_in_metrics(api_node):
    post(api_node, "/v1/txs/batch", b"[]", JSON)
    status, text = get(api_node, "/metrics")
    assert status == 200
    assert b'route="/v1/txs/batch"' in text


def test_sdk_submit_many(api_node, ids):
    exchange, bank2 = ids("exchange"), ids("bank2")
    c = Client(api_node.url, identity=exchange)  # a fresh client: nothing submitted yet
    calls = [("membership", "set_attributes", {"org_id": INVESTOR3_ORG, "attributes": {"sdk": i}})
             for i in range(3)]
    calls.insert(1, ("nosuch", "method", {}))
    rs = c.submit_many(exchange, calls)
    assert [r.code for r in rs] == ["ok", "unknown_contract", "ok", "ok"], rs
    assert rs[0].height >= 1 and rs[0].result == {"org_id": INVESTOR3_ORG}
    assert not rs[1].ok and rs[1].height is None and len(rs[1].tx_hash) == 64
    assert all(c.tx(rs[i].tx_hash)["cert_attached"] is True for i in (0, 2, 3))
    assert exchange.cert_id in c._submitted
    # once registered, the certificate stays home; wait=False gives pending receipts
    rs = c.submit_many(None, calls[2:], wait=False)
    assert [r.code for r in rs] == ["pending", "pending"] and all(not r.ok and r.pending for r in rs)
    done = [c.wait(r.tx_hash, timeout=15) for r in rs]
    assert all(d.ok for d in done)
    assert c.tx(done[0].tx_hash)["cert_attached"] is False
    assert c.query("membership", "org", org_id=INVESTOR3_ORG)["attributes"]["sdk"] == 2
    # a member new to this chain: its certificate travels with every transaction; a refusal
    # by the contract registers nothing
    cb = Client(api_node.url, identity=bank2)
    rs = cb.submit_many(bank2, calls[:1] * 2)
    assert [r.code for r in rs] == ["unauthorized", "unauthorized"] and rs[0].height >= 1
    assert all(cb.tx(r.tx_hash)["cert_attached"] is True for r in rs)
    assert bank2.cert_id not in cb._submitted
    assert c.submit_many(exchange, []) == []
