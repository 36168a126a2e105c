"""SM2 X.509 certificates: what they hold, who accepts them, and cross-suite refusals."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from faechain.crypto import certs, der, sm2, sm2_certs
from faechain.crypto.suite import get_suite

SM = get_suite("sm2-sm3")
ED = get_suite("ed25519")
ORG = "91110000TESTBANK01"
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")


@pytest.fixture(scope="module")
def ca():
    key = SM.generate()
    return key, certs.create_ca(key, ORG, "Test Bank", "BANK")


@pytest.fixture(scope="module")
def member(ca):
    key, ca_der = ca
    mk = SM.generate()
    der_ = certs.issue_member(key, ca_der, mk.crypto_key().public_key(), "teller1", "BANK",
                              {"admin": True, "desk": "清算"})
    return mk, der_


def test_ca_certificate_fields(ca):
    key, der_ = ca
    info = certs.read_info(der_)
    assert (info.org_id, info.name, info.role, info.is_ca) == (ORG, "Test Bank CA", "BANK", True)
    cert = x509.load_der_x509_certificate(der_)
    assert cert.signature_algorithm_oid.dotted_string == "1.2.156.10197.1.501"
    assert cert.public_key_algorithm_oid.dotted_string == "1.2.840.10045.2.1"
    spki = der.children(der.read_one(sm2_certs.public_key(cert).spki(), der.SEQUENCE))
    curve = der.children(spki[0][1])[1][1]
    assert der.read_oid(curve) == "1.2.156.10197.1.301"
    assert cert.version == x509.Version.v3
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and ku.value.digital_signature
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert ski == sm2.sm3(key.public().raw())[:20]
    assert certs.public_key(SM, der_).raw() == key.public().raw()
    assert cert.issuer == cert.subject
    sm2_certs.verify_signature(cert, key.public())  # self-signed


def test_member_certificate_fields(ca, member):
    key, ca_der = ca
    mk, der_ = member
    info = certs.read_info(der_)
    assert (info.org_id, info.name, info.role, info.is_ca) == (ORG, "teller1", "BANK", False)
    assert info.attributes == {"admin": True, "desk": "清算"}
    cert = x509.load_der_x509_certificate(der_)
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == ORG
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "BANK"
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    assert aki == sm2.sm3(key.public().raw())[:20]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.not_valid_after_utc <= x509.load_der_x509_certificate(ca_der).not_valid_after_utc
    certs.verify_issued_by(SM, der_, ca_der)
    assert certs.public_key(SM, der_).raw() == mk.public().raw()
    assert certs.load_pem(certs.to_pem(der_)) == der_


def test_not_issued_by_another_ca_or_tampered(ca, member):
    _, ca_der = ca
    _, der_ = member
    with pytest.raises(certs.CertificateError):
        certs.verify_issued_by(SM, der_, certs.create_ca(SM.generate(), "91110000OTHERORG01", "Other", "BANK"))
    impostor = certs.create_ca(SM.generate(), ORG, "Test Bank", "BANK")  # same name, another key
    with pytest.raises(certs.CertificateError, match="does not verify"):
        certs.verify_issued_by(SM, der_, impostor)
    # change one byte of the subject's CN inside the signed part
    i = der_.index(b"teller1")
    tampered = der_[:i] + b"Teller1" + der_[i + 7:]
    with pytest.raises(certs.CertificateError):
        certs.verify_issued_by(SM, tampered, ca_der)


def test_certificates_of_one_suite_are_refused_by_the_other(ca, member):
    _, sm_ca = ca
    _, sm_member = member
    ed_key = ED.generate()
    ed_ca = certs.create_ca(ed_key, ORG, "Test Bank", "BANK")
    ed_member = certs.issue_member(ed_key, ed_ca, ED.generate().crypto_key().public_key(), "t", "BANK", {})
    for suite, der_ in ((ED, sm_member), (ED, sm_ca), (SM, ed_member), (SM, ed_ca)):
        with pytest.raises(certs.CertificateError, match="this chain's suite is"):
            certs.public_key(suite, der_)
    with pytest.raises(certs.CertificateError):
        certs.verify_issued_by(ED, sm_member, sm_ca)
    with pytest.raises(certs.CertificateError):
        certs.verify_issued_by(SM, ed_member, ed_ca)
    # an SM2 CA cannot certify an Ed25519 key
    with pytest.raises(certs.CertificateError):
        certs.issue_member(ca[0], sm_ca, ed_key.public().key, "x", "BANK", {})


def test_a_certificate_with_a_key_off_the_curve_is_refused(ca):
    key, _ = ca
    # hand-build a member certificate whose SPKI point is not on the curve, signed correctly
    bad_pub = bytes.fromhex("04" + "01" * 64)
    tbs_good = x509.load_der_x509_certificate(certs.issue_member(
        key, ca[1], SM.generate().public(), "odd", "BANK", {})).tbs_certificate_bytes
    fields = der.children(der.read_one(tbs_good, der.SEQUENCE))
    spki = sm2.SPKI_PREFIX + bad_pub
    tbs = der.seq(*(f[2] if i != 6 else spki for i, f in enumerate(fields)))
    cert = der.seq(tbs, sm2_certs.SIGNATURE_ALGORITHM, der.bit_string(key.sign(tbs)))
    with pytest.raises(certs.CertificateError, match="not a point on the curve"):
        certs.public_key(SM, cert)


@needs_openssl
def test_openssl_verifies_our_chain(ca, member, tmp_path):
    _, ca_der = ca
    _, der_ = member
    (tmp_path / "ca.pem").write_bytes(certs.to_pem(ca_der))
    (tmp_path / "m.pem").write_bytes(certs.to_pem(der_))
    # OpenSSL 3 uses the default user id for certificates only when told (vfyopt distid)
    ok = subprocess.run(["openssl", "verify", "-vfyopt", "distid:1234567812345678", "-CAfile",
                         str(tmp_path / "ca.pem"), str(tmp_path / "m.pem")], capture_output=True, text=True)
    assert ok.returncode == 0 and ": OK" in ok.stdout, ok.stdout + ok.stderr
    text = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "m.pem"), "-noout", "-text"],
                          capture_output=True, text=True).stdout
    assert "SM2-with-SM3" in text and "ASN1 OID: SM2" in text
    other = certs.create_ca(SM.generate(), ORG, "Test Bank", "BANK")
    (tmp_path / "other.pem").write_bytes(certs.to_pem(other))
    bad = subprocess.run(["openssl", "verify", "-vfyopt", "distid:1234567812345678", "-CAfile",
                          str(tmp_path / "other.pem"), str(tmp_path / "m.pem")], capture_output=True, text=True)
    assert bad.returncode != 0


@needs_openssl
def test_we_verify_a_certificate_openssl_made(tmp_path):
    key = tmp_path / "k.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out",
                    str(key)], check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-new", "-key", str(key), "-sm3", "-sigopt",
                    "distid:1234567812345678", "-subj", f"/2.5.4.97={ORG}/O=Test Bank/OU=BANK/CN=Test Bank CA",
                    "-days", "30", "-out", str(tmp_path / "c.pem")], check=True, capture_output=True)
    der_ = certs.load_pem((tmp_path / "c.pem").read_bytes())
    cert = x509.load_der_x509_certificate(der_)
    theirs = SM.load_private_pem(key.read_bytes())
    assert certs.public_key(SM, der_).raw() == theirs.public().raw()
    sm2_certs.verify_signature(cert, theirs.public())
    with pytest.raises(sm2_certs.Sm2CertificateError):
        sm2_certs.verify_signature(cert, SM.generate().public())
    # and a member certificate we issue under OpenSSL's CA verifies as ours
    member = certs.issue_member(theirs, der_, SM.generate().public(), "m", "BANK", {})
    certs.verify_issued_by(SM, member, der_)
