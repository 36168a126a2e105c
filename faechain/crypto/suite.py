"""Signature suites: the one place the chain's cryptography is chosen.

A chain picks its suite once, in genesis (`"suite": "ed25519"`). Everything that
signs, verifies or hashes goes through the suite object, so the SM2/SM3 suite can
be added later without touching the ledger, the contracts or the API.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


class SuiteError(ValueError):
    """A key or signature is malformed for this suite."""


class PublicKey(Protocol):
    def verify(self, signature: bytes, message: bytes) -> bool: ...

    def raw(self) -> bytes: ...


class Suite(Protocol):
    """What the ledger needs from a signature suite."""

    name: str
    hash_name: str

    def hash(self, data: bytes) -> bytes: ...

    def generate(self) -> "PrivateKey": ...

    def load_private_pem(self, pem: bytes) -> "PrivateKey": ...

    def public_key(self, raw: bytes) -> PublicKey: ...

    def public_key_from_crypto(self, key: object) -> PublicKey: ...


class PrivateKey(Protocol):
    def sign(self, message: bytes) -> bytes: ...

    def public(self) -> PublicKey: ...

    def to_pem(self) -> bytes: ...

    def crypto_key(self) -> object: ...


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
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise SuiteError("not an Ed25519 private key")
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


SUITES: dict[str, Suite] = {"ed25519": Ed25519Suite()}


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise SuiteError(f"unknown signature suite {name!r}") from None
