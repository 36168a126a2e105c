"""The outside world at the desks (issue 20), in a real browser on a seeded `fae demo` node: competing
quotes end to end (the holder asks two funders, both quote, the holder accepts the better advance, and
the chain holds a financing with that funder at that rate and fee); Fund withheld until the registry
agent attests a matching registration and a clear search (what differs shown meanwhile), then the
debtor acknowledging the notice; an invoice's verification badge with what differs; a receiving
account registered on a rail; the payer's early-payment offer taken by a holder. Each is checked on
the chain afterwards. The registry agent and the tax service sign through `node.submit_as`, as their
attestors would (docs/outside-world.md).

With FAE_SCREENSHOTS=1 the pages are saved under /tmp/shots/outside/ (Chinese and English, desk and
phone) for a person to look at.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from test_console_browser import PHONE, Console, browser, node, tab, who, yuan  # noqa: F401 - module fixtures

from faechain.devnet.demo import demo_org_ids
from faechain.sdk import Client

pytestmark = pytest.mark.browser

ORG = demo_org_ids()
DAY = 86_400
SHOTS = "/tmp/shots/outside"


def ok(node, signer: str, contract: str, method: str, /, **args):  # noqa: F811 - fixture name
    r = node.submit_as(signer, contract, method, args)
    assert r.ok, (signer, method, r.code, r.message)
    return r.result


def now(node) -> int:  # noqa: F811
    return node.engine.now_ms() // 1000


def accepted_voucher(node, holder: str, number: str, amount: int, days: int = 90) -> tuple[str, str]:  # noqa: F811
    """An invoice of `holder`'s to Huaxin and the voucher Huaxin issues on it (settling through the
    bank), accepted by the holder: (invoice, voucher)."""
    t0 = now(node)
    doc = hashlib.sha256(f"invoice {number}".encode()).hexdigest()
    inv = ok(node, holder, "receivables", "register_invoice", code="011002608800", number=number, seller=ORG[holder],
             buyer=ORG["core"], amount=amount, date=t0 - DAY, doc_hash=doc)["invoice"]
    voucher = ok(node, "core", "receivables", "issue", to=ORG[holder], amount=amount, maturity=t0 + days * DAY,
                 invoices=[[inv, amount]], contract_hash=doc, settlement_bank=ORG["bank"])["voucher"]
    ok(node, holder, "receivables", "accept", id=voucher)
    return inv, voucher


def shots(c: Console, name: str, focus: str, box: str = "section.card") -> None:
    """Pictures of the card holding `focus` as it is now: desk and phone, in the tab's language
    (FAE_SCREENSHOTS=1)."""
    if os.environ.get("FAE_SCREENSHOTS") != "1":
        return
    os.makedirs(SHOTS, exist_ok=True)
    lang = c.page.evaluate("document.documentElement.lang")
    for size, screen in (("1440", {"width": 1440, "height": 900}), ("390", PHONE["viewport"])):
        c.page.set_viewport_size(screen)
        c.page.wait_for_timeout(200)  # the new layout drawn before the picture (not a test)
        card = c.page.locator(box, has=c.page.locator(focus)).last
        card.screenshot(path=os.path.join(SHOTS, f"{name}-{lang}-{size}.png"))
    c.page.set_viewport_size({"width": 1280, "height": 900})


def axe_clean(c: Console, where: str) -> None:
    """axe's WCAG 2 A/AA rules find nothing on the page as it is now, with the rows this test made (the
    every-view sweep draws the seeded demo, which has no request for quotes nor a registry wait)."""
    from tests.e2e.test_console_every_view import OPTIONS

    sync = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed")
    c.page.wait_for_function("!document.querySelector('main .loading')")
    # two frames: the layout, then what observes it (a box wider than its content takes the focus, ui.js)
    c.page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    if not c.page.evaluate("typeof window.axe === 'object'"):
        c.page.evaluate(sync.Axe().axe_script)
    found = c.page.evaluate("(o) => axe.run(document, o).then((r) => r.violations)", OPTIONS)
    assert not found, [(where, v["id"], [n["target"] for n in v["nodes"]]) for v in found]


# -- competing quotes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_quotes_end_to_end_in_the_browser(node, tab, who, lang):  # noqa: F811
    number = "00088100" if lang == "zh" else "00088101"
    _, voucher = accepted_voucher(node, "supplier2", number, 1_000_000_00)
    holder = tab("supplier2", lang)
    holder.go("#/v/supplier")
    page = holder.page
    page.wait_for_selector(f"#rfq-id option[value='{voucher}']", state="attached")
    page.select_option("#rfq-id", voucher)
    page.fill("#rfq-amount", "800,000.00")
    page.select_option("#rfq-kind", "ASSIGNMENT")
    for funder in ("factor", "bank"):
        page.check(f"#rfq-funders input[value='{ORG[funder]}']")
    page.click("#rfq-submit")
    rfq = json.loads(holder.confirm("request_quotes"))["rfq"]
    assert ORG["factor"] in holder.summaries[-1] and "800,000.00 元" in holder.summaries[-1], holder.summaries[-1]
    # the piece is reserved while funders quote, and says so
    holder.go("#/v/supplier")
    page.wait_for_selector(f"tr[data-voucher='{voucher}'] .s-financing")

    # each invited funder quotes a rate and a fee; the dry run shows the advance it would pay before signing
    terms = {"factor": ("6.00", "1,000.00"), "bank": ("4.50", "500.00")}
    for funder, (rate, fee) in terms.items():
        f = tab(funder, lang)
        f.go("#/v/funder")
        f.page.wait_for_selector(f"#quote-{rfq}")
        f.page.fill(f"#quote-{rfq}-rate", rate)
        f.page.fill(f"#quote-{rfq}-fee", fee)
        f.page.click(f"#quote-{rfq}")
        f.page.wait_for_selector("#dry-run-advance")
        shown = f.page.text_content("#dry-run-advance")
        if funder == "bank":
            shots(f, "quote-dry-run", "#dry-run-advance", ".modal")
        result = json.loads(f.confirm("quote"))
        assert yuan(result["advance"]) in shown, (shown, result)
        f.go("#/v/funder")  # its own quote, with the advance, stands in its row
        f.page.wait_for_selector(f"tr[data-rfq='{rfq}']")
        assert yuan(result["advance"]) in f.page.text_content(f"tr[data-rfq='{rfq}']")
        if funder == "factor":
            shots(f, "funder-quote", f"tr[data-rfq='{rfq}']")
            axe_clean(f, "funder view with a quote")

    # the holder sees both quotes with their advances, the better one marked, and accepts it
    with Client(node.url, identity=who("supplier2")) as c:
        quotes = {q["funder"]: q for q in c.query("receivables", "quotes", rfq=rfq)["quotes"]}
    assert set(quotes) == {ORG["factor"], ORG["bank"]}
    best = max(quotes.values(), key=lambda q: q["advance_now"])
    assert best["funder"] == ORG["bank"]  # a lower rate and fee: the larger advance
    holder.go("#/v/supplier")
    for q in quotes.values():
        row = f"div[data-rfq='{rfq}'] tr[data-quote='{q['funder']}']"
        page.wait_for_selector(row)
        assert yuan(q["advance_now"]) in page.text_content(row)
    assert page.query_selector(f"div[data-rfq='{rfq}'] tr[data-quote='{ORG['bank']}'] .s-active")  # marked best
    shots(holder, "holder-quotes", f"div[data-rfq='{rfq}']")
    axe_clean(holder, "supplier view with quotes")
    page.click(f"#accept-quote-{rfq}-{ORG['bank']}")
    financing = json.loads(holder.confirm("accept_quote"))["financing"]

    with Client(node.url, identity=who("supplier2")) as c:
        f = c.query("receivables", "financing", id=financing)
        r = c.query("receivables", "quotes", rfq=rfq)["rfq"]
    assert (f["funder"], f["rate_bps"], f["fee"], f["amount"], f["status"]) == (ORG["bank"], 450, 500_00, 800_000_00,
                                                                                   "REQUESTED")
    assert r["status"] == "ACCEPTED" and r["accepted"] == ORG["bank"] and f["rfq"] == rfq
    # the accepted request shows as such, with no Accept left
    holder.go("#/v/supplier")
    page.wait_for_selector(f"div[data-rfq='{rfq}'] .s-funded")
    assert not page.query_selector(f"#accept-quote-{rfq}-{ORG['factor']}")


# -- the registry before funding, then the debtor's notice ------------------------------------------
def test_fund_waits_for_the_registry_then_the_debtor_acknowledges(node, tab, who):  # noqa: F811
    _, voucher = accepted_voucher(node, "supplier2", "00088200", 500_000_00)
    fin = ok(node, "supplier2", "receivables", "request_financing", id=voucher, funder=ORG["factor"],
             amount=500_000_00, rate_bps=500, kind="PLEDGE")["financing"]
    ok(node, "factor", "receivables", "record_registration", financing=fin, reg_no="ZDW-OUT-1")
    factor = tab("factor")
    page = factor.page
    row = f"tr[data-financing='{fin}']"

    def reload_row() -> str:
        factor.go("#/v/funder")
        page.wait_for_selector(f"#registry-{fin}, #fund-{fin}")
        return page.text_content(row)

    # registered, not yet attested: no Fund, the wait said
    text = reload_row()
    assert not page.query_selector(f"#fund-{fin}")
    assert "ZDW-OUT-1" in text and "质押" in text, text
    # the registry attests a different amount: still no Fund, and what differs is shown
    ok(node, "registry", "receivables", "attest_registration", financing=fin, reg_no="ZDW-OUT-1", kind="PLEDGE",
       creditor=ORG["factor"], debtor=ORG["supplier2"], amount=400_000_00, voucher=voucher)
    text = reload_row()
    assert not page.query_selector(f"#fund-{fin}")
    assert "400,000.00 元" in page.text_content(f"#registry-{fin}") and "500,000.00 元" in text, text
    shots(factor, "funder-registry-mismatch", row)
    axe_clean(factor, "funder view awaiting the registry")
    # attested as it should be, but the search is still to come: no Fund
    ok(node, "registry", "receivables", "attest_registration", financing=fin, reg_no="ZDW-OUT-1", kind="PLEDGE",
       creditor=ORG["factor"], debtor=ORG["supplier2"], amount=500_000_00, voucher=voucher)
    reload_row()
    assert not page.query_selector(f"#fund-{fin}")
    # a clear search: Fund appears, and the chain takes it
    ok(node, "registry", "receivables", "attest_search", financing=fin, search_no="ZDW-CX-OUT-1", earlier=[])
    reload_row()
    page.click(f"#fund-{fin}")
    page.wait_for_selector("#dry-run-advance")
    factor.confirm("fund")
    with Client(node.url, identity=who("factor")) as c:
        f = c.query("receivables", "financing", id=fin)
    assert f["status"] == "FUNDED" and f["notice"]["to"] == ORG["core"] and "acknowledged_at" not in f["notice"]

    # the payer sees the notice on its voucher and acknowledges it
    core = tab("core")
    core.go("#/v/core")
    core.page.wait_for_selector(f"#ack-{fin}")
    assert "质押" in core.page.text_content(f"tr[data-notice='{fin}']")
    shots(core, "core-notices", f"tr[data-notice='{fin}']")
    axe_clean(core, "core view with notices")
    core.page.click(f"#ack-{fin}")
    core.confirm("acknowledge_notice")
    with Client(node.url, identity=who("core")) as c:
        f = c.query("receivables", "financing", id=fin)
    assert f["notice"]["acknowledged_at"] > 0
    core.go("#/v/core")
    core.page.wait_for_selector(f"tr[data-notice='{fin}']")
    assert not core.page.query_selector(f"#ack-{fin}")


# -- an invoice's verification, a receiving account, early payment --------------------------------------
def test_invoice_badge_account_and_early_payment(node, tab, who):  # noqa: F811
    inv, voucher = accepted_voucher(node, "supplier2", "00088300", 300_000_00)
    # the tax system holds another amount: a mismatch, what differs on the supplier's invoice list
    ok(node, "taxservice", "receivables", "verify_invoice", invoice=inv, seller=ORG["supplier2"], buyer=ORG["core"],
       amount=290_000_00, status="NORMAL", reference="SW-OUT-1")
    supplier = tab("supplier2", "en")
    supplier.go("#/v/supplier")
    row = f"tr[data-invoice='{inv}']"
    supplier.page.wait_for_selector(f"{row} [data-verification='MISMATCH']")
    text = supplier.page.text_content(row)
    assert "Mismatch" in text and "registered 300,000.00 元" in text and "290,000.00 元" in text, text
    shots(supplier, "invoice-mismatch", row)

    # a receiving account on the e-CNY rail, from the home page
    supplier.go("#/")
    supplier.page.wait_for_selector(f"#account-{ORG['ecny']}-input")
    supplier.page.fill(f"#account-{ORG['ecny']}-input", "ECNY-WALLET-0088")
    supplier.page.click(f"#account-{ORG['ecny']}")
    supplier.confirm("register_account")
    supplier.page.wait_for_selector(f"#account-{ORG['ecny']}-current")
    assert supplier.page.text_content(f"#account-{ORG['ecny']}-current") == "ECNY-WALLET-0088"
    with Client(node.url, identity=who("supplier2")) as c:
        assert c.query("payments", "account", org=ORG["supplier2"], rail=ORG["ecny"])["account"] == "ECNY-WALLET-0088"
    shots(supplier, "home-accounts", f"#account-{ORG['ecny']}")

    # the payer offers early payment on the root; the holder takes it for its piece
    core = tab("core")
    core.go("#/v/core")
    core.page.wait_for_selector(f"#early-offer-root option[value='{voucher}']", state="attached")
    core.page.select_option("#early-offer-root", voucher)
    core.page.fill("#early-offer-rate", "3.65")
    core.page.click("#early-offer-submit")
    core.confirm("offer_early_payment")
    core.go("#/v/core")
    core.page.wait_for_selector(f"#withdraw-early-{voucher}")
    supplier.go("#/v/supplier")
    supplier.page.wait_for_selector(f"#early-{voucher}")
    assert "3.65%" in supplier.page.text_content(f"tr[data-voucher='{voucher}']")
    shots(supplier, "supplier-early", f"tr[data-voucher='{voucher}']")
    supplier.page.click(f"#early-{voucher}")
    result = json.loads(supplier.confirm("accept_early_payment"))
    with Client(node.url, identity=who("supplier2")) as c:
        v = c.query("receivables", "voucher", id=voucher)["voucher"]
        ins = c.query("payments", "instruction", id=result["instruction"])
    assert v["early"]["advance"] == result["advance"] and ins["amount"] == result["advance"]
    assert ins["payee"] == ORG["supplier2"] and ins["status"] == "PENDING"
    # the piece says what is still owed and the early payment taken; no second offer to take
    supplier.go("#/v/supplier")
    supplier.page.wait_for_selector(f"tr[data-voucher='{voucher}']")
    text = supplier.page.text_content(f"tr[data-voucher='{voucher}']")
    assert yuan(result["advance"]) in text and not supplier.page.query_selector(f"#early-{voucher}"), text
