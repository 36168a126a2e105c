"""The console shows a person only to those who may read them, and only once it checked the document
against the commitment, in the browser (headless Chromium): the NPA package page of the seeded demo names
its borrowers and guarantor by commitments; the regulator's "show" reveals the name and ID number, a
member with no part in the package gets the refusal and nothing of the person; an organisation page of an
individual investor does the same for the exchange."""

from __future__ import annotations

import pytest

from faechain.cli.demo import seed_node
from faechain.core.encoding import decode
from faechain.devnet.demo import create_demo, demo_org_ids
from faechain.devnet.samples import membership as membership_sample
from faechain.devnet.samples import npa as npa_sample
from faechain.node.testing import NodeThread, free_port
from tests.conftest import SUITE_NOW
from tests.e2e.test_console_browser import Console, browser  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.browser
ORG = demo_org_ids()


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("consoleperson"))
    create_demo(home, free_port(), now=SUITE_NOW)
    nt = NodeThread(home, heartbeat=1.0)
    nt.start()
    seed_node(nt.node)
    yield nt.node
    nt.stop()


def the_package(node) -> tuple[str, dict[str, str]]:
    """The demo package's id and {commitment: name} of the people its loans name."""
    [(_, raw)] = list(node.store.scan_prefix(b"npa/package/", None, -1))
    package = decode(raw)
    names = {}
    for ref in package["loans"]:
        loan = decode(node.store.get_value(f"npa/loan/{ref}".encode()))
        people = [npa_sample.BORROWERS[loan["loan_no"]], *npa_sample.GUARANTORS.get(loan["loan_no"], [])]
        for c, p in zip([loan["borrower"], *loan["guarantors"]], people, strict=True):
            names[c] = p.name
    return package["id"], names


def test_the_regulator_sees_the_borrowers_a_stranger_does_not(browser, node):  # noqa: F811
    package, names = the_package(node)
    individual = next(c for c, n in names.items() if n == "Zhao Lihua")
    c = Console(browser, node, "regulator", "en")
    try:
        c.go(f"#/explorer/package/{package}")
        page = c.page
        page.wait_for_selector(f"button[data-person='{individual}']")
        assert "Zhao Lihua" not in page.content()  # a commitment until asked
        page.click(f"button[data-person='{individual}']")
        page.wait_for_selector("span.person-data")
        shown = page.text_content("span.person-data")
        assert "Zhao Lihua" in shown and "120114198204156627" in shown
        assert individual in page.get_attribute("span.person-data", "title")
    finally:
        c.close()

    c = Console(browser, node, "investor2", "en")  # the package is listed, so its loans are every member's
    try:
        c.go(f"#/explorer/package/{package}")
        page = c.page
        page.wait_for_selector(f"button[data-person='{individual}']")
        page.click(f"button[data-person='{individual}']")
        page.wait_for_selector("div.toast.error")
        refusal = page.text_content("div.toast.error")
        assert "not_found" in refusal or "not found" in refusal
        assert page.query_selector("span.person-data") is None and "Zhao Lihua" not in page.content()
    finally:
        c.close()


def test_an_individual_investors_page_shows_the_person_to_the_exchange(browser, node):  # noqa: F811
    c = Console(browser, node, "exchange", "en")
    try:
        c.go(f"#/explorer/org/{ORG['investor3']}")
        page = c.page
        page.wait_for_selector("button[data-person]")
        page.click("button[data-person]")
        page.wait_for_selector("span.person-data")
        assert membership_sample.INDIVIDUALS["investor3"].name in page.text_content("span.person-data")
    finally:
        c.close()


def test_bytes_that_are_not_the_committed_document_are_not_shown(browser, node):  # noqa: F811
    """A node (or anything between it and the browser) that answers with another person's document, or
    with a document of the right hash that is no personal data document, gets nothing displayed."""
    from faechain.core.personal import PersonalData, make_document

    package, names = the_package(node)
    individual = next(c for c, n in names.items() if n == "Zhao Lihua")
    forged = make_document(PersonalData("Somebody Else", "resident_id", "110101199001011234"))
    c = Console(browser, node, "regulator", "en")
    try:
        page = c.page
        page.route(f"**/console/api/read/vault/{individual}*",
                   lambda route: route.fulfill(status=200, body=forged, content_type="application/octet-stream"))
        c.go(f"#/explorer/package/{package}")
        page.wait_for_selector(f"button[data-person='{individual}']")
        page.click(f"button[data-person='{individual}']")
        page.wait_for_selector("div.toast.error")
        assert "not to the commitment" in page.text_content("div.toast.error")
        assert page.query_selector("span.person-data") is None and "Somebody Else" not in page.content()
    finally:
        c.close()
