"""Signature suites: the one place the chain's cryptography is chosen.

A chain picks its suite once, in genesis (`"suite": "ed25519"` or `"sm2-sm3"`).
Everything that signs, verifies or hashes goes through the suite object, so the
ledger, the contracts and the API are the same on either.

    ed25519   Ed25519 signatures (RFC 8032) and SHA-256, through `cryptography`
    sm2-sm3   SM2 signatures (GB/T 32918, default user id) and SM3 (GB/T 32905), through
              OpenSSL 3's libcrypto: see faechain.crypto.sm2

`SUITE_ALIASES` are the short names the CLI takes (`--crypto sm`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from faechain.core.errors import FaeError

if TYPE_CHECKING:  # sm2 imports this module (SuiteError) and is loaded on first use
    from cryptography import x509

    from faechain.crypto import sm2


class SuiteError(FaeError, ValueError):
    """A key or signature is malformed for this suite (or the suite is unknown,
    `unknown_suite`, or cannot run on this machine, `suite_unavailable`)."""

    code = "bad_key_or_signature"


class PublicKey(Protocol):
    def verify(self, signature: bytes, message: bytes) -> bool: ...

    def raw(self) -> bytes: ...


class Suite(Protocol):
    """What the ledger needs from a signature suite."""

    name: str
    hash_name: str

    def hash(self, data: bytes) -> bytes: ...

    def generate(self) -> PrivateKey: ...

    def load_private_pem(self, pem: bytes) -> PrivateKey: ...

    def public_key(self, raw: bytes) -> PublicKey: ...

    def public_key_from_crypto(self, key: object) -> PublicKey: ...

    def public_key_from_certificate(self, cert: x509.Certificate) -> PublicKey:
        """The key of a parsed certificate."""
        ...


class PrivateKey(Protocol):
    def sign(self, message: bytes) -> bytes: ...

    def public(self) -> PublicKey: ...

    def to_pem(self) -> bytes: ...

    def crypto_key(self) -> ed25519.Ed25519PrivateKey | sm2.Sm2PrivateKey:
        """The key certificates are signed with: `cryptography`'s, or the SM2 key itself."""
        ...


@dataclass(frozen=True)
class Ed25519PublicKey:
    key: ed25519.Ed25519PublicKey

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.key.verify(signature, message)
            return True
        except InvalidSignature:
            return False

    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Ed25519PrivateKey:
    key: ed25519.Ed25519PrivateKey

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)

    def public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey(self.key.public_key())

    def to_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def crypto_key(self) -> ed25519.Ed25519PrivateKey:
        return self.key


class Ed25519Suite:
    """Ed25519 signatures (RFC 8032, strict verification by OpenSSL) with SHA-256."""

    name = "ed25519"
    hash_name = "sha256"

    def hash(self, data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    def generate(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey(ed25519.Ed25519PrivateKey.generate())

    def load_private_pem(self, pem: bytes) -> Ed25519PrivateKey:
        expected = "an unencrypted PKCS#8 PEM of an Ed25519 key, '-----BEGIN PRIVATE KEY-----', expected"
        try:  # `cryptography`'s own reasons are a link to its FAQ and its parser's internals
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise SuiteError(f"not an Ed25519 private key ({expected})") from None
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise SuiteError(f"not an Ed25519 private key: it holds another kind of key ({expected})")
        return Ed25519PrivateKey(key)

    def public_key(self, raw: bytes) -> Ed25519PublicKey:
        try:
            return Ed25519PublicKey(ed25519.Ed25519PublicKey.from_public_bytes(raw))
        except ValueError as exc:
            raise SuiteError(f"malformed Ed25519 public key: {exc}") from None

    def public_key_from_crypto(self, key: object) -> Ed25519PublicKey:
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise SuiteError("certificate key is not Ed25519")
        return Ed25519PublicKey(key)

    def public_key_from_certificate(self, cert: x509.Certificate) -> Ed25519PublicKey:
        try:
            key = cert.public_key()
        except UnsupportedAlgorithm as exc:  # an SM2 key, say
            raise SuiteError(f"certificate key is not Ed25519 ({exc})") from None
        return self.public_key_from_crypto(key)


class Sm2Sm3Suite:
    """SM2 signatures with the default user id and SM3 hashing (faechain.crypto.sm2)."""

    name = "sm2-sm3"
    hash_name = "sm3"

    def __init__(self) -> None:
        from faechain.crypto import sm2

        sm2.lib()  # SmUnavailable now rather than at the first signature
        self._sm2 = sm2
        self.hash = sm2.sm3  # a plain function: the hot path of every Merkle tree

    def generate(self) -> sm2.Sm2PrivateKey:
        return self._sm2.generate()

    def load_private_pem(self, pem: bytes) -> sm2.Sm2PrivateKey:
        return self._sm2.load_private_pem(pem)

    def public_key(self, raw: bytes) -> sm2.Sm2PublicKey:
        return self._sm2.Sm2PublicKey(raw)

    def public_key_from_crypto(self, key: object) -> sm2.Sm2PublicKey:
        if not isinstance(key, self._sm2.Sm2PublicKey):
            raise SuiteError("certificate key is not SM2")
        return key

    def public_key_from_certificate(self, cert: x509.Certificate) -> sm2.Sm2PublicKey:
        from faechain.crypto import sm2_certs

        return sm2_certs.public_key(cert)


SUITES: dict[str, Suite] = {"ed25519": Ed25519Suite()}
_LAZY = {"sm2-sm3": Sm2Sm3Suite}  # made on first use: loads libcrypto's SM2 then
SUITE_NAMES = ("ed25519", "sm2-sm3")
SUITE_ALIASES = {"ed25519": "ed25519", "sm": "sm2-sm3", "sm2": "sm2-sm3", "sm2-sm3": "sm2-sm3"}


def suite_name(name_or_alias: str) -> str:
    """The genesis name of a suite from a CLI spelling (`sm` -> `sm2-sm3`)."""
    try:
        return SUITE_ALIASES[name_or_alias.lower()]
    except KeyError:
        raise SuiteError(f"unknown signature suite {name_or_alias!r} (choose ed25519 or sm)",
                         code="unknown_suite") from None


def get_suite(name: str) -> Suite:
    suite = SUITES.get(name)
    if suite is not None:
        return suite
    maker = _LAZY.get(name)
    if maker is None:
        raise SuiteError(f"unknown signature suite {name!r}", code="unknown_suite")
    try:
        suite = maker()
    except Exception as exc:  # noqa: BLE001 - SmUnavailable, OSError: the library is not there
        raise SuiteError(f"the {name} suite is not available on this machine: {exc}",
                         code="suite_unavailable") from None
    SUITES[name] = suite
    return suite
