"""`POST /v1/txs/dry-run`, `Client.dry_run` and `fae tx --dry-run` against a served node: the
receipt the next block would give, nothing committed, the envelope still sendable."""

from __future__ import annotations

import json
import urllib.request

from faechain.sdk import Client
from tests.cli.fae_cli_helpers import fae


def post(url: str, path: str, raw: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url + path, data=raw, method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def attributes(client: Client, org_id: str) -> dict:
    orgs = client.query("membership", "orgs")
    return next(o for o in orgs if o["id"] == org_id).get("attributes") or {}


def test_rest_dry_run_answers_the_receipt_and_commits_nothing(api_node, ids, exchange_client):
    exchange = ids("exchange")
    bank = exchange_client.query("membership", "orgs")
    bank_id = next(o["id"] for o in bank if o["type"] == "BANK")
    info = exchange_client.info()
    raw = exchange.sign_tx(info["chain_id"], "membership", "set_attributes",
                           {"org_id": bank_id, "attributes": {"dry_run_probe": 7}}, attach_cert=True,
                           now_ms=exchange_client.now_ms())
    status, doc = post(api_node.url, "/v1/txs/dry-run", raw)
    assert status == 200 and doc["dry_run"] is True and doc["code"] == "ok", doc
    assert doc["height"] > info["height"] - 1
    assert "dry_run_probe" not in attributes(exchange_client, bank_id)
    status, doc = post(api_node.url, "/v1/txs?wait=true", raw)  # the same envelope, sent for real
    assert status == 200 and doc["code"] == "ok", doc
    assert attributes(exchange_client, bank_id)["dry_run_probe"] == 7
    status, doc = post(api_node.url, "/v1/txs/dry-run", raw)
    assert (status, doc["code"]) == (200, "replay")


def test_rest_dry_run_of_bytes_that_are_no_transaction(api_node):
    status, doc = post(api_node.url, "/v1/txs/dry-run", b"\x01\x02")
    assert status == 200 and doc["code"] == "bad_encoding" and doc["message"]


def test_sdk_dry_run_foresees_a_refusal(api_node, ids):
    with Client(api_node.url, identity=ids("supplier1")) as c:
        receipt = c.dry_run(None, "receivables", "accept", id="V-NO-SUCH")
        assert not receipt.ok and receipt.code == "not_found" and receipt.message
        # nothing was written: the same call dry-runs the same way again (no replay, no state)
        assert c.dry_run(None, "receivables", "accept", id="V-NO-SUCH").code == "not_found"


def test_cli_dry_run(api_node):
    p = fae("tx", "--as", "supplier1", "--dry-run", "--url", api_node.url, "receivables", "accept", "id=V-NO-SUCH",
            home=api_node.home)
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert out["dry_run"] is True and out["code"] == "not_found"
    assert "would be rejected (dry run)" in p.stderr
