"""Amounts are checked as they are typed (issue 19, item 3): under the field the console says
what the text means in 元 and what is left of the piece, or that it is more than the piece
holds — and the form cannot be sent while it is wrong, so no refusal reaches the ledger."""

from __future__ import annotations

import pytest
from test_console_browser import ORG, Console, browser, node  # noqa: F401 - module fixtures
from test_console_dry_run import a_free_voucher

from faechain.sdk import Client, Identity

pytestmark = pytest.mark.browser


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} 元"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_transfer_amount_is_checked_as_it_is_typed(browser, node, lang):  # noqa: F811 - fixtures
    holder, v = a_free_voucher(node)
    tab = Console(browser, node, holder, lang)
    page = tab.page
    try:
        tab.go("#/v/supplier")
        page.wait_for_selector(f"#transfer-id option[value='{v['id']}']", state="attached")
        page.select_option("#transfer-id", v["id"])
        live = "#transfer label:has(#transfer-amount) small.live"
        # before typing: what is available
        assert yuan(v["amount"]) in page.text_content(live)
        page.fill("#transfer-amount", yuan(v["amount"] + 100).replace(" 元", ""))
        assert page.get_attribute("#transfer-amount", "aria-invalid") == "true"
        said = page.text_content(live)
        assert ("超过可用的" if lang == "zh" else "More than the") in said and yuan(v["amount"]) in said, said
        assert page.evaluate("document.querySelector('#transfer').checkValidity()") is False
        page.click("#transfer-submit")  # blocked by the browser: nothing is prepared or signed
        assert page.query_selector("#signed-method") is None
        page.fill("#transfer-amount", "1.5")
        assert page.get_attribute("#transfer-amount", "aria-invalid") == "false"
        said = page.text_content(live)
        assert said.startswith("= 1.50 元") and yuan(v["amount"] - 150) in said, said
        page.fill("#transfer-amount", "12abc")
        assert page.get_attribute("#transfer-amount", "aria-invalid") == "true"
        assert ("请输入金额" if lang == "zh" else "Type an amount") in page.text_content(live)
    finally:
        tab.close()


def test_a_transfer_with_recourse_leaves_the_sender_liable(browser, node):  # noqa: F811 - fixtures
    """The transfer form's recourse choice reaches the chain: the new piece names the sender."""
    holder, v = a_free_voucher(node)
    tab = Console(browser, node, holder, "zh")
    page = tab.page
    try:
        tab.go("#/v/supplier")
        page.wait_for_selector(f"#transfer-id option[value='{v['id']}']", state="attached")
        page.select_option("#transfer-id", v["id"])
        page.select_option("#transfer-to", ORG["supplier3" if holder != "supplier3" else "supplier2"])
        page.fill("#transfer-amount", "1.00")
        page.select_option("#transfer-recourse", "yes")
        page.click("#transfer-submit")
        tab.confirm("transfer")
        with Client(node.url, identity=Identity.load(node.home, holder)) as c:
            parent = c.query("receivables", "voucher", id=v["id"])["descendants"]
            moved = [d for d in parent if d["amount"] == 100 and d["holder"] != ORG[holder]]
            assert moved, parent
            piece = c.query("receivables", "voucher", id=moved[0]["id"])["voucher"]
        assert piece["recourse"] == ORG[holder], piece
    finally:
        tab.close()

