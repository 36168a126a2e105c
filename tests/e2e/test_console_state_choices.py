"""The console offers only what a member may do now, and says why not in place (issue 19, item 1 and 2).

A user study found frozen vouchers offered for financing and transfer, a voucher locked to a plan
leaving the transfer list silently empty, the best bidder offered a bid form, a member that had
voted shown an empty cell, and the settlement bank's confirmations saying "Nothing to confirm"
while bidders stayed DUE. Each is driven here in the real browser on the seeded demo, in Chinese
and English, and the chain is checked through the SDK.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from test_console_browser import ORG, TIMEOUT_MS, Console, _listed_auction, browser, node, yuan  # noqa: F401

from faechain.cli.demo import advance_clock, store_document
from faechain.sdk import Client
from tests.conftest import wallet

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots/forms"


def ok(node, who: str, contract: str, method: str, **args):  # noqa: F811 - `node` is the module fixture's value
    r = node.submit_as(who, contract, method, args)
    assert r.ok, (who, method, r.code, r.message)
    return r.result


def shot(c: Console, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    c.page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture(scope="module")
def frozen(node):  # noqa: F811 - fixture
    """Two vouchers supplier3 holds: one the regulator froze, one still free to move."""
    now = node.engine.now_ms() // 1000
    doc = hashlib.sha256(b"state choices").hexdigest()
    ids = []
    for number in ("STATE0001", "STATE0002"):
        inv = ok(node, "supplier3", "receivables", "register_invoice", code="0110026STA", number=number,
                 seller=ORG["supplier3"], buyer=ORG["core"], amount=2_000_000_00, date=now - 86_400, doc_hash=doc)
        v = ok(node, "core", "receivables", "issue", to=ORG["supplier3"], amount=2_000_000_00,
               maturity=now + 90 * 86_400, invoices=[[inv["invoice"], 2_000_000_00]], contract_hash=doc)["voucher"]
        ok(node, "supplier3", "receivables", "accept", id=v)
        ids.append(v)
    ok(node, "regulator", "receivables", "freeze", id=ids[0], reason="case JG-2026-118")
    return {"frozen": ids[0], "free": ids[1]}


@pytest.mark.parametrize("lang, badge, why", [
    ("zh", "冻结中", "监管机构已冻结（原因：case JG-2026-118），不能融资或转让。"),
    ("en", "Frozen", "Frozen by the regulator (reason: case JG-2026-118): it cannot be financed or transferred."),
])
def test_a_frozen_voucher_is_explained_and_not_offered(browser, node, frozen, lang, badge, why):  # noqa: F811
    c = Console(browser, node, "supplier3", lang)
    try:
        c.go("#/v/supplier")
        page = c.page
        row = page.locator(f"tr[data-voucher='{frozen['frozen']}']")
        row.locator(".state-note").wait_for()
        assert row.locator(".state-note .badge").inner_text() == badge
        assert why in row.inner_text()
        # the free piece is offered, the frozen one is not: neither for transfer nor for financing
        for form in ("transfer", "finance"):
            page.wait_for_selector(f"#{form}-id option[value='{frozen['free']}']", state="attached")
            assert page.locator(f"#{form}-id option[value='{frozen['frozen']}']").count() == 0
        shot(c, f"supplier-frozen-{lang}.png")
    finally:
        c.close()


def test_the_best_bidder_sees_its_lead_not_a_bid_form(browser, node):  # noqa: F811
    auction = _listed_auction(node)
    ok(node, "amc", "auctions", "bid", auction=auction, price=1_000_000_00)
    amc = Console(browser, node, "amc", "en")
    rival = Console(browser, node, "investor1")
    try:
        amc.go(f"#/v/auctions/{auction}")
        lead = amc.page.locator("#auction-lead")
        lead.wait_for()
        assert "You lead at 1,000,000.00 元" in lead.inner_text()
        assert amc.page.locator("#bid-price").count() == 0
        shot(amc, "auction-lead-en.png")
        rival.go(f"#/v/auctions/{auction}")  # the rival is offered the next step up
        rival.page.wait_for_function("document.querySelector('#bid-price') "
                                     "&& document.querySelector('#bid-price').value === '1050000.00'")
        assert rival.page.locator("#auction-lead").count() == 0
        # outbid over the SDK, the leader's page turns into a bid form again, live
        ok(node, "investor1", "auctions", "bid", auction=auction, price=1_050_000_00)
        amc.page.wait_for_function("document.querySelector('#bid-price') "
                                   "&& document.querySelector('#bid-price').value === '1100000.00'")
        assert amc.page.locator("#auction-lead").count() == 0
    finally:
        amc.close()
        rival.close()


def test_a_member_that_voted_sees_its_vote(browser, node):  # noqa: F811
    pid = ok(node, "exchange", "governance", "propose", kind="set_threshold",
             params={"rule": "long_tenor", "value": 190}, summary="align with the 6-month rule")["proposal"]
    ok(node, "bank", "governance", "vote", proposal=pid, approve=True)
    bank = Console(browser, node, "bank")
    core = Console(browser, node, "core", "en")
    try:
        bank.go("#/v/governance")
        voted = bank.page.locator(f"#voted-{pid}")
        voted.wait_for()
        assert "已投赞成" in voted.inner_text()
        assert bank.page.locator(f"#vote-yes-{pid}").count() == 0
        core.go("#/v/governance")
        core.page.click(f"#vote-no-{pid}")
        core.confirm("vote")
        core.page.wait_for_selector(f"#voted-{pid}")
        assert "You voted no" in core.page.inner_text(f"#voted-{pid}")
        shot(core, "governance-voted-en.png")
    finally:
        bank.close()
        core.close()
    with Client(node.url, identity=wallet(node.home)("regulator")) as c:
        p = c.query("governance", "proposal", id=pid)
    assert p["votes"] == {ORG["bank"]: True, ORG["core"]: False}


def _auction_with_a_due_margin(node, tag: str) -> str:  # noqa: F811
    """A fresh package of bank2 listed for an English auction; amc registered, its margin DUE."""
    now = node.engine.now_ms() // 1000
    borrower = hashlib.sha256(f"person:state choices {tag}".encode()).hexdigest()
    loan = f"BHRB-STATE-{tag}"
    ok(node, "bank2", "npa", "register_loan", loan_no=loan, borrower=borrower,
       principal=3_000_000_00, interest=100_000_00, classification="loss", days_past_due=800)
    package = ok(node, "bank2", "npa", "create_package", name=f"State choices package {tag}", loans=[loan],
                 base_date=now - 86400, reserve_price=700_000_00, list_price=800_000_00, margin=80_000_00)["package"]
    ok(node, "bank2", "npa", "submit_for_due_diligence", package=package, intermediary=ORG["lawfirm"])
    data = f"due diligence report, state choices package {tag}".encode()
    report = store_document(node, data)
    ok(node, "lawfirm", "npa", "register_document", package=package, hash=report, kind="due_diligence",
       name="DD report", size=len(data), media_type="text/plain")
    ok(node, "lawfirm", "npa", "record_due_diligence", package=package, report_hash=report, opinion="clean")
    ok(node, "exchange", "npa", "approve", package=package)
    start = node.engine.now_ms() // 1000 + 3
    auction = ok(node, "exchange", "npa", "list_package", package=package, mode="english", start=start,
                 end=start + 3600, settlement_bank=ORG["bank"], increment=20_000_00, extend_window=120,
                 extend_by=120)["auction"]
    ok(node, "amc", "auctions", "register", auction=auction)
    advance_clock(node, 5)
    return auction


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_settlement_bank_sees_and_confirms_a_margin(browser, node, lang):  # noqa: F811
    auction = _auction_with_a_due_margin(node, lang)
    bank = Console(browser, node, "bank", lang)
    amc = Console(browser, node, "amc", lang)
    try:
        amc.go(f"#/v/auctions/{auction}")
        amc.page.wait_for_selector("#margin-status")  # DUE: told where to pay, no bid form
        assert amc.page.locator("#bid-price").count() == 0
        bank.go("#/v/funder")
        button = f"#margin-{auction}-{ORG['amc']}"
        bank.page.wait_for_selector(button)
        row = bank.page.locator("tr[data-due='margin']", has=bank.page.locator(button))
        text = row.inner_text()
        assert "80,000.00 元" in text and "Huabei" in text, text
        assert ("竞价保证金" if lang == "zh" else "Auction margin") in text
        shot(bank, f"bank-settlement-{lang}.png")
        bank.page.click(button)
        bank.page.fill("#ask-input", f"CCB-MGN-STATE-{lang}")
        bank.page.click("#ask-ok")
        bank.confirm("confirm_margin")
        bank.page.wait_for_selector(button, state="detached")  # confirmed: no longer waiting on the bank
        # the bidder's page leaves DUE and offers the first bid, live
        amc.page.wait_for_selector("#bid-price")
    finally:
        bank.close()
        amc.close()
    with Client(node.url, identity=wallet(node.home)("amc")) as c:
        [margin] = c.query("auctions", "auction", id=auction)["margins"]
    assert margin["status"] == "RECEIVED" and margin["received"]["bank_ref"] == f"CCB-MGN-STATE-{lang}"


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_explained_states_fit_a_phone(browser, node, frozen, lang):  # noqa: F811
    context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(node.url + "/")
        if lang == "en":
            page.evaluate("localStorage.setItem('fae.lang', 'en')")
            page.reload()
        page.click("#signin-supplier3")
        page.wait_for_selector("#member")
        page.goto(node.url + "/#/v/supplier")
        note = page.locator(f"tr[data-voucher='{frozen['frozen']}'] .state-note")
        note.wait_for()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"supplier-phone-{lang}.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()
