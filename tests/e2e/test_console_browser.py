"""The web console in a real browser: Debian's Chromium, headless, driven by Playwright
(`executable_path`, so Playwright never downloads a browser of its own), against a seeded
`fae demo` node served in-process. Each test signs in by clicking a demo identity and does
the work through the console's pages; the chain is then checked through the SDK.

Skipped where Chromium or the `playwright` package is missing (`scripts/install-browser.sh`
installs Chromium; `pip install -e '.[test]'` installs playwright). With FAE_SCREENSHOTS=1
the main views are saved to docs/console/ (the committed screenshots come from such a run).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil

import pytest

from faechain.cli.demo import advance_clock, seed_node, store_document
from faechain.core.genesis import Genesis
from faechain.devnet.demo import create_demo, demo_org_ids
from faechain.identity.wallet import Identity
from faechain.ledger.smt import verify_proof
from faechain.node.config import paths
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client
from faechain.sdk.light.client import LightClient
from tests.conftest import wallet

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("FAE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "console")
ORG = demo_org_ids()
TIMEOUT_MS = 20_000


# a phone as an iPhone 12-14 shows a page (views at this size: tests/e2e/test_console_every_view.py)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


def yuan(fen: int) -> str:
    """As the console shows an amount: 1,234.50 元."""
    return f"{fen // 100:,}.{fen % 100:02d} 元"


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Chromium is not installed (scripts/install-browser.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        # a non-persistent launch runs on a fresh temporary profile (user-data-dir) of its own
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("consolebrowser"))
    create_demo(home, free_port())
    nt = NodeThread(home, heartbeat=1.0)
    nt.start()
    seed_node(nt.node)
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def who(node):
    return wallet(node.home)


class Console:
    """One signed-in browser tab."""

    def __init__(self, browser, node, name: str, lang: str = "zh", device: dict | None = None):
        # bypass_csp: the test harness evaluates its own scripts in the page (the console itself never evals);
        # `device`: the browser context's screen (PHONE below for a phone), a desk's by default
        self.context = browser.new_context(**(device or {"viewport": {"width": 1280, "height": 900}}),
                                           locale="zh-CN", bypass_csp=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.summaries: list[str] = []  # the signing dialog's readable summary, per transaction confirmed
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = node.url
        self.page.goto(self.url + "/")
        if lang == "en":
            self.page.evaluate("localStorage.setItem('fae.lang', 'en')")
            self.page.reload()
        self.page.click(f"#signin-{name}")
        self.page.wait_for_selector("#member")

    def go(self, route: str) -> None:
        target = f"{self.url}/{route}"
        if self.page.url == target:
            self.page.reload()  # the same hash would not navigate
        else:
            self.page.goto(target)
        self.page.wait_for_selector("main h1")

    def confirm(self, method: str) -> str:
        """Check the signing dialog shows `method` and a body that checks out here, submit it, and
        return the receipt's result text; asserts it committed."""
        page = self.page
        page.wait_for_selector("#signed-method")
        assert page.text_content("#signed-method") == method
        assert page.text_content("#signed-check").startswith("✓")
        signed_hash = page.text_content("#signed-hash")
        self.summaries.append(page.inner_text("#signed-summary"))  # what the member read before signing
        page.click("#sign-confirm")
        page.wait_for_selector("#receipt-code")
        code = page.text_content("#receipt-code")
        result = page.text_content("#receipt-result") if page.query_selector("#receipt-result") else ""
        assert code.startswith("✓"), code
        page.click("#receipt-close")
        assert len(signed_hash) == 64
        return result

    def shot(self, name: str) -> None:
        if os.environ.get("FAE_SCREENSHOTS") == "1":
            os.makedirs(SHOTS, exist_ok=True)
            self.page.evaluate("window.scrollTo(0, 0)")
            self.page.wait_for_timeout(300)  # let a just-drawn chart settle before the picture (not a test)
            self.page.screenshot(path=os.path.join(SHOTS, name), full_page=False)

    def close(self) -> None:
        assert not self.errors, self.errors
        self.context.close()


@pytest.fixture
def tab(browser, node):
    tabs: list[Console] = []

    def open_tab(name: str, lang: str = "zh") -> Console:
        c = Console(browser, node, name, lang)
        tabs.append(c)
        return c

    yield open_tab
    for c in tabs:
        c.close()


# -- receivables: register an invoice, issue against it, accept, split -------------------------
def test_issue_and_split_a_voucher_in_the_browser(node, tab, who):
    supplier = tab("supplier1")
    supplier.go("#/v/supplier")
    page = supplier.page
    page.fill("#register-invoice-code", "011002600900")
    page.fill("#register-invoice-number", "00000042")
    page.select_option("#register-invoice-buyer", ORG["core"])
    page.fill("#register-invoice-amount", "1,000,000.00")
    page.fill("#register-invoice-doc", "scan of invoice 00000042")
    page.click("#register-invoice-submit")
    assert json.loads(supplier.confirm("register_invoice")) == {"invoice": "011002600900-00000042"}

    core = tab("core")
    core.go("#/v/core")
    core.page.click("#use-011002600900-00000042")  # fills supplier, amount and the invoice draw
    core.page.fill("#issue-contract", "supply contract HX-2026-0042")
    core.page.click("#issue-submit")
    voucher = json.loads(core.confirm("issue"))["voucher"]
    core.page.wait_for_selector(f"a.id[title='{voucher}']")
    core.shot("core.png")

    supplier.go("#/v/supplier")
    supplier.page.click(f"#accept-{voucher}")
    supplier.confirm("accept")
    supplier.page.wait_for_selector(f"#transfer-id option[value='{voucher}']", state="attached")
    supplier.page.select_option("#transfer-id", voucher)
    supplier.page.select_option("#transfer-to", ORG["supplier2"])
    supplier.page.fill("#transfer-amount", "400,000.00")
    supplier.page.click("#transfer-submit")
    split = json.loads(supplier.confirm("transfer"))
    # what each signed: amounts in 元, the maturity as a date, organisations by name beside their code
    assert "1,000,000.00 元" in supplier.summaries[0] and "00000042" in supplier.summaries[0]
    issued = core.summaries[0]
    assert "1,000,000.00 元" in issued and f"({ORG['supplier1']})" in issued, issued
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", issued) and "100000000" not in issued, issued
    transfer = supplier.summaries[-1]
    assert "400,000.00 元" in transfer and f"({ORG['supplier2']})" in transfer, transfer
    # the tree redraws with the root and both pieces
    for vid in (voucher, split["voucher"], split["remainder"]):
        supplier.page.wait_for_selector(f"svg.tree g[data-id='{vid}']")
    supplier.page.wait_for_selector(f"tr[data-voucher='{split['remainder']}']")
    supplier.shot("supplier.png")

    with Client(node.url, identity=who("regulator")) as c:
        pieces = {v["id"]: v for v in c.query("receivables", "vouchers", root=voucher)}
    assert pieces[voucher]["status"] == "SPLIT"
    piece, rest = pieces[split["voucher"]], pieces[split["remainder"]]
    assert piece["holder"] == ORG["supplier2"] and piece["amount"] == 400_000_00
    assert rest["holder"] == ORG["supplier1"] and rest["amount"] == 600_000_00


def test_language_switch_is_remembered(node, tab):
    c = tab("supplier1")
    c.go("#/explorer")
    assert c.page.text_content("#nav-explorer") == "区块浏览器"  # Chinese by default
    c.page.click("#lang")
    c.page.wait_for_function("(document.querySelector('#nav-explorer') || {}).textContent === 'Explorer'")
    c.page.reload()
    c.page.wait_for_function("(document.querySelector('#nav-explorer') || {}).textContent === 'Explorer'")
    c.page.click("#lang")
    c.page.wait_for_function("(document.querySelector('#nav-explorer') || {}).textContent === '区块浏览器'")


# -- auctions: live bidding ---------------------------------------------------------------------
def _listed_auction(node) -> str:
    """bank2's one-loan package, due diligence by lawfirm, approved and listed for an hour's English
    auction; amc and investor1 registered, their margins confirmed by the settlement bank."""
    s = node.submit_as

    def tx(who, contract, method, **args):
        r = s(who, contract, method, args)
        assert r.ok, (method, r.code, r.message)
        return r.result

    now = node.engine.now_ms() // 1000
    borrower = hashlib.sha256(b"person:console").hexdigest()  # a personal data document's commitment
    tx("bank2", "npa", "register_loan", loan_no="BHRB-CONSOLE-1", borrower=borrower,
       principal=2_000_000_00, interest=150_000_00, classification="doubtful", days_past_due=400)
    package = tx("bank2", "npa", "create_package", name="Console test package", loans=["BHRB-CONSOLE-1"],
                 base_date=now - 86400, reserve_price=900_000_00, list_price=1_000_000_00, margin=100_000_00)["package"]
    tx("bank2", "npa", "submit_for_due_diligence", package=package, intermediary=ORG["lawfirm"])
    report = store_document(node, b"due diligence report, console test package")
    tx("lawfirm", "npa", "register_document", package=package, hash=report, kind="due_diligence",
       name="DD report", size=43, media_type="text/plain")
    tx("lawfirm", "npa", "record_due_diligence", package=package, report_hash=report, opinion="clean")
    tx("exchange", "npa", "approve", package=package)
    start = node.engine.now_ms() // 1000 + 3
    auction = tx("exchange", "npa", "list_package", package=package, mode="english", start=start, end=start + 3600,
                 settlement_bank=ORG["bank"], increment=50_000_00, extend_window=120, extend_by=120)["auction"]
    for bidder in ("amc", "investor1"):
        tx(bidder, "auctions", "register", auction=auction)
        tx("bank", "auctions", "confirm_margin", auction=auction, bidder=ORG[bidder], bank_ref=f"MGN-{bidder}-c")
    advance_clock(node, 10)  # the auction opens
    return auction


def test_bid_in_a_live_auction(node, tab, who):
    auction = _listed_auction(node)
    amc = tab("amc")
    amc.go(f"#/v/auctions/{auction}")
    page = amc.page
    page.wait_for_function("(document.querySelector('#auction-price') || {textContent: ''})"
                           ".textContent.includes('1,000,000.00')")
    assert re.search(r"\d\d:\d\d:\d\d", page.text_content("#auction-countdown"))
    assert page.input_value("#bid-price") == "1000000.00"  # the first bid: the start price
    page.click("#bid-submit")
    assert json.loads(amc.confirm("bid"))["price"] == 1_000_000_00
    page.wait_for_function("(document.querySelector('#auction-best') || {textContent: ''})"
                           ".textContent.includes('Huabei')")
    # a rival outbids over the SDK: the open page follows live (event stream), no reload
    r = node.submit_as("investor1", "auctions", "bid", {"auction": auction, "price": 1_050_000_00})
    assert r.ok, r.message
    page.wait_for_function("(document.querySelector('#auction-price') || {textContent: ''})"
                           ".textContent.includes('1,050,000.00')")
    page.wait_for_function("(document.querySelector('#auction-best') || {textContent: ''})"
                           ".textContent.includes('Yanshan')")
    page.wait_for_function("document.querySelector('#bid-price') "
                           "&& document.querySelector('#bid-price').value === '1100000.00'")
    page.wait_for_selector("svg.line circle.pt >> nth=1", state="attached")  # both bids on the price chart
    amc.shot("auction.png")
    page.click("#bid-submit")
    assert json.loads(amc.confirm("bid"))["price"] == 1_100_000_00
    with Client(node.url, identity=who("regulator")) as c:  # reads are signed (docs/confidentiality.md)
        a = c.query("auctions", "auction", id=auction)["auction"]
    assert a["best"] == {"price": 1_100_000_00, "bidder": ORG["amc"], "n": 3}


# -- supervision: an alert appears live -------------------------------------------------------------
def test_regulator_sees_an_invoice_reuse_alert_live(node, tab):
    reg = tab("regulator")
    reg.go("#/v/regulator")
    page = reg.page
    page.wait_for_selector("#alerts tr")
    before = int(page.text_content("#alert-count"))
    # the core tries to draw again on the demo's fully drawn invoice: refused, and an alert is raised
    doc = hashlib.sha256(b"second draw").hexdigest()
    r = node.submit_as("core", "receivables", "issue", {
        "to": ORG["supplier1"], "amount": 100_000_00, "maturity": node.engine.now_ms() // 1000 + 30 * 86400,
        "invoices": [["011002600111-04512876", 100_000_00]], "contract_hash": doc})
    assert r.code == "limit_exceeded"
    page.wait_for_selector("#alerts tr.fresh[data-rule='invoice_reuse']")
    assert int(page.text_content("#alert-count")) == before + 1
    assert r.tx_hash.hex()[:12] in page.inner_html("#alerts tr.fresh")
    reg.shot("regulator.png")


# -- plans: penetration verified in the browser ------------------------------------------------------
def _plan(node) -> str:
    with Client(node.url, identity=Identity.load(node.home, "regulator")) as c:
        [plan] = c.query("plans", "plans", status="OUTSTANDING")
    return plan["id"]


def test_penetration_verifies_in_the_browser(node, tab, who):
    plan = _plan(node)
    with Client(node.url, identity=who("investor1")) as c:
        c.trust = LightClient(Genesis.load(paths(node.home)["genesis"]), c)  # the member's own genesis
        expected = c.penetrate(plan)
    assert expected.ok
    inv = tab("investor1")
    inv.go(f"#/v/investor/plan/{plan}")
    inv.page.click("#penetration-verify")
    inv.page.wait_for_selector("#verify-ok")
    text = inv.page.text_content("#verify-ok")
    assert f"已核验 {expected.checked} 项" in text, text
    inv.shot("penetration.png")


@pytest.mark.parametrize("tamper, problem", [
    ("cash_flow_amount", "differs from the value proven"),
    ("proof_sibling", "does not verify"),
    ("drop_document", "documents: 5 shown"),
])
def test_a_tampered_penetration_answer_fails_in_the_browser(node, tab, tamper, problem):
    plan = _plan(node)
    inv = tab("investor1", lang="en")

    def rewrite(route):
        resp = route.fetch()
        doc = resp.json()
        ans = doc["result"]
        if tamper == "cash_flow_amount":
            ans["cash_flows"][0]["value"]["amount"] += 100  # one yuan more than the chain holds
        elif tamper == "proof_sibling":
            sib = ans["plan"]["proof"]["proof"]["siblings"]
            sib[0] = ("0" if sib[0][0] != "0" else "1") + sib[0][1:]
        else:
            ans["documents"].pop()
        route.fulfill(response=resp, body=json.dumps(doc), headers={**resp.headers, "content-type": "application/json"})

    inv.page.route("**/console/api/query/plans/penetrate", rewrite)
    inv.go(f"#/v/investor/plan/{plan}")
    inv.page.click("#penetration-verify")
    inv.page.wait_for_selector("#verify-bad")
    assert problem in inv.page.text_content("#verify-bad")
    assert inv.page.query_selector("#verify-ok") is None


# -- the JavaScript verifier against vectors from the Python code -------------------------------------
def test_js_proof_and_cbor_checks_agree_with_python(node, tab):
    c = tab("regulator")
    vectors = []
    for key in (b"receivables/invoice/011002600111-04512876", b"membership/org/" + ORG["bank"].encode(),
                b"receivables/voucher/V-no-such-piece"):
        res = node.app.state_value(key, None, prove=True)
        proof = res["proof"]
        value = res["value"]
        py = {"siblings": proof["siblings"], "leaf": proof["leaf"]}
        case = {"root": res["app_hash"].hex(), "key": key.hex(), "value": value.hex() if value else None,
                "siblings": [s.hex() for s in proof["siblings"]],
                "leaf": [x.hex() for x in proof["leaf"]] if proof["leaf"] else None}
        case["expect"] = verify_proof(node.app.hash, res["app_hash"], key, value, py)
        vectors.append(case)
        if value is not None:  # the same proof for a changed value must fail in both
            bad = value[:-1] + bytes([value[-1] ^ 1])
            vectors.append({**case, "value": bad.hex(),
                            "expect": verify_proof(node.app.hash, res["app_hash"], key, bad, py)})
    assert [v["expect"] for v in vectors] == [True, False, True, False, True]
    got = c.page.evaluate("""async (vectors) => {
        const { verifyProof, sha256 } = await import('/console/assets/smt.js');
        const { hexToBytes, decode, encode, bytesToHex } = await import('/console/assets/cbor.js');
        const out = [];
        for (const v of vectors) {
            out.push(await verifyProof(sha256, hexToBytes(v.root), hexToBytes(v.key),
                v.value === null ? null : hexToBytes(v.value),
                { siblings: v.siblings.map(hexToBytes), leaf: v.leaf ? v.leaf.map(hexToBytes) : null }));
        }
        const canon = [];
        for (const hex of ['a2616101616202', '1817', 'a2616202616101', 'f93c00', '3b7fffffffffffffff',
                           'c249010000000000000000']) {
            try { canon.push(bytesToHex(encode(decode(hexToBytes(hex))))); } catch (e) { canon.push('refused'); }
        }
        return { proofs: out, canon };
    }""", vectors)
    assert got["proofs"] == [v["expect"] for v in vectors]
    # canonical CBOR: accepted and re-encoded identically, or refused as faechain.core.encoding refuses
    assert got["canon"] == ["a2616101616202", "refused", "refused", "refused", "3b7fffffffffffffff", "refused"]


# -- explorer ----------------------------------------------------------------------------------------
def test_explorer_follows_blocks_live_and_shows_a_transaction_with_proofs(node, tab, who):
    c = tab("exchange")
    c.go("#/explorer")
    page = c.page
    page.wait_for_selector("#latest-blocks tr")
    r = node.submit_as("exchange", "membership", "set_attributes",
                       {"org_id": ORG["investor4"], "attributes": {"note": "explorer test"}})
    assert r.ok
    page.wait_for_selector(f"#latest-blocks tr[data-height='{r.height}']")
    page.wait_for_selector(f"#latest-txs tr[data-tx='{r.tx_hash.hex()}']")
    c.shot("explorer.png")
    page.fill("#search-input", r.tx_hash.hex())
    page.click("#search-go")
    page.wait_for_selector("#cert-chain")
    assert page.text_content("#tx-call") == "membership.set_attributes"
    assert "Beijing Financial Assets Exchange" in page.text_content("#cert-chain")
    page.click("#verify-writes")
    page.wait_for_selector("#writes-ok")
    assert f"{r.height}" in page.text_content("#writes-ok")
    c.shot("explorer-tx.png")
    page.fill("#search-input", "V-5-0-1")
    page.click("#search-go")
    page.wait_for_selector("svg.tree g[data-id='V-5-0-1']")
    # a member that is no party to a bank's credit line sees that its transaction exists, not what it says
    line = next(h.hex() for height in range(1, node.app.height + 1)
                for _, h, env, _ in node.store.block_txs(height) if b"grant_credit" in env)
    outsider = tab("investor4")
    outsider.go(f"#/explorer/tx/{line}")
    outsider.page.wait_for_selector("#tx-withheld")
    assert outsider.page.query_selector("#tx-call") is None


# -- a chain on the national suite: no wrong answers from a browser without SM3 -----------------------
def test_on_an_sm2_sm3_chain_the_browser_says_it_cannot_verify(browser, tmp_path):
    home = str(tmp_path / "smnode")
    create_demo(home, free_port(), suite="sm2-sm3")
    nt = NodeThread(home, heartbeat=1.0)
    nt.start()
    try:
        seed_node(nt.node)
        with Client(nt.node.url, identity=Identity.load(home, "regulator")) as c:
            [plan] = c.query("plans", "plans", status="OUTSTANDING")
        tab = Console(browser, nt.node, "investor1", lang="en")
        tab.go(f"#/v/investor/plan/{plan['id']}")
        tab.page.click("#penetration-verify")
        tab.page.wait_for_function("(document.querySelector('#verify-result') || {textContent: ''})"
                                   ".textContent.includes('needs SHA-256')")
        assert tab.page.query_selector("#verify-ok") is None and tab.page.query_selector("#verify-bad") is None
        # signing still shows and checks every field of the body (not its SM3 hash)
        tab.go("#/v/calls")
        tab.page.wait_for_selector("#call-method option >> nth=1", state="attached")
        value = tab.page.evaluate("[...document.querySelectorAll('#call-method option')]"
                                  ".find(o => o.textContent.startsWith('plans.report_event')).value")
        tab.page.select_option("#call-method", value)
        tab.page.fill("#call-args", json.dumps({"plan": plan["id"], "title": "console test on sm2-sm3"}))
        tab.page.click("#call-submit")
        tab.page.wait_for_selector("#signed-check")
        check = tab.page.text_content("#signed-check")
        assert check.startswith("✓") and "SHA-256" in check, check
        tab.page.click("#sign-cancel")
        tab.close()
    finally:
        nt.stop()
