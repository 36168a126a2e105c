"""After the sale (issue 19, item 1: each role's whole day without Contract calls): an NPA package from
its award to its close, done in the console's "After the sale" view (views/deals.js) by the seller
(Bohai Rim Bank), the winning bidder (Huabei AMC) and the exchange, with only the settlement bank's
payment confirmation and the law firm's inspection sent over the node — the chain checked after each
browser step. And the investor's subscribe amount, checked as it is typed like every other amount.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from test_console_browser import ORG, Console, browser, node  # noqa: F401 - module fixtures
from test_console_roles import draft_product, now, ok

from faechain.cli.demo import advance_clock
from faechain.identity.wallet import Identity
from faechain.sdk import Client

pytestmark = pytest.mark.browser

YUAN = 100
PRICE, MARGIN = 1_000_000 * YUAN, 100_000 * YUAN
CONTRACT = "债权转让合同：渤海银行向华北资产管理公司转让不良贷款 BHRB-DEALS-1，价款 1,000,000.00 元。"
DELIVERY = "Delivery note: 1 loan file (contract, note, judgment), 2 boxes."
NOTICE = "Joint notice to the borrower of BHRB-DEALS-1: the creditor's rights now belong to Huabei AMC."


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def china_date(seconds: int) -> str:
    """A chain time as the console shows a date: the day in China time."""
    return (dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(hours=8)).date().isoformat()


@pytest.fixture(scope="module")
def awarded(node):  # noqa: F811 - fixture
    """bank2's one-loan package, due diligence by the law firm, approved, listed for a ten-minute English
    auction that Huabei AMC wins at 1,000,000.00 元 (margin 100,000.00 元): AWARDED, nothing signed."""
    borrower = hashlib.sha256(b"person:deals").hexdigest()
    ok(node, "bank2", "npa", "register_loan", loan_no="BHRB-DEALS-1", borrower=borrower, principal=2_500_000 * YUAN,
       interest=120_000 * YUAN, classification="doubtful", days_past_due=420)
    package = ok(node, "bank2", "npa", "create_package", name="Deals test package", loans=["BHRB-DEALS-1"],
                 base_date=now(node) - 86400, reserve_price=900_000 * YUAN, list_price=PRICE, margin=MARGIN)["package"]
    ok(node, "bank2", "npa", "submit_for_due_diligence", package=package, intermediary=ORG["lawfirm"])
    report = sha("dd report, deals test package")
    ok(node, "lawfirm", "npa", "register_document", package=package, hash=report, kind="due_diligence",
       name="DD report", size=30, media_type="text/plain")
    ok(node, "lawfirm", "npa", "record_due_diligence", package=package, report_hash=report, opinion="clean")
    ok(node, "exchange", "npa", "approve", package=package)
    start = now(node) + 3
    auction = ok(node, "exchange", "npa", "list_package", package=package, mode="english", start=start,
                 end=start + 600, settlement_bank=ORG["bank"], increment=50_000 * YUAN, extend_window=120,
                 extend_by=120)["auction"]
    ok(node, "amc", "auctions", "register", auction=auction)
    ok(node, "bank", "auctions", "confirm_margin", auction=auction, bidder=ORG["amc"], bank_ref="MGN-DEALS-amc")
    advance_clock(node, 10)
    ok(node, "amc", "auctions", "bid", auction=auction, price=PRICE)
    advance_clock(node, 700)  # past the end: the engine awards the package
    return {"package": package, "auction": auction}


def chain(node, package: str) -> dict:  # noqa: F811 - fixture name
    """The package as the chain holds it (read as the regulator, who sees every package)."""
    with Client(node.url, identity=Identity.load(node.home, "regulator")) as c:
        return c.query("npa", "package", id=package)


@pytest.fixture(scope="module")
def open_product(node):  # noqa: F811 - fixture
    """A one-tranche product of 1,000,000.00 元 (minimum ticket 100,000.00 元), open for subscription."""
    product, _ = draft_product(node, 1_000_000 * YUAN)
    ok(node, "rating", "products", "rate", product=product, grade="AA", outlook="stable", report_hash=sha("rating"))
    ok(node, "factor", "products", "file", product=product)
    t0 = now(node)
    ok(node, "exchange", "products", "approve", product=product, approval_no="TJFAE-DEALS-1", opens=t0,
       closes=t0 + 5 * 86400)
    return product


def open_deal(c: Console, package: str) -> None:
    c.go(f"#/v/deals?focus={package}")
    c.page.wait_for_selector(f"#deal-{package}.focused")


def test_a_package_from_award_to_close_in_the_browser(browser, node, awarded):  # noqa: F811 - fixtures
    package, auction = awarded["package"], awarded["auction"]
    assert chain(node, package)["package"]["status"] == "AWARDED"
    seller = Console(browser, node, "bank2")  # in Chinese
    buyer = Console(browser, node, "amc", "en")
    exchange = Console(browser, node, "exchange", "en")
    try:
        # the buyer's home page sends it here, to the package's row, not to Contract calls
        buyer.go("#/")
        buyer.page.wait_for_selector("#todo-deals_to_sign")
        assert buyer.page.get_attribute("#todo-deals_to_sign", "href") == f"#/v/deals?focus={package}"

        # 1. the seller signs (in Chinese): the contract text is hashed here, registered, then signed
        open_deal(seller, package)
        page = seller.page
        assert "已成交待签约" in page.text_content(f"#deal-{package} .badge")
        assert "1,000,000.00 元" in page.text_content(f"#deal-{package}")
        page.fill(f"#sign-{package}-text", CONTRACT)
        page.wait_for_function(f"document.querySelector('#deal-{package} .hash-line').textContent"
                               f".includes('{sha(CONTRACT)[:16]}')")
        page.click(f"#sign-{package}-submit")
        seller.confirm("register_document")
        seller.confirm("sign_deal")
        deal = chain(node, package)["deal"]
        assert deal["signed"]["seller"]["hash"] == sha(CONTRACT) and "winner" not in deal["signed"]
        page.wait_for_selector(f"#wait-{package}")
        assert "等待" in page.text_content(f"#wait-{package}") and page.query_selector(f"#sign-{package}") is None

        # 2. the buyer (in English) sees the seller's contract filled in, and signs the same one
        open_deal(buyer, package)
        page = buyer.page
        assert page.input_value(f"#sign-{package}-text") == sha(CONTRACT)
        page.wait_for_function(f"document.querySelector('#deal-{package} .hash-line').textContent"
                               ".includes('the contract the other side signed')")
        assert "Bohai" in page.text_content(f"#deal-{package}")  # the counterparty, by name
        page.click(f"#sign-{package}-submit")
        buyer.confirm("sign_deal")  # already registered: one transaction
        p = chain(node, package)
        assert p["package"]["status"] == "CONTRACTED" and p["deal"]["contract_hash"] == sha(CONTRACT)
        page.wait_for_selector(f"#wait-{package}")
        said = page.text_content(f"#wait-{package}")
        assert "has not confirmed the payment" in said and "900,000.00 元" in said, said

        # 3. the settlement bank confirms the balance (over the node)
        ok(node, "bank", "auctions", "confirm_payment", auction=auction, amount=PRICE - MARGIN, bank_ref="CCB-DEALS-1")
        assert chain(node, package)["package"]["status"] == "PAID"

        # 4. the seller delivers the files
        open_deal(seller, package)
        page = seller.page
        page.fill(f"#deliver-{package}-text", DELIVERY)
        page.click(f"#deliver-{package}-submit")
        seller.confirm("register_document")
        seller.confirm("deliver")
        p = chain(node, package)["package"]
        assert p["status"] == "DELIVERED" and p["deal"]["delivery"]["hash"] == sha(DELIVERY)
        due = china_date(p["notice_due"])
        page.wait_for_selector(f"#notice-{package}")  # the seller may publish the notice too
        assert due in page.text_content(f"#deal-{package}")

        # 5. the exchange publishes the transfer notice, its due date shown as a China-time date
        open_deal(exchange, package)
        page = exchange.page
        assert due in page.text_content(f"#deal-{package}")
        page.fill(f"#notice-{package}-text", NOTICE)
        page.click(f"#notice-{package}-submit")
        exchange.confirm("register_document")
        exchange.confirm("publish_notice")
        p = chain(node, package)["package"]
        assert p["status"] == "NOTICED" and p["notice"]["by"] == ORG["exchange"] and not p["notice"]["late"]

        # 6. the buyer records a disposition with what it recovered, the amount checked as it is typed
        open_deal(buyer, package)
        page = buyer.page
        page.select_option(f"#dispose-{package}-kind", "collection")
        page.fill(f"#dispose-{package}-description", "Collected from the borrower after the judgment")
        page.fill(f"#dispose-{package}-amount", "150,000.5")
        live = f"#dispose-{package} label:has(#dispose-{package}-amount) small.live"
        assert page.text_content(live).startswith("= 150,000.50 元")
        page.select_option(f"#dispose-{package}-loan", f"{ORG['bank2']}/BHRB-DEALS-1")
        page.click(f"#dispose-{package}-submit")
        buyer.confirm("record_disposition")
        p = chain(node, package)
        assert p["package"]["status"] == "POST_TRANSFER"
        [d] = p["dispositions"]
        assert (d["kind"], d["amount"], d["loan"]) == ("collection", 150_000_50, f"{ORG['bank2']}/BHRB-DEALS-1")
        page.wait_for_selector(f"#deal-{package} tr[data-n='1']")
        assert "150,000.50 元" in page.text_content(f"#deal-{package} tr[data-n='1']")

        # 7. the exchange appoints the law firm to inspect, picked by name
        open_deal(exchange, package)
        page = exchange.page
        page.select_option(f"#inspector-{package}-inspector", ORG["lawfirm"])
        page.click(f"#inspector-{package}-submit")
        exchange.confirm("assign_inspector")
        assert chain(node, package)["package"]["inspector"] == ORG["lawfirm"]

        # 8. the law firm inspects (over the node)
        report = sha("inspection report, deals test package")
        ok(node, "lawfirm", "npa", "register_document", package=package, hash=report, kind="inspection",
           name="Inspection report", size=37, media_type="text/plain")
        ok(node, "lawfirm", "npa", "inspect", package=package, result="compliant", report_hash=report)
        assert chain(node, package)["package"]["status"] == "INSPECTED"

        # 9. the exchange sees the result and closes: the loan is the buyer's
        open_deal(exchange, package)
        page = exchange.page
        assert "Compliant" in page.text_content(f"#inspection-{package}")
        page.click(f"#close-package-{package}")
        exchange.confirm("close")
        p = chain(node, package)
        assert p["package"]["status"] == "CLOSED" and p["loans"][0]["owner"] == ORG["amc"]
        page.wait_for_selector(f"tr#deal-{package}[data-status='CLOSED']")
        assert seller.summaries and buyer.summaries and exchange.summaries
    finally:
        for c in (seller, buyer, exchange):
            c.close()


def test_a_member_with_no_package_after_an_auction_is_told_so(browser, node):  # noqa: F811 - fixtures
    c = Console(browser, node, "factor", "en")
    try:
        c.go("#/v/deals")
        assert "no package after an auction" in c.page.text_content("#deals-empty")
    finally:
        c.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_subscription_over_what_remains_is_refused_before_signing(browser, node, open_product, lang):  # noqa: F811
    """A product open for subscription: the amount beside it says what it means and what remains of the
    tranche; more than remains is refused in the browser, nothing is prepared or signed."""
    product = open_product
    with Client(node.url, identity=Identity.load(node.home, "regulator")) as c:
        tranche = c.query("products", "product", id=product)["product"]["tranches"][0]
    left = tranche["size"] - tranche["subscribed"]
    assert left == 1_000_000 * YUAN
    tab = Console(browser, node, "investor1", lang)
    try:
        tab.go("#/v/investor")
        page = tab.page
        amount, live = f"#subscribe-{product}-amount", f"#subscribe-{product}-live"
        page.wait_for_selector(amount)
        assert "1,000,000.00 元" in page.text_content(live)  # before typing: what remains
        page.fill(amount, "1,000,000.01")
        assert page.get_attribute(amount, "aria-invalid") == "true"
        said = page.text_content(live)
        assert ("超过可用的" if lang == "zh" else "More than the") in said and "1,000,000.00 元" in said, said
        page.click(f"#subscribe-{product}")
        page.wait_for_selector(".toast.error")
        assert page.query_selector("#signed-method") is None  # nothing prepared, nothing signed
        page.fill(amount, "50,000")  # under the minimum ticket (a tenth of the product)
        assert page.get_attribute(amount, "aria-invalid") == "true"
        page.fill(amount, "200,000")
        said = page.text_content(live)
        assert said.startswith("= 200,000.00 元") and f"{(left - 200_000_00) // 100:,}.00 元" in said, said
    finally:
        tab.close()
