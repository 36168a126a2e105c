"""X.509 certificates with SM2 keys, signed SM2-with-SM3 (GM/T 0015-2012, RFC 5280).

The same certificates as the Ed25519 ones of faechain.crypto.certs (subject
organizationIdentifier = USCC, O, OU = organisation type or role, CN; the attributes
extension), only the key and the signature differ:

    signature algorithm   SM2-with-SM3, OID 1.2.156.10197.1.501, no parameters
    subject public key    id-ecPublicKey (1.2.840.10045.2.1), curve sm2p256v1 (1.2.156.10197.1.301),
                          the uncompressed point
    signature value       DER SEQUENCE { r, s } over the TBSCertificate, with the default user id
    key identifiers       the leftmost 160 bits of SM3(subjectPublicKey) (RFC 7093 method 1,
                          with SM3 for SHA-256), so no SHA-1 anywhere

`cryptography` parses these certificates (names, validity, extensions), but cannot build
or verify them, nor hand out an SM2 key: the TBSCertificate is written here with
faechain.crypto.der and the key and inner signature algorithm are read the same way.
OpenSSL (`openssl verify`) accepts what this module writes; the tests check it.
"""

from __future__ import annotations

import datetime as dt
import secrets

from cryptography import x509
from cryptography.x509.oid import NameOID

from faechain.core.errors import FaeError
from faechain.crypto import der, sm2
from faechain.crypto.suite import PublicKey

OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"
OID_SUBJECT_KEY_ID = "2.5.29.14"
OID_AUTHORITY_KEY_ID = "2.5.29.35"
SIGNATURE_ALGORITHM = der.seq(der.oid(sm2.OID_SM2_WITH_SM3))


class Sm2CertificateError(FaeError, ValueError):
    """An SM2 certificate is malformed or its signature does not verify."""

    code = "bad_certificate"


def _name(org_id: str, org_name: str, unit: str, common_name: str) -> bytes:
    """The subject of faechain.crypto.certs._name, in the same order and string types."""
    rdns = [("2.5.4.97", org_id), ("2.5.4.10", org_name), ("2.5.4.11", unit), ("2.5.4.3", common_name)]
    return der.seq(*(der.set_of(der.seq(der.oid(o), der.utf8(v))) for o, v in rdns))


def key_identifier(public: sm2.Sm2PublicKey) -> bytes:
    return sm2.sm3(public.raw())[:20]


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    parts = [der.oid(oid)]
    if critical:
        parts.append(der.boolean(True))
    parts.append(der.octet_string(value))
    return der.seq(*parts)


def _serial() -> int:
    return secrets.randbits(159) | 1  # positive, at most 20 octets (RFC 5280 4.1.2.2)


def _tbs(serial: int, issuer: bytes, start: dt.datetime, end: dt.datetime, subject: bytes,
         public: sm2.Sm2PublicKey, extensions: list[bytes]) -> bytes:
    return der.seq(
        der.explicit(0, der.integer(2)),  # v3
        der.integer(serial),
        SIGNATURE_ALGORITHM,
        issuer,
        der.seq(der.time(start), der.time(end)),
        subject,
        public.spki(),
        der.explicit(3, der.seq(*extensions)),
    )


def _signed(tbs: bytes, key: sm2.Sm2PrivateKey) -> bytes:
    return der.seq(tbs, SIGNATURE_ALGORITHM, der.bit_string(key.sign(tbs)))


def _key_usage_ca() -> bytes:
    # digitalSignature (bit 0), keyCertSign (5), cRLSign (6): 1000 0110, one unused bit
    return der.tlv(der.BIT_STRING, bytes([0x01, 0x86]))


def create_ca(key: sm2.Sm2PrivateKey, org_id: str, org_name: str, org_type: str,
              start: dt.datetime, end: dt.datetime, serial: int | None = None) -> bytes:
    """A self-signed SM2 organisation CA certificate (DER)."""
    name = _name(org_id, org_name, org_type, f"{org_name} CA")
    public = key.public()
    extensions = [
        _extension(OID_BASIC_CONSTRAINTS, der.seq(der.boolean(True), der.integer(0)), critical=True),
        _extension(OID_KEY_USAGE, _key_usage_ca(), critical=True),
        _extension(OID_SUBJECT_KEY_ID, der.octet_string(key_identifier(public))),
    ]
    return _signed(_tbs(serial or _serial(), name, start, end, name, public, extensions), key)


def issue_member(ca_key: sm2.Sm2PrivateKey, ca: x509.Certificate, member_public: object,
                 name: str, role: str, attributes_der: bytes, attributes_oid: str,
                 start: dt.datetime, end: dt.datetime) -> bytes:
    """A member certificate issued by an SM2 organisation CA (DER), for an SM2 `member_public`
    (any other key: Sm2CertificateError)."""
    if not isinstance(member_public, sm2.Sm2PublicKey):
        raise Sm2CertificateError("an SM2 CA certifies SM2 keys only")
    org_id = ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value
    org_name = ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    issuer = _subject_der(ca)
    aki = der.seq(der.tlv(0x80, key_identifier(ca_key.public())))  # [0] keyIdentifier
    extensions = [
        _extension(OID_BASIC_CONSTRAINTS, der.seq(), critical=True),  # cA FALSE (the default)
        _extension(OID_AUTHORITY_KEY_ID, aki),
        _extension(attributes_oid, attributes_der),
    ]
    subject = _name(str(org_id), str(org_name), role, name)
    return _signed(_tbs(_serial(), issuer, start, end, subject, member_public, extensions), ca_key)


# -- reading ----------------------------------------------------------------------------
def _tbs_fields(cert: x509.Certificate) -> list[tuple[int, bytes, bytes]]:
    try:
        fields = der.children(der.read_one(cert.tbs_certificate_bytes, der.SEQUENCE))
    except der.DerError as exc:
        raise Sm2CertificateError(f"malformed TBSCertificate: {exc}") from None
    if not fields or fields[0][0] != 0xA0:
        raise Sm2CertificateError("only X.509 v3 certificates are accepted")
    if len(fields) < 7:
        raise Sm2CertificateError("the TBSCertificate has too few fields")
    return fields


def _subject_der(cert: x509.Certificate) -> bytes:
    return _tbs_fields(cert)[5][2]


def public_key(cert: x509.Certificate) -> sm2.Sm2PublicKey:
    """The SM2 key of a certificate; SuiteError (sm2.SmError) if it holds another kind."""
    return sm2.public_from_spki(_tbs_fields(cert)[6][2])


def holds_sm2_key(cert: x509.Certificate) -> bool:
    """Does the certificate's SubjectPublicKeyInfo name an SM2 key (id-ecPublicKey on sm2p256v1)?
    Read from the DER alone, without loading the key (so also where SM2 cannot run)."""
    try:
        spki = der.children(der.read_one(_tbs_fields(cert)[6][2], der.SEQUENCE))
        algorithm = der.children(spki[0][1]) if spki and spki[0][0] == der.SEQUENCE else []
        oids = [der.read_oid(value) for tag, value, _ in algorithm if tag == der.OID]
    except (der.DerError, Sm2CertificateError):
        return False
    return oids == [sm2.OID_EC_PUBLIC_KEY, sm2.OID_SM2_CURVE]


def verify_signature(cert: x509.Certificate, issuer_key: PublicKey) -> None:
    """Raise Sm2CertificateError unless `issuer_key` signed `cert` with SM2-with-SM3."""
    outer = cert.signature_algorithm_oid.dotted_string
    inner = _tbs_fields(cert)[2][2]
    if outer != sm2.OID_SM2_WITH_SM3 or inner != SIGNATURE_ALGORITHM:
        raise Sm2CertificateError(f"certificate is not signed SM2-with-SM3 (signature algorithm {outer})")
    if not issuer_key.verify(cert.signature, cert.tbs_certificate_bytes):
        raise Sm2CertificateError("the SM2 signature does not verify against the issuing CA's key")
