"""A 4-validator CometBFT network (`fae localnet`) as separate processes: agreement,
visibility and proofs at every node, where rejected transactions end up, and plan
documents uploaded at one node read through another (vault peers).

Run only these: python -m pytest -m localnet
"""

from __future__ import annotations

import base64
import os
import time

import pytest
from localnet_support import Load, assert_same_app_hashes, client, height, heights, running_localnet, wait_until

from faechain.core.genesis import Genesis
from faechain.core.tx import decode_tx, make_envelope
from faechain.crypto.suite import get_suite
from faechain.engines.cometbft.codes import CODESPACE, code_number
from faechain.engines.cometbft.rpc import RpcClient
from faechain.sdk import ApiError, Identity
from faechain.sdk.light.client import LightClient
from faechain.sdk.trust import VerificationError

pytestmark = pytest.mark.localnet


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running_localnet(str(tmp_path_factory.mktemp("localnet") / "net"), 4) as network:
        yield network


def test_network_is_up_with_genesis_validators(net):
    rows = net.status()
    assert [r["member"] for r in rows] == ["exchange", "regulator", "bank", "registrar"]
    assert all(r["fae_pid"] and r["cometbft_pid"] for r in rows)
    wait_until(lambda: all((r["peers"] or 0) == 3 for r in net.status()), 30, "every node to see 3 peers")
    # the validator set CometBFT runs is the one in faechain's genesis, with the operators' org ids
    genesis = client(net, 0).info()
    assert genesis["engine"] == "cometbft" and genesis["chain_id"] == net.chain_id
    vals = RpcClient(net.nodes[0].rpc_url).call("validators")["validators"]
    assert sorted(v["pub_key"]["value"] for v in vals) == sorted(n.pub_key for n in net.nodes)
    from faechain.core.genesis import Genesis

    g = Genesis.load(f"{net.home}/node0/genesis.json")
    assert [(v["name"], v["org_id"]) for v in g.validators] == [(n.name, n.org_id) for n in net.nodes]
    assert {v["org_id"] for v in g.validators} <= {o["id"] for o in g.orgs}


def test_stream_commits_with_one_app_hash_per_height(net):
    with Load(net, [0, 1, 2, 3], rate=40, tag="stream") as load:
        time.sleep(4)
    assert not load.errors and not load.rejected, (load.errors, load.rejected)
    assert len(load.accepted) >= 60
    c0 = client(net, 0)
    receipts = {h: wait_until(lambda h=h: c0.tx(h), 60, f"tx {h} committed")["receipt"] for _, h in load.accepted}
    assert all(r["ok"] for r in receipts.values())
    top = max(r["height"] for r in receipts.values())
    wait_until(lambda: all((height(net, i) or 0) >= top for i in range(4)), 60, f"all nodes at {top}")
    for i in (1, 2, 3):  # the same receipt (height, index, code) everywhere
        ci = client(net, i)
        for h, r in receipts.items():
            assert ci.tx(h)["receipt"] == r
    checked = assert_same_app_hashes(net)
    assert checked >= top
    # CometBFT's header at h+1 carries the app hash faechain computed for block h
    rpc = RpcClient(net.nodes[2].rpc_url)
    for h in range(max(1, top - 5), top):
        header = rpc.call("block", height=str(h + 1))["block"]["header"]
        assert header["app_hash"].lower() == c0.block(h)["header"]["app_hash"]
        assert int(header["height"]) == h + 1


def test_tx_submitted_to_one_node_is_visible_and_provable_at_every_node(net):
    c1 = client(net, 1)
    bank = Identity.load(net.home, "bank").org_id
    r = c1.submit(c1.identity, "membership", "set_attributes", org_id=bank, attributes={"visible": "everywhere"})
    assert r.ok and r.height >= 1, r
    for i in range(4):
        ci = client(net, i)
        wait_until(lambda i=i: (height(net, i) or 0) >= r.height, 30, f"node{i} at {r.height}")
        tx = ci.tx(r.tx_hash)
        assert (tx["height"], tx["index"], tx["receipt"]["code"]) == (r.height, r.index, "ok")
        ci.trust = LightClient(Genesis.load(os.path.join(net.home, "genesis.json")), ci)
        # block r.height's app hash is signed in CometBFT's next header: wait for it
        proof = wait_until(lambda ci=ci: _proved(ci, f"membership/org/{bank}", r.height), 30,
                           f"a signed header after block {r.height}")
        assert proof["verified"] and proof["decoded"]["attributes"]["visible"] == "everywhere"
        assert ci.query("membership", "org", org_id=bank)["attributes"]["visible"] == "everywhere"


def _proved(c, key: str, height: int) -> dict | None:
    """`c.prove(key, height)`, None while the header that signs it does not exist yet."""
    try:
        return c.prove(key, height)
    except VerificationError as exc:
        if exc.code != "unavailable":
            raise
        return None


def _block_tx_hashes(c, first: int, last: int) -> set[str]:
    return {t["hash"] for h in range(first, last + 1) for t in c.block(h)["txs"]}


def test_check_tx_failure_never_reaches_a_block(net):
    c0 = client(net, 0)
    exchange = c0.identity
    investor1 = Identity.load(net.home, "investor1").org_id
    start = height(net, 0)
    good = exchange.sign_tx(net.chain_id, "membership", "set_attributes",
                            {"org_id": investor1, "attributes": {"forged": True}}, now_ms=c0.now_ms())
    tx = decode_tx(good, get_suite("ed25519").hash)
    forged_signature = bytes([tx.signature[0] ^ 1]) + tx.signature[1:]
    bad = make_envelope(tx.body, forged_signature, tx.cert)  # decodes fine; the signature fails
    tx_hash = tx.hash.hex()
    # through the REST API of node 0: refused by check_tx
    status, doc = c0._call("POST", "/v1/txs", bad, content_type="application/octet-stream")
    assert status == 400 and doc["code"] == "bad_signature", doc
    # straight into node 2's CometBFT mempool: our CheckTx refuses it with the mapped code
    res = RpcClient(net.nodes[2].rpc_url).call("broadcast_tx_sync", tx=base64.b64encode(bad).decode())
    assert res["code"] == code_number("bad_signature") and res["codespace"] == CODESPACE
    # a valid tx after it, to be sure blocks were made in between
    r = c0.submit(exchange, "membership", "set_attributes", org_id=investor1, attributes={"after": "forgery"})
    assert r.ok
    for i in range(4):
        ci = client(net, i)
        wait_until(lambda i=i: (height(net, i) or 0) >= r.height + 1, 30, f"node{i} past {r.height}")
        hashes = _block_tx_hashes(ci, start, height(net, i))
        assert r.tx_hash in hashes and tx_hash not in hashes
        with pytest.raises(ApiError) as exc:
            ci.tx(tx_hash)
        assert exc.value.code == "not_found"


def test_finalize_block_failure_is_recorded_with_its_code_on_every_node(net):
    c3 = client(net, 3)
    investor4 = Identity.load(net.home, "investor4")
    # passes check_tx (valid member, valid signature), refused by the contract in the block
    r = c3.submit(investor4, "membership", "set_attributes", org_id=investor4.org_id, attributes={"self": "promoted"})
    assert not r.ok and r.code == "unauthorized" and r.height >= 1, r
    for i in range(4):
        ci = client(net, i)
        wait_until(lambda i=i: (height(net, i) or 0) >= r.height, 30, f"node{i} at {r.height}")
        receipt = ci.tx(r.tx_hash)["receipt"]
        assert (receipt["code"], receipt["height"], receipt["index"], receipt["message"]) == (
            "unauthorized", r.height, r.index, r.message)
        # CometBFT's own record of the block result: our code, codespace and message
        results = RpcClient(net.nodes[i].rpc_url).call("block_results", height=str(r.height))["txs_results"]
        mine = results[r.index]
        assert mine["code"] == code_number("unauthorized") and mine["codespace"] == CODESPACE
        assert mine["log"] == r.message and mine["info"] == "unauthorized"


def test_advance_time_is_refused_and_cli_status(net, capsys):
    c0 = client(net, 0)
    status, doc = c0._call("POST", "/v1/dev/advance_time", b'{"seconds": 60}', content_type="application/json",
                           sign=c0.identity)
    assert status == 403 and doc["code"] == "forbidden"
    from faechain.cli.main import main

    assert main(["localnet", "status", "--home", net.home]) == 0
    out = capsys.readouterr().out
    assert out.count(" up ") >= 8 and "registrar" in out
    assert all(h is not None for h in heights(net).values())


def test_a_plan_document_uploaded_at_node0_is_read_through_node2(net):
    """Each organisation reads through its own node: a document the underwriter uploads at
    node 0 reaches an investor of the plan through node 2, which fetches it from its vault
    peers; a qualified investor outside the plan gets nothing, through any node."""
    from faechain.devnet.demo import Samples, demo_org_ids
    from faechain.devnet.samples import plans as plans_demo
    from faechain.devnet.samples import receivables as receivables_demo

    c0 = client(net, 0)
    people: dict[str, Identity] = {}

    def who(name: str) -> Identity:
        return people.setdefault(name, Identity.load(net.home, name))

    # the demo's outstanding plan (investor1 holds CNY 3,000,000 of it), built at node 0
    samples = Samples(lambda name, contract, method, args: c0.submit_args(who(name), contract, method, args),
                      lambda data: c0.document_hash(data), demo_org_ids())
    samples.results["receivables"] = receivables_demo.seed(samples)
    plan = plans_demo.seed(samples)["plan"]

    data = b"Quarterly servicer report, Q1\n" + os.urandom(64)
    up = c0.upload_document(who("underwriter"), "plans", plan, data)
    digest = up["hash"]
    assert up["stored"] is True
    r = c0.submit(who("underwriter"), "plans", "register_document", plan=plan, hash=digest, kind="report",
                  name="Servicer report Q1", size=len(data), media_type="text/plain")
    assert r.ok, r

    def in_vault(i: int) -> bool:
        return os.path.exists(os.path.join(net.node_home(i), "vault", digest[:2], digest))

    assert [in_vault(i) for i in range(4)] == [True, False, False, False]
    for i in (2, 3):
        wait_until(lambda i=i: (height(net, i) or 0) >= r.height, 30, f"node{i} at {r.height}")
    with pytest.raises(ApiError) as err:
        client(net, 3, "investor3").download_document(None, "plans", digest)
    assert err.value.code == "not_found"  # hidden and absent alike (docs/confidentiality.md)
    assert client(net, 2, "investor1").download_document(None, "plans", digest) == data
    assert [in_vault(i) for i in range(4)] == [True, False, True, False]  # node 2 keeps its copy
