"""The console's verified views, downloaded as evidence and held to freshness, with the header
kept between visits and a witness node — in the real browser (headless Chromium through
Playwright, as tests/e2e/test_console_browser.py drives it) against a seeded demo node.

  * **evidence**: where the console shows a verified view — a transaction's proven writes, a
    voucher's verified lineage, a plan's verified penetration — "Download evidence" gives a
    file the browser made itself (static/evidence.js; the node is not asked). Each downloaded
    file verifies offline with `python -m faechain evidence verify FILE` and with the standalone
    verifier (each a separate process, no node), and one flipped bit in one record's value makes
    both refuse, naming the record;
  * **freshness**: a node that serves an old but genuine penetration answer is refused as stale,
    in the SDK's words (how many blocks behind which signed header);
  * **the kept anchor**: the newest verified header is kept in localStorage under the chain id
    and genesis hash; the next page load says it verifies from it; an anchor kept for another
    genesis, and one whose signature no longer checks out, are dropped;
  * **the witness**: a second node's URL set in the console; the node's own URL under another
    origin (CORS on GET /v1/light) agrees, and a second node started from the same home — same
    genesis, same block signer key, its own blocks — serves another header at the same height,
    signed by the same key: shown as an attack with both headers. This page runs with the
    console's Content-Security-Policy in force (no bypass).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest
from test_console_browser import TIMEOUT_MS, browser, tab  # noqa: F401 - fixtures

from faechain.cli.demo import seed_node
from faechain.devnet.demo import create_demo, demo_org_ids
from faechain.identity.wallet import Identity
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, VerificationError
from faechain.sdk import evidence_standalone as standalone
from faechain.sdk.evidence import cometbft_trace
from faechain.sdk.light.cometbft import light_block_to_json
from faechain.sdk.light.synthetic import Signer, SyntheticChain, private_key

pytestmark = pytest.mark.browser

ORG = demo_org_ids()
STANDALONE = standalone.__file__
with open(os.path.join(os.path.dirname(__file__), "console_light_harness.js"), encoding="utf-8") as _f:
    JS_HARNESS = "\n".join(line for line in _f.read().splitlines() if not line.startswith("//"))


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """A demo home and a copy of it made before either node ran: the same genesis and block signer."""
    home = str(tmp_path_factory.mktemp("consoleevidence"))
    create_demo(home, free_port())
    twin = str(tmp_path_factory.mktemp("consoleevidencetwin"))
    shutil.copytree(home, twin, dirs_exist_ok=True)
    return home, twin


@pytest.fixture(scope="module")
def node(homes):
    nt = NodeThread(homes[0], heartbeat=1.0)
    nt.start()
    seed_node(nt.node)
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def twin(homes, node):
    """A second node of the same chain (its own blocks): what a block signer signing two histories
    looks like to a member that asks both."""
    nt = NodeThread(homes[1], port=free_port(), heartbeat=1.0)
    nt.start()
    yield nt.node
    nt.stop()


# -- offline verification, in separate processes -------------------------------------------------------
def run_verifiers(path: str) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """`fae evidence verify FILE` and `python evidence_standalone.py FILE`, run as a court would."""
    cli = subprocess.run([sys.executable, "-m", "faechain", "evidence", "verify", path], capture_output=True,
                         text=True, timeout=120)
    alone = subprocess.run([sys.executable, STANDALONE, path], capture_output=True, text=True, timeout=120,
                           cwd=os.path.dirname(path))
    return cli, alone


def assert_verifies_and_flip_refused(path: str, key: str) -> tuple[dict, str]:
    """The file verifies with both verifiers; with one bit of `key`'s value flipped, both refuse.
    -> the bundle, and what `fae evidence verify` printed for the genuine file"""
    with open(path) as f:
        bundle = json.load(f)
    cli, alone = run_verifiers(path)
    assert cli.returncode == 0 and cli.stdout.startswith("VERIFIED"), cli.stdout + cli.stderr
    assert alone.returncode == 0 and alone.stdout.startswith("VERIFIED"), alone.stdout + alone.stderr
    assert standalone.verify(bundle).ok
    report = cli.stdout
    [i] = [n for n, r in enumerate(bundle["records"]) if r["key"] == key and r["height"] == bundle["height"]]
    tampered = json.loads(json.dumps(bundle))
    raw = bytearray(bytes.fromhex(tampered["records"][i]["value"]))
    raw[len(raw) // 2] ^= 1
    tampered["records"][i]["value"] = raw.hex()
    bad = path.replace(".json", "-flipped.json")
    with open(bad, "w") as f:
        json.dump(tampered, f)
    cli, alone = run_verifiers(bad)
    assert cli.returncode == 1 and "FAILED    not_proven" in cli.stdout, cli.stdout + cli.stderr
    assert f"{key} at height {bundle['height']}: the proof does not verify" in cli.stdout, cli.stdout
    assert alone.returncode == 1 and "FAILED    not_proven" in alone.stdout, alone.stdout + alone.stderr
    return bundle, report


def download(page, path: str) -> str:
    with page.expect_download() as info:
        page.click("#download-evidence")
    info.value.save_as(path)
    return path


# -- evidence ----------------------------------------------------------------------------------------
def plan_and_voucher(node) -> tuple[dict, str, Client]:
    reg = Client(node.url, identity=Identity.load(node.home, "regulator"))
    [listed] = reg.query("plans", "plans", status="OUTSTANDING")
    plan = reg.query("plans", "plan", id=listed["id"])["plan"]
    return plan, next(a.split(":", 1)[1] for a in plan["assets"] if a.startswith("voucher:")), reg


def test_a_transactions_writes_and_a_vouchers_lineage_download_as_evidence_that_verifies_offline(node, tab, tmp_path):  # noqa: F811
    plan, voucher, reg = plan_and_voucher(node)
    r = node.submit_as("exchange", "membership", "set_attributes",
                       {"org_id": ORG["investor4"], "attributes": {"note": "evidence test"}})
    assert r.ok, r
    ex = tab("exchange", lang="en")
    ex.go(f"#/explorer/tx/{r.tx_hash.hex()}")
    ex.page.click("#verify-writes")
    ex.page.wait_for_selector("#writes-ok")
    path = download(ex.page, str(tmp_path / "tx.json"))
    bundle, report = assert_verifies_and_flip_refused(path, f"membership/org/{ORG['investor4']}")
    assert bundle["subject"] == {"kind": "records", "id": r.tx_hash.hex()} and bundle["height"] == r.height
    assert bundle["engine"] == "solo" and [h["height"] for h in bundle["signed_headers"]] == [r.height]
    shown = ex.page.eval_on_selector_all("#writes-verify ~ table tbody tr td:first-child code",
                                         "els => els.map(e => e.textContent)")
    assert sorted(x["key"] for x in bundle["records"]) == sorted(shown) and len(shown) >= 1
    assert f"subject   records {r.tx_hash.hex()}" in report and '"note":"evidence test"' in report, report
    # a voucher of the plan's pool (the exchange reads every piece): its lineage, root and invoices
    ex.go(f"#/explorer/voucher/{voucher}")
    ex.page.click("#verify-lineage")
    ex.page.wait_for_selector("#lineage-ok, #lineage-bad")
    assert ex.page.query_selector("#lineage-ok"), ex.page.text_content("#lineage-verify")
    v = reg.query("receivables", "voucher", id=voucher)
    chain = " > ".join([a["id"] for a in v["ancestors"]] + [voucher])
    assert ex.page.text_content("#lineage-chain") == chain and " > " in chain
    bundle, _ = assert_verifies_and_flip_refused(download(ex.page, str(tmp_path / "voucher.json")),
                                              f"receivables/root/{v['voucher']['root']}")
    keys = {r["key"] for r in bundle["records"]}
    assert {f"receivables/invoice/{i}" for i in v["root"]["invoices"]} <= keys  # fetched with proofs, verified


def test_a_plans_penetration_downloads_as_evidence_and_a_stale_answer_is_refused(node, tab, tmp_path):  # noqa: F811
    plan, _, _ = plan_and_voucher(node)
    inv = tab("investor1", lang="en")
    # the plan's penetration: verified here, downloaded, verified offline
    inv.go(f"#/v/investor/plan/{plan['id']}")
    inv.page.click("#penetration-verify")
    inv.page.wait_for_selector("#verify-ok")
    bundle, _ = assert_verifies_and_flip_refused(download(inv.page, str(tmp_path / "plan.json")),
                                              f"plans/plan/{plan['id']}")
    assert bundle["subject"] == {"kind": "plan", "id": plan["id"]}
    assert len(bundle["records"]) > 10 and {r["height"] for r in bundle["records"]} == {bundle["height"]}
    # a node serving an old but genuine answer: refused as stale, saying how far behind which header
    old = node.app.height
    for n in range(6):
        assert node.submit_as("exchange", "membership", "set_attributes",
                              {"org_id": ORG["investor4"], "attributes": {"round": n}}).ok
    assert node.app.height >= old + 6
    answer = Client(node.url, identity=Identity.load(node.home, "investor1")).query(
        "plans", "penetrate", plan=plan["id"], prove=True, _height=old)
    assert answer["height"] == old
    inv.page.route("**/console/api/query/plans/penetrate", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"result": answer, "height": old})))
    inv.go(f"#/v/investor/plan/{plan['id']}")
    inv.page.click("#penetration-verify")
    inv.page.wait_for_selector("#verify-bad")
    text = inv.page.text_content("#verify-bad")
    assert "Refused: the answer is stale." in text, text
    m = re.search(rf"the answer is at height {old}, (\d+) blocks behind the latest signed header \((\d+)\); "
                  r"the limit is 5", text)
    assert m and int(m[1]) == int(m[2]) - old > 5, text
    assert inv.page.query_selector("#verify-ok") is None and inv.page.query_selector("#download-evidence") is None


# -- the CometBFT trace a bundle carries: the browser's against the SDK exporter's --------------------------
T0 = 1_790_000_000 * 1_000_000_000  # a synthetic chain's genesis time (ns)


def trace_case(name: str, c: SyntheticChain, targets: list[int], period_s: float) -> tuple[str, dict, dict]:
    """(name, what the browser runs, what faechain.sdk.evidence.cometbft_trace gave), with exactly
    the light blocks Python fetched handed to the browser."""
    asked: dict[int, Any] = {}

    def fetch(h: int):
        asked[h] = c(h)
        return asked[h]

    try:
        trace = cometbft_trace(c(1), targets, fetch, trusting_period_s=period_s)
        want: dict = {"ok": True, "value": {"heights": [b.height for b in trace],
                                            "hashes": [b.hash().hex().upper() for b in trace]}}
    except VerificationError as exc:
        want = {"ok": False, "code": exc.code, "message": exc.message}
    op = {"op": "evidence_trace", "anchor": light_block_to_json(c(1)), "targets": targets, "period_s": period_s,
          "trust_level": [1, 3], "blocks": {str(h): light_block_to_json(lb) for h, lb in asked.items()}}
    return name, op, want


def test_the_browser_builds_the_trace_the_sdk_exporter_builds(browser, node):  # noqa: F811
    signers = {p: [Signer(private_key(f"{p}{i}"), 10) for i in range(4)] for p in "ABC"}
    steady = SyntheticChain("fae-trace", lambda h: signers["A"], genesis_time_ns=T0)
    replaced = SyntheticChain("fae-trace", lambda h: signers["ABC"[min((h - 1) // 100, 2)]], genesis_time_ns=T0)
    cases = [
        trace_case("one step per target while the set stays", steady, [50, 300, 301], 3600.0),
        trace_case("bisecting where the set was replaced", replaced, [250], 3600.0),
        trace_case("hopping within a trusting period of 100 s over 350 s of blocks", steady, [60, 350], 100.0),
        trace_case("a target before the anchor", steady, [0], 3600.0),
    ]
    context = browser.new_context(bypass_csp=True)  # the harness evaluates its own script in the page
    page = context.new_page()
    page.goto(node.url + "/")
    try:
        got = page.evaluate(JS_HARNESS, [op for _, op, _ in cases])
    finally:
        context.close()
    for (name, _, want), result in zip(cases, got, strict=True):
        assert result == want, f"{name}: the browser gave {result}, Python {want}"
    hops = cases[2][2]["value"]["heights"]
    assert len(hops) > 4 and hops[-1] == 350, hops  # several hops: no step spans more than 100 s
    assert not cases[3][2]["ok"] and len(cases[1][2]["value"]["heights"]) > 2


# -- the kept anchor and the witness --------------------------------------------------------------------------
def open_console(browser, node, name: str):  # noqa: F811
    """A signed-in page with the console's Content-Security-Policy in force."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(node.url + "/")
    page.evaluate("localStorage.setItem('fae.lang', 'en')")
    page.reload()
    page.click(f"#signin-{name}")
    page.wait_for_selector("#member")
    return context, page, errors


def verify_block(page, url: str, height: int, outcome: str = "#header-ok") -> str:
    page.goto(f"{url}/#/explorer/block/{height}")
    page.reload()  # a new page: a new light client, started from what this browser kept
    page.click("#verify-header")
    page.wait_for_selector(outcome)
    return page.text_content(outcome)


def set_witness(page, witness: str) -> None:
    page.click("#trust-settings")
    page.fill("#witness-url", witness)
    page.click("#trust-save")
    page.wait_for_selector("#genesis-pin")  # saved, and the page loaded again


def test_the_newest_header_is_kept_and_a_witness_is_compared(browser, node, twin):  # noqa: F811
    r = twin.submit_as("exchange", "membership", "set_attributes",
                       {"org_id": ORG["investor4"], "attributes": {"on": "the twin"}})
    assert r.ok, r
    fork = r.height  # a block of the twin's own history: the same key signed another block there
    assert twin.store.block(fork)[0] != node.store.block(fork)[0]
    context, page, errors = open_console(browser, node, "regulator")
    try:
        chain = node.app.chain_id
        high = node.app.height
        verify_block(page, node.url, high)
        assert page.text_content("#trust-from") == "from genesis"
        kept = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('fae.anchor/'))")
        assert len(kept) == 1 and kept[0].startswith(f"fae.anchor/{chain}/"), kept
        entry = json.loads(page.evaluate(f"localStorage.getItem('{kept[0]}')"))
        assert entry["height"] == high and entry["genesis"] == kept[0].rsplit("/", 1)[1]
        # the next visit starts from it
        verify_block(page, node.url, fork)
        assert page.text_content("#trust-from") == f"from trusted height {high} (kept in this browser)"
        # an anchor kept for another genesis, and this one with its signature damaged: both dropped
        damaged = {**entry, "doc": {**entry["doc"], "signature": "00" * 64}}
        other = f"fae.anchor/{chain}/{'ab' * 32}"
        page.evaluate("([k, v, o]) => { localStorage.setItem(k, v); localStorage.setItem(o, v); }",
                      [kept[0], json.dumps(damaged), other])
        verify_block(page, node.url, fork)
        assert page.text_content("#trust-from") == "from genesis"
        assert page.evaluate(f"localStorage.getItem('{other}')") is None
        page.click("#trust-settings")
        note = page.text_content("#anchor-discarded")
        assert f"the anchor kept in this browser (height {high}) was not used: block {high}: the signature does not " \
               "verify under the block signer" in note, note
        # a witness: this node under another origin (CORS) agrees ...
        same = node.url.replace("127.0.0.1", "localhost")
        page.fill("#witness-url", same)
        page.click("#trust-save")
        page.wait_for_selector("#genesis-pin")
        verify_block(page, node.url, fork)
        assert page.text_content("#trust-witness") == f"witness {same} agrees at height {fork}"
        # ... and a node that holds another header at that height, signed by the same key: an attack
        set_witness(page, twin.url)
        text = verify_block(page, node.url, fork, "#header-bad")
        mine, theirs = node.store.block(fork)[0].hex(), twin.store.block(fork)[0].hex()
        assert "Attack: the witness serves another signed header at the same height." in text, text
        assert (f"the block signer signed two headers at height {fork}: {node.url} serves {mine}, witness "
                f"{twin.url} serves {theirs}") in text, text
        assert page.text_content("#attack-primary") == f"this node{node.url}{fork}{mine}"
        assert page.text_content("#attack-witness") == f"witness{twin.url}{fork}{theirs}"
        assert page.query_selector("#header-ok") is None
        assert not errors, errors
    finally:
        context.close()
