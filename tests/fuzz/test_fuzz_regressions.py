"""What fuzzing the decoders found, each kept as a regression test (each failed before its fix).

1. CBOR shared references (tags 28/29): cbor2 decodes them itself, before our tag hook,
   so ~150 bytes described a value that doubles at every level, and the canonical check
   walked it in exponential time (24 levels: 26 s; 32: hours) while holding the
   application lock. Every tag is now refused; no tag's own decoder runs.
2. A certificate's attribute extension is JSON: nesting deeper than Python recurses made
   `read_info` raise RecursionError (not CertificateError), so any outsider attaching such
   a self-signed certificate made `check_txs` fail a whole admission batch, and a
   proposer putting it in a block halted every node in `finalize_block`. Floats, NaN,
   lone surrogates and huge integers passed `read_info` and, for a certificate a member
   CA issued, made the registration's `encode` raise inside `finalize_block`: a halt.
3. `verify_issued_by` compared the member's issuer name with the CA's subject outside any
   try: cryptography parses names on first use, and an issuer holding an attribute of
   ASN.1 type 13 raised KeyError. `read_info` never reads the issuer, so an outsider's
   certificate naming a member organisation reached it in `_caller`: the same batch
   failure and block halt as 2.
4. The DER reader's OID arcs grew without bound: quadratic time, and a ValueError from
   int-to-text conversion instead of DerError.
5. The envelope's certificate slot (not covered by the signature) was ignored once the
   signer was registered: anyone could re-wrap a pending transaction with any bytes there
   (up to the size limit) and it was admitted and executed as that transaction, in a
   second envelope; `fae verify` then reported the honest ledger as damaged. An attached
   certificate must now always be the signer's own.
Every file under fuzz/regressions/<target>/ is replayed through its target as well.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from faechain.core.encoding import EncodingError, decode
from faechain.core.tx import SIGN_DOMAIN, make_body, make_envelope
from faechain.crypto import certs, der
from fuzz import targets
from tests.conftest import SUITE_NOW

pytestmark = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")

REGRESSIONS = os.path.join(os.path.dirname(targets.__file__), "regressions")


def shared_dag(levels: int) -> bytes:
    """shareable([level 1, sharedref(1)]) ... : `levels` nested pairs of one shared value."""

    def level(i: int) -> bytes:
        if i == levels:
            return bytes.fromhex("d81c8100")  # shareable([0])
        return bytes.fromhex("d81c82") + level(i + 1) + bytes.fromhex("d81d") + cbor2.dumps(i + 1)

    return level(0)


def test_shared_references_are_refused_at_once():
    data = shared_dag(24)  # 148 bytes; about 15 s before the fix, 2**24 nodes walked
    assert len(data) < 200
    started = time.thread_time()  # CPU time: the work done, whatever else the machine is doing
    with pytest.raises(EncodingError):  # the tag, or the nesting it takes to get there
        decode(data)
    assert time.thread_time() - started < 1.0
    with pytest.raises(EncodingError, match="CBOR tag 28 not allowed"):
        decode(shared_dag(4))  # "bytes are not in canonical form" before the fix, after expanding it
    with pytest.raises(EncodingError, match="CBOR tag 29 not allowed"):
        decode(bytes.fromhex("d81d00"))


@pytest.mark.parametrize("tag", [0, 1, 2, 3, 4, 5, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 32, 35, 36, 37, 52, 54,
                                 100, 256, 258, 260, 261, 262, 263, 270, 1004, 55799, 2**32 - 1, 2**64 - 1])
def test_known_tags_are_refused_whatever_their_content(tag):
    """cbor2 reads a tag's content as a plain item, then our hook refuses the tag: its own
    decoder (bignum, date, shared reference, regular expression, ...) never runs."""
    head = cbor2.dumps(cbor2.CBORTag(tag, 0))[:-1]
    for content in (b"\x00", b"\x81\x00", b"\x41\x01", b"\x82\x1b\x7f\xff\xff\xff\xff\xff\xff\xff\x01"):
        with pytest.raises(EncodingError, match=f"CBOR tag {tag} not allowed"):
            decode(head + content)
    with pytest.raises(EncodingError):
        decode(head)  # truncated


def test_no_tag_number_reaches_a_decoder_of_its_own():
    """Every tag below 65536 is refused by our hook, whatever cbor2 knows it as."""
    for tag in range(65536):
        try:
            decode(cbor2.dumps(cbor2.CBORTag(tag, 0)))
        except EncodingError as exc:
            assert str(exc) == f"CBOR tag {tag} not allowed", (tag, exc)
        else:
            raise AssertionError(f"tag {tag} decoded")


# -- certificates ------------------------------------------------------------------------------
ATTRIBUTE_TEXTS = {
    "deep": "[" * 3000 + "]" * 3000,
    "float": '{"limit": 1.5}',
    "nan": '{"a": NaN}',
    "infinity": '{"a": -Infinity}',
    "surrogate": '{"\\ud800": true}',
    "big_int": '{"a": 18446744073709551616}',
    "deep_object": '{"a":' * 40 + "1" + "}" * 40,
}


def self_signed(attributes_text: str, org_id: str = "91110000TESTBANK01", role: str = "BANK",
                key: ed25519.Ed25519PrivateKey | None = None) -> tuple[ed25519.Ed25519PrivateKey, bytes]:
    key = key or ed25519.Ed25519PrivateKey.generate()
    start = SUITE_NOW - dt.timedelta(hours=1)
    cert = (x509.CertificateBuilder().subject_name(certs._name(org_id, "Test Bank", role, "mallory"))
            .issuer_name(certs._name(org_id, "Test Bank", role, "Test Bank CA"))
            .public_key(key.public_key()).serial_number(9)
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=30))
            .add_extension(x509.UnrecognizedExtension(certs.ATTRIBUTES_OID, certs._der_utf8(attributes_text)),
                           critical=False)
            .sign(key, None))
    return key, cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("name", sorted(ATTRIBUTE_TEXTS))
def test_attributes_outside_the_value_model_are_a_bad_certificate(name):
    _, der_bytes = self_signed(ATTRIBUTE_TEXTS[name])
    with pytest.raises(certs.CertificateError, match="attribute"):
        certs.read_info(der_bytes)
    targets.certificate(der_bytes)


def _outsider_tx(chain, attributes_text: str) -> bytes:
    """A transaction by a non-member who attaches a self-signed certificate (its own signer id)."""
    key, der_bytes = self_signed(attributes_text)
    body = make_body(chain.chain_id, chain.app.hash(der_bytes), "membership", "set_attributes",
                     {"org_id": chain.org_ids["investor"], "attributes": {"x": 1}}, 1, chain.clock + 60_000)
    return make_envelope(body, key.sign(SIGN_DOMAIN + body), der_bytes)


def test_an_outsiders_certificate_cannot_fail_a_batch_or_halt_a_block(chain):
    bad = _outsider_tx(chain, ATTRIBUTE_TEXTS["deep"])
    good = chain.sign("exchange", "membership", "set_attributes",
                      {"org_id": chain.org_ids["investor"], "attributes": {"y": 2}})
    checked = chain.app.check_txs([bad, good], chain.clock)  # raised RecursionError before the fix
    assert [c.code for c in checked] == ["bad_certificate", "ok"]
    height = chain.app.height
    result = chain.block([bad, good])  # halted the node before the fix
    assert [r.code for r in result.receipts] == ["bad_certificate", "ok"]
    assert chain.app.height == height + 1


def test_a_member_certificate_with_a_float_attribute_is_refused_not_a_halt(chain):
    floaty = chain.new_identity("bank", "floaty", {"limit": 1.5})  # a CA can write any JSON
    tx = chain.sign(floaty, "membership", "set_attributes",
                    {"org_id": chain.org_ids["investor"], "attributes": {"z": 3}})
    assert chain.app.check_txs([tx], chain.clock)[0].code == "bad_certificate"  # was "ok"
    result = chain.block([tx])  # finalize_block raised EncodingError before the fix
    assert [r.code for r in result.receipts] == ["bad_certificate"]
    assert chain.app.state_value(f"membership/cert/{floaty.cert_id.hex()}".encode(), None, False)["value"] is None


def with_bad_issuer(org_id: str = "91110000TESTBANK01") -> tuple[ed25519.Ed25519PrivateKey, bytes]:
    """A self-signed certificate whose issuer CN is re-tagged 13 (RELATIVE-OID): it loads,
    and its subject reads fine; the issuer fails when first parsed."""
    key = ed25519.Ed25519PrivateKey.generate()
    start = SUITE_NOW - dt.timedelta(hours=1)
    good = (x509.CertificateBuilder().subject_name(certs._name(org_id, "Test Bank", "BANK", "mallory"))
            .issuer_name(certs._name(org_id, "Test Bank", "BANK", "ZZZZ CA"))
            .public_key(key.public_key()).serial_number(9)
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=30))
            .sign(key, None)).public_bytes(serialization.Encoding.DER)
    i = good.index(b"\x0c\x07ZZZZ CA")
    return key, good[:i] + b"\x0d" + good[i + 1:]


def test_a_malformed_issuer_name_is_a_bad_certificate(chain):
    key, bad_der = with_bad_issuer()
    assert certs.read_info(bad_der).org_id == "91110000TESTBANK01"
    ca_der = certs.load_pem(chain.genesis.orgs[1]["ca"].encode())
    with pytest.raises(certs.CertificateError, match="name"):  # KeyError: 13 before the fix
        certs.verify_issued_by(chain.app.suite, bad_der, ca_der)
    body = make_body(chain.chain_id, chain.app.hash(bad_der), "membership", "set_attributes",
                     {"org_id": chain.org_ids["investor"], "attributes": {"x": 1}}, 2, chain.clock + 60_000)
    bad = make_envelope(body, key.sign(SIGN_DOMAIN + body), bad_der)
    good = chain.sign("exchange", "membership", "set_attributes",
                      {"org_id": chain.org_ids["investor"], "attributes": {"w": 4}})
    assert [c.code for c in chain.app.check_txs([bad, good], chain.clock)] == ["bad_certificate", "ok"]
    assert [r.code for r in chain.block([bad, good]).receipts] == ["bad_certificate", "ok"]
    targets.certificate(bad_der)


def test_object_identifier_arcs_are_bounded():
    assert der.read_oid(der.oid("2.25.208311453917386210429178734623480135571")[2:]) == \
        "2.25.208311453917386210429178734623480135571"
    started = time.thread_time()  # CPU time, as above
    with pytest.raises(der.DerError, match="128 bits"):
        der.read_oid(b"\x81" * 64_000 + b"\x01")  # ValueError after a second before the fix
    assert time.thread_time() - started < 0.5
    targets.der(der.tlv(der.OID, b"\xff" * 5000 + b"\x01"))


def test_the_certificate_slot_takes_only_the_signers_certificate(chain):
    from faechain.core.encoding import encode
    from faechain.core.tx import decode_tx
    from faechain.node.verify import verify_chain

    assert chain.run("exchange", "membership", "set_attributes",
                     {"org_id": chain.org_ids["investor"], "attributes": {"a": 1}}).ok  # registers it
    signed = chain.sign("exchange", "membership", "set_attributes",
                        {"org_id": chain.org_ids["investor"], "attributes": {"a": 2}})
    tx = decode_tx(signed, chain.app.hash)
    rewrapped = [encode([1, tx.body, tx.signature, cert]) for cert in
                 (b"\x00" * 1000, chain.ids["bank"].cert, b"", tx.cert[:-1])]
    checks = chain.app.check_txs(rewrapped, chain.clock)
    assert [c.code for c in checks] == ["bad_certificate"] * 4  # all "ok" before the fix
    without = encode([1, tx.body, tx.signature, None])
    assert chain.app.check_txs([signed, without], chain.clock)[0].code == "ok"
    result = chain.block([rewrapped[0], signed])  # a relayer's copy first
    assert [r.code for r in result.receipts] == ["bad_certificate", "ok"]  # ["ok", "replay"] before
    assert result.receipts[1].tx_hash == tx.hash
    report = verify_chain(chain.store, chain.genesis)
    assert report.ok, report  # before: "the attached certificate does not hash to the signer id"


# -- the saved corpus of findings ---------------------------------------------------------------
def _regression_files() -> list[tuple[str, str]]:
    out = []
    if os.path.isdir(REGRESSIONS):
        for target in sorted(os.listdir(REGRESSIONS)):
            folder = os.path.join(REGRESSIONS, target)
            for name in sorted(os.listdir(folder)):
                out.append((target, os.path.join(folder, name)))
    return out


@pytest.mark.parametrize("target,path", _regression_files(), ids=lambda v: os.path.basename(str(v)))
def test_saved_findings_replay_cleanly(target, path):
    with open(path, "rb") as f:
        data = f.read()
    started = time.thread_time()  # CPU time: a slow machine is no finding, a slow input is
    targets.TARGETS[target](data)
    assert time.thread_time() - started < 5.0
