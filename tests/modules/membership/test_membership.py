"""The membership contract on a chain: admission, attributes, revocation, queries."""

from __future__ import annotations

import os

import pytest

from faechain.identity.ca import create_org_ca, issue_identity, sign_revocation
from faechain.identity.wallet import Identity
from tests.conftest import SUITE_NOW


@pytest.fixture
def newcomer(chain):
    """An organisation CA (and one admin member) that is not yet a consortium member."""
    ca = create_org_ca(os.path.join(chain.home, "ca", "newco"), "91110000NEWCOMER01", "NewCo", "SUPPLIER",
                       now=SUITE_NOW)
    issue_identity(ca, os.path.join(chain.home, "wallet"), "newco", {"admin": True}, now=SUITE_NOW)
    return ca, Identity.load(chain.home, "newco")


def admit_args(org_ca, **over):
    return {"org_id": org_ca.org_id, "name": org_ca.name, "type": org_ca.type, "ca": org_ca.cert_der, **over}


def test_admit_then_its_members_transact(chain, newcomer):
    ca, ident = newcomer
    probe = chain.sign(ident, "membership", "set_attributes", {"org_id": ca.org_id, "attributes": {}})
    assert chain.app.check_tx(probe, chain.clock).code == "not_member"
    r = chain.run("exchange", "membership", "admit", admit_args(ca, attributes={"tier": 1}))
    assert r.ok and r.result == {"org_id": ca.org_id}
    assert r.events == [{"contract": "membership", "type": "OrgAdmitted",
                         "attrs": {"org_id": ca.org_id, "name": "NewCo", "type": "SUPPLIER"}}]
    org = chain.app.run_query("membership", "org", {"org_id": ca.org_id}, None)
    assert org["status"] == "ACTIVE" and org["attributes"] == {"tier": 1} and "ca" not in org
    assert org["ca_id"] == chain.app.hash(ca.cert_der).hex()
    r = chain.run(ident, "membership", "set_attributes", {"org_id": ca.org_id, "attributes": {}})
    assert r.code == "unauthorized"  # authenticated now; only the exchange sets attributes


@pytest.mark.parametrize(
    "over,code",
    [
        ({"org_id": "SHORT"}, "bad_request"),
        ({"type": "PIRATE"}, "bad_request"),
        ({"org_id": "91110000TESTBANK01"}, "duplicate"),
        ({"org_id": "91110000OTHERORG01"}, "bad_request"),  # the CA names another organisation
        ({"ca": b"not a certificate"}, "bad_request"),
    ],
)
def test_admit_rejections(chain, newcomer, over, code):
    ca, _ = newcomer
    assert chain.run("exchange", "membership", "admit", admit_args(ca, **over)).code == code


@pytest.mark.parametrize("form", ["der", "pem text", "pem bytes"])
def test_admit_takes_the_ca_as_der_or_pem(chain, newcomer, form):
    """Issue 24: `admit` took DER only while `governance.propose admit_org` took PEM only."""
    ca, ident = newcomer
    given = {"der": ca.cert_der, "pem text": ca.cert_pem, "pem bytes": ca.cert_pem.encode()}[form]
    r = chain.run("exchange", "membership", "admit", admit_args(ca, ca=given))
    assert r.ok, (r.code, r.message)
    org = chain.app.run_query("membership", "org", {"org_id": ca.org_id}, None)
    assert org["ca_id"] == chain.app.hash(ca.cert_der).hex()  # stored as DER whichever form was given
    r = chain.run(ident, "membership", "set_attributes", {"org_id": ca.org_id, "attributes": {}})
    assert r.code == "unauthorized"  # its member is authenticated against the admitted CA


@pytest.mark.parametrize("given", [
    "hello",                                                                     # text, not PEM
    b"not a certificate",                                                        # bytes, neither DER nor PEM
    "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",  # PEM without a certificate
    b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
])
def test_admit_refuses_a_ca_in_neither_form_saying_which_forms(chain, newcomer, given):
    ca, _ = newcomer
    before = chain.empty_block_app_hash()
    r = chain.run("exchange", "membership", "admit", admit_args(ca, ca=given))
    assert r.code == "bad_request" and "DER" in r.message and "PEM" in r.message, r.message
    assert "cryptography.io" not in r.message and "ParseError" not in r.message  # no parser internals
    assert chain.head()[1] == before


def test_admit_needs_a_ca_certificate(chain, newcomer):
    ca, ident = newcomer
    assert chain.run("exchange", "membership", "admit", admit_args(ca, ca=ident.cert)).code == "bad_request"


def test_only_the_exchange_admits(chain, newcomer):
    ca, _ = newcomer
    assert chain.run("bank", "membership", "admit", admit_args(ca)).code == "unauthorized"


def test_attributes_merge_and_reach_the_caller(chain):
    inv = chain.org_ids["investor"]
    investor = chain.ids["investor"]
    before = chain.app.caller_for_cert(investor.cert_id, investor.cert)  # a reader need not be registered
    assert "qualified" not in before.attributes and before.attributes["admin"] is True
    assert chain.run("exchange", "membership", "set_attributes",
                     {"org_id": inv, "attributes": {"qualified": True}}).ok
    assert chain.run("exchange", "membership", "set_attributes", {"org_id": inv, "attributes": {"tier": 2}}).ok
    org = chain.app.run_query("membership", "org", {"org_id": inv}, None)
    assert org["attributes"] == {"qualified": True, "tier": 2}
    after = chain.app.caller_for_cert(investor.cert_id, investor.cert)
    assert after.attributes["qualified"] is True and after.attributes["tier"] == 2
    who = chain.app.run_query("membership", "whoami", {}, after)
    assert who["org_id"] == inv and who["role"] == "INVESTOR" and who["attributes"]["qualified"] is True


def test_set_attributes_on_unknown_org(chain):
    assert chain.run("exchange", "membership", "set_attributes",
                     {"org_id": "91110000NOSUCHORG1", "attributes": {}}).code == "not_found"


def test_revoke_by_own_admin_without_ca_signature(chain):
    bank = chain.org_ids["bank"]
    teller = chain.new_identity("bank", "teller")
    assert chain.run("bank", "membership", "revoke", {"org_id": bank, "cert_id": teller.cert_id,
                                                      "reason": "by admin"}).ok
    rec = chain.app.run_query("membership", "cert", {"cert_id": teller.cert_id.hex(), "org_id": bank}, None)
    assert rec["revoked"] is True and rec["reason"] == "by admin" and rec["registered"] is False  # never used
    raw = chain.sign(teller, "membership", "set_attributes", {"org_id": bank, "attributes": {}})
    assert chain.app.check_tx(raw, chain.clock).code == "revoked"


def test_revoke_permissions(chain):
    bank = chain.org_ids["bank"]
    clerk = chain.new_identity("bank", "clerk")  # not an admin
    target = chain.new_identity("bank", "target")
    args = {"org_id": bank, "cert_id": target.cert_id, "reason": "x"}
    assert chain.run(clerk, "membership", "revoke", args).code == "unauthorized"
    assert chain.run("investor", "membership", "revoke", args).code == "unauthorized"  # admin of another org
    assert chain.run("exchange", "membership", "revoke", args).code == "unauthorized"  # even the exchange
    assert chain.run("bank", "membership", "revoke", args).ok
    assert chain.run("bank", "membership", "revoke", args).code == "duplicate"


def test_revoke_argument_checks(chain):
    bank, inv = chain.org_ids["bank"], chain.org_ids["investor"]
    teller = chain.new_identity("bank", "teller2")
    assert chain.run("bank", "membership", "revoke", {"org_id": bank, "cert_id": b"\x01" * 31,
                                                      "reason": "x"}).code == "bad_request"
    assert chain.run("bank", "membership", "revoke", {"org_id": "91110000NOSUCHORG1", "cert_id": teller.cert_id,
                                                      "reason": "x"}).code == "not_found"
    # register the teller (its first successful transaction), then try to revoke it as an
    # investor certificate
    zed = chain.new_identity("bank", "zed2")
    zrev = sign_revocation(chain.ca("bank"), chain.chain_id, zed.cert_id, "x")
    assert chain.run(teller, "membership", "revoke", {"org_id": bank, "cert_id": zed.cert_id, "reason": "x",
                                                      "ca_signature": bytes.fromhex(zrev["ca_signature"])}).ok
    rev = sign_revocation(chain.ca("investor"), chain.chain_id, teller.cert_id, "x")
    r = chain.run("exchange", "membership", "revoke", {"org_id": inv, "cert_id": teller.cert_id, "reason": "x",
                                                       "ca_signature": bytes.fromhex(rev["ca_signature"])})
    assert r.code == "bad_request"


def test_revocation_signature_is_bound_to_the_chain(chain):
    bank = chain.org_ids["bank"]
    teller = chain.new_identity("bank", "teller3")
    rev = sign_revocation(chain.ca("bank"), "fae-another-chain", teller.cert_id, "x")
    r = chain.run("exchange", "membership", "revoke", {"org_id": bank, "cert_id": teller.cert_id, "reason": "x",
                                                       "ca_signature": bytes.fromhex(rev["ca_signature"])})
    assert r.code == "unauthorized"
    rev = sign_revocation(chain.ca("bank"), chain.chain_id, teller.cert_id, "x")
    r = chain.run("exchange", "membership", "revoke", {"org_id": bank, "cert_id": teller.cert_id, "reason": "other",
                                                       "ca_signature": bytes.fromhex(rev["ca_signature"])})
    assert r.code == "unauthorized"  # the reason is signed too


def test_queries(chain):
    orgs = chain.app.run_query("membership", "orgs", {}, None)
    assert sorted(o["id"] for o in orgs) == sorted(chain.org_ids.values())
    banks = chain.app.run_query("membership", "orgs", {"type": "BANK"}, None)
    assert [o["id"] for o in banks] == [chain.org_ids["bank"]]
    assert chain.app.run_query("membership", "whoami", {}, None) == {"anonymous": True}
    from faechain.contracts.errors import NotFound

    with pytest.raises(NotFound):
        chain.app.run_query("membership", "org", {"org_id": "nope"}, None)
    with pytest.raises(NotFound):
        chain.app.run_query("membership", "cert", {"cert_id": "00" * 32}, None)


def test_another_organisations_ca_cannot_revoke_an_unused_certificate(chain):
    """A revocation recorded before a certificate's first use binds only that organisation's
    certificates: a rival CA cannot lock out a member whose certificate id it has seen."""
    bank, inv = chain.org_ids["bank"], chain.org_ids["investor"]
    teller = chain.new_identity("bank", "teller3")
    rev = sign_revocation(chain.ca("investor"), chain.chain_id, teller.cert_id, "rival")
    assert chain.run("exchange", "membership", "revoke", {"org_id": inv, "cert_id": teller.cert_id, "reason": "rival",
                                                          "ca_signature": bytes.fromhex(rev["ca_signature"])}).ok
    zed = chain.new_identity("bank", "zed3")
    zrev = sign_revocation(chain.ca("bank"), chain.chain_id, zed.cert_id, "x")
    r = chain.run(teller, "membership", "revoke", {"org_id": bank, "cert_id": zed.cert_id, "reason": "x",
                                                   "ca_signature": bytes.fromhex(zrev["ca_signature"])})
    assert r.ok, r
    # while its own CA's revocation before first use (zed's, just above) does bind it
    r = chain.run(zed, "membership", "set_attributes", {"org_id": bank, "attributes": {}})
    assert r.code == "revoked"


def test_consortium_granted_attributes_cannot_come_from_an_own_certificate(chain):
    """An organisation's CA may write anything into its members' certificates, but
    `qualified` and `settlement` count only as the exchange (or genesis) set them."""
    inv = chain.org_ids["investor"]
    self_made = chain.new_identity("investor", "self_made", {"qualified": True, "settlement": True, "desk": "fx"})
    caller = chain.app.caller_for_cert(self_made.cert_id, self_made.cert)
    assert "qualified" not in caller.attributes and "settlement" not in caller.attributes
    assert caller.attributes["desk"] == "fx"  # member-level attributes do come from the certificate
    assert chain.run("exchange", "membership", "set_attributes", {"org_id": inv, "attributes": {"qualified": False}}).ok
    assert chain.app.caller_for_cert(self_made.cert_id, self_made.cert).attributes["qualified"] is False
    assert chain.run("exchange", "membership", "set_attributes", {"org_id": inv, "attributes": {"qualified": True}}).ok
    assert chain.app.caller_for_cert(self_made.cert_id, self_made.cert).has("qualified")
