"""Evidence bundles from a real demo node (solo engine, its block signer declared in genesis).

Every kind is exported through the member's light client and verified by the SDK and by the
standalone verifier, which must agree on the honest bundle and on each tampering: a flipped
value, a proof for another key, a record the rules name left out, a forged header, a header
signed by a key that is not the genesis's block signer. `fae evidence export` and `verify`
run as separate processes, and the standalone file as a copy run where faechain cannot be
imported. A node that lies is not exported from: the export checks what it writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from faechain.cli.demo import seed_node
from faechain.core.genesis import Genesis
from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, evidence
from faechain.sdk.light.client import LightClient
from faechain.sdk.trust import VerificationError
from tests.conftest import wallet
from tests.sdk import evidence_support as es
from tests.sdk.lying_proxy import LyingProxy


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("evidence"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, heartbeat=3600.0)
    nt.start()
    seed_node(nt.node)
    who = wallet(home)
    rejected = Client(nt.node.url, identity=who("supplier1")).submit(who("supplier1"), "receivables", "accept",
                                                                      id="V-0-0-404")
    assert rejected.code == "not_found"
    yield home, nt.node, who
    nt.stop()


def _client(demo, url: str | None = None) -> Client:
    home, node, who = demo
    c = Client(url or node.url, identity=who("regulator"))
    c.trust = LightClient(Genesis.load(os.path.join(home, "genesis.json")), c)
    return c


@pytest.fixture(scope="module")
def subjects(demo):
    home, node, who = demo
    c = _client(demo)
    pieces = c.query("receivables", "vouchers", payer=who("core").org_id)
    [plan] = c.query("plans", "plans", status="OUTSTANDING")
    [product] = c.query("products", "products", originator=who("factor").org_id)
    [package] = c.query("npa", "packages", seller=who("bank2").org_id)
    head = c.trust.latest().height
    return {"voucher": max(pieces, key=lambda p: p["tier"])["id"], "plan": plan["id"], "product": product["id"],
            "package": package["id"], "audit": f"{head - 3}:{head}"}


@pytest.fixture(scope="module")
def bundles(demo, subjects):
    c = _client(demo)
    return {kind: evidence.export(c, kind, ident) for kind, ident in subjects.items()}


def _main_key(b: dict) -> str:
    kind, ident = b["subject"]["kind"], b["subject"].get("id")
    return {"voucher": f"receivables/voucher/{ident}", "plan": f"plans/plan/{ident}",
            "product": f"products/product/{ident}", "package": f"npa/package/{ident}"}[kind]


def _named(b: dict) -> str:
    """A record the kind's rules name (so leaving it out makes the bundle incomplete)."""
    main = es.record_value(b, _main_key(b))
    kind, ident = b["subject"]["kind"], b["subject"]["id"]
    if kind == "voucher":
        return f"receivables/voucher/{main['parent']}"
    if kind == "plan":
        return f"plans/asset/{main['assets'][0]}"
    if kind == "product":
        return f"products/distribution/{ident}/0001"
    return f"npa/loan/{main['loans'][0]}"


@pytest.mark.parametrize("kind", evidence.KINDS)
def test_each_kind_verifies_and_every_tampering_is_refused_alike(bundles, kind):
    b = bundles[kind]
    es.assert_agree(b, True, None, what=f"honest {kind}")
    report = evidence.verify(b)
    assert report.height == (b["subject"]["to"] if kind == "audit" else b["height"])
    assert "block signer" in " ".join(report.basis) and "genesis" in " ".join(report.basis)
    tamperings = [("header forged", es.forge_solo_header(b), "bad_header"),
                  ("block signer not genesis's", es.resign_solo_header(b, claim_genesis_signer=False), "bad_header"),
                  ("signed by another key", es.resign_solo_header(b, claim_genesis_signer=True), "bad_header")]
    if kind == "audit":
        last = b["subject"]["to"]
        tamperings += [("receipt changed", es.change_receipt(b, last), "not_proven"),
                       ("transaction removed", es.remove_last_tx(b, last), "not_proven"),
                       ("block removed", es.remove_block(b, last), "incomplete")]
    else:
        main = _main_key(b)
        other = next(r["key"] for r in b["records"] if r["key"] != main and r["value"] is not None)
        tamperings += [("flipped value", es.flip_value(b, main), "not_proven"),
                       ("proof for another key", es.proof_of_another_key(b, main, other), "not_proven"),
                       ("named record left out", es.remove_record(b, _named(b)), "incomplete")]
    for what, patch, code in tamperings:
        es.assert_agree(es.apply_patch(b, patch), False, code, what=f"{kind}: {what}")


def test_the_package_bundle_carries_its_whole_life(bundles):
    b = bundles["package"]
    key = f"npa/package/{b['subject']['id']}"
    heights = next(h["heights"] for h in b["histories"] if h["key"] == key)
    assert len(heights) >= 3
    for at in heights:  # each version, and the value before it, proven at its own signed block
        assert any(r["key"] == key and r["height"] == at for r in b["records"])
        assert any(r["key"] == key and r["height"] == at - 1 for r in b["records"])
        assert any(s["height"] == at for s in b["signed_headers"])
    es.assert_agree(es.apply_patch(b, es.drop_history_version(b, key)), False, "incomplete", what="version dropped")


def test_fae_evidence_export_and_verify_run_as_separate_processes(demo, subjects, tmp_path):
    home, node, _ = demo
    out = tmp_path / "voucher.json"
    fae = [sys.executable, "-m", "faechain"]
    done = subprocess.run([*fae, "evidence", "export", "--kind", "voucher", "--id", subjects["voucher"], "-o", str(out),
                           "--url", node.url, "--home", home, "--as", "regulator"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}: voucher {subjects['voucher']}" in done.stdout
    done = subprocess.run([*fae, "evidence", "verify", str(out), "--genesis", os.path.join(home, "genesis.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "VERIFIED" in done.stdout and f"subject   voucher {subjects['voucher']}" in done.stdout
    alone = es.isolated_main(str(tmp_path), out.name)
    assert alone.returncode == 0 and alone.stdout.startswith("VERIFIED"), alone.stdout + alone.stderr
    audit = tmp_path / "audit.json"
    done = subprocess.run([*fae, "evidence", "export", "--kind", "audit", "--range", subjects["audit"], "-o",
                           str(audit), "--url", node.url, "--home", home, "--as", "regulator"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    tampered = es.apply_patch(json.loads(audit.read_text()), es.remove_block(json.loads(audit.read_text()),
                                                                               int(subjects["audit"].split(":")[1])))
    audit.write_text(json.dumps(tampered))
    done = subprocess.run([*fae, "evidence", "verify", str(audit)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "incomplete" in done.stderr and "not in the bundle" in done.stderr
    done = subprocess.run([*fae, "evidence", "export", "--kind", "audit", "--range", "9:3", "-o", str(audit),
                           "--url", node.url, "--home", home], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--range" in done.stderr


def test_export_refuses_what_it_cannot_check(demo, subjects):
    home, node, who = demo
    with pytest.raises(VerificationError) as info:
        evidence.export(Client(node.url, identity=who("regulator")), "voucher", subjects["voucher"])
    assert info.value.code == "untrusted" and "LightClient" in info.value.message
    # a reader shown only some transactions cannot make an audit bundle, which holds all of them
    outsider = Client(node.url, identity=who("investor4"))
    outsider.trust = LightClient(Genesis.load(os.path.join(home, "genesis.json")), outsider)
    with pytest.raises(VerificationError) as info:
        evidence.export(outsider, "audit", subjects["audit"])
    assert info.value.code == "incomplete" and "withheld from this reader" in info.value.message
    proxy = LyingProxy(node.url).start()
    try:
        c = _client(demo, proxy.url)

        def inflate(path: str, doc: dict) -> dict:
            if path == "/v1/query/receivables/voucher":
                doc["result"]["voucher"]["amount"] *= 100
            return doc

        proxy.lie(inflate)
        with pytest.raises(VerificationError) as info:
            evidence.export(c, "voucher", subjects["voucher"])
        assert info.value.code == "not_proven" and "amount" in info.value.message
        proxy.honest()

        def edit_receipts(path: str, doc: dict) -> dict:
            for tx in doc.get("txs", []):
                if "receipt" in tx:
                    tx["receipt"] = tx["receipt"][:-2] + ("00" if tx["receipt"][-2:] != "00" else "01")
            return doc

        proxy.lie_about_headers(edit_receipts)
        with pytest.raises(VerificationError) as info:
            evidence.export(c, "audit", subjects["audit"])
        assert info.value.code == "not_proven" and "the bundle made does not verify" in info.value.message
    finally:
        proxy.stop()
