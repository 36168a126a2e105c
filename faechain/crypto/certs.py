"""X.509 certificates for organisations and their members.

An organisation CA is a self-signed certificate whose subject names the
organisation: `organizationIdentifier` carries the unified social credit code
(USCC), `O` its name and `OU` its organisation type (BANK, INVESTOR, ...).

A member certificate is issued by its organisation's CA: `CN` is the member's
name, `organizationIdentifier` the USCC, `OU` the role, and a private extension
(OID `ATTRIBUTES_OID`) carries attributes such as `{"qualified": true}` as a DER
UTF8String holding canonical JSON.

The same functions serve both suites: an SM2 key (faechain.crypto.sm2) makes an
SM2-with-SM3 certificate (faechain.crypto.sm2_certs), an Ed25519 key an Ed25519 one.
Which kind a chain accepts is its suite's business: `public_key` and
`verify_issued_by` refuse a certificate of the other suite (`CertificateError`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from faechain.crypto.suite import PrivateKey, PublicKey, Suite, SuiteError
from faechain.ledger.encoding import check

# 2.25.<uuid> is an OID anyone may use without registration (ITU-T X.667).
ATTRIBUTES_OID = x509.ObjectIdentifier("2.25.208311453917386210429178734623480135571")


class CertificateError(ValueError):
    """A certificate is malformed, not issued by the claimed CA, or out of date."""


@dataclass(frozen=True)
class CertInfo:
    """What the chain reads out of a certificate."""

    org_id: str
    name: str
    role: str
    attributes: dict = field(default_factory=dict)
    is_ca: bool = False
    not_before: int = 0  # unix seconds
    not_after: int = 0


def _der_utf8(text: str) -> bytes:
    data = text.encode()
    n = len(data)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return b"\x0c" + length + data


def _parse_der_utf8(data: bytes) -> str:
    if len(data) < 2 or data[0] != 0x0C:
        raise CertificateError("attribute extension is not a UTF8String")
    n = data[1]
    off = 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[2 : 2 + k], "big")
        off = 2 + k
    if off + n != len(data):
        raise CertificateError("attribute extension has a bad length")
    return data[off:].decode()


def _name(org_id: str, org_name: str, unit: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, org_id),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity(now: dt.datetime | None, days: int) -> tuple[dt.datetime, dt.datetime]:
    start = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(minutes=5)
    return start, start + dt.timedelta(days=days)


def _is_sm2(key: object) -> bool:
    from faechain.crypto import sm2

    return isinstance(key, (sm2.Sm2PrivateKey, sm2.Sm2PublicKey))


def create_ca(
    key: PrivateKey, org_id: str, org_name: str, org_type: str, *, days: int = 3650, serial: int | None = None
) -> bytes:
    """A self-signed organisation CA certificate (DER)."""
    start, end = _validity(None, days)
    if _is_sm2(key):
        from faechain.crypto import sm2_certs

        return sm2_certs.create_ca(key, org_id, org_name, org_type, start, end, serial)  # type: ignore[arg-type]
    name = _name(org_id, org_name, org_type, f"{org_name} CA")
    pub = key.crypto_key().public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(pub)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .sign(key.crypto_key(), None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def issue_member(
    ca_key: PrivateKey,
    ca_der: bytes,
    member_public: object,
    name: str,
    role: str,
    attributes: dict | None = None,
    *,
    days: int = 825,
) -> bytes:
    """A member certificate issued by the organisation CA (DER)."""
    ca = load_der(ca_der)
    org_id = _attr(ca.subject, NameOID.ORGANIZATION_IDENTIFIER)
    org_name = _attr(ca.subject, NameOID.ORGANIZATION_NAME)
    start, end = _validity(None, days)
    attrs_json = json.dumps(attributes or {}, sort_keys=True, separators=(",", ":"))
    if _is_sm2(ca_key):
        from faechain.crypto import sm2_certs

        try:
            return sm2_certs.issue_member(ca_key, ca, member_public, name, role, _der_utf8(attrs_json),  # type: ignore[arg-type]
                                          ATTRIBUTES_OID.dotted_string, start, min(end, ca.not_valid_after_utc))
        except sm2_certs.Sm2CertificateError as exc:
            raise CertificateError(str(exc)) from None
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(org_id, org_name, role, name))
        .issuer_name(ca.subject)
        .public_key(member_public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(min(end, ca.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False
        )
        .add_extension(x509.UnrecognizedExtension(ATTRIBUTES_OID, _der_utf8(attrs_json)), critical=False)
        .sign(ca_key.crypto_key(), None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def load_der(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except Exception as exc:
        raise CertificateError(f"malformed certificate: {exc}") from None


def load_pem(pem: bytes) -> bytes:
    """PEM text to DER bytes."""
    try:
        return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    except Exception as exc:
        raise CertificateError(f"malformed certificate: {exc}") from None


def to_pem(der: bytes) -> bytes:
    return load_der(der).public_bytes(serialization.Encoding.PEM)


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1:
        raise CertificateError(f"certificate subject needs exactly one {oid._name}")
    return str(values[0].value)


def read_info(der: bytes) -> CertInfo:
    """Organisation, name, role and attributes of a certificate.

    A signer may attach any bytes as its certificate, so anything wrong with them raises
    CertificateError and nothing else (a malformed extension or name, attributes that are
    not a JSON object of the ledger's value model: they are registered on chain).
    """
    cert = load_der(der)
    try:
        return _read_info(cert)
    except CertificateError:
        raise
    except Exception as exc:  # noqa: BLE001 - ValueError, DuplicateExtension, RecursionError, ...
        raise CertificateError(f"malformed certificate: {type(exc).__name__}: {exc}") from None


def _read_info(cert: x509.Certificate) -> CertInfo:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = bc.ca
    except x509.ExtensionNotFound:
        is_ca = False
    attributes: dict = {}
    try:
        ext = cert.extensions.get_extension_for_oid(ATTRIBUTES_OID).value
        attributes = json.loads(_parse_der_utf8(ext.value))
        if not isinstance(attributes, dict):
            raise CertificateError("attributes must be a JSON object")
        check(attributes)  # no floats, NaN, lone surrogates or huge integers: they go on chain
    except x509.ExtensionNotFound:
        pass
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CertificateError(f"bad attribute extension: {exc}") from None
    return CertInfo(
        org_id=_attr(cert.subject, NameOID.ORGANIZATION_IDENTIFIER),
        name=_attr(cert.subject, NameOID.COMMON_NAME),
        role=_attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        attributes=attributes,
        is_ca=is_ca,
        not_before=int(cert.not_valid_before_utc.timestamp()),
        not_after=int(cert.not_valid_after_utc.timestamp()),
    )


def public_key(suite: Suite, der: bytes) -> PublicKey:
    """The certificate's key as `suite` uses it; CertificateError if it is of another suite."""
    try:
        return suite.public_key_from_certificate(load_der(der))
    except SuiteError as exc:
        raise CertificateError(f"{exc} (this chain's suite is {suite.name})") from None
    except ValueError as exc:
        raise CertificateError(f"malformed certificate key: {exc}") from None


def verify_issued_by(suite: Suite, member_der: bytes, ca_der: bytes) -> None:
    """Raise CertificateError unless ca_der issued member_der (name and signature),
    both certificates being of `suite`."""
    member, ca = load_der(member_der), load_der(ca_der)
    try:  # names are parsed on first use: a malformed one raises ValueError, KeyError, ...
        issued = member.issuer == ca.subject
    except Exception as exc:  # noqa: BLE001
        raise CertificateError(f"malformed certificate name: {type(exc).__name__}: {exc}") from None
    if not issued:
        raise CertificateError("certificate was not issued by this organisation's CA")
    if suite.name == "sm2-sm3":
        from faechain.crypto import sm2_certs

        try:
            sm2_certs.verify_signature(member, public_key(suite, ca_der))
        except sm2_certs.Sm2CertificateError as exc:
            raise CertificateError(f"certificate signature does not verify: {exc}") from None
        return
    public_key(suite, ca_der)  # an Ed25519 CA (anything else: CertificateError)
    try:
        member.verify_directly_issued_by(ca)
    except Exception as exc:
        raise CertificateError(f"certificate signature does not verify: {exc}") from None
