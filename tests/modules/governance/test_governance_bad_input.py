"""Every refusal of the governance contract: a stable code, a message, nothing changed
(`Driver.rejected` compares the block's app hash with an empty block's)."""

from __future__ import annotations

import os

import pytest

from faechain.crypto import certs
from faechain.identity.ca import create_org_ca, issue_identity
from faechain.identity.wallet import Identity
from tests.conftest import SUITE_NOW
from tests.modules.governance.gov_support import RULE, VAL_A, VAL_C


@pytest.fixture
def newco(g):
    return create_org_ca(os.path.join(g.c.home, "ca", "newco"), "91110000NEWCOMER01", "NewCo", "SUPPLIER",
                         now=SUITE_NOW)


def admit(org_ca, **over) -> dict:
    return {"org_id": org_ca.org_id, "name": org_ca.name, "type": org_ca.type, "ca": org_ca.cert_pem, **over}


def test_admit_org_checks_the_organisation_and_its_ca(g, newco):
    o = g.o
    pem = newco.cert_pem
    bad = [
        (admit(newco, ca="-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"),
         "bad_request"),                                                   # malformed PEM
        (admit(newco, ca="hello"), "bad_request"),                         # not PEM at all
        (admit(newco, ca=pem.replace("A", "B", 5)), "bad_request"),        # PEM of garbage DER
        (admit(newco, org_id="9111NEWCO"), "bad_request"),                 # not an 18-character USCC
        (admit(newco, org_id="91110000NEWCOMER0!"), "bad_request"),        # not alphanumeric
        (admit(newco, org_id="91110000OTHERORG01"), "bad_request"),        # the CA names another organisation
        (admit(newco, type="PIRATE"), "bad_request"),
        (admit(newco, name=""), "bad_request"),
        (admit(newco, org_id=o["bank"]), "duplicate"),                     # already a member
        (admit(newco, attributes=["qualified"]), "bad_request"),           # attributes are a map
        ({"org_id": newco.org_id, "name": "NewCo", "type": "SUPPLIER"}, "bad_request"),  # no CA
    ]
    for params, code in bad:
        g.rejected("exchange", "propose", code, kind="admit_org", params=params)


def test_admit_org_refuses_a_ca_in_neither_form_saying_which_forms(g, newco):
    """Issue 24: the CA is DER bytes or PEM (text or bytes); anything else says so, without parser internals."""
    for given in ("hello", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                  "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"):
        rec = g.rejected("exchange", "propose", "bad_request", kind="admit_org", params=admit(newco, ca=given))
        assert "DER" in rec.message and "PEM" in rec.message, rec.message
        assert "cryptography.io" not in rec.message and "ParseError" not in rec.message, rec.message
    rec = g.rejected("exchange", "propose", "bad_request", kind="admit_org", params=admit(newco, ca=12))
    assert rec.message == "parameter 'ca' must be text or a byte string"


def test_admit_org_needs_a_ca_certificate_not_a_member_one(g, newco):
    issue_identity(newco, os.path.join(g.c.home, "wallet"), "newco", now=SUITE_NOW)
    member_pem = certs.to_pem(Identity.load(g.c.home, "newco").cert).decode()
    g.rejected("exchange", "propose", "bad_request", kind="admit_org", params=admit(newco, ca=member_pem))


def test_proposal_shape(g):
    g.rejected("exchange", "propose", "bad_request", kind="dissolve", params={})
    g.rejected("exchange", "propose", "bad_request", kind="set_threshold", params={"rule": RULE})
    g.rejected("exchange", "propose", "bad_request", kind="set_threshold", params={"rule": RULE, "value": "5"})
    g.rejected("exchange", "propose", "bad_request", kind="set_threshold",
               params={"rule": RULE, "value": 5, "extra": 1})
    g.rejected("exchange", "propose", "bad_request", kind="set_threshold", params={"rule": RULE, "value": 5},
               summary="x" * 1001)
    g.rejected("exchange", "propose", "bad_request", kind="set_threshold", params=[RULE, 5])


def test_set_threshold_needs_a_known_rule(g):
    g.rejected("regulator", "propose", "bad_request", kind="set_threshold", params={"rule": "no_such_rule", "value": 1})
    g.rejected("regulator", "propose", "bad_request", kind="set_threshold", params={"rule": RULE, "value": -1})


def test_set_validator_checks_key_and_power(g):
    for params, code in [
        ({"pub_key": VAL_C, "power": -1}, "bad_request"),
        ({"pub_key": VAL_C, "power": 10**13}, "bad_request"),
        ({"pub_key": "0c" * 31, "power": 10}, "bad_request"),              # 31 bytes
        ({"pub_key": "0C" * 32, "power": 10}, "bad_request"),              # not lowercase hex
        ({"pub_key": "zz" * 32, "power": 10}, "bad_request"),
        ({"pub_key": VAL_C, "power": 0}, "not_found"),                     # removing a non-validator
        ({"pub_key": VAL_C, "power": 10, "org_id": "91110000NOSUCHORG1"}, "not_found"),
    ]:
        g.rejected("exchange", "propose", code, kind="set_validator", params=params)
    assert g.validators() == {VAL_A: 10, "0b" * 32: 10}


def test_revoke_and_remove_need_something_to_act_on(g):
    o = g.o
    g.rejected("exchange", "propose", "bad_request", kind="revoke_cert", params={"cert_id": "ab" * 31})
    g.rejected("exchange", "propose", "not_found", kind="revoke_cert",
               params={"cert_id": "ab" * 32, "org_id": "91110000NOSUCHORG1"})
    bank = g.c.ids["bank"]
    g.ok("bank", "propose", kind="set_threshold", params={"rule": RULE, "value": 1})  # bank's cert registered
    g.rejected("exchange", "propose", "bad_request", kind="revoke_cert",
               params={"cert_id": bank.cert_id.hex(), "org_id": o["factor"]})  # belongs to the bank
    g.rejected("exchange", "propose", "not_found", kind="remove_org", params={"org_id": "91110000NOSUCHORG1"})


def test_membership_internals_answer_only_to_governance(g):
    """The by-vote methods are `@internal`: no transaction reaches them, and another contract
    calling them is refused."""
    from faechain.contracts.errors import Unauthorized
    from faechain.contracts.runtime import Ctx

    raw = g.c.sign("exchange", "membership", "remove_by_vote", {"org_id": g.o["lawfirm"], "reason": "x"})
    assert g.c.app.check_tx(raw, g.c.clock).code == "unknown_method"
    app = g.c.app
    membership = app.contracts["membership"]
    from faechain.chain.state import BlockState

    ctx = Ctx("membership", app.caller_for_cert(g.c.ids["exchange"].cert_id, g.c.ids["exchange"].cert),
              g.c.clock, app.height + 1, b"\0" * 32, 0, BlockState(app.store), app.chain_id, app.suite,
              app.contracts, via="receivables")
    for method, args in [("remove_by_vote", {"org_id": g.o["lawfirm"], "reason": "x"}),
                         ("revoke_by_vote", {"cert_id": "ab" * 32, "reason": "x", "org_id": g.o["bank"]}),
                         ("admit_by_vote", {"org_id": "91110000NEWCOMER01", "name": "x", "type": "BANK", "ca": "x"})]:
        with pytest.raises(Unauthorized):
            membership.methods[method].func(membership, ctx, **args)
