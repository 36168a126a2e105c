"""The Ed25519/SHA-256 suite: RFC 8032 vectors, strict verification, key handling."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from faechain.crypto.suite import Ed25519PrivateKey, SuiteError, get_suite

SUITE = get_suite("ed25519")

# RFC 8032 section 7.1: (secret key, public key, message, signature)
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]
L = 2**252 + 27742317777372353535851937790883648493  # the group order


def key_from_seed(seed_hex: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey(ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex)))


@pytest.mark.parametrize("seed,public,msg,sig", RFC8032)
def test_rfc8032_vectors(seed, public, msg, sig):
    key = key_from_seed(seed)
    assert key.public().raw().hex() == public
    assert key.sign(bytes.fromhex(msg)).hex() == sig
    pub = SUITE.public_key(bytes.fromhex(public))
    assert pub.verify(bytes.fromhex(sig), bytes.fromhex(msg))


def test_verify_returns_false_instead_of_raising():
    key = SUITE.generate()
    pub = key.public()
    sig = key.sign(b"message")
    assert pub.verify(sig, b"message")
    assert not pub.verify(sig, b"messagE")
    assert not pub.verify(bytes([sig[0] ^ 1]) + sig[1:], b"message")
    assert not pub.verify(sig[:63], b"message")
    assert not pub.verify(sig + b"\x00", b"message")
    assert not pub.verify(b"", b"message")
    assert not SUITE.generate().public().verify(sig, b"message")


def test_non_canonical_s_is_rejected():
    """S + L verifies under a lax verifier; strict verification (RFC 8032 5.1.7) refuses it."""
    key = SUITE.generate()
    sig = key.sign(b"m")
    s = int.from_bytes(sig[32:], "little") + L
    assert s < 2**256
    malleated = sig[:32] + s.to_bytes(32, "little")
    assert not key.public().verify(malleated, b"m")


def test_pem_round_trip_and_public_bytes():
    key = SUITE.generate()
    again = SUITE.load_private_pem(key.to_pem())
    assert again.public().raw() == key.public().raw()
    assert len(key.public().raw()) == 32
    assert SUITE.public_key(key.public().raw()).verify(again.sign(b"x"), b"x")
    assert SUITE.public_key_from_crypto(key.crypto_key().public_key()).raw() == key.public().raw()


def test_wrong_key_types_are_refused():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = ec_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    with pytest.raises(SuiteError):
        SUITE.load_private_pem(pem)
    with pytest.raises(SuiteError):
        SUITE.public_key_from_crypto(ec_key.public_key())
    for raw in (b"", b"\x01" * 31, b"\x01" * 33):
        with pytest.raises(SuiteError):
            SUITE.public_key(raw)


def test_hash_is_sha256():
    assert SUITE.name == "ed25519" and SUITE.hash_name == "sha256"
    assert SUITE.hash(b"abc") == hashlib.sha256(b"abc").digest()


def test_unknown_suite():
    with pytest.raises(SuiteError):
        get_suite("sm2")
