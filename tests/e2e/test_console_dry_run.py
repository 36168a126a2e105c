"""The console tries every transaction before the member sends it (issue 19, item 3): a
refusal the chain would give is shown in the signing dialog, in place of a mistake written
to the ledger for ever; cancelling is the default, and nothing reaches the chain."""

from __future__ import annotations

import json

import pytest

from faechain.identity.wallet import Identity
from faechain.sdk import Client
from tests.e2e.test_console_browser import ORG, Console, browser, node  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def a_free_voucher(served) -> tuple[str, dict]:
    """(holder, piece) of a seeded piece its holder may transfer: active, not locked or frozen."""
    for holder in ("supplier1", "supplier2", "supplier3", "factor1", "factor2"):
        with Client(served.url, identity=Identity.load(served.home, holder)) as c:
            mine = c.query("receivables", "vouchers", holder=ORG[holder])
            now = c.now_ms() // 1000
        for v in mine:  # not matured, nothing paid on it yet (the payments sample's root is past maturity)
            if v["status"] == "ACTIVE" and v["amount"] > 100 and not v.get("locked_by") and not v.get("frozen") \
                    and v["maturity"] > now and not v.get("paid"):
                return holder, v
    raise AssertionError("the seeded demo has no freely transferable piece")


def call(tab: Console, contract: str, method: str, args: dict) -> None:
    page = tab.page
    tab.go("#/v/calls")
    page.wait_for_selector("#call-method option >> nth=1", state="attached")
    value = page.evaluate("(name) => [...document.querySelectorAll('#call-method option')]"
                          ".find(o => o.textContent.startsWith(name + ' ')).value", f"{contract}.{method}")
    page.select_option("#call-method", value)
    page.fill("#call-args", json.dumps(args))
    page.click("#call-submit")
    page.wait_for_selector("#dry-run")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refusal_is_shown_before_signing_and_nothing_is_sent(browser, node, lang):  # noqa: F811
    holder, v = a_free_voucher(node)
    other = "supplier3" if holder != "supplier3" else "supplier2"
    tab = Console(browser, node, holder, lang=lang)
    try:
        call(tab, "receivables", "transfer", {"id": v["id"], "to": ORG[other], "amount": v["amount"] + 1})
        page = tab.page
        assert page.get_attribute("#dry-run", "role") == "alert"
        text = page.text_content("#dry-run")
        assert ("链将拒绝此交易" if lang == "zh" else "the chain would refuse this") in text
        # the block's own refusal, in the member's language, the amounts in 元
        message = page.text_content("#dry-run-message")
        assert "元" in message or "yuan" in message, message
        assert str(v["amount"] + 1) not in message, message  # no raw fen
        if lang == "zh":
            assert "超过" in message, message
        # cancelling is the default: the primary button, and Esc
        assert "primary" in page.get_attribute("#sign-cancel", "class")
        page.keyboard.press("Escape")
        page.wait_for_selector("#dry-run", state="detached")
        with Client(node.url, identity=Identity.load(node.home, holder)) as c:
            again = c.query("receivables", "voucher", id=v["id"])["voucher"]
        assert again["amount"] == v["amount"] and again["holder"] == ORG[holder]
        # a good call is tried too, and said to pass
        call(tab, "receivables", "transfer", {"id": v["id"], "to": ORG[other], "amount": 100})
        assert page.text_content("#dry-run").startswith("✓")
        assert "primary" in page.get_attribute("#sign-confirm", "class")
        page.click("#sign-cancel")
    finally:
        tab.close()
