"""Every action in the console is a real button, and its dialogs keep the keyboard (issue 19).

`button(label, onClick, "small primary")` once passed a class string with a space to `h()`, whose
tag reader could not parse it and quietly made a `<div>`: Accept, Fund, Approve, Subscribe, Vote
and the Confirm actions looked like text, could not be reached with Tab, and their
disabled-while-sending guard did nothing. `h()` now refuses a tag it cannot read (a page error)
and `button()` takes classes separated by spaces. Here each role's every view is opened in the
real browser on the seeded demo: no page error, no styled `<div>` standing in for a button, and
every element the console gave a click handler's id (`approve-…`, `fund-…`, `subscribe-…`, …) is a
`<button>` the keyboard reaches.
"""

from __future__ import annotations

import hashlib

import pytest
from test_console_browser import Console, browser, node  # noqa: F401 - module fixtures

from faechain.devnet.demo import demo_org_ids

pytestmark = pytest.mark.browser

ROLES = ("exchange", "regulator", "bank", "factor", "core", "supplier1", "supplier2", "investor1", "amc", "bank2",
         "underwriter", "registrar", "rating", "lawfirm")
ACTIONS_JS = ("(els, prefixes) => els.filter(e => prefixes.some(p => (e.getAttribute('id') || '').startsWith(p)))"
              ".map(e => [e.getAttribute('id'), e.tagName, e.tabIndex])")  # (an SVG's id is no string)
ACTION_IDS = ("approve-", "fund-", "register-F-", "confirm-funding-", "margin-", "subscribe-", "accept-", "vote-")


@pytest.fixture(scope="module")
def pending(node):  # noqa: F811 - fixture
    """Work waiting on a desk, so that its action buttons are drawn: a voucher issued to supplier2
    to accept, and supplier1's financing request to the factor to record a registration for."""
    o = demo_org_ids()
    now = node.engine.now_ms() // 1000
    doc = hashlib.sha256(b"buttons").hexdigest()

    def ok(who: str, contract: str, method: str, **args):
        r = node.submit_as(who, contract, method, args)
        assert r.ok, (who, method, r.code, r.message)
        return r.result

    def voucher(supplier: str, number: str) -> str:
        inv = ok(supplier, "receivables", "register_invoice", code="0110026BTN", number=number, seller=o[supplier],
                 buyer=o["core"], amount=1_000_000, date=now - 86_400, doc_hash=doc)["invoice"]
        return ok("core", "receivables", "issue", to=o[supplier], amount=1_000_000, maturity=now + 90 * 86_400,
                  invoices=[[inv, 1_000_000]], contract_hash=doc)["voucher"]

    to_accept = voucher("supplier2", "BTN0001")
    financed = voucher("supplier1", "BTN0002")
    ok("supplier1", "receivables", "accept", id=financed)
    financing = ok("supplier1", "receivables", "request_financing", id=financed, funder=o["factor"], amount=1_000_000,
                   rate_bps=500)["financing"]
    return {"supplier2": f"accept-{to_accept}", "factor": f"register-{financing}"}


@pytest.mark.parametrize("name", ROLES)
def test_every_action_of_every_view_is_a_button(browser, node, pending, name):  # noqa: F811 - fixtures
    c = Console(browser, node, name, "en")
    try:
        views = c.page.eval_on_selector_all("nav a[id^='nav-']", "els => els.map(e => e.getAttribute('href'))")
        assert views, f"{name} has no views"
        fake: list[str] = []
        seen: set[str] = set()
        for href in views:
            c.go(href.lstrip("/"))
            c.page.wait_for_load_state("networkidle")
            # and every part drawn: a slot shows "loading" until its reads have come back and drawn it
            c.page.wait_for_function("!document.querySelector('main .loading')")
            fake += c.page.eval_on_selector_all(
                "div.small, div.primary, span.small.primary",
                "els => els.map(e => e.tagName + ' ' + e.className + ' ' + e.textContent.slice(0, 30))")
            ids = c.page.eval_on_selector_all("[id]", ACTIONS_JS, list(ACTION_IDS))
            for ident, tag, tab_index in ids:
                assert tag == "BUTTON" and tab_index >= 0, (href, ident, tag)
                seen.add(ident)
        assert not fake, f"{name}: elements styled as buttons that are not buttons: {fake[:5]}"
        if name in pending:  # the action waiting on this desk was drawn, as a button (checked above)
            assert pending[name] in seen, (name, pending[name], sorted(seen)[:10])
    finally:
        c.close()  # asserts no page error on any view


def test_a_dialog_takes_the_focus_keeps_it_and_closes_on_escape(browser, node, pending):  # noqa: F811
    """The signing dialog opened by supplier2's Accept: the focus moves into it, Tab and Shift+Tab
    stay inside it, Esc closes it as Cancel does (nothing is signed) and the focus returns to
    Accept."""
    c = Console(browser, node, "supplier2", "en")
    try:
        c.go("#/v/supplier")
        page = c.page
        accept = f"#{pending['supplier2']}"
        page.wait_for_selector(accept)
        page.focus(accept)
        page.keyboard.press("Enter")
        page.wait_for_selector("#sign-cancel")
        inside = "() => !!document.activeElement.closest('.modal')"
        assert page.evaluate(inside)
        assert page.get_attribute(".modal", "aria-modal") == "true"
        for key in ["Tab"] * 6 + ["Shift+Tab"] * 6:
            page.keyboard.press(key)
            assert page.evaluate(inside), key
        page.keyboard.press("Escape")
        page.wait_for_selector(".modal", state="detached")
        page.wait_for_function("id => document.activeElement && document.activeElement.id === id",
                               arg=pending["supplier2"])
        page.wait_for_selector(accept)  # nothing was signed: the voucher still waits to be accepted
    finally:
        c.close()


def test_the_explorer_folds_runs_of_empty_blocks(browser, node):  # noqa: F811 - fixtures
    """Heartbeat blocks (one a second on this node) no longer fill the latest blocks: a run of two
    or more empty ones is one row, and a new empty block extends the run on top instead of adding
    a row."""
    c = Console(browser, node, "exchange", "en")
    try:
        c.go("#/explorer")
        page = c.page
        page.wait_for_selector("#latest-blocks tr.empty-run")
        adjacent = page.eval_on_selector_all(
            "#latest-blocks tr", "rows => rows.some((r, i) => i > 0 && r.dataset.empty === '1' && "
                                 "rows[i - 1].dataset.empty === '1')")
        assert not adjacent
        page.wait_for_function("() => document.querySelector('#latest-blocks tr').classList.contains('empty-run')")
        top = int(page.get_attribute("#latest-blocks tr.empty-run", "data-to"))
        rows = page.eval_on_selector_all("#latest-blocks tr", "rows => rows.length")
        page.wait_for_function(
            "top => Number(document.querySelector('#latest-blocks tr').dataset.to) > top", arg=top)
        text = page.inner_text("#latest-blocks tr.empty-run")
        assert "empty blocks" in text
        assert page.eval_on_selector_all("#latest-blocks tr", "rows => rows.length") <= rows
    finally:
        c.close()
