"""The payment rail's attestor through a root's whole payment leg, against a real node (its own, whose
dev clock this module moves on): at maturity the chain asks the rail to collect (PaymentDue), the rail
collects what the payer has — less than owed: a partial payment — and confirms it; the chain instructs
the payout to the holder (ClearingInstructed) and the rail pays it and confirms the instruction."""

from __future__ import annotations

from faechain.adapters.services import build_attestor
from faechain.sdk import Client
from tests.adapters.support import DAY, DOC_HASH, FakeRail, needs, register_invoice, running, wait_for
from tests.adapters.test_attestor_registry_rail import ok


@needs("payments", "register_account", "confirm")
@needs("receivables", "confirm_payment", "verify_invoice")
def test_a_root_is_collected_in_part_and_the_holder_paid_through_the_rail(node, who, tmp_path):
    bank = who("bank").org_id  # the demo's settlement bank is the root's rail
    rail = FakeRail({"CORE-ACC": 600_000})
    with Client(node.url, identity=who("exchange")) as c:
        now = c.now_ms() // 1000
        ok(c, who, "core", "payments", "register_account", rail=bank, account="CORE-ACC")
        ok(c, who, "supplier1", "payments", "register_account", rail=bank, account="SUP1-ACC")
        ok(c, who, "bank", "receivables", "grant_credit", core=who("core").org_id, amount=100_000_000_00,
           expires=now + 400 * DAY)
        inv, _, _ = register_invoice(c, who("supplier1"), who("core"), 1_000_000)
        ok(c, who, "taxservice", "receivables", "verify_invoice", invoice=inv, seller=who("supplier1").org_id,
           buyer=who("core").org_id, amount=1_000_000, status="NORMAL", reference="TEST-VERIFY")
        root = ok(c, who, "core", "receivables", "issue", to=who("supplier1").org_id, amount=1_000_000,
                  maturity=now + 2 * DAY, invoices=[[inv, 1_000_000]], contract_hash=DOC_HASH,
                  settlement_bank=bank)["voucher"]
        ok(c, who, "supplier1", "receivables", "accept", id=root)
        attestor = build_attestor("rail", rail, Client(node.url, identity=who("bank")), who("bank"),
                                  str(tmp_path / "state.json"), poll_seconds=0.2)
        with running(attestor):
            c.advance_time(3 * DAY)

            def paid() -> list:
                return c.query("payments", "instructions", field="payee", value=who("supplier1").org_id,
                               status="PAID", _as=who("supplier1"))

            [instruction] = wait_for("the holder's instruction paid", paid)
    assert instruction["amount"] == 600_000 and instruction["rail_ref"] == f"FAKE-PAY-{instruction['id']}"
    assert rail.balances == {"CORE-ACC": 0, "SUP1-ACC": 600_000}
    assert [kind for kind, _ in rail.calls] == ["collect", "pay"]
