"""A whole chain on either suite, through a real node's HTTP API and the SDK.

Each test runs on an Ed25519 chain and on an SM2/SM3 chain made the way `fae demo
--crypto sm` makes it (every demo sample seeded: receivables, plans, npa, products,
supervision, governance). The SDK learns the suite from /v1/info and must hash and
verify with it: proofs, penetration, sealed-bid digests, document hashes.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
from contextlib import redirect_stdout

import pytest
from cryptography import x509

from faechain.cli.demo import seed_node
from faechain.contracts.runtime import REGISTRY, register
from faechain.crypto import sm2
from faechain.crypto.suite import get_suite
from faechain.devnet.demo import MEMBERS, SAMPLE_ORDER, create_demo
from faechain.ledger.smt import verify_proof
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, Identity
from faechain.sdk.penetration import verify as verify_penetration
from tests.modules.auctions.auction_support import SEALED, LotProbe
from tests.sdk.lying_proxy import HonestHeaders

SUITES = ["ed25519", "sm2-sm3"]
OTHER = {"ed25519": "sm2-sm3", "sm2-sm3": "ed25519"}
DAY = 86_400
YUAN = 100


@pytest.fixture(scope="module", params=SUITES)
def node(request, tmp_path_factory):
    suite = request.param
    home = str(tmp_path_factory.mktemp(f"chain-{suite}"))
    create_demo(home, free_port(), suite=suite)
    register(LotProbe)  # a listed lot for the sealed auction below
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    nt.start()
    ran = seed_node(nt.node)
    nt.node.seeded = ran
    yield nt.node
    nt.stop()
    REGISTRY.pop(LotProbe.name, None)


@pytest.fixture(scope="module")
def who(node):
    cache: dict[str, Identity] = {}

    def get(name: str) -> Identity:
        if name not in cache:
            cache[name] = Identity.load(node.home, name)
        return cache[name]

    return get


def test_every_sample_runs_and_everything_is_of_the_chain_suite(node, who):
    suite = node.genesis.suite
    assert node.seeded == [m for m in SAMPLE_ORDER if m in node.seeded] and len(node.seeded) >= 5
    assert {"receivables", "plans", "npa", "products"} <= set(node.seeded)
    with Client(node.url, identity=who("regulator")) as c:
        assert c.info()["suite"] == suite
        orgs = c.query("membership", "orgs")
    assert len(orgs) == len(MEMBERS) + 1  # the demo's members (its outside services too) and governance's factor2
    for name in ("exchange", "investor4", "factor2"):
        ident = who(name)
        assert ident.suite_name == suite
        cert = x509.load_der_x509_certificate(ident.cert)
        if suite == "sm2-sm3":
            assert cert.signature_algorithm_oid.dotted_string == sm2.OID_SM2_WITH_SM3
            assert cert.public_key_algorithm_oid.dotted_string == sm2.OID_EC_PUBLIC_KEY
            assert isinstance(ident.key, sm2.Sm2PrivateKey)
        else:
            assert cert.signature_algorithm_oid == x509.oid.SignatureAlgorithmOID.ED25519
        assert ident.cert_id == get_suite(suite).hash(ident.cert)


def test_state_proofs_verify_with_the_chain_hash_only(node, who):
    suite = node.genesis.suite
    investor4 = who("investor4")
    with Client(node.url, identity=who("exchange"), trust=HonestHeaders(node.url, who("exchange"))) as c:
        proof = c.prove(f"membership/org/{investor4.org_id}")
    assert proof["verified"] is True
    args = (proof["app_hash"], proof["key"], proof["value"], proof["proof"])
    assert verify_proof(get_suite(suite).hash, *args)
    assert not verify_proof(get_suite(OTHER[suite]).hash, *args)  # the other hash fails


def test_receivables_issue_transfer_finance_pay(node, who):
    core, s1, s2, factor, bank = (who(n) for n in ("core", "supplier1", "supplier2", "factor", "bank"))
    with Client(node.url, identity=who("regulator")) as c:
        now = c.now_ms() // 1000
        doc = c.document_hash(b"scan of invoice 00770001")
        assert doc == get_suite(node.genesis.suite).hash(b"scan of invoice 00770001").hex()

        def ok(who_, method, **args):
            r = c.submit(who_, "receivables", method, **args)
            assert r.ok, (method, r.code, r.message)
            return r.result

        ok(s1, "register_invoice", code="011002600777", number="00770001", seller=s1.org_id, buyer=core.org_id,
           amount=10_000 * YUAN, date=now - DAY, doc_hash=doc)
        root = ok(core, "issue", to=s1.org_id, amount=10_000 * YUAN, maturity=now + 2 * DAY,
                  invoices=[["011002600777-00770001", 10_000 * YUAN]], contract_hash=doc,
                  settlement_bank=bank.org_id)["voucher"]
        ok(s1, "accept", id=root)
        piece = ok(s1, "transfer", id=root, to=s2.org_id, amount=4_000 * YUAN)["voucher"]
        financing = ok(s2, "request_financing", id=piece, funder=factor.org_id, amount=4_000 * YUAN,
                       rate_bps=500)["financing"]
        ok(factor, "record_registration", financing=financing, reg_no="ZDW-SM-0001")
        registry = who("registry")  # the registry agent attests the registration and a clear search (SM2-signed too)
        ok(registry, "attest_registration", financing=financing, reg_no="ZDW-SM-0001", kind="ASSIGNMENT",
           creditor=factor.org_id, debtor=s2.org_id, amount=4_000 * YUAN, voucher=piece)
        ok(registry, "attest_search", financing=financing, search_no="ZDW-SM-S-0001", earlier=[])
        financed = ok(factor, "fund", financing=financing)["voucher"]
        c.advance_time(3 * DAY)
        ok(bank, "confirm_payment", root=root, amount=10_000 * YUAN, bank_ref="SM-PAY-1")
        c.submit(who("exchange"), "membership", "set_attributes", org_id=who("investor3").org_id,
                 attributes={"qualified": True})  # a later block: end_block instructs the pieces
        pieces = {v["id"] for v in c.query("receivables", "vouchers", root=root)}
        pending = c.query("payments", "instructions", field="rail", value=bank.org_id, status="PENDING")
        mine = [i for i in pending if i["ref"].removeprefix("voucher:") in pieces]
        assert sorted(i["amount"] for i in mine) == [4_000 * YUAN, 6_000 * YUAN]
        r = c.submit(bank, "payments", "confirm", results=[[i["id"], "PAID", f"SM-RAIL-{n}"] for n, i in
                                                          enumerate(mine)])  # the rail paid each piece, SM2-signed
        assert r.ok and r.result == {"paid": 2, "failed": 0}, (r.code, r.message)
        c.trust = HonestHeaders(node.url, who("regulator"))
        shown = c.verified("receivables", "voucher", id=financed)  # checked with the SM3 chain hash
        assert shown.voucher["status"] == "PAID" and shown.voucher["holder"] == factor.org_id
        assert shown.history[-1].value == shown.voucher


def test_plan_penetration_verifies_through_the_sdk_with_the_chain_hash(node, who):
    suite = node.genesis.suite
    with Client(node.url, identity=who("regulator")) as c:
        [plan] = c.query("plans", "plans", status="OUTSTANDING")
    with Client(node.url, identity=who("investor1"), trust=HonestHeaders(node.url, who("investor1"))) as c:
        seen = c.penetrate(plan["id"])
        assert seen.ok, seen.problems
        assert len(seen.tree["assets"]) == 2 and len(seen.tree["documents"]) == 6
        # the same answer checked with the other suite's hash does not verify
        answer = c.query("plans", "penetrate", plan=plan["id"], prove=True)
        app_hash = bytes.fromhex(c.block(answer["height"])["header"]["app_hash"])
        assert verify_penetration(answer, app_hash, get_suite(suite).hash).ok
        assert not verify_penetration(answer, app_hash, get_suite(OTHER[suite]).hash).ok
    with Client(node.url, identity=who("regulator")) as c:
        docs = c.query("plans", "plan", id=plan["id"])["documents"]
        data = c.download_document(None, "plans", docs[0]["hash"])  # re-hashed by the SDK
    assert get_suite(suite).hash(data).hex() == docs[0]["hash"]
    assert (hashlib.sha256(data).hexdigest() == docs[0]["hash"]) == (suite == "ed25519")


def test_sealed_auction_digests_use_the_chain_hash(node, who):
    ids = {n: who(n) for n in ("bank2", "bank", "amc", "investor1", "regulator")}
    with Client(node.url, identity=ids["regulator"]) as c:
        now = c.now_ms() // 1000
        terms = dict(SEALED, start=now, end=now + 60, reveal_end=now + 3600, settlement_bank=ids["bank"].org_id)
        r = c.submit(ids["bank2"], "lot_probe", "list_lot", lot=f"SM-{node.genesis.suite}", terms=terms)
        assert r.ok, r
        aid = r.result["auction"]
        salts = {}
        for name, price in (("amc", 1_300_000), ("investor1", 1_200_000)):
            assert c.submit(ids[name], "auctions", "register", auction=aid).ok
            assert c.submit(ids["bank"], "auctions", "confirm_margin", auction=aid, bidder=ids[name].org_id,
                            bank_ref=f"M-{name}").ok
            receipt, salts[name] = c.commit_bid(ids[name], aid, price)
            assert receipt.ok, receipt
        c.advance_time(61)
        assert c.reveal_bid(ids["amc"], aid, 1_300_000, salts["amc"]).ok
        assert c.reveal_bid(ids["investor1"], aid, 1_200_000, salts["investor1"]).ok
        c.advance_time(3600)
        c.submit(ids["amc"], "auctions", "register", auction=aid)  # any later block closes it
        rec = c.query("auctions", "auction", id=aid)["auction"]
    assert (rec["status"], rec["winner"], rec["price"]) == ("AWARDED", ids["amc"].org_id, 1_300_000)


def test_the_npa_auction_and_the_product_distribution_of_the_samples(node, who):
    with Client(node.url, identity=who("regulator")) as c:
        [product] = c.query("products", "products", originator=who("factor").org_id)
        c.trust = HonestHeaders(node.url, who("regulator"))
        shown = c.verified("products", "product", id=product["id"])
        assert product["distributed"] > 0 and len(shown.distributions) == 1  # paid out to the fen
        [package] = c.query("npa", "packages", winner=who("amc").org_id)
        sold = c.verified("npa", "package", id=package["id"])
        assert sold.package["deal"] is not None  # the English auction was won by amc and the deal signed


def test_fae_verify_rechecks_the_chain_and_finds_a_forged_signature(node, tmp_path):
    from faechain.cli.main import main

    copy = str(tmp_path / "copy")
    shutil.copytree(node.home, copy, ignore=shutil.ignore_patterns("*.db", "*.db-wal", "*.db-shm", "vault"))
    db = os.path.relpath(node.store.path, node.home)  # data/chain.db
    os.makedirs(os.path.dirname(os.path.join(copy, db)), exist_ok=True)
    src = sqlite3.connect(node.store.path)
    dst = sqlite3.connect(os.path.join(copy, db))
    with node.app.lock:
        src.backup(dst)
    src.close()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["verify", "--home", copy]) == 0, out.getvalue()
    assert out.getvalue().startswith("ok:")
    # flip one byte of one stored signature: the signature check fails
    from faechain.core.encoding import decode, encode

    height, idx, env = dst.execute("SELECT height, idx, envelope FROM txs ORDER BY height DESC LIMIT 1").fetchone()
    version, body, sig, cert = decode(env)
    forged = encode([version, body, sig[:-1] + bytes([sig[-1] ^ 1]), cert])
    dst.execute("UPDATE txs SET envelope = ? WHERE height = ? AND idx = ?", (forged, height, idx))
    dst.commit()
    dst.close()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["verify", "--home", copy]) != 0
