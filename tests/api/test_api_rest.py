"""REST API against a live in-process node (tests/api/conftest.py)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
from urllib.parse import urlencode, urlsplit

import pytest

from faechain.core.wire import signed_path
from faechain.devnet.demo import demo_org_id
from faechain.sdk import Client
from faechain.sdk.trust import VerificationError
from tests.sdk.lying_proxy import HonestHeaders

INVESTOR4_ORG = demo_org_id(15)  # investor4 is the 15th demo member


def raw(node, method: str, path: str, body: bytes = b"", headers: dict | None = None, sign=None,
        sign_path: str | None = None, date: int | None = None):
    """(status, headers, parsed body) of one request; signs it as `sign` when given."""
    headers = dict(headers or {})
    if sign is not None:
        d = date if date is not None else int(time.time() * 1000)
        parts = urlsplit(path)
        sp = sign_path if sign_path is not None else signed_path(parts.path, parts.query)
        sig = sign.sign_read(node.app.chain_id, method, sp, hashlib.sha256(body).digest(), d)
        headers.update({"X-Fae-Signer": sign.cert_id.hex(), "X-Fae-Date": str(d),
                        "X-Fae-Signature": base64.b64encode(sig).decode(),
                        "X-Fae-Cert": base64.b64encode(sign.cert).decode()})
    conn = http.client.HTTPConnection(node.config.host, node.config.port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        ctype = resp.getheader("Content-Type", "")
        parsed = json.loads(data) if ctype.startswith("application/json") else data
        return resp.status, dict(resp.getheaders()), parsed
    finally:
        conn.close()


def test_info_is_public(api_node):
    status, _, doc = raw(api_node, "GET", "/v1/info")
    assert status == 200
    assert doc["chain_id"] == "fae-demo" and doc["suite"] == "ed25519" and doc["dev"] is True
    assert doc["engine"] == "solo" and doc["height"] >= 0
    assert len(doc["app_hash"]) == 64 and len(doc["block_hash"]) == 64
    assert abs(doc["time"] - time.time() * 1000) < 60_000


def test_submit_ok_and_unauthorized(exchange_client, ids):
    r = exchange_client.submit(ids("exchange"), "membership", "set_attributes",
                               org_id=INVESTOR4_ORG, attributes={"note": "api test"})
    assert r.ok and r.code == "ok", r
    assert len(r.tx_hash) == 64 and r.height >= 1 and r.index >= 0
    assert r.result == {"org_id": INVESTOR4_ORG}
    assert r.events == [{"contract": "membership", "type": "OrgAttributesSet",
                         "attrs": {"org_id": INVESTOR4_ORG, "attributes": {"note": "api test"}}}]
    bad = exchange_client.submit(ids("supplier1"), "membership", "set_attributes",
                                 org_id=INVESTOR4_ORG, attributes={"note": "nope"})
    assert not bad.ok and bad.code == "unauthorized" and bad.height >= 1  # committed, refused by the contract


def test_tx_lookup_decodes_envelope(api_node, exchange_client, ids):
    r = exchange_client.submit(ids("exchange"), "membership", "set_attributes",
                               org_id=INVESTOR4_ORG, attributes={"n": 1})
    doc = exchange_client.tx(r.tx_hash)
    assert doc["contract"] == "membership" and doc["method"] == "set_attributes"
    assert doc["args"] == {"org_id": INVESTOR4_ORG, "attributes": {"n": 1}}
    assert doc["signer"] == ids("exchange").cert_id.hex()
    assert doc["height"] == r.height and doc["index"] == r.index
    assert doc["receipt"]["code"] == "ok" and doc["receipt"]["tx_hash"] == r.tx_hash
    assert isinstance(doc["nonce"], int) and doc["expires"] > doc["time"]
    block = exchange_client.block(r.height)
    assert {"index": r.index, "hash": r.tx_hash, "code": "ok", "contract": "membership",
            "method": "set_attributes", "signer": ids("exchange").cert_id.hex()} in [
        {k: v for k, v in t.items() if k != "receipt_hash"} for t in block["txs"]]
    assert doc["receipt_hash"] in [t["receipt_hash"] for t in block["txs"]]
    assert block["header"]["height"] == r.height and len(block["hash"]) == 64
    status, _, err = raw(api_node, "GET", "/v1/txs/" + "00" * 32, sign=ids("exchange"))
    assert status == 404 and err["code"] == "not_found"
    status, _, err = raw(api_node, "GET", "/v1/txs/xyz", sign=ids("exchange"))
    assert status == 400 and err["code"] == "bad_request"


def test_replay_is_409(api_node, ids):
    tx = ids("exchange").sign_tx(api_node.app.chain_id, "membership", "set_attributes",
                                 {"org_id": INVESTOR4_ORG, "attributes": {"r": 1}}, now_ms=api_node.engine.now_ms())
    ct = {"Content-Type": "application/octet-stream"}
    status, _, first = raw(api_node, "POST", "/v1/txs?wait=true", tx, ct)
    assert status == 200 and first["code"] == "ok"
    status, _, again = raw(api_node, "POST", "/v1/txs?wait=true", tx, ct)
    assert status == 409 and again["code"] == "replay" and again["tx_hash"] == first["tx_hash"]
    # JSON form of the same envelope is the same transaction
    body = json.dumps({"tx": base64.b64encode(tx).decode()}).encode()
    status, _, again = raw(api_node, "POST", "/v1/txs", body, {"Content-Type": "application/json"})
    assert status == 409 and again["code"] == "replay"


def test_submit_without_wait_is_202(api_node, ids):
    tx = ids("exchange").sign_tx(api_node.app.chain_id, "membership", "set_attributes",
                                 {"org_id": INVESTOR4_ORG, "attributes": {"w": 0}}, now_ms=api_node.engine.now_ms())
    status, _, doc = raw(api_node, "POST", "/v1/txs?wait=false", tx, {"Content-Type": "application/octet-stream"})
    assert status == 202 and doc["status"] == "pending" and len(doc["tx_hash"]) == 64


def test_garbage_is_bad_encoding_and_node_survives(api_node):
    for junk in (b"\xff\x00garbage", b"not cbor at all", bytes(range(256))):
        status, _, doc = raw(api_node, "POST", "/v1/txs", junk, {"Content-Type": "application/octet-stream"})
        assert status == 400 and doc["code"] == "bad_encoding", doc
    status, _, doc = raw(api_node, "POST", "/v1/txs", b'{"tx": 5', {"Content-Type": "application/json"})
    assert status == 400 and doc["code"] == "bad_request"
    status, _, doc = raw(api_node, "POST", "/v1/txs", b'{"tx": "!!!"}', {"Content-Type": "application/json"})
    assert status == 400 and doc["code"] == "bad_request"
    status, _, doc = raw(api_node, "GET", "/healthz")
    assert status == 200 and doc["ok"] is True


def test_oversize_is_413(api_node, ids):
    limit = api_node.config.max_body_bytes
    status, _, doc = raw(api_node, "POST", "/v1/txs", b"\x00" * (limit + 1),
                         {"Content-Type": "application/octet-stream"})
    assert status == 413 and doc["code"] == "too_large"
    # within the body limit but over the chain's transaction limit: check_tx says too_large
    big = ids("exchange").sign_tx(api_node.app.chain_id, "membership", "set_attributes",
                                  {"org_id": INVESTOR4_ORG, "attributes": {"blob": "x" * 70_000}},
                                  now_ms=api_node.engine.now_ms())
    assert len(big) < limit
    status, _, doc = raw(api_node, "POST", "/v1/txs", big, {"Content-Type": "application/octet-stream"})
    assert status == 413 and doc["code"] == "too_large"


def test_reads_need_a_member_signature(api_node, ids):
    for path in ("/v1/blocks/latest", "/v1/contracts", "/v1/state?key=membership/org/x", "/v1/events"):
        status, _, doc = raw(api_node, "GET", path)
        assert status == 401 and doc["code"] == "unauthenticated", path
    status, _, doc = raw(api_node, "POST", "/v1/query/membership/whoami", b"{}", {"Content-Type": "application/json"})
    assert status == 401 and doc["code"] == "unauthenticated"
    # signed: works
    status, _, doc = raw(api_node, "GET", "/v1/blocks/latest", sign=ids("bank"))
    assert status == 200 and doc["height"] == doc["header"]["height"]
    # public endpoints stay public
    for path in ("/v1/info", "/healthz", "/metrics", "/openapi.json", "/"):
        assert raw(api_node, "GET", path)[0] == 200, path


def test_bad_signatures_are_refused(api_node, ids):
    bank = ids("bank")
    status, _, doc = raw(api_node, "GET", "/v1/blocks/latest", sign=bank, sign_path="/v1/blocks/0")
    assert status == 401 and doc["reason"] == "bad_signature"
    status, _, doc = raw(api_node, "GET", "/v1/blocks/latest", sign=bank, date=int(time.time() * 1000) - 400_000)
    assert status == 401 and doc["reason"] == "clock_skew"
    # a body the signature does not cover
    d = int(time.time() * 1000)
    sig = bank.sign_read(api_node.app.chain_id, "POST", "/v1/query/membership/whoami",
                         hashlib.sha256(b"{}").digest(), d)
    hdrs = {"X-Fae-Signer": bank.cert_id.hex(), "X-Fae-Date": str(d), "X-Fae-Signature": base64.b64encode(sig).decode(),
            "X-Fae-Cert": base64.b64encode(bank.cert).decode(), "Content-Type": "application/json"}
    assert raw(api_node, "POST", "/v1/query/membership/whoami", b"{}", hdrs)[0] == 200
    status, _, doc = raw(api_node, "POST", "/v1/query/membership/whoami", b'{"x":1}', hdrs)
    assert status == 401 and doc["code"] == "unauthenticated"
    # an unknown signer without a certificate
    hdrs = {"X-Fae-Signer": "ab" * 32, "X-Fae-Date": str(d), "X-Fae-Signature": "AAAA"}
    status, _, doc = raw(api_node, "GET", "/v1/contracts", headers=hdrs)
    assert status == 401 and doc["reason"] == "unknown_signer"
    # present-but-bad credentials fail even where anonymous reads are allowed; an unsigned reader is
    # a non-member there (no queries: docs/confidentiality.md), and reads as nobody only on an open node
    api_node.config.anonymous_reads = True
    try:
        assert raw(api_node, "GET", "/v1/contracts")[0] == 200
        assert raw(api_node, "GET", "/v1/contracts", headers=hdrs)[0] == 401
        status, _, doc = raw(api_node, "POST", "/v1/query/membership/whoami", b"{}",
                             {"Content-Type": "application/json"})
        assert status == 401 and doc["code"] == "unauthenticated"
        api_node.config.open_reads = True
        status, _, doc = raw(api_node, "POST", "/v1/query/membership/whoami", b"{}",
                             {"Content-Type": "application/json"})
        assert status == 200 and doc["result"] == {"anonymous": True}
    finally:
        api_node.config.anonymous_reads = api_node.config.open_reads = False


def test_auth_as_query_parameters(api_node, ids):
    bank = ids("bank")
    d = int(time.time() * 1000)
    path = "/v1/state?key=membership%2Forg%2F" + INVESTOR4_ORG + "&prove=true"
    sig = bank.sign_read(api_node.app.chain_id, "GET", path, hashlib.sha256(b"").digest(), d)
    auth = urlencode({"signer": bank.cert_id.hex(), "date": d, "sig": base64.b64encode(sig).decode(),
                      "cert": base64.b64encode(bank.cert).decode()})
    status, _, doc = raw(api_node, "GET", path + "&" + auth)
    assert status == 200 and doc["found"] and doc["decoded"]["id"] == INVESTOR4_ORG
    # auth parameters in the middle of the query are taken out of the signed path as well
    mixed = "/v1/state?" + auth + "&key=membership%2Forg%2F" + INVESTOR4_ORG + "&prove=true"
    assert raw(api_node, "GET", mixed)[0] == 200
    # but the other parameters are covered by the signature
    status, _, doc = raw(api_node, "GET", path.replace("prove=true", "prove=false") + "&" + auth)
    assert status == 401


def test_query_sees_the_caller(api_node, ids):
    with Client(api_node.url, identity=ids("supplier2")) as c:
        me = c.query("membership", "whoami")
        assert me["name"] == "supplier2" and me["role"] == "SUPPLIER"
        assert me["org_id"] == ids("supplier2").org_id and me["cert_id"] == ids("supplier2").cert_id.hex()
        reg = c.query("membership", "whoami", _as=ids("regulator"))
        assert reg["role"] == "REGULATOR" and reg["name"] == "regulator"
        orgs = c.query("membership", "orgs", type="INVESTOR", _height=0)
        assert {o["id"] for o in orgs} >= {INVESTOR4_ORG}
        org = c.query("membership", "org", org_id=INVESTOR4_ORG)
        assert org["type"] == "INVESTOR"


def test_query_errors(api_node, ids):
    reg = ids("regulator")
    ct = {"Content-Type": "application/json"}
    cases = [
        ("/v1/query/membership/org", b"{oops", 400, "bad_request"),
        ("/v1/query/membership/org", b"[1]", 400, "bad_request"),
        ("/v1/query/membership/org", b'{"org_id": 5}', 400, "bad_request"),
        ("/v1/query/membership/org", b'{"org_id": "91110000MA9999999X"}', 404, "not_found"),
        ("/v1/query/nosuch/org", b"{}", 404, "unknown_contract"),
        ("/v1/query/membership/admit", b"{}", 404, "unknown_method"),  # a tx method is not a query
        ("/v1/query/membership/whoami?height=999999", b"{}", 404, "not_found"),
    ]
    for path, body, want_status, want_code in cases:
        status, _, doc = raw(api_node, "POST", path, body, ct, sign=reg)
        assert (status, doc["code"]) == (want_status, want_code), (path, body, doc)


def test_routing_errors_are_json(api_node, ids):
    status, _, doc = raw(api_node, "GET", "/v1/nope")
    assert status == 404 and doc["code"] == "not_found"
    status, hdrs, doc = raw(api_node, "DELETE", "/v1/info")
    assert status == 405 and doc["code"] == "method_not_allowed"
    status, _, doc = raw(api_node, "GET", "/v1/blocks/999999", sign=ids("bank"))
    assert status == 404 and doc["code"] == "not_found"
    status, _, doc = raw(api_node, "GET", "/v1/blocks/-1", sign=ids("bank"))
    assert status == 400 and doc["code"] == "bad_request"
    status, _, doc = raw(api_node, "GET", "/v1/state?key=membership/x&height=999999", sign=ids("bank"))
    assert status == 404 and doc["code"] == "not_found"


def test_contracts_lists_methods(exchange_client):
    contracts = {c["name"]: c for c in exchange_client.contracts()}
    methods = {m["name"]: m for m in contracts["membership"]["methods"]}
    assert methods["admit"]["kind"] == "tx" and methods["whoami"]["kind"] == "query"
    assert methods["org"]["args"] == {"org_id": {"required": True}}


def test_prove_verifies_and_detects_tampering(api_node, ids, exchange_client):
    key = f"membership/org/{INVESTOR4_ORG}"
    with pytest.raises(VerificationError) as untrusted:  # no trust: nothing is claimed verified
        exchange_client.prove(key)
    assert untrusted.value.code == "untrusted" and "pass Client(trust=...)" in untrusted.value.message
    exchange_client = Client(api_node.url, identity=ids("exchange"), trust=HonestHeaders(api_node.url, ids("exchange")))
    p = exchange_client.prove(key)
    assert p["verified"] is True and p["value"] is not None and p["decoded"]["id"] == INVESTOR4_ORG
    tampered = dict(p, value=p["value"].replace(b"INVESTOR", b"REGULATR"))
    assert tampered["value"] != p["value"]
    assert exchange_client.verify_proof(tampered) is False
    assert exchange_client.verify_proof(dict(p, app_hash=bytes(32), header_app_hash=bytes(32))) is False
    assert exchange_client.verify_proof(dict(p, header_app_hash=bytes(32))) is False
    # absence is provable too, and claiming a value for an absent key fails
    missing = exchange_client.prove("membership/org/NOSUCHORG")
    assert missing["value"] is None and missing["verified"] is True
    assert exchange_client.verify_proof(dict(missing, value=b"\xa0")) is False
    # at an older height, against that height's header
    old = exchange_client.prove(key, height=0)
    assert old["height"] == 0 and old["verified"] is True


def test_advance_time(api_node, exchange_client, ids):
    before = exchange_client.info()["time"]
    doc = exchange_client.advance_time(3600)
    assert doc["offset_ms"] >= 3_600_000 and doc["block_time"] >= before + 3_600_000 - 5_000
    assert exchange_client.info()["block_time"] >= before + 3_600_000 - 5_000
    # transactions signed afterwards still fit the moved clock
    r = exchange_client.submit(ids("exchange"), "membership", "set_attributes",
                               org_id=INVESTOR4_ORG, attributes={"after": True})
    assert r.ok, r
    status, _, err = raw(api_node, "POST", "/v1/dev/advance_time", b'{"seconds": "x"}',
                         {"Content-Type": "application/json"}, sign=ids("exchange"))
    assert status == 400 and err["code"] == "bad_request"
    api_node.app.genesis.dev = False
    try:
        status, _, err = raw(api_node, "POST", "/v1/dev/advance_time", b'{"seconds": 5}',
                             {"Content-Type": "application/json"}, sign=ids("exchange"))
        assert status == 403 and err["code"] == "forbidden"
    finally:
        api_node.app.genesis.dev = True


def test_openapi_documents_every_route(api_node):
    status, _, doc = raw(api_node, "GET", "/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    registered = set()
    for route in api_node.build_app().router.routes():
        if route.method == "HEAD":
            continue
        registered.add((route.method, route.resource.canonical))
    assert registered - documented == set(), "undocumented routes"
    assert documented - registered == set(), "documented routes that do not exist"
    error = doc["components"]["schemas"]["Error"]
    codes = set(error["properties"]["code"]["enum"])
    assert {"unauthenticated", "bad_encoding", "replay", "too_large", "unauthorized", "not_found",
            "mempool_full", "forbidden", "bad_request"} <= codes
    assert "lowercase hex" in doc["info"]["description"]


def test_metrics_text(api_node):
    raw(api_node, "GET", "/healthz")
    status, hdrs, text = raw(api_node, "GET", "/metrics")
    assert status == 200 and hdrs["Content-Type"].startswith("text/plain")
    lines = text.decode().splitlines()
    height = api_node.app.height
    heights = [int(line.split()[1]) for line in lines if line.startswith("fae_height ")]
    assert heights and heights[0] >= height >= 1
    assert any(line.startswith('fae_txs_committed_total{code="ok"} ') for line in lines)
    assert any(line.startswith("fae_block_commit_seconds_count ") for line in lines)
    assert any(line.startswith("fae_mempool_size ") for line in lines)
    assert any('route="/healthz",status="200"' in line for line in lines)
    for line in lines:  # every sample line is `name{labels} value`
        if line and not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])


def test_home_page(api_node):
    status, hdrs, body = raw(api_node, "GET", "/")
    assert status == 200 and hdrs["Content-Type"].startswith("text/html")
    assert b"fae-demo" in body and b"/openapi.json" in body


def test_revoked_member_can_no_longer_read_or_sign(api_node, ids):
    lawfirm = ids("lawfirm")
    with Client(api_node.url, identity=lawfirm) as c:
        assert c.query("membership", "whoami")["name"] == "lawfirm"  # resolved and cached by the node
        r = c.submit(lawfirm, "membership", "revoke", org_id=lawfirm.org_id, cert_id=lawfirm.cert_id,
                     reason="key compromise drill")
        assert r.ok, r
        status, _, doc = raw(api_node, "GET", "/v1/blocks/latest", sign=lawfirm)
        assert status == 401 and doc["code"] == "unauthenticated" and doc["reason"] == "revoked"
        again = c.submit(lawfirm, "membership", "set_attributes", org_id=INVESTOR4_ORG, attributes={})
        assert not again.ok and again.code == "revoked" and again.height is None
