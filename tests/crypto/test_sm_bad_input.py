"""Bad input on a chain of either suite: a certificate of the other suite, malformed SM2
signatures, a genesis naming a CA of the other suite. Clear codes, nothing changed, the
chain goes on."""

from __future__ import annotations

import dataclasses
import os

import pytest

from faechain.chain.application import Application
from faechain.core.encoding import decode, encode
from faechain.core.genesis import Genesis
from faechain.crypto import certs, sm2
from faechain.crypto.suite import get_suite
from faechain.identity.ca import create_org_ca, issue_identity
from faechain.identity.wallet import Identity
from faechain.ledger.storage import Store
from faechain.modules.membership.steps import GenesisCertificateError
from faechain.node.config import paths
from faechain.node.verify import verify_chain
from tests.conftest import GENESIS_TIME_MS, ORGS, SUITE_NOW, open_chain

SUITES = ["ed25519", "sm2-sm3"]
OTHER = {"ed25519": "sm2-sm3", "sm2-sm3": "ed25519"}


def build(home: str, suite: str, ca_suites: dict[str, str] | None = None) -> Genesis:
    """The tests' three-organisation consortium on `suite` (an organisation's CA may be of
    another suite through `ca_suites`)."""
    p = paths(home)
    entries = []
    for name, org_id, org_name, org_type in ORGS:
        ca = create_org_ca(os.path.join(p["ca"], name), org_id, org_name, org_type,
                           (ca_suites or {}).get(name, suite), now=SUITE_NOW)
        issue_identity(ca, p["wallet"], name, {"admin": True}, now=SUITE_NOW)
        entries.append({"id": org_id, "name": org_name, "type": org_type, "ca": ca.cert_pem, "attributes": {}})
    genesis = Genesis(chain_id="fae-test", suite=suite, genesis_time=GENESIS_TIME_MS, dev=True,
                      orgs=entries)
    genesis.save(p["genesis"])
    return genesis


@pytest.fixture(params=SUITES)
def chain(request, tmp_path):
    home = str(tmp_path / "home")
    build(home, request.param)
    c = open_chain(home)
    yield c
    c.close()


def _stranger(chain, tmp_path) -> Identity:
    """A `bank` identity whose certificate is of the other suite (its own CA, same subject)."""
    other = OTHER[chain.genesis.suite]
    ca = create_org_ca(str(tmp_path / "other-ca"), ORGS[1][1], ORGS[1][2], ORGS[1][3], other, now=SUITE_NOW)
    issue_identity(ca, str(tmp_path / "other-wallet"), "teller", {}, now=SUITE_NOW)
    return Identity.load(str(tmp_path / "other-wallet" / "teller"), "teller")


def test_a_certificate_of_the_other_suite_is_bad_certificate_everywhere(chain, tmp_path):
    chain.run("exchange", "membership", "set_attributes", {"org_id": ORGS[2][1], "attributes": {"x": 1}})
    stranger = _stranger(chain, tmp_path)
    assert stranger.suite_name != chain.genesis.suite
    args = {"org_id": ORGS[2][1], "attributes": {"x": 2}}
    # as its wallet signs it, its signer id is the other suite's hash of the certificate: the
    # message says it is the wrong signature suite, naming both (issue 24), not "signer id"
    raw = stranger.sign_tx(chain.chain_id, "membership", "set_attributes", args, now_ms=chain.clock)
    checked = chain.app.check_tx(raw, now_ms=chain.clock)
    assert checked.code == "bad_certificate", checked
    assert wrong_suite(chain.genesis.suite, stranger.suite_name) in checked.message, checked
    # named by this chain's hash, the certificate's key is still of the other suite
    renamed = dataclasses.replace(stranger, suite_name=chain.genesis.suite)
    raw2 = renamed.sign_tx(chain.chain_id, "membership", "set_attributes", args, now_ms=chain.clock)
    checked = chain.app.check_tx(raw2, now_ms=chain.clock)
    assert checked.code == "bad_certificate" and "this chain's suite is" in checked.message, checked
    assert wrong_suite(chain.genesis.suite, stranger.suite_name) in checked.message, checked
    before = chain.empty_block_app_hash()
    result = chain.block([raw, raw2])
    assert [r.code for r in result.receipts] == ["bad_certificate", "bad_certificate"]
    assert all(wrong_suite(chain.genesis.suite, stranger.suite_name) in r.message for r in result.receipts)
    assert "this chain's suite is" in result.receipts[1].message
    assert result.app_hash == before  # nothing changed
    assert chain.app.run_query("membership", "org", {"org_id": ORGS[2][1]}, None)["attributes"] == {"x": 1}
    # the chain goes on with its own members
    assert chain.run("exchange", "membership", "set_attributes",
                     {"org_id": ORGS[2][1], "attributes": {"x": 3}}).code == "ok"


def test_admitting_an_organisation_with_a_ca_of_the_other_suite(chain):
    other = get_suite(OTHER[chain.genesis.suite])
    ca_der = certs.create_ca(other.generate(), "91110000NEWMEMB001", "New Member", "INVESTOR", now=SUITE_NOW)
    before = chain.empty_block_app_hash()
    r = chain.run("exchange", "membership", "admit",
                  {"org_id": "91110000NEWMEMB001", "name": "New Member", "type": "INVESTOR", "ca": ca_der})
    assert r.code == "bad_ca_certificate" and "suite" in r.message
    assert r.message == certs.wrong_suite(chain.genesis.suite, other.name), r.message
    assert chain.head()[1] == before
    # the signer was authenticated (a contract refused, not the envelope): verify agrees
    report = verify_chain(chain.store, chain.genesis)
    assert report.ok, str(report)
    own = certs.create_ca(chain.app.suite.generate(), "91110000NEWMEMB001", "New Member", "INVESTOR", now=SUITE_NOW)
    assert chain.run("exchange", "membership", "admit",
                     {"org_id": "91110000NEWMEMB001", "name": "New Member", "type": "INVESTOR", "ca": own}).ok


@pytest.mark.parametrize("suite", SUITES)
def test_a_genesis_naming_a_ca_of_the_other_suite_does_not_start(suite, tmp_path):
    home = str(tmp_path / "home")
    genesis = build(home, suite, ca_suites={"bank": OTHER[suite]})
    store = Store(paths(home)["db"])
    try:
        with pytest.raises(GenesisCertificateError, match=f"bad_certificate: organisation {ORGS[1][1]}"):
            Application(store, genesis)
    finally:
        store.close()


def wrong_suite(chain_suite: str, cert_suite: str) -> str:
    """What a refusal says of a certificate of the other suite: both suites, by name and key."""
    keys = {"ed25519": "Ed25519", "sm2-sm3": "SM2"}
    return (f"wrong signature suite: the certificate holds an {keys[cert_suite]} key (suite {cert_suite}) but "
            f"this chain's suite is {chain_suite}: it accepts {keys[chain_suite]} certificates only")


@pytest.mark.parametrize("suite", SUITES)
def test_an_identity_of_the_other_suite_is_told_the_suites(suite, tmp_path):
    """Issue 24: an Ed25519-signed transaction on an SM2 chain (and the reverse) was refused
    "the attached certificate does not match the signer id"; it names the suites now, in
    check_tx and in the block alike, and the code stays `bad_certificate`."""
    home = str(tmp_path / "home")
    build(home, suite)
    chain = open_chain(home)
    try:
        stranger = _stranger(chain, tmp_path)
        raw = stranger.sign_tx(chain.chain_id, "receivables", "accept", {"id": "V-1"}, now_ms=chain.clock)
        checked = chain.app.check_tx(raw, now_ms=chain.clock)
        receipt = chain.block([raw]).receipts[0]
        for code, message in ((checked.code, checked.message), (receipt.code, receipt.message)):
            assert code == "bad_certificate"
            assert message.startswith(wrong_suite(suite, OTHER[suite])), message
            assert f"sign with an identity of the {suite} suite" in message
            assert "signer id" not in message
    finally:
        chain.close()


def _resign(raw: bytes, signature: bytes) -> bytes:
    version, body, _, cert = decode(raw)
    return encode([version, body, signature, cert])


@pytest.mark.parametrize("bad", ["empty", "raw_rs", "r_zero", "s_is_n", "trailing", "flipped", "ed25519_sig"])
def test_malformed_sm2_signatures_are_bad_signature(bad, tmp_path):
    home = str(tmp_path / "home")
    build(home, "sm2-sm3")
    chain = open_chain(home)
    try:
        raw = chain.sign("exchange", "membership", "set_attributes", {"org_id": ORGS[2][1], "attributes": {"y": 1}})
        sig = decode(raw)[2]
        r, s = sm2.decode_signature(sig)
        forged = {
            "empty": b"",
            "raw_rs": r.to_bytes(32, "big") + s.to_bytes(32, "big"),
            "r_zero": sm2.encode_signature(0, s),
            "s_is_n": sm2.encode_signature(r, sm2.N),
            "trailing": sig + b"\x00",
            "flipped": sm2.encode_signature(r, s ^ 1),
            "ed25519_sig": get_suite("ed25519").generate().sign(b"x"),
        }[bad]
        tx = _resign(raw, forged)
        assert chain.app.check_tx(tx, now_ms=chain.clock).code == "bad_signature"
        before = chain.empty_block_app_hash()
        result = chain.block([tx])
        assert result.receipts[0].code == "bad_signature" and result.app_hash == before
        assert chain.block([raw]).receipts[0].code == "ok"  # the genuine one still goes through
    finally:
        chain.close()
