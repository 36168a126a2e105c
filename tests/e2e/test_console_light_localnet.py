"""The console's in-browser light client on a real 4-validator CometBFT network (separate
processes): a transaction's writes and its block's header verify against CometBFT header
h + 1, signed by the validators the pinned genesis names; the writes download as an evidence
bundle (light blocks from genesis, made in the browser) that both offline verifiers accept
and refuse once one value is flipped; the next page load verifies from the header kept in
the browser without fetching a light block; and a node that relays a commit with too few
signatures is refused, naming the height.

Run only these: python -m pytest -m localnet (needs cometbft and Chromium)
"""

from __future__ import annotations

import json
import re

import pytest
from localnet_support import client, running_localnet
from test_console_browser import TIMEOUT_MS, browser  # noqa: F401 - the browser fixture
from test_console_evidence import assert_verifies_and_flip_refused, download

pytestmark = [pytest.mark.localnet, pytest.mark.browser]

ABSENT = {"block_id_flag": 1, "validator_address": "", "timestamp": "0001-01-01T00:00:00Z", "signature": None}


def two_signatures_left(doc: dict) -> dict:
    """The relayed commit with only its first two votes for the block kept (half the power)."""
    commit = doc["commit"]["signed_header"]["commit"]
    kept = 0
    sigs = []
    for s in commit["signatures"]:
        if s["block_id_flag"] == 2 and kept < 2:
            kept += 1
            sigs.append(s)
        else:
            sigs.append(ABSENT)
    commit["signatures"] = sigs
    return doc


def test_the_console_checks_validator_signatures_on_a_localnet(tmp_path, browser):  # noqa: F811
    with running_localnet(str(tmp_path / "net"), 4) as net:
        c0 = client(net, 0)
        org = c0.query("membership", "whoami")["org_id"]
        r = c0.submit(c0.identity, "membership", "set_attributes", org_id=org, attributes={"console": "light"})
        assert r.ok, r
        url = net.nodes[0].api_url
        context = browser.new_context(bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(url + "/")
            page.evaluate("localStorage.setItem('fae.lang', 'en')")
            page.reload()
            page.click("#signin-exchange")  # a transaction's writes are its parties' (docs/confidentiality.md)
            page.wait_for_selector("#member")
            page.goto(f"{url}/#/explorer/tx/{r.tx_hash}")
            page.reload()
            page.wait_for_selector("#genesis-pin")
            page.click("#verify-writes")
            page.wait_for_selector("#writes-ok", timeout=40_000)  # header h + 1 comes with the next block
            signed = page.text_content("#trust-signed")
            assert re.fullmatch(rf"signed by [34] of 4 validators \((75|100) % of voting power\), "
                                rf"CometBFT header {r.height + 1}", signed), signed
            # the writes as evidence: the browser's own bundle, light blocks from genesis to header h + 1
            bundle, report = assert_verifies_and_flip_refused(download(page, str(tmp_path / "tx.json")),
                                                              f"membership/org/{org}")
            heights = [int(lb["signed_header"]["header"]["height"]) for lb in bundle["light_blocks"]]
            assert bundle["engine"] == "cometbft" and heights[0] == 1 and heights[-1] == r.height + 1, heights
            assert "CometBFT light blocks" in report, report
            page.goto(f"{url}/#/explorer/block/{r.height}")
            page.click("#verify-header")
            page.wait_for_selector("#header-ok")
            assert f"CometBFT header {r.height + 1}" in page.text_content("#header-ok")
            # the next page load starts from the header kept in this browser: nothing to fetch for it
            relayed: list[str] = []
            page.on("request", lambda req: relayed.append(req.url) if "/console/api/light/" in req.url else None)
            page.goto(f"{url}/#/explorer/tx/{r.tx_hash}")
            page.reload()
            page.click("#verify-writes")
            page.wait_for_selector("#writes-ok")
            assert page.text_content("#trust-from") == f"from trusted height {r.height + 1} (kept in this browser)"
            assert relayed == [], relayed

            # the node relays header h + 1 with two of four signatures: refused, naming the height
            def forge(route):
                resp = route.fetch()
                if resp.status == 200 and route.request.url.endswith(f"/console/api/light/{r.height}"):
                    body = json.dumps(two_signatures_left(resp.json()))
                    return route.fulfill(response=resp, body=body, headers={**resp.headers,
                                                                            "content-type": "application/json"})
                return route.fulfill(response=resp)

            page.route("**/console/api/light/*", forge)
            page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('fae.anchor/'))"
                          ".forEach((k) => localStorage.removeItem(k))")
            page.goto(f"{url}/#/explorer/tx/{r.tx_hash}")
            page.reload()  # a fresh page, with no header kept: nothing verified yet
            page.click("#verify-writes")
            page.wait_for_selector("#writes-bad", timeout=40_000)
            text = page.text_content("#writes-bad")
            assert (f"commit at height {r.height + 1} has 2 of 4 validators' signatures: 50 % of voting power, "
                    "needs more than 2/3") in text, text
            assert page.query_selector("#writes-ok") is None
            assert not errors, errors
        finally:
            context.close()
