"""The attestor with the tax service's handler, over an in-memory fake tax system, against a real
node: a registered invoice is verified by the tax service member, a void in the tax system voids it
on chain, a restart resumes without repeating, a transient outage is retried."""

from __future__ import annotations

import json
import logging
import os

import pytest

from faechain.adapters.services import AdapterError, build_attestor
from faechain.sdk import Client
from tests.adapters.support import FakeInvoiceService, needs, register_invoice, running, wait_for

pytestmark = needs("receivables", "verify_invoice", "void_invoice")


def verification(node, who, invoice: str) -> dict:
    with Client(node.url, identity=who("supplier1")) as c:
        return c.query("receivables", "invoice", id=invoice)["invoice"].get("verification") or {}


def tax_attestor(node, who, fake, state: str):
    client = Client(node.url, identity=who("taxservice"))
    return build_attestor("tax", fake, client, who("taxservice"), state, poll_seconds=0.2)


def test_a_registered_invoice_is_verified_by_the_tax_service_member(node, who, tmp_path):
    fake = FakeInvoiceService()
    with Client(node.url) as c:
        inv, code, number = register_invoice(c, who("supplier1"), who("core"), 1_000_000)
    fake.add(code, number, who("supplier1").org_id, who("core").org_id, 1_000_000)
    with running(tax_attestor(node, who, fake, str(tmp_path / "state.json"))):
        v = wait_for("the invoice verified", lambda: verification(node, who, inv).get("status") == "VERIFIED"
                     and verification(node, who, inv))
    assert v["by"] == who("taxservice").org_id and v["reference"] == f"FAKE-{number}"


def test_what_the_tax_system_says_differently_is_recorded_as_a_mismatch(node, who, tmp_path):
    fake = FakeInvoiceService()
    with Client(node.url) as c:
        inv, code, number = register_invoice(c, who("supplier1"), who("core"), 2_000_000)
    fake.add(code, number, who("supplier1").org_id, who("core").org_id, 1_999_900)  # the tax system says less
    with running(tax_attestor(node, who, fake, str(tmp_path / "state.json"))):
        v = wait_for("the invoice checked", lambda: verification(node, who, inv).get("status") == "MISMATCH"
                     and verification(node, who, inv))
    assert v["differences"] == {"amount": [2_000_000, 1_999_900]}


def test_a_void_in_the_tax_system_voids_the_invoice_on_chain(node, who, tmp_path):
    fake = FakeInvoiceService()
    with Client(node.url) as c:
        inv, code, number = register_invoice(c, who("supplier1"), who("core"), 300_000)
    fake.add(code, number, who("supplier1").org_id, who("core").org_id, 300_000)
    with running(tax_attestor(node, who, fake, str(tmp_path / "state.json"))):
        wait_for("the invoice verified", lambda: verification(node, who, inv).get("status") == "VERIFIED")
        fake.void(code, number, "red-letter invoice issued")
        v = wait_for("the invoice voided", lambda: verification(node, who, inv).get("status") == "VOIDED"
                     and verification(node, who, inv))
    assert v["reference"] == f"FAKE-VOID-{number}" and v["reason"] == "red-letter invoice issued"


def test_a_restart_resumes_after_the_last_block_and_repeats_nothing(node, who, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="faechain.adapters")
    fake = FakeInvoiceService()
    state = str(tmp_path / "state.json")
    with Client(node.url) as c:
        first, code1, number1 = register_invoice(c, who("supplier1"), who("core"), 100_000)
    fake.add(code1, number1, who("supplier1").org_id, who("core").org_id, 100_000)
    with running(tax_attestor(node, who, fake, state)):
        wait_for("the first invoice verified", lambda: verification(node, who, first).get("status") == "VERIFIED")
    height = json.load(open(state))["height"]
    assert height > 0
    # stopped: an invoice registered meanwhile is picked up by the next run, the first not asked about again
    with Client(node.url) as c:
        second, code2, number2 = register_invoice(c, who("supplier1"), who("core"), 200_000)
    fake.add(code2, number2, who("supplier1").org_id, who("core").org_id, 200_000)
    with running(tax_attestor(node, who, fake, state)):
        wait_for("the second invoice verified", lambda: verification(node, who, second).get("status") == "VERIFIED")
    assert fake.lookups.count((code1, number1)) == 1 and fake.lookups.count((code2, number2)) == 1
    assert json.load(open(state))["height"] > height


def test_a_lost_state_file_replays_history_and_the_chain_s_records_stop_repeats(node, who, tmp_path, caplog):
    """At-least-once delivery, exactly-once on chain: from block 1 again, an invoice already verified
    is skipped without asking the tax system or sending a transaction."""
    caplog.set_level(logging.INFO, logger="faechain.adapters")
    fake = FakeInvoiceService()
    with Client(node.url) as c:
        inv, code, number = register_invoice(c, who("supplier1"), who("core"), 400_000)
    fake.add(code, number, who("supplier1").org_id, who("core").org_id, 400_000)
    state = str(tmp_path / "state.json")
    with running(tax_attestor(node, who, fake, state)):
        wait_for("the invoice verified", lambda: verification(node, who, inv).get("status") == "VERIFIED")
    os.remove(state)
    caplog.clear()
    with running(tax_attestor(node, who, fake, state)):
        wait_for("the replay past the invoice's block", lambda: any(
            f"verify_invoice {inv}: already VERIFIED on chain; skipped" in r.getMessage() for r in caplog.records))
    assert fake.lookups.count((code, number)) == 1
    assert not any(f"verify_invoice {inv}: attested" in r.getMessage() for r in caplog.records)


def test_a_tax_system_outage_is_retried_until_it_answers(node, who, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="faechain.adapters")
    fake = FakeInvoiceService(failures=2)
    with Client(node.url) as c:
        inv, code, number = register_invoice(c, who("supplier1"), who("core"), 500_000)
    fake.add(code, number, who("supplier1").org_id, who("core").org_id, 500_000)
    attestor = tax_attestor(node, who, fake, str(tmp_path / "state.json"))
    attestor.chain.first_delay = 0.05
    with running(attestor):
        wait_for("the invoice verified", lambda: verification(node, who, inv).get("status") == "VERIFIED")
    assert fake.failures == 0
    assert sum("retrying" in r.getMessage() for r in caplog.records) >= 2


def test_the_attestor_refuses_an_identity_of_the_wrong_organisation_type(node, who, tmp_path):
    with pytest.raises(AdapterError, match="TAX_SERVICE"):
        build_attestor("tax", FakeInvoiceService(), Client(node.url), who("bank"), str(tmp_path / "s.json"))
    with pytest.raises(AdapterError, match="does not satisfy InvoiceService"):
        build_attestor("tax", object(), Client(node.url), who("taxservice"), str(tmp_path / "s.json"))
