"""The Application: every kind of bad input is rejected with its stable code and leaves the
state alone; execution is deterministic; a restarted node resumes where it stopped."""

from __future__ import annotations

import os

import cbor2
import pytest

from faechain.chain.application import Application
from faechain.core.encoding import decode, encode
from faechain.core.tx import MAX_TTL_MS, MAX_TX_BYTES, SIGN_DOMAIN, make_body, make_envelope
from faechain.crypto import certs
from faechain.identity.ca import create_org_ca, issue_identity, sign_revocation
from faechain.identity.wallet import Identity
from faechain.ledger.storage import Store
from faechain.node.verify import verify_chain
from tests.conftest import SUITE_NOW

# -- helpers --------------------------------------------------------------------------

_counter = iter(range(10**9))


def good_tx(chain) -> bytes:
    """A transaction that succeeds: the exchange sets a fresh attribute on the bank."""
    return chain.sign("exchange", "membership", "set_attributes",
                      {"org_id": chain.org_ids["bank"], "attributes": {"n": next(_counter)}})


def assert_rejected(chain, raw: bytes, code: str, *, in_check: bool = True, block_code: str | None = None):
    """check_tx refuses `raw` with `code`; forced into a block anyway, its receipt carries the
    code and the state does not change; afterwards a good transaction still commits."""
    height, app_hash, block_hash = chain.head()
    if in_check:
        res = chain.app.check_tx(raw, chain.clock)
        assert res.code == code, res
        assert not res.ok and res.message
        assert chain.head() == (height, app_hash, block_hash)
    unchanged = chain.empty_block_app_hash()
    result = chain.block([raw])
    receipt = result.receipts[0]
    assert receipt.code == (block_code or code), receipt
    assert not receipt.ok and receipt.result is None and receipt.events == []
    assert result.app_hash == unchanged, "a rejected transaction changed the state"
    assert chain.app.height == height + 1
    before_good = chain.empty_block_app_hash()
    after = chain.block([good_tx(chain)])
    assert after.receipts[0].code == "ok"
    assert after.app_hash != before_good
    return receipt


@pytest.fixture
def warm(chain):
    """The chain with every ORGS member's certificate registered (one transaction each)."""
    r = chain.block([
        good_tx(chain),
        chain.sign("bank", "membership", "set_attributes", {"org_id": chain.org_ids["bank"], "attributes": {}}),
        chain.sign("investor", "membership", "set_attributes", {"org_id": chain.org_ids["bank"], "attributes": {}}),
    ])
    assert [x.code for x in r.receipts] == ["ok", "unauthorized", "unauthorized"]
    return chain


def twin(chain, tmp_path, name="twin") -> Application:
    """A second node: the same genesis on its own database."""
    return Application(Store(str(tmp_path / name / "chain.db")), chain.genesis)


def flip(data: bytes, pos: int) -> bytes:
    b = bytearray(data)
    b[pos] ^= 1
    return bytes(b)


# -- malformed bytes ------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"\x00garbage", b"\xff" * 40, encode({"not": "an envelope"}),
                                 encode([1, 2, 3, 4])])
def test_garbage_bytes(warm, raw):
    receipt = assert_rejected(warm, raw, "bad_encoding")
    assert receipt.tx_hash == warm.app.hash(raw)


@pytest.mark.parametrize("cut", [1, 2, 30, 100])
def test_truncated_envelope(warm, cut):
    raw = good_tx(warm)
    assert_rejected(warm, raw[:-cut], "bad_encoding")


def test_envelope_with_trailing_byte(warm):
    assert_rejected(warm, good_tx(warm) + b"\x00", "bad_encoding")


def test_non_canonical_body_is_rejected_even_if_signed(warm):
    """A signer cannot get a non-canonical body executed: decode refuses it first."""
    ident = warm.ids["exchange"]
    fields = {"chain": warm.chain_id, "signer": ident.cert_id, "contract": "membership",
              "method": "set_attributes", "args": {"org_id": warm.org_ids["bank"], "attributes": {}},
              "nonce": 1, "expires": warm.clock + 60_000}
    body = cbor2.dumps(fields)  # insertion order, not canonical order
    assert body != encode(fields)
    raw = make_envelope(body, ident.key.sign(SIGN_DOMAIN + body), None)
    assert_rejected(warm, raw, "bad_encoding")


def test_oversize_transaction(warm):
    raw = warm.sign("exchange", "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {"blob": "x" * MAX_TX_BYTES}})
    assert len(raw) > MAX_TX_BYTES
    assert_rejected(warm, raw, "too_large")


def test_integer_beyond_64_bits(warm):
    """2**64 cannot be encoded canonically in the value model: the envelope is refused."""
    ident = warm.ids["exchange"]
    fields = {"chain": warm.chain_id, "signer": ident.cert_id, "contract": "membership",
              "method": "set_attributes", "args": {"org_id": warm.org_ids["bank"], "attributes": {"n": 2**64}},
              "nonce": 1, "expires": warm.clock + 60_000}
    body = cbor2.dumps(fields, canonical=True)
    raw = make_envelope(body, ident.key.sign(SIGN_DOMAIN + body), None)
    assert_rejected(warm, raw, "bad_encoding")
    # and a negative one below -2**63
    fields["args"]["attributes"]["n"] = -(2**63) - 1
    body = cbor2.dumps(fields, canonical=True)
    assert_rejected(warm, make_envelope(body, ident.key.sign(SIGN_DOMAIN + body), None), "bad_encoding")


def test_envelope_version_true_is_not_1(warm):
    version, body, sig, cert = decode(good_tx(warm))
    assert_rejected(warm, encode([True, body, sig, cert]), "bad_encoding")


# -- signatures and signers -------------------------------------------------------------


@pytest.mark.parametrize("pos", [0, 31, 63])
def test_wrong_signature(warm, pos):
    version, body, sig, cert = decode(good_tx(warm))
    assert_rejected(warm, encode([version, body, flip(sig, pos), cert]), "bad_signature")


def test_signature_by_another_members_key(warm):
    version, body, _, cert = decode(good_tx(warm))
    forged = warm.ids["bank"].key.sign(SIGN_DOMAIN + body)
    assert_rejected(warm, encode([version, body, forged, cert]), "bad_signature")


def test_short_signature(warm):
    version, body, sig, cert = decode(good_tx(warm))
    assert_rejected(warm, encode([version, body, sig[:10], cert]), "bad_signature")


def test_forged_copy_does_not_spend_the_real_transaction(warm):
    """A garbage-signature copy included first must not make the genuine one a replay."""
    raw = good_tx(warm)
    version, body, sig, cert = decode(raw)
    forged = encode([version, body, flip(sig, 0), cert])
    r = warm.block([forged, raw])
    assert [x.code for x in r.receipts] == ["bad_signature", "ok"]
    r = warm.block([forged])
    assert r.receipts[0].code == "replay"


def test_replayed_in_a_later_block(warm):
    raw = good_tx(warm)
    first = warm.block([raw])
    assert first.receipts[0].code == "ok"
    assert_rejected(warm, raw, "replay")
    # the same body with the certificate stripped is the same transaction
    version, body, sig, _ = decode(raw)
    assert_rejected(warm, encode([version, body, sig, None]), "replay")


def test_replayed_twice_in_one_block(warm, tmp_path):
    raw = good_tx(warm)
    r = warm.block([raw, raw])
    assert [x.code for x in r.receipts] == ["ok", "replay"]
    assert r.receipts[0].tx_hash == r.receipts[1].tx_hash
    # the state is exactly what one copy gives
    other = twin(warm, tmp_path)
    for height in range(1, warm.app.height):
        header_time = decode(warm.store.block(height)[1])["time"]
        other.finalize_block(height, header_time, [row[2] for row in warm.store.block_txs(height)], b"test")
        other.commit()
    single = other.finalize_block(other.height + 1, r.time, [raw], b"test")
    assert single.app_hash == r.app_hash
    assert warm.app.check_tx(raw, warm.clock).code == "replay"


def test_unknown_signer_without_certificate(warm):
    stranger = warm.new_identity("bank", "stranger")
    raw = warm.sign(stranger, "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {}}, attach_cert=False)
    assert_rejected(warm, raw, "unknown_signer")


def test_certificate_from_a_non_member_ca(warm):
    home = warm.home
    outsider = create_org_ca(os.path.join(home, "ca", "outsider"), "91110000OUTSIDER01", "Outsider", "BANK",
                             now=SUITE_NOW)
    issue_identity(outsider, os.path.join(home, "wallet"), "outsider", now=SUITE_NOW)
    ident = Identity.load(home, "outsider")
    raw = warm.sign(ident, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {}})
    assert_rejected(warm, raw, "not_member")


def test_certificate_from_an_impostor_ca_claiming_a_member_org(warm):
    """Same USCC as the bank, but a CA key the consortium never admitted."""
    home = warm.home
    fake = create_org_ca(os.path.join(home, "ca", "fakebank"), warm.org_ids["bank"], "Test Bank", "BANK",
                         now=SUITE_NOW)
    issue_identity(fake, os.path.join(home, "wallet"), "fakebank", now=SUITE_NOW)
    ident = Identity.load(home, "fakebank")
    raw = warm.sign(ident, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {}})
    assert_rejected(warm, raw, "bad_certificate")


def test_certificate_that_does_not_match_the_signer_id(warm):
    a = warm.new_identity("bank", "alice")
    b = warm.new_identity("bank", "bob")
    body = make_body(warm.chain_id, a.cert_id, "membership", "set_attributes",
                     {"org_id": warm.org_ids["bank"], "attributes": {}}, 1, warm.clock + 60_000)
    raw = make_envelope(body, a.key.sign(SIGN_DOMAIN + body), b.cert)
    assert_rejected(warm, raw, "bad_certificate")


def test_ca_certificate_cannot_sign(warm):
    ca = warm.ca("bank")
    body = make_body(warm.chain_id, warm.app.hash(ca.cert_der), "membership", "set_attributes",
                     {"org_id": warm.org_ids["bank"], "attributes": {}}, 1, warm.clock + 60_000)
    raw = make_envelope(body, ca.key.sign(SIGN_DOMAIN + body), ca.cert_der)
    assert_rejected(warm, raw, "bad_certificate")


def test_certificate_role_must_be_the_org_type(warm):
    ca = warm.ca("bank")
    key = ca.suite.generate()
    der = certs.issue_member(ca.key, ca.cert_der, key.crypto_key().public_key(), "teller", "EXCHANGE", now=SUITE_NOW)
    ident = Identity("teller", ca.org_id, ca.name, "EXCHANGE", der, key)
    raw = warm.sign(ident, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {}})
    assert_rejected(warm, raw, "bad_certificate")


def _revoke(chain, ident: Identity, org: str, reason="left") -> None:
    rev = sign_revocation(chain.ca(org), chain.chain_id, ident.cert_id, reason)
    r = chain.run("exchange", "membership", "revoke",
                  {"org_id": chain.org_ids[org], "cert_id": ident.cert_id, "reason": reason,
                   "ca_signature": bytes.fromhex(rev["ca_signature"])})
    assert r.code == "ok", r


def test_revoked_signer(warm):
    carol = warm.new_identity("bank", "carol")
    zed = warm.new_identity("bank", "zed")
    rev = sign_revocation(warm.ca("bank"), warm.chain_id, zed.cert_id, "left")
    r = warm.run(carol, "membership", "revoke", {"org_id": warm.org_ids["bank"], "cert_id": zed.cert_id,
                                                  "reason": "left", "ca_signature": bytes.fromhex(rev["ca_signature"])})
    assert r.code == "ok"  # carol's first successful transaction registers her certificate
    signed_before = warm.sign(carol, "membership", "set_attributes",
                              {"org_id": warm.org_ids["bank"], "attributes": {}}, attach_cert=False)
    assert warm.app.check_tx(signed_before, warm.clock).ok
    _revoke(warm, carol, "bank")
    assert_rejected(warm, signed_before, "revoked")
    raw = warm.sign(carol, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {}})
    assert_rejected(warm, raw, "revoked")
    assert warm.app.run_query("membership", "cert", {"cert_id": carol.cert_id.hex()}, None)["revoked"] is True


def test_revoked_before_first_use(warm):
    dave = warm.new_identity("bank", "dave")
    _revoke(warm, dave, "bank")
    raw = warm.sign(dave, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {}})
    assert_rejected(warm, raw, "revoked")


def test_revocation_in_the_same_block_takes_effect_at_once(warm):
    erin = warm.new_identity("bank", "erin")
    assert warm.run(erin, "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {}}).code == "unauthorized"
    rev = sign_revocation(warm.ca("bank"), warm.chain_id, erin.cert_id, "x")
    revoke = warm.sign("exchange", "membership", "revoke",
                       {"org_id": warm.org_ids["bank"], "cert_id": erin.cert_id, "reason": "x",
                        "ca_signature": bytes.fromhex(rev["ca_signature"])})
    before = warm.sign(erin, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {}})
    after = warm.sign(erin, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {"a": 1}})
    r = warm.block([before, revoke, after])
    assert [x.code for x in r.receipts] == ["unauthorized", "ok", "revoked"]


def test_revocation_with_a_bad_ca_signature(warm):
    frank = warm.new_identity("bank", "frank")
    rev = sign_revocation(warm.ca("investor"), warm.chain_id, frank.cert_id, "x")  # the wrong CA
    r = warm.run("exchange", "membership", "revoke",
                 {"org_id": warm.org_ids["bank"], "cert_id": frank.cert_id, "reason": "x",
                  "ca_signature": bytes.fromhex(rev["ca_signature"])})
    assert r.code == "unauthorized"
    assert warm.run(frank, "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {}}).code == "unauthorized"  # not revoked


def test_certificate_outside_its_validity(warm):
    """Block time past the certificate's notAfter: its signer is refused."""
    late = warm.clock + 900 * 86400 * 1000
    raw = warm.sign("exchange", "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {}}, now_ms=late)
    assert warm.app.check_tx(raw, late).code == "bad_certificate"
    unchanged = warm.empty_block_app_hash(late)
    r = warm.block([raw], time_ms=late)
    assert r.receipts[0].code == "bad_certificate" and r.app_hash == unchanged


# -- envelope fields -----------------------------------------------------------------


def test_wrong_chain_id(warm):
    raw = warm.ids["exchange"].sign_tx("fae-other", "membership", "set_attributes",
                                       {"org_id": warm.org_ids["bank"], "attributes": {}}, now_ms=warm.clock)
    assert_rejected(warm, raw, "wrong_chain")


def test_expired(warm):
    raw = warm.sign("exchange", "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {}}, expires=warm.clock - 1)
    assert_rejected(warm, raw, "tx_expired")


def test_expiry_too_far_ahead(warm):
    raw = warm.sign("exchange", "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {}}, expires=warm.clock + MAX_TTL_MS + 1)
    assert_rejected(warm, raw, "tx_expired")


def test_expiry_bounds_are_inclusive(warm):
    at_now = warm.sign("exchange", "membership", "set_attributes",
                       {"org_id": warm.org_ids["bank"], "attributes": {"a": 1}}, expires=warm.clock)
    at_max = warm.sign("exchange", "membership", "set_attributes",
                       {"org_id": warm.org_ids["bank"], "attributes": {"a": 2}}, expires=warm.clock + MAX_TTL_MS)
    r = warm.block([at_now, at_max])
    assert [x.code for x in r.receipts] == ["ok", "ok"]


def test_expired_replay_is_refused_as_expired(warm):
    """Once a spent transaction expires it is refused for expiry (the replay set may forget it)."""
    raw = warm.sign("exchange", "membership", "set_attributes",
                    {"org_id": warm.org_ids["bank"], "attributes": {}}, expires=warm.clock + 5000)
    assert warm.block([raw]).receipts[0].code == "ok"
    warm.clock += 10_000
    assert_rejected(warm, raw, "tx_expired")


def test_unknown_contract(warm):
    raw = warm.sign("exchange", "no_such_contract", "set_attributes", {})
    assert_rejected(warm, raw, "unknown_contract")


@pytest.mark.parametrize("method", ["no_such_method", "org", "orgs", "genesis", "index_rows", "__init__", ""])
def test_unknown_method(warm, method):
    """Queries, helpers and dunder names are not transaction methods."""
    raw = warm.sign("exchange", "membership", method, {})
    assert_rejected(warm, raw, "unknown_method")


@pytest.mark.parametrize(
    "args",
    [
        {"org_id": 5, "attributes": {}},
        {"org_id": "91110000TESTBANK01", "attributes": "qualified"},
        {"org_id": b"91110000TESTBANK01", "attributes": {}},
        {"org_id": None, "attributes": {}},
        {"org_id": ["91110000TESTBANK01"], "attributes": {}},
        {"org_id": "x" * 5000, "attributes": {}},
    ],
)
def test_wrong_argument_types(warm, args):
    raw = warm.sign("exchange", "membership", "set_attributes", args)
    assert_rejected(warm, raw, "bad_request")


@pytest.mark.parametrize(
    "args",
    [{}, {"org_id": "91110000TESTBANK01"}, {"attributes": {}},
     {"org_id": "91110000TESTBANK01", "attributes": {}, "extra": 1},
     {"org_id": "91110000TESTBANK01", "attributes": {}, "": None}],
)
def test_missing_or_extra_arguments(warm, args):
    raw = warm.sign("exchange", "membership", "set_attributes", args)
    assert_rejected(warm, raw, "bad_request")


def test_bytes_argument_type(warm):
    rev_args = {"org_id": warm.org_ids["bank"], "cert_id": "not bytes", "reason": "x"}
    assert_rejected(warm, warm.sign("exchange", "membership", "revoke", rev_args), "bad_request")


def test_contract_error_leaves_state_alone(warm):
    """A contract's own rejection (here: not found) rolls back and keeps the code."""
    raw = warm.sign("exchange", "membership", "set_attributes", {"org_id": "91110000NOSUCHORG1", "attributes": {}})
    assert_rejected(warm, raw, "not_found", in_check=False)


def test_new_signers_certificate_is_registered_only_with_a_successful_transaction(warm):
    """A rejected transaction changes nothing, not even the signer's registration."""
    gina = warm.new_identity("investor", "gina")
    key = f"membership/cert/{gina.cert_id.hex()}".encode()
    unchanged = warm.empty_block_app_hash()
    r = warm.block([warm.sign(gina, "membership", "set_attributes", {"org_id": "nope", "attributes": {}})])
    assert r.receipts[0].code == "unauthorized" and r.app_hash == unchanged
    assert warm.store.get_value(key) is None
    # without the certificate attached the signer is still unknown
    no_cert = warm.sign(gina, "membership", "set_attributes", {"org_id": "nope", "attributes": {}},
                        attach_cert=False)
    assert warm.app.check_tx(no_cert, warm.clock).code == "unknown_signer"
    # a successful first transaction registers its signer
    frank = warm.new_identity("exchange", "frank", {"admin": True})
    r = warm.block([warm.sign(frank, "membership", "set_attributes",
                              {"org_id": warm.org_ids["investor"], "attributes": {"by": "frank"}})])
    assert r.receipts[0].ok
    assert warm.app.run_query("membership", "cert", {"cert_id": frank.cert_id.hex()}, None)["name"] == "frank"


def test_check_tx_does_not_touch_state(warm):
    height, app_hash, block_hash = warm.head()
    stranger = warm.new_identity("bank", "henry")
    raw = warm.sign(stranger, "membership", "set_attributes", {"org_id": warm.org_ids["bank"], "attributes": {}})
    assert warm.app.check_tx(raw, warm.clock).ok
    assert warm.head() == (height, app_hash, block_hash)
    assert warm.store.get_value(f"membership/cert/{stranger.cert_id.hex()}".encode()) is None


def test_bad_inputs_leave_a_verifiable_chain(warm):
    warm.block([b"junk", good_tx(warm), good_tx(warm)[:-3]])
    assert verify_chain(warm.store, warm.genesis).ok


# -- determinism and restart ------------------------------------------------------------


def _scenario(chain) -> list[tuple[int, list[bytes]]]:
    """A few blocks of mixed traffic: (time, txs)."""
    bank = chain.org_ids["bank"]
    ivan = chain.new_identity("bank", "ivan")
    blocks = []
    t = chain.clock
    blocks.append((t, [good_tx(chain), chain.sign(ivan, "membership", "set_attributes",
                                                  {"org_id": bank, "attributes": {}}), b"junk"]))
    rev = sign_revocation(chain.ca("bank"), chain.chain_id, ivan.cert_id, "gone")
    blocks.append((t + 1000, [chain.sign("exchange", "membership", "revoke",
                                         {"org_id": bank, "cert_id": ivan.cert_id, "reason": "gone",
                                          "ca_signature": bytes.fromhex(rev["ca_signature"])}),
                              chain.sign(ivan, "membership", "set_attributes", {"org_id": bank, "attributes": {}})]))
    blocks.append((t + 1000, []))  # same time as before: allowed
    blocks.append((t + 500, [good_tx(chain), good_tx(chain)]))  # earlier time: clamped to the previous
    blocks.append((t + 5000, [chain.sign("exchange", "membership", "set_attributes",
                                         {"org_id": bank, "attributes": {"k": i}}) for i in range(20)]))
    # a certificate whose role is not its organisation's type, and one from an outside CA
    ca = chain.ca("bank")
    key = ca.suite.generate()
    der = certs.issue_member(ca.key, ca.cert_der, key.crypto_key().public_key(), "judy", "EXCHANGE", now=SUITE_NOW)
    judy = Identity("judy", ca.org_id, ca.name, "EXCHANGE", der, key)
    outsider = create_org_ca(os.path.join(chain.home, "ca", "outsider"), "91110000OUTSIDER01", "Out", "BANK",
                             now=SUITE_NOW)
    issue_identity(outsider, os.path.join(chain.home, "wallet"), "kate", now=SUITE_NOW)
    kate = Identity.load(chain.home, "kate")
    blocks.append((t + 6000, [chain.sign(judy, "membership", "set_attributes", {"org_id": bank, "attributes": {}}),
                              chain.sign(kate, "membership", "set_attributes", {"org_id": bank, "attributes": {}}),
                              good_tx(chain)]))
    return blocks


def _run(app: Application, blocks) -> list[tuple]:
    out = []
    for t, txs in blocks:
        r = app.finalize_block(app.height + 1, t, txs, proposer=b"p")
        app.commit()
        out.append((r.height, r.time, r.block_hash, r.app_hash, [encode(x.to_map()) for x in r.receipts]))
    return out


def test_two_nodes_agree_byte_for_byte(chain, tmp_path):
    blocks = _scenario(chain)
    a = twin(chain, tmp_path, "a")
    b = twin(chain, tmp_path, "b")
    assert a.info() == b.info() and a.info().height == 0
    ra, rb = _run(a, blocks), _run(b, blocks)
    assert ra == rb
    codes = [decode(rec)["code"] for _, _, _, _, recs in ra for rec in recs]
    assert codes[:5] == ["ok", "unauthorized", "bad_encoding", "ok", "revoked"]
    assert codes[-3:] == ["bad_certificate", "not_member", "ok"]
    assert ra[3][1] == ra[2][1]  # the clamped time
    for h in range(a.height + 1):
        assert a.store.block(h) == b.store.block(h)
        assert a.store.block_txs(h) == b.store.block_txs(h)
    assert verify_chain(a.store, a.genesis).ok


def test_check_tx_history_does_not_change_results(chain, tmp_path):
    """Caches filled by check_tx (verified signatures, resolved signers) change nothing."""
    blocks = _scenario(chain)
    a = twin(chain, tmp_path, "a")
    b = twin(chain, tmp_path, "b")
    for t, txs in blocks:
        for raw in txs:
            a.check_tx(raw, t)
            a.check_tx(raw, t)  # twice: the second answer comes from caches
    assert _run(a, blocks) == _run(b, blocks)


def test_restart_resumes_at_the_same_height_and_hash(chain, tmp_path):
    blocks = _scenario(chain)
    ref = twin(chain, tmp_path, "ref")
    expected = _run(ref, blocks)
    _run(chain.app, blocks[:3])
    before = chain.app.info()
    app = chain.reopen()
    assert app.info() == before
    assert app.last_time == expected[2][1]
    assert _run(app, blocks[3:]) == expected[3:]
    assert chain.reopen().info() == ref.info()


def test_restart_keeps_the_replay_guard(warm):
    raw = good_tx(warm)
    assert warm.block([raw]).receipts[0].code == "ok"
    warm.reopen()
    assert warm.app.check_tx(raw, warm.clock).code == "replay"
    assert warm.block([raw]).receipts[0].code == "replay"


def test_restart_at_genesis(chain):
    info = chain.app.info()
    assert info.height == 0
    assert chain.reopen().info() == info


def test_other_genesis_on_the_same_database_is_refused(chain):
    import dataclasses

    other = dataclasses.replace(chain.genesis, chain_id="fae-other")
    with pytest.raises(RuntimeError):
        Application(chain.store, other)


def test_finalize_requires_the_next_height(chain):
    with pytest.raises(ValueError):
        chain.app.finalize_block(chain.app.height + 2, chain.clock, [])
    with pytest.raises(RuntimeError):
        chain.app.commit()


def test_uncommitted_block_is_not_persisted(chain):
    """finalize_block alone writes nothing: a crash before commit loses only that block."""
    info = chain.app.info()
    chain.app.finalize_block(1, chain.clock, [good_tx(chain)])
    assert chain.reopen().info() == info
    assert chain.store.block(1) is None


def test_engine_commits_and_the_chain_verifies(chain, engine):
    """The shared `engine` fixture drives the same Application through the solo engine."""
    subs = [engine.submit(chain.sign("exchange", "membership", "set_attributes",
                                     {"org_id": chain.org_ids["bank"], "attributes": {"i": i}},
                                     now_ms=engine.now_ms()))
            for i in range(20)]
    assert all(s.check.ok for s in subs)
    receipts = [s.future.result(timeout=30) for s in subs]
    assert all(r.ok for r in receipts)
    dup = engine.submit(chain.sign("bank", "membership", "set_attributes", {"org_id": "x", "attributes": {}},
                                   now_ms=engine.now_ms()))
    assert dup.check.ok and dup.future.result(timeout=30).code == "unauthorized"
    assert engine.submit(b"junk").check.code == "bad_encoding"
    engine.stop()
    assert verify_chain(chain.store, chain.genesis).ok


def test_state_proofs_against_every_height(warm):
    from faechain.ledger.smt import verify_proof

    key = f"membership/org/{warm.org_ids['bank']}".encode()
    heights = [0, warm.app.height]
    for i in range(3):
        assert warm.block([warm.sign("exchange", "membership", "set_attributes",
                                     {"org_id": warm.org_ids["bank"], "attributes": {"p": i}})]).receipts[0].ok
        heights.append(warm.app.height)
    values = {}
    for h in heights:
        sv = warm.app.state_value(key, h, prove=True)
        assert sv["app_hash"] == decode(warm.store.block(h)[1])["app_hash"]
        assert verify_proof(warm.app.hash, sv["app_hash"], key, sv["value"], sv["proof"])
        values[h] = sv
    assert len({sv["value"] for sv in values.values()}) == len(heights)  # each height changed the record
    first, last = values[heights[2]], values[heights[-1]]
    assert not verify_proof(warm.app.hash, last["app_hash"], key, first["value"], last["proof"])
    absent = warm.app.state_value(b"membership/org/91110000NOSUCHORG1", prove=True)
    assert absent["value"] is None
    assert verify_proof(warm.app.hash, absent["app_hash"], b"membership/org/91110000NOSUCHORG1", None, absent["proof"])
    with pytest.raises(ValueError):
        warm.app.state_value(key, warm.app.height + 1)


def test_parallel_verifier_changes_nothing(chain, tmp_path):
    """Batch verification on worker processes gives the same blocks as verifying inline."""
    from faechain.crypto.verifier import ParallelVerifier

    blocks = _scenario(chain)
    t = blocks[-1][0] + 1000
    batch = [good_tx(chain) for _ in range(60)]
    for i in range(0, 60, 7):  # some forged signatures in a large batch
        version, body, sig, cert = decode(batch[i])
        batch[i] = encode([version, body, flip(sig, 3), cert])
    blocks.append((t, batch))
    a = twin(chain, tmp_path, "a")
    b = twin(chain, tmp_path, "b")
    a.verifier = ParallelVerifier(a.genesis.suite, workers=1)
    try:
        checks = a.check_txs(batch, t)
        assert [c.code for c in checks] == [b.check_tx(raw, t).code for raw in batch]
        assert _run(a, blocks) == _run(b, blocks)
    finally:
        a.verifier.close()


def test_end_block_hooks_see_the_blocks_outcomes_and_events(make_chain):
    """`ctx.block` in end_block: every authenticated transaction, rejected ones included, with its
    signer organisation and code; and the block's events in order."""
    from faechain.contracts.runtime import REGISTRY, Contract, Ctx, register

    seen = []

    class Watcher(Contract):
        name = "zz_watcher"

        def end_block(self, ctx: Ctx) -> None:
            seen.append(([(o.index, o.signer_org, o.contract, o.method, o.code) for o in ctx.block.txs],
                         [(e["tx"], e["contract"], e["type"]) for e in ctx.block.events]))

    register(Watcher)
    try:
        chain = make_chain()
        bank = chain.ids["bank"]
        ok = chain.sign("exchange", "membership", "set_attributes", {"org_id": bank.org_id, "attributes": {"x": 1}})
        refused = chain.sign("bank", "membership", "set_attributes", {"org_id": bank.org_id, "attributes": {"x": 2}})
        chain.block([ok, refused, b"garbage"])
        txs, events = seen[-1]
        assert txs == [(0, chain.ids["exchange"].org_id, "membership", "set_attributes", "ok"),
                       (1, bank.org_id, "membership", "set_attributes", "unauthorized")]
        assert events == [(0, "membership", "OrgAttributesSet")]
    finally:
        REGISTRY.pop(Watcher.name, None)
