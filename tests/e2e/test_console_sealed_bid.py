"""Sealed bids from the browser (issue 19, item 3): the salt is drawn in the browser, the commitment
computed there exactly as `auctions.commit`/`reveal` check it (faechain/crypto/sealed_bid.py), price
and salt kept in the browser (localStorage, keyed by auction and member) with a backup file, a
reminder once the reveal window opens, and the reveal signed from the browser with the kept salt —
which the chain accepts only if the browser's commitment was the contract's.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from test_console_browser import ORG, Console, browser, node  # noqa: F401 - module fixtures

from faechain.cli.demo import advance_clock, store_document
from faechain.crypto.sealed_bid import bid_digest
from faechain.sdk import Client
from tests.conftest import wallet

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots/forms"


def ok(node, who: str, contract: str, method: str, **args):  # noqa: F811 - `node` is the fixture's value
    r = node.submit_as(who, contract, method, args)
    assert r.ok, (who, method, r.code, r.message)
    return r.result


@pytest.fixture(scope="module")
def sealed(node):  # noqa: F811 - fixture
    """bank2's package listed for a sealed auction (10 minutes to commit, an hour to reveal);
    amc and investor1 registered, their margins confirmed."""
    now = node.engine.now_ms() // 1000
    borrower = hashlib.sha256(b"person:sealed console").hexdigest()
    ok(node, "bank2", "npa", "register_loan", loan_no="BHRB-SEALED-1", borrower=borrower,
       principal=1_500_000_00, interest=90_000_00, classification="doubtful", days_past_due=500)
    package = ok(node, "bank2", "npa", "create_package", name="Sealed console package", loans=["BHRB-SEALED-1"],
                 base_date=now - 86400, reserve_price=600_000_00, list_price=700_000_00, margin=60_000_00)["package"]
    ok(node, "bank2", "npa", "submit_for_due_diligence", package=package, intermediary=ORG["lawfirm"])
    data = b"due diligence report, sealed console package"
    report = store_document(node, data)
    ok(node, "lawfirm", "npa", "register_document", package=package, hash=report, kind="due_diligence",
       name="DD report", size=len(data), media_type="text/plain")
    ok(node, "lawfirm", "npa", "record_due_diligence", package=package, report_hash=report, opinion="clean")
    ok(node, "exchange", "npa", "approve", package=package)
    start = node.engine.now_ms() // 1000 + 3
    auction = ok(node, "exchange", "npa", "list_package", package=package, mode="sealed", start=start,
                 end=start + 600, reveal_end=start + 600 + 3600, settlement_bank=ORG["bank"])["auction"]
    for bidder in ("amc", "investor1"):
        ok(node, bidder, "auctions", "register", auction=auction)
        ok(node, "bank", "auctions", "confirm_margin", auction=auction, bidder=ORG[bidder], bank_ref=f"S-{bidder}")
    advance_clock(node, 10)  # bidding opens
    return auction


def commit(c: Console, auction: str, org: str, price: str, backup_path) -> dict:
    """Commit `price` on the auction page, download the backup to `backup_path`; what the browser kept."""
    page = c.page
    c.go(f"#/v/auctions/{auction}")
    page.fill("#seal-price", price)
    page.click("#seal-submit")
    c.confirm("commit")
    page.wait_for_selector("#sealed-kept")
    with page.expect_download() as dl:
        page.click("#sealed-backup")
    dl.value.save_as(backup_path)
    return page.evaluate(f"JSON.parse(localStorage.getItem('fae.sealed.{auction}.{org}'))")


def test_commit_and_reveal_sealed_bids_from_the_browser(browser, node, sealed, tmp_path):  # noqa: F811
    auction = sealed
    amc = Console(browser, node, "amc")
    rival = Console(browser, node, "investor1", "en")
    try:
        kept = commit(amc, auction, ORG["amc"], "650,000.00", tmp_path / "amc.json")
        # the signed commitment carries the digest only: the price is not in what the node signed
        assert "650,000.00" not in amc.summaries[-1] and "65000000" not in amc.summaries[-1]
        assert kept["price"] == 650_000_00 and len(bytes.fromhex(kept["salt"])) == 32
        with Client(node.url, identity=wallet(node.home)("regulator")) as cl:
            [bid] = cl.query("auctions", "auction", id=auction)["bids"]
        # the browser's commitment is the contract's: H(CBOR [domain, auction, bidder, price, salt])
        assert bid["digest"] == kept["digest"] == bid_digest(
            lambda b: hashlib.sha256(b).digest(), auction, ORG["amc"], 650_000_00, bytes.fromhex(kept["salt"]))
        assert bid["price"] is None  # sealed until revealed
        backup = json.loads((tmp_path / "amc.json").read_text())
        assert backup["salt"] == kept["salt"] and backup["price"] == 650_000_00 and backup["auction"] == auction
        assert amc.page.locator("#sealed-reveal").count() == 0  # nothing to reveal before the deadline
        os.makedirs(SHOTS, exist_ok=True)
        amc.page.screenshot(path=os.path.join(SHOTS, "sealed-committed-zh.png"), full_page=True)

        rival_kept = commit(rival, auction, ORG["investor1"], "700,000.00", tmp_path / "investor1.json")
        assert rival_kept["salt"] != kept["salt"]

        # the deadline passes: the list reminds, the auction page offers the reveal with the kept salt
        advance_clock(node, 600)
        amc.go("#/v/auctions")
        amc.page.reload()  # the console reads the dev chain's clock (moved on by the test) when it loads
        reminder = amc.page.locator("#reveal-reminder")
        reminder.wait_for()
        assert auction in reminder.inner_text()
        amc.page.screenshot(path=os.path.join(SHOTS, "sealed-reminder-zh.png"), full_page=True)
        amc.go(f"#/v/auctions/{auction}")
        amc.page.reload()
        amc.page.click("#sealed-reveal")
        assert json.loads(amc.confirm("reveal"))["price"] == 650_000_00
        amc.page.wait_for_selector(".state-note .badge.s-active")
        assert "已揭示" in amc.page.inner_text("#main")
    finally:
        amc.close()
        rival.close()

    # investor1 on a fresh browser profile: no salt here, so it loads its backup file, then reveals
    fresh = Console(browser, node, "investor1", "en")
    try:
        page = fresh.page
        fresh.go(f"#/v/auctions/{auction}")
        page.wait_for_selector("#sealed-restore", state="attached")
        assert "Salt missing" in page.inner_text("#main")
        assert page.locator("#sealed-reveal").count() == 0
        page.set_input_files("#sealed-restore", str(tmp_path / "investor1.json"))
        page.wait_for_selector("#sealed-reveal")
        page.screenshot(path=os.path.join(SHOTS, "sealed-restored-en.png"), full_page=True)
        page.click("#sealed-reveal")
        assert json.loads(fresh.confirm("reveal"))["price"] == 700_000_00
    finally:
        fresh.close()
    with Client(node.url, identity=wallet(node.home)("regulator")) as cl:
        bids = {b["bidder"]: b for b in cl.query("auctions", "auction", id=auction)["bids"]}
    # the chain accepted both reveals: each browser's commitment verified on chain
    assert bids[ORG["amc"]]["price"] == 650_000_00 and bids[ORG["amc"]]["revealed_at"] is not None
    assert bids[ORG["investor1"]]["price"] == 700_000_00 and bids[ORG["investor1"]]["revealed_at"] is not None
