"""Refusals in the console, in a real browser: a transfer of more than the voucher holds, refused
by the node, reads in Chinese with its amounts in 元 (and in English in yuan) — the console's
refusals.js rendering the catalog the node serves at GET /console/api/refusals.

Screenshots go to /tmp/shots/refusals/ with FAE_REFUSAL_SHOTS=1 (for a person to look at).
"""

from __future__ import annotations

import json
import os

import pytest
from test_console_browser import ORG, browser, node, tab, who  # noqa: F401 - fixtures

from faechain.core.refusals import CATALOG_FILE
from faechain.sdk import Client

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots/refusals"
AMOUNT = 100_000_000  # 100 万元, in fen
ZH = "金额 150.00 万元 超过本凭证的金额 100.00 万元"
EN = "amount 1,500,000.00 元 exceeds the piece's 1,000,000.00 元"
DESK = {"viewport": {"width": 1440, "height": 900}}


@pytest.fixture(scope="module")
def voucher(node, who):  # noqa: F811 - the fixtures imported above
    """A voucher of 100 万元 that supplier1 holds."""
    day, doc = 86_400, "ab" * 32
    with Client(node.url) as c:
        now = c.now_ms() // 1000
        c.submit(who("bank"), "receivables", "grant_credit", core=ORG["core"], amount=10**12,
                 expires=now + 400 * day).raise_for_refusal()
        c.submit(who("supplier1"), "receivables", "register_invoice", code="011001900111", number="88880001",
                 seller=ORG["supplier1"], buyer=ORG["core"], amount=AMOUNT, date=now - day,
                 doc_hash=doc).raise_for_refusal()
        vid = c.submit(who("core"), "receivables", "issue", to=ORG["supplier1"], amount=AMOUNT,
                       maturity=now + 90 * day, invoices=[["011001900111-88880001", AMOUNT]],
                       contract_hash=doc).raise_for_refusal().result["voucher"]
        c.submit(who("supplier1"), "receivables", "accept", id=vid).raise_for_refusal()
    return vid


# a real refusal: the node's dry run of a transfer of 150 万元 out of the voucher's 100 万元,
# shown by the console's error box (ui.js errorBox) at the top of the page
SHOW_REFUSAL = """async ([vid, to]) => {
  const api = await import('/console/assets/api.js');
  const ui = await import('/console/assets/ui.js');
  const prepared = await api.prepare('receivables', 'transfer', { id: vid, to, amount: 150000000 });
  const box = ui.errorBox(new api.ApiError(prepared.dry_run.code, prepared.dry_run.message, 200));
  box.id = 'refusal-under-test';
  // outside <main>: a new block redraws the view, which would take the box with it
  document.getElementById('toasts').before(box);
  return prepared.dry_run;
}"""


def show_refusal(console, vid: str) -> dict:
    console.go("#/v/supplier")
    trial = console.page.evaluate(SHOW_REFUSAL, [vid, ORG["supplier2"]])
    assert trial["code"] == "limit_exceeded", trial
    return trial


def shoot(console, name: str) -> None:
    if os.environ.get("FAE_REFUSAL_SHOTS") == "1":
        os.makedirs(SHOTS, exist_ok=True)
        console.page.evaluate("window.scrollTo(0, 0)")
        console.page.screenshot(path=os.path.join(SHOTS, name))


@pytest.mark.parametrize(("lang", "expected"), [("zh", ZH), ("en", EN)])
def test_a_refused_transfer_reads_in_the_consoles_language(browser, node, voucher, lang, expected):  # noqa: F811
    from test_console_browser import Console

    supplier = Console(browser, node, "supplier1", lang, device=DESK)
    try:
        check_refusal(supplier, voucher, lang, expected)
    finally:
        supplier.close()


def check_refusal(supplier, voucher: str, lang: str, expected: str) -> None:
    trial = show_refusal(supplier, voucher)
    assert trial["message"] == "amount 150000000 fen exceeds the piece's 100000000 fen"  # what the chain says
    box = supplier.page.locator("#refusal-under-test")
    box.wait_for()
    supplier.page.wait_for_function(
        "(document.querySelector('#refusal-under-test') || {textContent: ''}).textContent.includes('00 ')")
    assert box.text_content() == expected
    assert box.get_attribute("data-code") == "limit_exceeded"
    shoot(supplier, f"errorbox-{lang}-1440.png")


def test_the_catalog_the_console_renders_is_the_packages(node, tab):  # noqa: F811
    supplier = tab("supplier1")
    served = supplier.page.evaluate("async () => (await fetch('/console/api/refusals')).json()")
    assert served == json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


def test_a_refusal_reads_on_a_phone(browser, node, voucher):  # noqa: F811
    from test_console_browser import PHONE, Console

    phone = Console(browser, node, "supplier1", "zh", device=PHONE)
    try:
        show_refusal(phone, voucher)
        phone.page.wait_for_function(f"(document.querySelector('#refusal-under-test') || {{}}).textContent === {ZH!r}")
        box = phone.page.locator("#refusal-under-test").bounding_box()
        assert box is not None and box["width"] <= 390  # it wraps inside the screen, no sideways scroll
        shoot(phone, "errorbox-zh-390.png")
    finally:
        phone.close()
