"""Write the evidence bundle test vectors (docs/evidence-vectors/) from real chains.

    python -m tests.sdk.make_evidence_vectors [--no-localnet]

Starts a seeded demo (solo, Ed25519), a seeded SM demo (solo, SM2/SM3) and, unless told
not to, a real 4-validator localnet (CometBFT) with the receivables and plans samples;
exports one bundle of each kind from them; derives the tamperings (JSON Patches,
tests/sdk/evidence_support.py) with the verdict each must get; checks that both verifiers
give exactly those verdicts; and writes the bundles and `vectors.json`. The committed
vectors are what tests/sdk/test_evidence_vectors.py checks; run this again only when the
format changes (it makes new keys and chains, so every file changes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from faechain.cli.demo import seed_node
from faechain.core.genesis import Genesis
from faechain.devnet.demo import Samples, create_demo, demo_org_ids
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, Identity, evidence
from faechain.sdk.light.client import LightClient
from tests.sdk import evidence_support as es

OUT = os.path.normpath(es.VECTORS)


def _write(name: str, bundle: dict[str, Any]) -> str:
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(bundle, f, indent=1)
        f.write("\n")
    return name


def _rejected(client: Client, who: Identity) -> int:
    """A transaction the chain records as rejected (its receipt code not_found): audits show both kinds."""
    r = client.submit(who, "receivables", "accept", id="V-0-0-404")
    assert not r.ok and r.code == "not_found", (r.code, r.message)
    return int(r.height)


def demo_bundles(tmp: str, suite: str, kinds: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    home = os.path.join(tmp, f"demo-{suite}")
    create_demo(home, free_port(), suite=suite)
    nt = NodeThread(home, anonymous_reads=False, heartbeat=3600.0)
    nt.start()
    try:
        seed_node(nt.node)
        reg = Identity.load(home, "regulator")
        c = Client(nt.node.url, identity=reg)
        rejected = _rejected(c, Identity.load(home, "supplier1"))
        c.trust = LightClient(Genesis.load(os.path.join(home, "genesis.json")), c)
        core = Identity.load(home, "core").org_id
        pieces = c.query("receivables", "vouchers", payer=core)
        deepest = max(pieces, key=lambda p: p["tier"])
        ids = {"voucher": deepest["id"]}
        if "plan" in kinds:
            [plan] = c.query("plans", "plans", status="OUTSTANDING")
            [product] = c.query("products", "products", originator=Identity.load(home, "factor").org_id)
            [package] = c.query("npa", "packages", seller=Identity.load(home, "bank2").org_id)
            ids.update(plan=plan["id"], product=product["id"], package=package["id"])
            ends = [h for h in range(1, rejected) if c.block(h, raw=True)["end_block"]]
            ids["audit"] = f"{ends[-1] - 1}:{rejected}" if rejected - ends[-1] < 6 else f"{ends[-1] - 1}:{ends[-1] + 1}"
        return {k: evidence.export(c, k, ids[k]) for k in kinds}
    finally:
        nt.stop()


def localnet_bundles(tmp: str, suite: str = "ed25519") -> dict[str, dict[str, Any]]:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
    from localnet_support import client, running_localnet, wait_until

    from faechain.devnet.samples import plans, receivables

    with running_localnet(os.path.join(tmp, f"net-{suite}"), 4, suite=suite) as net:
        c0 = client(net, 0, "regulator")
        ids: dict[str, Identity] = {}

        def submit(who: str, contract: str, method: str, args: dict[str, Any]):
            if who not in ids:
                ids[who] = Identity.load(net.home, who)
            return c0.submit(ids[who], contract, method, **args)

        s = Samples(submit, lambda data: s.hash(data), demo_org_ids(), now=lambda: c0.info()["time"] // 1000,
                    suite=suite)
        s.results["receivables"] = receivables.seed(s)
        if suite == "ed25519":
            s.results["plans"] = plans.seed(s)
        rejected = _rejected(c0, Identity.load(net.home, "supplier1"))
        c0.trust = LightClient(Genesis.load(os.path.join(net.home, "genesis.json")), c0,
                               witnesses=[client(net, 1, "regulator")])
        wait_until(lambda: c0.trust.latest().height > rejected, 60, "a signed header past the rejected transaction")
        out = {"voucher": evidence.export(c0, "voucher", s.results["receivables"]["financed"]),
               "audit": evidence.export(c0, "audit", f"{rejected - 3}:{rejected}")}
        if suite == "ed25519":
            [plan] = c0.query("plans", "plans", status="OUTSTANDING")
            out["plan"] = evidence.export(c0, "plan", plan["id"])
        return out


def vectors(bundles: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The manifest: each honest bundle and its tamperings, with the verdict each must get."""
    out: list[dict[str, Any]] = []

    def add(name: str, file: str, ok: bool, code: str | None, what: str, patch: list | None = None,
            your_genesis: str | None = None) -> None:
        entry: dict[str, Any] = {"name": name, "file": file}
        if patch is not None:
            entry["patch"] = patch
        if your_genesis is not None:
            entry["your_genesis"] = your_genesis
        entry.update(ok=ok, code=code, what=what)
        out.append(entry)

    for name, b in bundles.items():
        add(name, f"{name}.json", True, None, f"an honest {b['engine']} bundle of a {b['subject']['kind']}")

    def tamper(base: str, suffix: str, fn: Callable[[dict], list], code: str | None, what: str, ok: bool = False,
               **kw: Any) -> None:
        if base in bundles:
            add(f"{base}/{suffix}", f"{base}.json", ok, code, what, fn(bundles[base]), **kw)

    def voucher_keys(b: dict) -> tuple[str, str, str]:
        vid = b["subject"]["id"]
        v = es.record_value(b, f"receivables/voucher/{vid}")
        return f"receivables/voucher/{vid}", f"receivables/voucher/{v['parent']}", f"receivables/root/{v['root']}"

    for base in ("solo-voucher", "cometbft-voucher", "sm-solo-voucher", "sm-cometbft-voucher"):
        if base not in bundles:
            continue
        key, parent, root = voucher_keys(bundles[base])
        tamper(base, "flipped-value", lambda b, k=key: es.flip_value(b, k), "not_proven",
               "one bit of the voucher's value changed, its proof left alone")
        tamper(base, "proof-for-another-key", lambda b, k=key, r=root: es.proof_of_another_key(b, k, r), "not_proven",
               "the voucher's record carries the root's (genuine) value and proof")
        tamper(base, "removed-lineage-element", lambda b, p=parent: es.remove_record(b, p), "incomplete",
               "the voucher's parent left out of the lineage")
    b = bundles.get("solo-voucher")
    if b is not None:
        root = voucher_keys(b)[2]
        first_invoice = es.record_value(b, root)["invoices"][0]
        tamper("solo-voucher", "removed-invoice", lambda x: es.remove_record(x, f"receivables/invoice/{first_invoice}"),
               "incomplete", "one of the invoices the root names left out")
        tamper("solo-voucher", "header-forged", es.forge_solo_header, "bad_header",
               "the signed header with another app hash (its block hash recomputed), the signature left")
        tamper("solo-voucher", "block-signer-not-genesis",
               lambda x: es.resign_solo_header(x, claim_genesis_signer=False), "bad_header",
               "the header signed by another key, named as the signer")
        tamper("solo-voucher", "signature-by-another-key",
               lambda x: es.resign_solo_header(x, claim_genesis_signer=True), "bad_header",
               "the header signed by another key, the genesis's signer named")
        tamper("solo-voucher", "no-signed-header", es.remove_signed_headers, "untrusted",
               "the signed header left out: nothing establishes the app hash")
        tamper("solo-voucher", "format", es.wrong_format, "malformed", "another format tag")
        tamper("solo-voucher", "forged-chain", es.another_genesis_signer, None,
               "a forged chain: genesis's block signer replaced and every header re-signed; it verifies on its own "
               "(its genesis hash differs: compare it)", ok=True)
        tamper("solo-voucher", "forged-chain-against-your-genesis", es.another_genesis_signer, "untrusted",
               "the same forged chain checked against your own genesis (the honest bundle's)",
               your_genesis="solo-voucher.json")
        # kind "records" (what the web console downloads for a transaction's writes): the same records,
        # each proven, nothing claimed complete
        key = voucher_keys(b)[0]
        records = [{"op": "replace", "path": "/subject", "value": {"kind": "records", "id": "records of a voucher"}}]
        tamper("solo-voucher", "as-records", lambda x: records, None,
               "the same records as a bundle of kind records: each proven, nothing claimed complete", ok=True)
        tamper("solo-voucher", "as-records-flipped-value", lambda x, k=key: records + es.flip_value(x, k), "not_proven",
               "kind records, one bit of a record's value changed, its proof left alone")
        tamper("solo-voucher", "as-records-none", lambda x: records + [{"op": "replace", "path": "/records",
                                                                          "value": []}], "incomplete",
               "kind records, every record left out: nothing proven at its height")
    b = bundles.get("cometbft-voucher")
    if b is not None:
        tamper("cometbft-voucher", "header-forged", es.forge_light_block, "bad_header",
               "the CometBFT header carrying the app hash changed; its commit left as signed")
        tamper("cometbft-voucher", "too-few-signatures", es.too_few_signatures, "bad_header",
               "the commit of the header carrying the app hash with 2 of its 4 signatures")
        tamper("cometbft-voucher", "signer-outside-the-set", es.outsider_signature, "bad_header",
               "a signature replaced by a valid one from a key outside the validator set")
        tamper("cometbft-voucher", "anchor-forged", lambda x: es.forge_light_block(x, 0), "bad_header",
               "the anchor (height 1) header changed")
        tamper("cometbft-voucher", "light-blocks-out-of-order", es.swap_light_blocks, "bad_header",
               "the light blocks swapped: the first is not the anchor's (height 1)")
    b = bundles.get("sm-cometbft-audit")
    if b is not None:
        tamper("sm-cometbft-audit", "receipt-changed", lambda x: es.change_receipt(x, x["subject"]["to"]),
               "not_proven", "a receipt re-encoded with another message (its SM3 hash is in last_results_hash)")
    b = bundles.get("cometbft-audit")
    if b is not None:
        last = b["subject"]["to"]
        tamper("cometbft-audit", "receipt-changed", lambda x: es.change_receipt(x, last), "not_proven",
               "a receipt re-encoded with another message (CometBFT's last_results_hash no longer matches)")
        tamper("cometbft-audit", "transaction-removed", lambda x: es.remove_last_tx(x, last), "not_proven",
               "a transaction left out of its block (the data_hash no longer matches)")
        tamper("cometbft-audit", "linked-header-forged", es.forge_linked_header, "bad_header",
               "a header tied by hash to the verified one changed")
        tamper("cometbft-audit", "block-removed", lambda x: es.remove_block(x, last), "incomplete",
               "a block of the range left out")
    b = bundles.get("solo-audit")
    if b is not None:
        last = b["subject"]["to"]
        tamper("solo-audit", "transaction-removed", lambda x: es.remove_last_tx(x, last), "not_proven",
               "a transaction left out of its block (txs_root no longer matches)")
        tamper("solo-audit", "receipt-changed", lambda x: es.change_receipt(x, last), "not_proven",
               "a receipt re-encoded with another message (results_root no longer matches)")
        tamper("solo-audit", "block-removed", lambda x: es.remove_block(x, b["subject"]["from"]), "incomplete",
               "a block of the range left out")
    b = bundles.get("solo-package")
    if b is not None:
        key = f"npa/package/{b['subject']['id']}"
        tamper("solo-package", "history-version-left-out", lambda x: es.drop_history_version(x, key), "incomplete",
               "one version of the package's history left out")
    b = bundles.get("solo-plan")
    if b is not None:
        plan = es.record_value(b, f"plans/plan/{b['subject']['id']}")
        tamper("solo-plan", "asset-left-out", lambda x: es.remove_record(x, f"plans/asset/{plan['assets'][-1]}"),
               "incomplete", "the pool entry of one of the plan's assets left out")
    b = bundles.get("solo-product")
    if b is not None:
        pid = b["subject"]["id"]
        key = next(r["key"] for r in b["records"] if r["key"].startswith(f"products/holding/{pid}/")
                   and r["value"] is not None)
        tamper("solo-product", "holding-left-out", lambda x: es.remove_record(x, key), "incomplete",
               "one holding of the register left out")
    return out


def check(entries: list[dict[str, Any]], bundles: dict[str, dict[str, Any]]) -> None:
    for e in entries:
        base = bundles[e["file"][:-len(".json")]]
        doc = es.apply_patch(base, e["patch"]) if "patch" in e else base
        genesis = bundles[e["your_genesis"][:-len(".json")]]["genesis"] if "your_genesis" in e else None
        es.assert_agree(doc, e["ok"], e["code"], genesis, e["name"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-localnet", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="evidence-vectors-")
    try:
        bundles: dict[str, dict[str, Any]] = {}
        for kind, b in demo_bundles(tmp, "ed25519", ("voucher", "plan", "package", "product", "audit")).items():
            bundles[f"solo-{kind}"] = b
        bundles["sm-solo-voucher"] = demo_bundles(tmp, "sm2-sm3", ("voucher",))["voucher"]
        if not args.no_localnet:
            for kind, b in localnet_bundles(tmp).items():
                bundles[f"cometbft-{kind}"] = b
            for kind, b in localnet_bundles(tmp, "sm2-sm3").items():
                bundles[f"sm-cometbft-{kind}"] = b
        entries = vectors(bundles)
        check(entries, bundles)
        os.makedirs(OUT, exist_ok=True)
        for name, b in bundles.items():
            _write(f"{name}.json", b)
        with open(os.path.join(OUT, "vectors.json"), "w") as f:
            json.dump({"format": evidence.FORMAT,
                       "about": "test vectors of docs/evidence.md: each entry is a bundle file, optionally with an "
                                "RFC 6902 patch to apply to it first (a tampering) and `your_genesis` (verify "
                                "against the genesis of that file), and the verdict a verifier must reach: ok, "
                                "and when not ok the failure code. Written by tests/sdk/make_evidence_vectors.py.",
                       "vectors": entries}, f, indent=1)
            f.write("\n")
        print(f"wrote {len(bundles)} bundles and {len(entries)} vectors to {OUT}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
