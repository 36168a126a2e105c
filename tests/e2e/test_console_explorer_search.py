"""The explorer's search box and its transaction lists in a real browser (Chromium), in Chinese and
English, on a desk and on a phone (390×844): results grouped by kind that link to the right pages,
one exact match opening its page, refused texts told in the reader's language, nothing wider than
the screen — and the time (China time) and signer (organisation name and code, identity) of every
transaction in the latest-transactions list, a block's list and the transaction page.

FAE_SEARCH_SHOTS=<dir> saves what each step shows (the pictures the change was looked at in).
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from test_console_browser import PHONE, Console, browser, node  # noqa: F401 - module fixtures

from faechain.core.block import Header
from faechain.devnet.demo import demo_org_id, demo_org_ids
from faechain.identity.ca import create_org_ca
from faechain.node.config import paths

pytestmark = pytest.mark.browser

ORG = demo_org_ids()
CHINESE_ORG, CHINESE_NAME = demo_org_id(90), "北京中关村测试银行股份有限公司"
DESK = {"viewport": {"width": 1440, "height": 900}}
DEVICES = {"desk": DESK, "phone": PHONE}
CST = dt.timezone(dt.timedelta(hours=8))
SHOTS = os.environ.get("FAE_SEARCH_SHOTS")
NOT_HEX = {"zh": "哈希只由 0–9 和 a–f 组成", "en": "A hash is written with 0–9 and a–f only"}
NONE = {"zh": "没有与“{q}”匹配且您有权查看的记录。", "en": "Nothing you may see matches “{q}”."}
TIME_LABEL = {"zh": "时间（北京时间）", "en": "(China, UTC+8)"}

FITS_JS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def chain(node):  # noqa: F811 - the module's seeded demo node
    """The seeded demo, plus an organisation with a Chinese name."""
    ca = create_org_ca(os.path.join(paths(node.home)["ca"], "zgc"), CHINESE_ORG, CHINESE_NAME, "BANK")
    r = node.submit_as("exchange", "membership", "admit", {"org_id": CHINESE_ORG, "name": CHINESE_NAME,
                                                            "type": "BANK", "ca": ca.cert_der})
    assert r.ok
    return node, r


def stored_ids(demo, prefix: str) -> list[str]:
    """The ids of the records under `prefix` (they carry the height they were made at: read, not written down)."""
    return [k.decode()[len(prefix):] for k, _ in demo.store.scan_prefix(prefix.encode())]


def china_time(demo, height: int) -> str:
    """A block's time as the console shows it: China time, to the second."""
    ms = Header.decode(demo.store.block(height)[1]).time
    return dt.datetime.fromtimestamp(ms / 1000, CST).strftime("%Y-%m-%d %H:%M:%S")


def search(c: Console, text: str) -> None:
    c.page.fill("#search-input", text)
    c.page.click("#search-go")


def results(c: Console, text: str) -> None:
    """Search and wait for the grouped results of exactly `text`."""
    search(c, text)
    c.page.wait_for_selector(f"#search-results[data-query='{text}']")


def fits(c: Console, where: str) -> None:
    assert c.page.evaluate(FITS_JS), f"wider than the screen: {where}"


def shot(c: Console, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        c.page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.mark.parametrize("device", ["desk", "phone"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_search_results_are_grouped_and_link_to_their_pages(browser, chain, lang, device):  # noqa: F811
    demo, admitted = chain
    c = Console(browser, demo, "bank", lang, device=DEVICES[device])
    page = c.page
    try:
        c.go("#/explorer")
        page.wait_for_selector("#latest-blocks tr")
        # an organisation by part of its name, in another case: its page
        results(c, "capital COMM")
        link = page.locator("section.results[data-kind='org'] a.result").first
        assert link.text_content() == "Capital Commercial Bank"
        fits(c, "org results")
        shot(c, f"{lang}-{device}-org-results")
        link.click()
        page.wait_for_selector("main h2:has-text('Capital Commercial Bank')")
        assert page.url.endswith(f"#/explorer/org/{ORG['bank']}")
        # a Chinese name by a part of it
        results(c, "中关村")
        page.click(f"section.results[data-kind='org'] a.result[href='#/explorer/org/{CHINESE_ORG}']")
        page.wait_for_selector(f"main h2:has-text('{CHINESE_NAME}')")
        # a product by the beginning of its id
        [product] = stored_ids(demo, "products/product/")
        results(c, product[:-2])
        page.click(f"section.results[data-kind='product'] a.result[href='#/explorer/product/{product}']")
        page.wait_for_selector(f"main h2:has-text('{product}')")
        # one exact match (a whole plan id, typed in lower case) opens its page
        [plan] = stored_ids(demo, "plans/plan/")
        search(c, plan.lower())
        page.wait_for_url(re.compile(f"#/explorer/plan/{plan}$"))
        page.wait_for_selector(f"main h2:has-text('{plan}')")
        # a transaction by the first 8 hex digits of its hash: its time and signer in the row, then its page
        tx_hash = admitted.tx_hash.hex()
        results(c, tx_hash[:8])
        row = page.locator(f"section.results[data-kind='tx'] tr:has(a[href='#/explorer/tx/{tx_hash}'])")
        text = row.inner_text()
        assert china_time(demo, admitted.height) in text and f"{admitted.height} #{admitted.index}" in text
        assert "Beijing Financial Assets Exchange" in text and f"({ORG['exchange']})" in text and "exchange" in text
        fits(c, "tx results")
        shot(c, f"{lang}-{device}-tx-results")
        row.locator("a.result").click()
        page.wait_for_selector("#tx-signer")
        assert page.text_content("#tx-hash") == tx_hash
        assert page.text_content("#tx-time") == china_time(demo, admitted.height)
        signer = page.text_content("#tx-signer")
        assert "Beijing Financial Assets Exchange" in signer and f"({ORG['exchange']})" in signer
        assert TIME_LABEL[lang] in page.inner_text("main")
        fits(c, "tx page")
        shot(c, f"{lang}-{device}-tx-page")
        # a block by its hash prefix
        block_hash = demo.store.block(admitted.height)[0].hex()
        results(c, block_hash[:10].upper())
        page.click(f"section.results[data-kind='block'] a.result[href='#/explorer/block/{admitted.height}']")
        page.wait_for_selector(f"main h2:has-text('{admitted.height}')")
        # refused before asking: said in the reader's language, and the page stays where it was
        before = page.url
        search(c, "0xabcdzz")
        page.wait_for_selector("#search-problem:not([hidden])")
        assert NOT_HEX[lang] in page.text_content("#search-problem") and page.url == before
        shot(c, f"{lang}-{device}-refused")
        # nothing found: one sentence, the same for an id nobody issued as for one the reader may not read
        results(c, "V-999")
        assert page.text_content("#search-none") == NONE[lang].format(q="V-999")
        fits(c, "no results")
        shot(c, f"{lang}-{device}-none")
    finally:
        c.close()


def test_a_rival_bank_is_told_nothing_of_the_first_banks_plan(browser, chain):  # noqa: F811
    demo, _ = chain
    [plan] = stored_ids(demo, "plans/plan/")
    absent = plan + "9"
    c = Console(browser, demo, "bank2", "en")
    try:
        c.go("#/explorer")
        results(c, plan)
        hidden = c.page.text_content("#search-results")
        results(c, absent)
        assert hidden.replace(plan, absent) == c.page.text_content("#search-results")
        assert c.page.query_selector("a.result") is None
    finally:
        c.close()


@pytest.mark.parametrize("device", ["desk", "phone"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_listed_transaction_shows_its_time_and_signer(browser, chain, lang, device):  # noqa: F811
    demo, admitted = chain
    r = demo.submit_as("exchange", "membership", "set_attributes",
                       {"org_id": CHINESE_ORG, "attributes": {"note": f"{lang} {device}"}})
    assert r.ok
    c = Console(browser, demo, "exchange", lang, device=DEVICES[device])
    page = c.page
    try:
        c.go("#/explorer")
        row = page.wait_for_selector(f"#latest-txs tr[data-tx='{r.tx_hash.hex()}']")
        text = row.inner_text()
        assert china_time(demo, r.height) in text and f"{r.height} #{r.index}" in text
        assert "Beijing Financial Assets Exchange" in text and f"({ORG['exchange']})" in text
        assert TIME_LABEL[lang] in page.inner_text("#latest-txs >> xpath=..")
        for cells in page.eval_on_selector_all("#latest-txs tr", "rows => rows.map(r => r.innerText)"):
            assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cells) and re.search(r"\(91\w{16}\)", cells), cells
        fits(c, "latest")
        shot(c, f"{lang}-{device}-latest")
        c.go(f"#/explorer/block/{admitted.height}")
        row = page.wait_for_selector(f"tr[data-tx='{admitted.tx_hash.hex()}']")
        text = row.inner_text()
        assert china_time(demo, admitted.height) in text and "Beijing Financial Assets Exchange" in text
        assert "exchange" in text and f"({ORG['exchange']})" in text
        fits(c, "block")
        shot(c, f"{lang}-{device}-block")
    finally:
        c.close()
