"""The registry agent's and the payment rail's attestors over in-memory fakes, against a real node:
a recorded registration is attested with a clear search and the financing can be funded; an earlier
registration on the same piece is reported; a conditional e-CNY payment is reserved, paid once the
condition is met, and declined when the payer's balance is short."""

from __future__ import annotations

from faechain.adapters.services import build_attestor
from faechain.sdk import Client
from tests.adapters.support import (
    DAY,
    DOC_HASH,
    FakeRail,
    FakeRegistry,
    needs,
    register_invoice,
    running,
    wait_for,
)


def ok(client: Client, who, name: str, contract: str, method: str, **args):
    r = client.submit(who(name), contract, method, **args)
    assert r.ok, (name, method, r.code, r.message)
    return r.result


def financing_request(node, who, amount: int) -> str:
    """A verified invoice, a voucher issued on it and accepted, and supplier1's request to finance it
    with the factor: the financing's id."""
    with Client(node.url) as c:
        now = c.now_ms() // 1000
        ok(c, who, "bank", "receivables", "grant_credit", core=who("core").org_id, amount=100_000_000_00,
           expires=now + 400 * DAY)
        inv, _, _ = register_invoice(c, who("supplier1"), who("core"), amount)
        ok(c, who, "taxservice", "receivables", "verify_invoice", invoice=inv, seller=who("supplier1").org_id,
           buyer=who("core").org_id, amount=amount, status="NORMAL", reference="TEST-VERIFY")
        vid = ok(c, who, "core", "receivables", "issue", to=who("supplier1").org_id, amount=amount,
                 maturity=now + 90 * DAY, invoices=[[inv, amount]], contract_hash=DOC_HASH)["voucher"]
        ok(c, who, "supplier1", "receivables", "accept", id=vid)
        return ok(c, who, "supplier1", "receivables", "request_financing", id=vid, funder=who("factor").org_id,
                  amount=amount, rate_bps=600)["financing"]


def financing(node, who, fid: str) -> dict:
    with Client(node.url, identity=who("factor")) as c:
        return c.query("receivables", "financing", id=fid)


@needs("receivables", "record_registration", "attest_registration", "attest_search", "verify_invoice")
def test_a_recorded_registration_is_attested_with_its_search_and_the_financing_funds(node, who, tmp_path):
    registry = FakeRegistry()
    fid = financing_request(node, who, 800_000)
    f = financing(node, who, fid)
    reg_no = registry.file("ASSIGNMENT", who("factor").org_id, who("supplier1").org_id, 800_000, f["voucher"])
    attestor = build_attestor("registry", registry, Client(node.url, identity=who("registry")), who("registry"),
                              str(tmp_path / "state.json"), poll_seconds=0.2)
    with running(attestor), Client(node.url) as c:
        ok(c, who, "factor", "receivables", "record_registration", financing=fid, reg_no=reg_no)
        f = wait_for("the registration and the search attested",
                     lambda: (f := financing(node, who, fid)).get("attestation") and f.get("search") and f)
        assert f["attestation"]["reg_no"] == reg_no and f["attestation"]["by"] == who("registry").org_id
        assert f["search"]["earlier"] == [] and f["search"]["search_no"] == "FAKE-CX-0001"
        ok(c, who, "factor", "receivables", "fund", financing=fid)  # the attestation matches in every field


@needs("receivables", "record_registration", "attest_registration", "attest_search", "verify_invoice")
def test_an_earlier_registration_on_the_piece_is_named_by_the_search(node, who, tmp_path):
    registry = FakeRegistry()
    fid = financing_request(node, who, 600_000)
    f = financing(node, who, fid)
    earlier = registry.file("PLEDGE", who("bank2").org_id, who("supplier1").org_id, 600_000, f["voucher"])
    reg_no = registry.file("ASSIGNMENT", who("factor").org_id, who("supplier1").org_id, 600_000, f["voucher"])
    attestor = build_attestor("registry", registry, Client(node.url, identity=who("registry")), who("registry"),
                              str(tmp_path / "state.json"), poll_seconds=0.2)
    with running(attestor), Client(node.url) as c:
        ok(c, who, "factor", "receivables", "record_registration", financing=fid, reg_no=reg_no)
        f = wait_for("the search attested", lambda: (f := financing(node, who, fid)).get("search") and f)
        assert f["search"]["earlier"] == [earlier]
        refused = c.submit(who("factor"), "receivables", "fund", financing=fid)
        assert not refused.ok  # not a clear search: the funder must not fund


def conditional(node, who, payment: str) -> dict:
    with Client(node.url, identity=who("investor1")) as c:
        return c.query("payments", "conditional", id=payment)


@needs("payments", "register_account", "create_conditional", "reserve", "decline", "confirm_condition",
       "settle_conditional")
def test_a_conditional_payment_is_reserved_then_paid_when_the_condition_is_met(node, who, tmp_path):
    rail_id = who("ecny").org_id
    rail = FakeRail({"INV1-WALLET": 1_000_000})
    with Client(node.url) as c:
        ok(c, who, "investor1", "payments", "register_account", rail=rail_id, account="INV1-WALLET")
        ok(c, who, "investor2", "payments", "register_account", rail=rail_id, account="INV2-WALLET")
        expires = c.now_ms() // 1000 + 30 * DAY
        paid = ok(c, who, "investor1", "payments", "create_conditional", payee=who("investor2").org_id, amount=400_000,
                  rail=rail_id, condition={"kind": "confirmed", "by": who("lawfirm").org_id, "what": "title deeds"},
                  expires=expires)["payment"]
        short = ok(c, who, "investor1", "payments", "create_conditional", payee=who("investor2").org_id,
                   amount=5_000_000, rail=rail_id,
                   condition={"kind": "confirmed", "by": who("lawfirm").org_id, "what": "more title deeds"},
                   expires=expires)["payment"]
    attestor = build_attestor("rail", rail, Client(node.url, identity=who("ecny")), who("ecny"),
                              str(tmp_path / "state.json"), poll_seconds=0.2)
    with running(attestor), Client(node.url) as c:
        wait_for("the payment reserved", lambda: conditional(node, who, paid)["status"] == "RESERVED")
        wait_for("the short one declined", lambda: conditional(node, who, short)["status"] == "DECLINED")
        assert rail.balances["INV1-WALLET"] == 600_000 and "INV2-WALLET" not in rail.balances  # not paid yet
        ok(c, who, "lawfirm", "payments", "confirm_condition", payment=paid)
        wait_for("the payment settled", lambda: conditional(node, who, paid)["status"] == "SETTLED")
    assert rail.balances["INV2-WALLET"] == 400_000
    assert [k for k, ref in rail.calls if ref == paid] == ["reserve", "settle"]
    assert "insufficient balance" in conditional(node, who, short)["reason"]
