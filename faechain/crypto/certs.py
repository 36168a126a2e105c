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

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from faechain.core.encoding import check
from faechain.core.errors import FaeError
from faechain.crypto.suite import PrivateKey, PublicKey, Suite, SuiteError

if TYPE_CHECKING:  # SM2 is loaded on first use (libcrypto through ctypes)
    from faechain.crypto.sm2 import Sm2PublicKey

# 2.25.<uuid> is an OID anyone may use without registration (ITU-T X.667).
ATTRIBUTES_OID = x509.ObjectIdentifier("2.25.208311453917386210429178734623480135571")
ED25519_OID = "1.3.101.112"  # id-Ed25519 (RFC 8410)


class CertificateError(FaeError, ValueError):
    """A certificate is malformed, not issued by the claimed CA, or out of date."""

    code = "bad_certificate"


@dataclass(frozen=True)
class CertInfo:
    """What the chain reads out of a certificate."""

    org_id: str
    name: str
    role: str
    attributes: dict[str, Any] = field(default_factory=dict)
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
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    return start, start + dt.timedelta(days=days)


def create_ca(
    key: PrivateKey, org_id: str, org_name: str, org_type: str, *, days: int = 3650, serial: int | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """A self-signed organisation CA certificate (DER), valid for `days` from five minutes
    before `now` (an aware datetime; default: the wall clock)."""
    start, end = _validity(now, days)
    signer = key.crypto_key()
    if not isinstance(signer, ed25519.Ed25519PrivateKey):  # SM2: `cryptography` cannot sign it
        from faechain.crypto import sm2_certs

        return sm2_certs.create_ca(signer, org_id, org_name, org_type, start, end, serial)
    name = _name(org_id, org_name, org_type, f"{org_name} CA")
    pub = signer.public_key()
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
        .sign(signer, None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def issue_member(
    ca_key: PrivateKey,
    ca_der: bytes,
    member_public: ed25519.Ed25519PublicKey | Sm2PublicKey,
    name: str,
    role: str,
    attributes: dict[str, Any] | None = None,
    *,
    days: int = 825,
    now: dt.datetime | None = None,
) -> bytes:
    """A member certificate issued by the organisation CA (DER), valid for `days` from five
    minutes before `now` (an aware datetime; default: the wall clock), never beyond its CA."""
    ca = load_der(ca_der)
    org_id = _attr(ca.subject, NameOID.ORGANIZATION_IDENTIFIER)
    org_name = _attr(ca.subject, NameOID.ORGANIZATION_NAME)
    start, end = _validity(now, days)
    attrs_json = json.dumps(attributes or {}, sort_keys=True, separators=(",", ":"))
    signer = ca_key.crypto_key()
    if not isinstance(signer, ed25519.Ed25519PrivateKey):  # SM2: `cryptography` cannot sign it
        from faechain.crypto import sm2_certs

        try:
            return sm2_certs.issue_member(signer, ca, member_public, name, role, _der_utf8(attrs_json),
                                          ATTRIBUTES_OID.dotted_string, start, min(end, ca.not_valid_after_utc))
        except sm2_certs.Sm2CertificateError as exc:
            raise CertificateError(str(exc)) from None
    if not isinstance(member_public, ed25519.Ed25519PublicKey):
        raise CertificateError("an Ed25519 CA certifies Ed25519 keys only")
    ca_public = ca.public_key()
    if not isinstance(ca_public, ed25519.Ed25519PublicKey):
        raise CertificateError("the CA certificate's key is not Ed25519")
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
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
        )
        .add_extension(x509.UnrecognizedExtension(ATTRIBUTES_OID, _der_utf8(attrs_json)), critical=False)
        .sign(signer, None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def load_der(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except Exception as exc:  # noqa: BLE001 - ValueError, and what else outside bytes make `cryptography` raise
        raise CertificateError(f"not a DER X.509 certificate: {_reason(exc) if der else 'no bytes'}") from None


PEM_FORM = "a '-----BEGIN CERTIFICATE-----' line, the certificate's DER in base64, an '-----END CERTIFICATE-----' line"


def load_pem(pem: bytes) -> bytes:
    """PEM text to DER bytes; CertificateError "not a PEM certificate: <what is wrong>; expected ..."."""
    try:
        return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    except Exception:  # noqa: BLE001 - as load_der; the reason is found again below, in words
        raise CertificateError(f"not a PEM certificate: {_pem_problem(pem)}; expected {PEM_FORM}") from None


_PEM_BEGIN = re.compile(rb"-----BEGIN ([^\r\n-]{0,40})-----")
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def _pem_problem(pem: bytes) -> str:
    """What keeps `pem` from being a PEM certificate, in a few words (what `cryptography` says
    instead is a link to its FAQ and its parser's internals)."""
    if not isinstance(pem, bytes | bytearray):
        return f"got {type(pem).__name__}, not text"
    labels = [m.decode("ascii", "replace") for m in _PEM_BEGIN.findall(pem)]
    if not labels:
        return "there is no '-----BEGIN CERTIFICATE-----' line"
    if "CERTIFICATE" not in labels:
        return f"it holds a '{labels[0]}' block, not a 'CERTIFICATE' one"
    block = _PEM_CERTIFICATE.search(pem)
    if block is None:
        return "the '-----END CERTIFICATE-----' line is missing"
    try:
        der = base64.b64decode(b"".join(block.group(1).split()), validate=True)
    except ValueError:  # binascii.Error
        return "the text between the BEGIN and END lines is not base64"
    if not der:
        return "there is nothing between the BEGIN and END lines"
    try:
        load_der(der)
    except CertificateError as exc:
        return f"its base64 does not decode to an X.509 certificate ({str(exc).split(': ', 1)[-1]})"
    return "it cannot be read"


_PARSE_PROBLEMS = (  # what `cryptography`'s DER parser reports, in words
    ("ShortData", "the bytes end before the certificate does"),
    ("ExtraData", "bytes follow the end of the certificate"),
    ("InvalidLength", "an element's length is wrong"),
    ("EncodedDefault", "a default value is encoded (not DER)"),
    ("InvalidSetOrdering", "a SET is not in DER order"),
    ("OidTooLong", "an object identifier is too long"),
    ("IntegerOverflow", "a number is too large"),
)


def _reason(exc: BaseException) -> str:
    """A library's error, in a few words: never its FAQ link or its parser's internals."""
    text = str(exc)
    if "ParseError" in text or "asn1" in text:
        return next((words for marker, words in _PARSE_PROBLEMS if marker in text),
                    "the bytes do not have the ASN.1 structure of a certificate")
    text = re.sub(r"\s*See https?://\S+ for more details\.?", "", text)
    text = re.sub(r"\s*https?://\S+", "", text).strip()
    return text[:200] or type(exc).__name__


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
        raise CertificateError(f"malformed certificate: {_reason(exc)}") from None


def _read_info(cert: x509.Certificate) -> CertInfo:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = bc.ca
    except x509.ExtensionNotFound:
        is_ca = False
    attributes: dict[str, Any] = {}
    try:
        ext = cert.extensions.get_extension_for_oid(ATTRIBUTES_OID).value
        if not isinstance(ext, x509.UnrecognizedExtension):  # what `cryptography` makes of a private OID
            raise CertificateError("the attribute extension is not an opaque extension")
        attributes = json.loads(_parse_der_utf8(ext.value))
        if not isinstance(attributes, dict):
            raise CertificateError("attributes must be a JSON object")
        check(attributes)  # no floats, NaN, lone surrogates or huge integers: they go on chain
    except x509.ExtensionNotFound:
        pass
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CertificateError(f"bad attribute extension: {_reason(exc)}") from None
    return CertInfo(
        org_id=_attr(cert.subject, NameOID.ORGANIZATION_IDENTIFIER),
        name=_attr(cert.subject, NameOID.COMMON_NAME),
        role=_attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        attributes=attributes,
        is_ca=is_ca,
        not_before=int(cert.not_valid_before_utc.timestamp()),
        not_after=int(cert.not_valid_after_utc.timestamp()),
    )


SUITE_KEYS = {"ed25519": "Ed25519", "sm2-sm3": "SM2"}  # the kind of key each signature suite signs with


def key_suite(der: bytes) -> str | None:
    """The signature suite whose kind of key the certificate holds ("ed25519" or "sm2-sm3"),
    or None (not a certificate, or a key of neither)."""
    try:
        cert = load_der(der)
        algorithm = cert.public_key_algorithm_oid.dotted_string
    except Exception:  # noqa: BLE001 - anything a signer attached: no suite then
        return None
    if algorithm == ED25519_OID:
        return "ed25519"
    from faechain.crypto import sm2_certs  # reads the key's OIDs from the DER: SM2 need not run here

    return "sm2-sm3" if sm2_certs.holds_sm2_key(cert) else None


def wrong_suite(chain_suite: str, cert_suite: str) -> str:
    """The message for a certificate of the other signature suite."""
    return (f"wrong signature suite: the certificate holds an {SUITE_KEYS.get(cert_suite, cert_suite)} key "
            f"(suite {cert_suite}) but this chain's suite is {chain_suite}: it accepts "
            f"{SUITE_KEYS.get(chain_suite, chain_suite)} certificates only")


def public_key(suite: Suite, der: bytes) -> PublicKey:
    """The certificate's key as `suite` uses it; CertificateError if it is of another suite."""
    try:
        return suite.public_key_from_certificate(load_der(der))
    except SuiteError as exc:
        other = key_suite(der)
        if other is not None and other != suite.name:
            raise CertificateError(wrong_suite(suite.name, other)) from None
        raise CertificateError(f"the certificate's key is not an {SUITE_KEYS.get(suite.name, suite.name)} key: "
                               f"{_reason(exc)} (this chain's suite is {suite.name})") from None
    except ValueError as exc:
        raise CertificateError(f"malformed certificate key: {_reason(exc)}") from None


def verify_issued_by(suite: Suite, member_der: bytes, ca_der: bytes) -> None:
    """Raise CertificateError unless ca_der issued member_der (name and signature),
    both certificates being of `suite`."""
    member, ca = load_der(member_der), load_der(ca_der)
    try:  # names are parsed on first use: a malformed one raises ValueError, KeyError, ...
        issued = member.issuer == ca.subject
    except Exception as exc:  # noqa: BLE001
        raise CertificateError(f"malformed certificate name: {_reason(exc)}") from None
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
    except InvalidSignature:
        raise CertificateError("certificate signature does not verify against the organisation CA's key") from None
    except Exception as exc:  # noqa: BLE001 - ValueError, TypeError (another key type)
        raise CertificateError(f"certificate signature does not verify: {_reason(exc)}") from None
