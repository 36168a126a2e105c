"""X.509 organisation CAs and member certificates."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from faechain.crypto import certs
from faechain.crypto.suite import SuiteError, get_suite

SUITE = get_suite("ed25519")
ORG = "91110000TESTBANK01"


@pytest.fixture(scope="module")
def ca():
    key = SUITE.generate()
    return key, certs.create_ca(key, ORG, "Test Bank", "BANK")


def member(ca, name="teller", role="BANK", attributes=None, ca_key=None):
    key, der = ca
    mk = SUITE.generate()
    return mk, certs.issue_member(ca_key or key, der, mk.crypto_key().public_key(), name, role, attributes)


def test_ca_certificate(ca):
    key, der = ca
    info = certs.read_info(der)
    assert (info.org_id, info.role, info.is_ca) == (ORG, "BANK", True)
    assert info.name == "Test Bank CA" and info.attributes == {}
    assert info.not_before < info.not_after
    assert certs.public_key(SUITE, der).raw() == key.public().raw()
    certs.verify_issued_by(SUITE, der, der)  # self-signed


def test_member_certificate(ca):
    mk, der = member(ca, attributes={"admin": True, "qualified": False, "note": "中文"})
    info = certs.read_info(der)
    assert (info.org_id, info.name, info.role, info.is_ca) == (ORG, "teller", "BANK", False)
    assert info.attributes == {"admin": True, "qualified": False, "note": "中文"}
    assert certs.public_key(SUITE, der).raw() == mk.public().raw()
    certs.verify_issued_by(SUITE, der, ca[1])
    now = dt.datetime.now(dt.UTC).timestamp()
    assert info.not_before <= now <= info.not_after
    assert info.not_after <= certs.read_info(ca[1]).not_after  # never outlives its CA


def test_long_attributes_use_long_form_der_lengths(ca):
    attrs = {f"k{i}": "v" * 20 for i in range(30)}  # > 255 bytes of JSON
    _, der = member(ca, attributes=attrs)
    assert certs.read_info(der).attributes == attrs


def test_not_issued_by_another_ca(ca):
    _, der = member(ca)
    other_key = SUITE.generate()
    other = certs.create_ca(other_key, "91110000OTHERORG01", "Other", "BANK")
    with pytest.raises(certs.CertificateError):
        certs.verify_issued_by(SUITE, der, other)
    # same subject name, different key: the name matches, the signature does not
    impostor = certs.create_ca(SUITE.generate(), ORG, "Test Bank", "BANK")
    with pytest.raises(certs.CertificateError):
        certs.verify_issued_by(SUITE, der, impostor)


def test_pem_round_trip(ca):
    der = ca[1]
    assert certs.load_pem(certs.to_pem(der)) == der


@pytest.mark.parametrize("bad", [b"", b"\x30\x03\x02\x01\x01", b"not a certificate"])
def test_malformed_certificates(bad):
    with pytest.raises(certs.CertificateError):
        certs.load_der(bad)
    with pytest.raises(certs.CertificateError):
        certs.read_info(bad)
    with pytest.raises(certs.CertificateError):
        certs.load_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")


def _with_extension(ca, value: bytes) -> bytes:
    key, der = ca
    issuer = x509.load_der_x509_certificate(der)
    mk = SUITE.generate()
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(certs._name(ORG, "Test Bank", "BANK", "odd"))
        .issuer_name(issuer.subject)
        .public_key(mk.crypto_key().public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(certs.ATTRIBUTES_OID, value), critical=False)
        .sign(key.crypto_key(), None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(
    "value",
    [certs._der_utf8("[1, 2]"), certs._der_utf8("not json"), b"\x04\x02{}", b"\x0c\x05{}", b"\x0c"],
)
def test_bad_attribute_extension(ca, value):
    with pytest.raises(certs.CertificateError):
        certs.read_info(_with_extension(ca, value))


def test_der_utf8_round_trip():
    for text in ("", "a", "x" * 127, "x" * 128, "y" * 300, "中" * 100):
        assert certs._parse_der_utf8(certs._der_utf8(text)) == text


@pytest.mark.parametrize("pem,why", [
    (b"hello", "there is no '-----BEGIN CERTIFICATE-----' line"),
    (b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
     "the text between the BEGIN and END lines is not base64"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "its base64 does not decode to an X.509 certificate"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
     "it holds a 'PRIVATE KEY' block, not a 'CERTIFICATE' one"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n", "the '-----END CERTIFICATE-----' line is missing"),
])
def test_a_malformed_pem_is_told_in_a_few_words(pem, why):
    """Issue 24: a malformed PEM gave `cryptography`'s FAQ link and its parser's internals
    ("MalformedFraming", "ParseError { kind: ShortData ... }"); now what is wrong and what is
    expected."""
    with pytest.raises(certs.CertificateError) as info:
        certs.load_pem(pem)
    message = str(info.value)
    assert message.startswith(f"not a PEM certificate: {why}"), message
    assert message.endswith(f"expected {certs.PEM_FORM}")
    for internal in ("http", "cryptography.io", "faq", "ParseError", "MalformedFraming", "InvalidPadding", "kind:"):
        assert internal not in message, message


@pytest.mark.parametrize("bad", [b"", b"\x30\x03\x02\x01\x01", b"not a certificate", b"\x30\x82\x01\x00"])
def test_malformed_der_is_told_without_parser_internals(bad):
    with pytest.raises(certs.CertificateError) as info:
        certs.load_der(bad)
    message = str(info.value)
    assert message.startswith("not a DER X.509 certificate: "), message
    assert "ParseError" not in message and "{" not in message and "http" not in message, message


@pytest.mark.parametrize("pem", [b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                 b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_a_malformed_private_key_pem_is_told_without_library_internals(pem):
    with pytest.raises(SuiteError) as info:
        SUITE.load_private_pem(pem)
    message = str(info.value)
    assert message.startswith("not an Ed25519 private key") and "PKCS#8" in message, message
    assert "http" not in message and "ASN.1 parsing" not in message and "Tag {" not in message, message
