"""What a transfer will do, said in a sentence, on a real demo chain in a real browser (issue 19).

supplier1 holds a fresh 1,000,000.00 元 voucher (registered, issued by core and accepted here over
the node). In its console tab the console's own outcomes.js, reading the voucher as supplier1,
says that a transfer of 300,000.00 元 to supplier2 leaves it 700,000.00 元, by the organisations'
names and with the maturity as a China-time date, in Chinese and in English. Once the signing
dialog shows the sentence (ui.js imports whatWillHappen), the dialog of the supplier view's
transfer form is checked to show it too, and is cancelled: nothing is sent.

tests/console/test_console_outcomes.py covers every method and the figures without a browser.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from faechain.sdk import Client
from tests.e2e.test_console_browser import ORG, browser, node, tab, who  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

YUAN = 100
NAMES = {"supplier2": "Hebei Fengrun Packaging Co., Ltd.", "core": "Huaxin Chemical Group Co., Ltd."}

# the sentence as the page computes it: outcomes.js imported from the console's own assets, the
# organisations' names loaded by the signed-in console (app.js) before it is asked
SAY = """async ([call, args, me]) => {
  const { orgName } = await import('/console/assets/fmt.js');
  for (let i = 0; i < 200 && orgName(args.to) === args.to; i++) await new Promise((r) => setTimeout(r, 50));
  const { whatWillHappen } = await import('/console/assets/outcomes.js');
  const [contract, method] = call.split('.');
  return whatWillHappen(contract, method, args, { me });
}"""


def china_date(t: int) -> str:
    return (datetime.fromtimestamp(t, UTC) + timedelta(hours=8)).date().isoformat()


@pytest.fixture(scope="module")
def held(node):  # noqa: F811 - the fixture imported above
    """A 1,000,000.00 元 voucher supplier1 holds, ACTIVE: (id, maturity)."""
    def tx(name, contract, method, **args):
        r = node.submit_as(name, contract, method, args)
        assert r.ok, (method, r.code, r.message)
        return r.result

    now = node.engine.now_ms() // 1000
    invoice = tx("supplier1", "receivables", "register_invoice", code="011002600900", number="00000777",
                 seller=ORG["supplier1"], buyer=ORG["core"], amount=1_000_000 * YUAN, date=now - 86_400,
                 doc_hash=hashlib.sha256(b"invoice 00000777").hexdigest())["invoice"]
    maturity = now + 90 * 86_400
    contract = hashlib.sha256(b"supply contract HX-2026-0777").hexdigest()
    voucher = tx("core", "receivables", "issue", to=ORG["supplier1"], amount=1_000_000 * YUAN, maturity=maturity,
                 invoices=[[invoice, 1_000_000 * YUAN]], contract_hash=contract)["voucher"]
    tx("supplier1", "receivables", "accept", id=voucher)
    return voucher, maturity


def wired(page) -> bool:
    """Whether the signing dialog (ui.js) shows the sentence yet."""
    return "whatWillHappen" in page.evaluate("fetch('/console/assets/ui.js').then((r) => r.text())")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_transfer_says_who_receives_what_and_what_supplier1_keeps(node, tab, held, who, lang):  # noqa: F811
    voucher, maturity = held
    with Client(node.url, identity=who("supplier1")) as c:  # the chain agrees with the premise
        piece = c.query("receivables", "voucher", id=voucher)["voucher"]
    assert piece["amount"] == 1_000_000 * YUAN and piece["holder"] == ORG["supplier1"] and piece["status"] == "ACTIVE"

    s1 = tab("supplier1", lang)
    args = {"id": voucher, "to": ORG["supplier2"], "amount": 300_000 * YUAN}
    said = s1.page.evaluate(SAY, ["receivables.transfer", args, ORG["supplier1"]])
    if lang == "zh":
        assert said[0] == f"{NAMES['supplier2']} 收到 {voucher} 中的 300,000.00 元；您保留 700,000.00 元。", said
        assert said[1] == f"该款项由 {NAMES['core']} 于 {china_date(maturity)} 到期支付。", said
    else:
        assert said[0] == f"{NAMES['supplier2']} receives 300,000.00 元 of {voucher}; you keep 700,000.00 元.", said
        assert said[1] == f"It is payable by {NAMES['core']} on {china_date(maturity)}.", said

    # the whole piece: 1,000,000.00 元 is 100.00 万元 to a Chinese reader; nothing left to keep
    whole = s1.page.evaluate(SAY, ["receivables.transfer", {**args, "amount": 1_000_000 * YUAN}, ORG["supplier1"]])
    if lang == "zh":
        assert whole[0] == f"{NAMES['supplier2']} 收到 {voucher} 的全部 100.00 万元；您不再持有该凭证。", whole
    else:
        assert whole[0] == f"{NAMES['supplier2']} receives all 1,000,000.00 元 of {voucher}; you no longer hold it."

    if not wired(s1.page):
        return  # the dialog does not show sentences yet: the page's own modules said it above
    s1.go("#/v/supplier")
    page = s1.page
    page.wait_for_selector(f"#transfer-id option[value='{voucher}']", state="attached")
    page.select_option("#transfer-id", voucher)
    page.select_option("#transfer-to", ORG["supplier2"])
    page.fill("#transfer-amount", "300,000.00")
    page.click("#transfer-submit")
    page.wait_for_selector("#signed-method")
    expected = said[0]
    page.wait_for_function("(t) => document.querySelector('.modal').innerText.includes(t)", arg=expected)
    page.click("#sign-cancel")
    with Client(node.url, identity=who("supplier1")) as c:  # cancelled: nothing was sent
        assert c.query("receivables", "voucher", id=voucher)["voucher"]["status"] == "ACTIVE"
