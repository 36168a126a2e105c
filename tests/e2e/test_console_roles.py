"""The home page and the views of the roles that had none (issue 19, item 1), in a real browser on a
seeded `fae demo` node: the rating agency rates a draft product, the registrar establishes it,
distributes its collection and registers the demo's negotiated transfer, the underwriter files a
plan, registers its offering circular, publishes the initial disclosure and establishes the plan,
and the law firm records its due diligence and files an inspection report — each through forms
(amounts in 元, documents hashed from their text, organisations by name), each checked on the
chain afterwards. The home page's to-do counts are checked against what the chain holds for five
roles, follow new blocks without a reload, and go down when the task is done. Chinese and
English; at 390×844 no page is wider than the screen.
"""

from __future__ import annotations

import hashlib

import pytest
from test_console_browser import Console, browser, node, tab, who  # noqa: F401 - module fixtures

from faechain.cli.demo import advance_clock
from faechain.devnet.demo import demo_org_ids
from faechain.sdk import Client

pytestmark = pytest.mark.browser

ORG = demo_org_ids()
DAY = 86_400
YUAN = 100


def ok(node, signer: str, contract: str, method: str, /, **args):  # noqa: F811 - fixture name
    r = node.submit_as(signer, contract, method, args)
    assert r.ok, (signer, method, r.code, r.message)
    return r.result


def now(node) -> int:  # noqa: F811
    return node.engine.now_ms() // 1000


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def count(c: Console, key: str) -> int:
    c.page.wait_for_selector(f"#todo-{key}-count")
    return int(c.page.text_content(f"#todo-{key}-count"))


def wait_count(c: Console, key: str, n: int) -> None:
    """The home page redraws on new blocks: wait (no reload) until the item shows n."""
    c.page.wait_for_function(f"(document.querySelector('#todo-{key}-count') || {{}}).textContent === '{n}'")


def home(c: Console) -> None:
    """The home page, loaded afresh (a reload: no count of the page before can be read by mistake)."""
    c.page.goto(f"{c.url}/#/")
    c.page.reload()
    c.page.wait_for_selector("#todos")


def financed_voucher(node, number: str, amount: int, days: int) -> tuple[str, str]:  # noqa: F811
    """A voucher of Huaxin's to Xinda, due in `days`, financed by the factor: (root, the factor's piece)."""
    t0 = now(node)
    doc = sha(f"invoice {number}")
    inv = ok(node, "supplier3", "receivables", "register_invoice", code="011002609900", number=number,
             seller=ORG["supplier3"], buyer=ORG["core"], amount=amount, date=t0 - DAY, doc_hash=doc)["invoice"]
    root = ok(node, "core", "receivables", "issue", to=ORG["supplier3"], amount=amount, maturity=t0 + days * DAY,
              invoices=[[inv, amount]], contract_hash=doc, settlement_bank=ORG["bank"])["voucher"]
    ok(node, "supplier3", "receivables", "accept", id=root)
    fin = ok(node, "supplier3", "receivables", "request_financing", id=root, funder=ORG["factor"], amount=amount,
             rate_bps=500)["financing"]
    ok(node, "factor", "receivables", "record_registration", financing=fin, reg_no=f"ZDW-TEST-{number}")
    # the registry agent attests the registration and a clear search, through the chain, before the funder funds
    ok(node, "registry", "receivables", "attest_registration", financing=fin, reg_no=f"ZDW-TEST-{number}",
       kind="ASSIGNMENT", creditor=ORG["factor"], debtor=ORG["supplier3"], amount=amount, voucher=root)
    ok(node, "registry", "receivables", "attest_search", financing=fin, search_no=f"ZDW-CX-{number}", earlier=[])
    return root, ok(node, "factor", "receivables", "fund", financing=fin)["voucher"]


def draft_product(node, amount: int) -> tuple[str, str]:  # noqa: F811
    root, piece = financed_voucher(node, "00990001", amount, 2)
    product = ok(node, "factor", "products", "create", name="Console roles test product",
                 tranches=[dict(name="senior", size=amount, coupon_bps=400, priority=1)], registrar=ORG["registrar"],
                 settlement_bank=ORG["bank"], min_ticket=amount // 10, term_days=90)["product"]
    ok(node, "factor", "products", "add_underlying", product=product, vouchers=[piece])
    return product, root


# -- the rating agency and the registrar: one product from draft to its first distribution -------------
def test_rating_agency_and_registrar_do_their_day_in_the_browser(node, tab, who):  # noqa: F811
    amount = 1_000_000 * YUAN
    product, root = draft_product(node, amount)
    with Client(node.url, identity=who("rating")) as c:  # what the chain holds for the agency
        drafts = [c.query("products", "product", id=p["id"])["product"]
                  for p in c.query("products", "products", status="DRAFT")]
    waiting = [p for p in drafts if p["underlying"] and not any(r["agency"] == ORG["rating"] for r in p["ratings"])]
    assert [p["id"] for p in waiting] == [product]

    agency = tab("rating")
    home(agency)
    assert count(agency, "rate_products") == len(waiting) == 1
    agency.page.click("#todo-rate_products")  # to the row where it is done
    agency.page.wait_for_selector(f"tr.focused #rate-{product}")
    agency.page.click(f"#rate-{product}")
    assert agency.page.input_value("#rate-product") == product
    agency.page.select_option("#rate-grade", "A+")
    agency.page.select_option("#rate-outlook", "positive")
    report = "Dagong rating report DG-2026-RS-0999: senior tranche A+, outlook positive."
    agency.page.fill("#rate-report", report)
    agency.page.wait_for_function(f"document.querySelector('#rate-hash').textContent.includes('{sha(report)}')")
    agency.page.click("#rate-submit")
    agency.confirm("rate")
    with Client(node.url, identity=who("regulator")) as c:
        p = c.query("products", "product", id=product)["product"]
    assert p["status"] == "RATED"
    assert {k: p["ratings"][-1][k] for k in ("agency", "grade", "outlook", "report_hash")} == {
        "agency": ORG["rating"], "grade": "A+", "outlook": "positive", "report_hash": sha(report)}
    home(agency)
    assert count(agency, "rate_products") == 0
    agency.shot("rating.png")

    # the originator files, the exchange opens it, one investor takes it all: the registrar establishes it
    ok(node, "factor", "products", "file", product=product)
    t0 = now(node)
    ok(node, "exchange", "products", "approve", product=product, approval_no="TJFAE-TEST-1", opens=t0,
       closes=t0 + 5 * DAY)
    registrar = tab("registrar")
    home(registrar)
    assert count(registrar, "establish_products") == 0
    assert count(registrar, "subscriptions_open") == 1
    ok(node, "investor1", "products", "subscribe", product=product, tranche="senior", amount=amount)
    wait_count(registrar, "establish_products", 1)  # the subscription's block redraws the open page
    registrar.page.click("#todo-establish_products")
    registrar.page.wait_for_selector(f"tr.focused #establish-{product}")
    registrar.page.click(f"#establish-{product}")
    registrar.confirm("establish")
    with Client(node.url, identity=who("registrar")) as c:
        view = c.query("products", "product", id=product)
    assert view["product"]["status"] == "ESTABLISHED"
    assert [(h["holder"], h["units"]) for h in view["holdings"]] == [(ORG["investor1"], amount)]
    registrar.page.wait_for_selector(f"tr[data-product='{product}'] .badge.s-established")
    assert registrar.page.query_selector(f"#establish-{product}") is None  # done: no longer offered

    # the money moves, the voucher is paid at maturity: the collection waits for the registrar
    ok(node, "bank", "products", "confirm_funding", product=product, bank_ref="CCB-TEST-FUND-1")
    advance_clock(node, 3 * DAY)  # past the voucher's maturity and the demo transfer's 5-day hold
    ok(node, "bank", "receivables", "confirm_payment", root=root, amount=amount, bank_ref="CCB-TEST-PAY-1")
    # the round instructs the piece at the end of that block; the bank pays it and confirms its instruction
    with Client(node.url, identity=who("bank")) as c:
        pending = c.query("payments", "instructions", field="rail", value=c.identity.org_id, status="PENDING")
    mine = [i["id"] for i in pending if i["ref"].startswith("voucher:")]
    assert mine, pending
    ok(node, "bank", "payments", "confirm", results=[[i, "PAID", f"CCB-TEST-PAY-{i}"] for i in mine])
    home(registrar)
    assert count(registrar, "distribute_collections") == 1
    assert "1,000,000.00 元" in registrar.page.text_content("#todo-distribute_collections")
    registrar.page.click("#todo-distribute_collections")
    registrar.page.click(f"#distribute-{product}")
    registrar.page.wait_for_selector("#ask-input")
    assert registrar.page.input_value("#ask-input") == "1000000.00"  # what is undistributed, in 元
    registrar.page.click("#ask-ok")
    registrar.confirm("distribute")
    with Client(node.url, identity=who("registrar")) as c:
        p = c.query("products", "product", id=product)["product"]
    assert p["distributed"] == p["collected"] == amount

    # the demo's negotiated transfer: its hold has passed, the registrar enters it in the register
    with Client(node.url, identity=who("registrar")) as c:
        accepted = c.query("products", "transfers", status="ACCEPTED")
    assert len(accepted) == 1
    transfer = accepted[0]
    home(registrar)
    assert count(registrar, "register_transfers") == 1
    assert count(registrar, "distribute_collections") == 0
    registrar.page.click("#todo-register_transfers")
    registrar.page.wait_for_selector(f"tr.focused #register-transfer-{transfer['id']}")
    registrar.page.click(f"#register-transfer-{transfer['id']}")
    registrar.confirm("register_transfer")
    with Client(node.url, identity=who("registrar")) as c:
        assert c.query("products", "transfer", id=transfer["id"])["status"] == "REGISTERED"
        register = c.query("products", "product", id=transfer["product"])["holdings"]
    holdings = {(h["holder"], h["tranche"]): h["units"] for h in register}
    assert holdings[(ORG["investor1"], "senior")] == 1_600_000 * YUAN + transfer["units"]
    home(registrar)
    assert count(registrar, "register_transfers") == 0
    registrar.shot("registrar.png")


# -- the underwriter: a plan from draft to established ------------------------------------------------
def test_underwriter_files_discloses_and_establishes_a_plan(node, tab, who):  # noqa: F811
    size = 800_000 * YUAN
    t0 = now(node)
    inv = ok(node, "supplier1", "receivables", "register_invoice", code="011002609911", number="00000077",
             seller=ORG["supplier1"], buyer=ORG["core"], amount=size, date=t0 - DAY, doc_hash=sha("inv 77"))["invoice"]
    plan = ok(node, "supplier1", "plans", "create", name="Console roles test plan", underwriter=ORG["underwriter"],
              servicer=ORG["factor"], settlement_bank=ORG["bank"], size=size, coupon_bps=400, term_days=180)["plan"]
    uw = tab("underwriter")
    home(uw)
    assert count(uw, "file_plans") == 0 and count(uw, "plans_to_pool") == 1  # nothing pooled yet
    ok(node, "supplier1", "plans", "pool", plan=plan, invoices=[inv])
    wait_count(uw, "file_plans", 1)
    with Client(node.url, identity=who("underwriter")) as c:
        drafts = [p for p in c.query("plans", "plans", underwriter=ORG["underwriter"]) if p["status"] == "DRAFT"]
    assert [p["id"] for p in drafts if p["pooled"] >= p["size"]] == [plan]
    due_before = count(uw, "disclosures_due")

    uw.page.click("#todo-file_plans")
    uw.page.wait_for_selector(f"tr.focused #file-{plan}")
    uw.page.click(f"#file-{plan}")
    uw.confirm("file")
    home(uw)
    assert count(uw, "file_plans") == 0
    assert count(uw, "disclosures_due") == due_before + 1  # the initial disclosure falls due in 10 days

    uw.go("#/v/intermediary")
    circular = "Offering circular, console roles test plan: CNY 800,000.00 at 4.00%, 180 days."
    uw.page.select_option("#plan-document-plan", plan)
    uw.page.select_option("#plan-document-kind", "prospectus")
    uw.page.fill("#plan-document-name", "Offering circular")
    uw.page.fill("#plan-document-text", circular)
    uw.page.click("#plan-document-submit")
    uw.confirm("register_document")
    with Client(node.url, identity=who("underwriter")) as c:
        doc = c.query("plans", "document", hash=sha(circular))
        [item] = c.query("plans", "disclosures", plan=plan, status="SCHEDULED")
    assert doc["plan"] == plan and doc["kind"] == "prospectus" and doc["size"] == len(circular.encode())

    uw.page.click(f"#publish-{plan}-{item['n']}")
    uw.page.fill("#publish-summary", "Offering circular published.")
    uw.page.check(f"#publish-doc-{sha(circular)[:12]}")
    uw.page.click("#publish-ok")
    uw.confirm("publish")
    with Client(node.url, identity=who("underwriter")) as c:
        published = c.query("plans", "disclosures", plan=plan)[item["n"] - 1]
    assert published["status"] == "PUBLISHED" and published["documents"] == [sha(circular)]
    home(uw)
    assert count(uw, "disclosures_due") == due_before

    t1 = now(node)
    ok(node, "exchange", "plans", "approve", plan=plan, approval_no="BFAE-TEST-1", opens=t1, closes=t1 + 7 * DAY)
    ok(node, "investor1", "plans", "subscribe", plan=plan, amount=size)
    wait_count(uw, "establish_plans", 1)
    uw.page.click("#todo-establish_plans")
    uw.page.click(f"#establish-{plan}")
    uw.confirm("establish")
    with Client(node.url, identity=who("regulator")) as c:
        p = c.query("plans", "plan", id=plan)["plan"]
    assert p["status"] == "ESTABLISHED" and p["issued"] == size
    uw.shot("intermediary.png")


# -- the law firm: due diligence on a package, then an inspection after its transfer -------------------
def test_law_firm_records_due_diligence_and_inspects(node, tab, who):  # noqa: F811
    ok(node, "bank2", "npa", "register_loan", loan_no="BHRB-ROLES-1", borrower=sha("person:roles"),
       principal=900_000 * YUAN, interest=50_000 * YUAN, classification="doubtful", days_past_due=400)
    package = ok(node, "bank2", "npa", "create_package", name="Console roles test package", loans=["BHRB-ROLES-1"],
                 base_date=now(node) - DAY, reserve_price=400_000 * YUAN, list_price=450_000 * YUAN,
                 margin=40_000 * YUAN)["package"]
    ok(node, "bank2", "npa", "submit_for_due_diligence", package=package, intermediary=ORG["lawfirm"])
    law = tab("lawfirm", lang="en")
    home(law)
    assert law.page.text_content("main h1").startswith("Home")
    with Client(node.url, identity=who("lawfirm")) as c:
        mine = [c.query("npa", "package", id=p["id"])["package"]
                for p in c.query("npa", "packages", intermediary=ORG["lawfirm"])]
    assert count(law, "record_due_diligence") == len([p for p in mine if p["status"] == "DUE_DILIGENCE"
                                                      and not p["due_diligence"]]) == 1
    law.page.click("#todo-record_due_diligence")
    law.page.wait_for_selector("#dd-form")
    report = "Haidian Tongda Law Firm: the loan and its judgment are validly held; no restriction on assignment."
    law.page.select_option("#dd-form-package", package)
    law.page.select_option("#dd-form-opinion", "clean")
    law.page.fill("#dd-form-text", report)
    law.page.click("#dd-form-submit")
    law.confirm("register_document")
    law.confirm("record_due_diligence")
    with Client(node.url, identity=who("regulator")) as c:
        dd = c.query("npa", "package", id=package)["package"]["due_diligence"]
    assert (dd["by"], dd["opinion"], dd["report_hash"]) == (ORG["lawfirm"], "clean", sha(report))
    home(law)
    assert count(law, "record_due_diligence") == 0

    # the demo's sold package: the exchange appoints the law firm, the buyer records a disposition
    with Client(node.url, identity=who("regulator")) as c:
        [sold] = c.query("npa", "packages", status="NOTICED")
    ok(node, "exchange", "npa", "assign_inspector", package=sold["id"], inspector=ORG["lawfirm"])
    wait_count(law, "packages_noticed", 1)
    assert count(law, "inspect_packages") == 0
    ok(node, "amc", "npa", "record_disposition", package=sold["id"], kind="collection",
       description="first collection from the Dongli plant's lessee", amount=120_000 * YUAN)
    wait_count(law, "inspect_packages", 1)
    law.page.click("#todo-inspect_packages")
    law.page.wait_for_selector("#inspect-form")
    inspection = "Inspection of package dispositions: collection recorded and evidenced; compliant."
    law.page.select_option("#inspect-form-result", "compliant")
    law.page.fill("#inspect-form-text", inspection)
    law.page.click("#inspect-form-submit")
    law.confirm("register_document")
    law.confirm("inspect")
    with Client(node.url, identity=who("regulator")) as c:
        p = c.query("npa", "package", id=sold["id"])["package"]
    assert p["status"] == "INSPECTED" and p["inspection"]["report_hash"] == sha(inspection)
    home(law)
    assert count(law, "inspect_packages") == 0


# -- the home page of the other roles, against the chain ------------------------------------------------
def test_home_counts_follow_the_chain_for_supplier_and_factor(node, tab, who):  # noqa: F811
    with Client(node.url, identity=who("supplier2")) as c:
        issued = [v for v in c.query("receivables", "vouchers", holder=ORG["supplier2"]) if v["status"] == "ISSUED"]
    sup = tab("supplier2")
    home(sup)
    assert count(sup, "accept_vouchers") == len(issued) >= 1  # the demo's voucher of Jingtai's
    assert sup.page.get_attribute("#todo-accept_vouchers", "href") == f"#/v/supplier?focus={issued[0]['id']}"
    t0 = now(node)
    inv = ok(node, "supplier2", "receivables", "register_invoice", code="011002609922", number="00000088",
             seller=ORG["supplier2"], buyer=ORG["core"], amount=300_000 * YUAN, date=t0 - DAY,
             doc_hash=sha("inv 88"))["invoice"]
    v = ok(node, "core", "receivables", "issue", to=ORG["supplier2"], amount=300_000 * YUAN, maturity=t0 + 20 * DAY,
           invoices=[[inv, 300_000 * YUAN]], contract_hash=sha("contract 88"))["voucher"]
    wait_count(sup, "accept_vouchers", len(issued) + 1)
    ok(node, "supplier2", "receivables", "accept", id=v)  # done: one fewer, and it now matures within 30 days
    wait_count(sup, "accept_vouchers", len(issued))
    assert count(sup, "vouchers_maturing") >= 1

    fac = tab("factor", lang="en")
    home(fac)
    with Client(node.url, identity=who("factor")) as c:
        requested = [f for f in c.query("receivables", "financings", funder=ORG["factor"])
                     if f["status"] == "REQUESTED"]
    assert count(fac, "register_financings") == len(requested)
    assert fac.page.text_content("#todo-register_financings strong") == "Financing requests to register"
    fin = ok(node, "supplier2", "receivables", "request_financing", id=v, funder=ORG["factor"], amount=300_000 * YUAN,
             rate_bps=520)["financing"]
    wait_count(fac, "register_financings", len(requested) + 1)
    assert "300,000.00 元" in fac.page.text_content("#todo-register_financings")
    ok(node, "factor", "receivables", "record_registration", financing=fin, reg_no="ZDW-TEST-88")
    wait_count(fac, "register_financings", len(requested))
    assert count(fac, "fund_financings") >= 1

# Fitting a phone: every view of every role is checked at 390×844 by tests/e2e/test_console_every_view.py.
