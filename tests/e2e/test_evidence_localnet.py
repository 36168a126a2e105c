"""Evidence bundles from a real 4-validator CometBFT network.

The receivables and plans samples run on a `fae localnet`; a voucher, a plan and an audit
range (with a rejected transaction in it, so an ExecTxResult code other than 0 is tied) are
exported through node 0 with node 1 as witness, from the member's own genesis. The SDK and
the standalone verifier must both accept them and refuse alike: a flipped value, a proof for
another key, a lineage element left out, a forged header, a commit with too few signatures,
a signature by a key outside the validator set, an edited receipt, a forged linked header.
`fae evidence export --witness` runs as its own process, and the standalone verifier as a
copy of the single file where faechain cannot be imported.

Run only these: python -m pytest -m localnet tests/e2e/test_evidence_localnet.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from localnet_support import client, running_localnet, wait_until

from faechain.core.genesis import Genesis
from faechain.devnet.demo import Samples, demo_org_ids
from faechain.devnet.samples import plans, receivables
from faechain.sdk import Identity, evidence
from faechain.sdk.light.client import LightClient
from tests.sdk import evidence_support as es

pytestmark = pytest.mark.localnet


def test_evidence_from_a_real_network(tmp_path):
    with running_localnet(str(tmp_path / "net"), 4) as net:
        c0 = client(net, 0, "regulator")
        ids: dict[str, Identity] = {}

        def submit(who, contract, method, args):
            if who not in ids:
                ids[who] = Identity.load(net.home, who)
            return c0.submit(ids[who], contract, method, **args)

        s = Samples(submit, lambda data: s.hash(data), demo_org_ids(), now=lambda: c0.info()["time"] // 1000)
        s.results["receivables"] = receivables.seed(s)
        s.results["plans"] = plans.seed(s)
        rejected = c0.submit(Identity.load(net.home, "supplier1"), "receivables", "accept", id="V-0-0-404")
        assert rejected.code == "not_found"
        genesis_path = os.path.join(net.home, "genesis.json")
        c0.trust = LightClient(Genesis.load(genesis_path), c0, witnesses=[client(net, 1, "regulator")])
        wait_until(lambda: c0.trust.latest().height > rejected.height, 60, "a signed header past the rejection")
        [plan] = c0.query("plans", "plans", status="OUTSTANDING")
        voucher = s.results["receivables"]["financed"]
        bundles = {"voucher": evidence.export(c0, "voucher", voucher),
                   "plan": evidence.export(c0, "plan", plan["id"]),
                   "audit": evidence.export(c0, "audit", f"{rejected.height - 3}:{rejected.height}")}
        assert c0.trust.witness_problems == []

        for kind, b in bundles.items():
            es.assert_agree(b, True, None, what=f"honest {kind}")
            assert b["engine"] == "cometbft" and b["anchor"] == {"type": "genesis"}
            assert b["light_blocks"][0]["signed_header"]["header"]["height"] == "1"
            for what, patch, code in (("header forged", es.forge_light_block(b), "bad_header"),
                                      ("too few signatures", es.too_few_signatures(b), "bad_header"),
                                      ("signer outside the set", es.outsider_signature(b), "bad_header"),
                                      ("anchor forged", es.forge_light_block(b, 0), "bad_header")):
                es.assert_agree(es.apply_patch(b, patch), False, code, what=f"{kind}: {what}")
        report = evidence.verify(bundles["voucher"])
        h = bundles["voucher"]["height"]
        assert report.basis[0].startswith(f"block {h}: app hash in CometBFT header {h + 1}, signed by ")
        assert report.values[(h, f"receivables/voucher/{voucher}")]["amount"] == 120_000_000

        v = bundles["voucher"]
        key = f"receivables/voucher/{voucher}"
        value = es.record_value(v, key)
        for what, patch, code in (
                ("flipped value", es.flip_value(v, key), "not_proven"),
                ("proof for another key", es.proof_of_another_key(v, key, f"receivables/root/{value['root']}"),
                 "not_proven"),
                ("lineage element left out", es.remove_record(v, f"receivables/voucher/{value['parent']}"),
                 "incomplete")):
            es.assert_agree(es.apply_patch(v, patch), False, code, what=f"voucher: {what}")

        a = bundles["audit"]
        assert any("not_found" in line for line in evidence.verify(a).proven)
        last = a["subject"]["to"]
        for what, patch, code in (("receipt changed", es.change_receipt(a, last), "not_proven"),
                                  ("transaction removed", es.remove_last_tx(a, last), "not_proven"),
                                  ("linked header forged", es.forge_linked_header(a), "bad_header"),
                                  ("block removed", es.remove_block(a, last), "incomplete")):
            es.assert_agree(es.apply_patch(a, patch), False, code, what=f"audit: {what}")

        # the command line, as its own process, with a witness; then the standalone file alone
        out = tmp_path / "plan.json"
        done = subprocess.run([sys.executable, "-m", "faechain", "evidence", "export", "--kind", "plan", "--id",
                               plan["id"], "-o", str(out), "--home", net.home, "--url", net.nodes[2].api_url,
                               "--as", "regulator", "--witness", net.nodes[3].api_url],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        done = subprocess.run([sys.executable, "-m", "faechain", "evidence", "verify", str(out), "--genesis",
                               genesis_path], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "penetration complete" in done.stdout, done.stdout + done.stderr
        jobs = []
        for i, b in enumerate([json.loads(out.read_text()), *bundles.values(),
                               es.apply_patch(v, es.too_few_signatures(v))]):
            (tmp_path / f"{i}.json").write_text(json.dumps(b))
            jobs.append({"file": f"{i}.json", "genesis": "genesis.json"})
        (tmp_path / "genesis.json").write_text(open(genesis_path).read())
        got = es.run_isolated(str(tmp_path), jobs)
        assert [(g["ok"], g["code"]) for g in got] == [(True, None)] * 4 + [(False, "bad_header")], got
