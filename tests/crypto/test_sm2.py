"""The sm2-sm3 suite: published test vectors, interoperability with independent
implementations, and malformed keys and signatures.

Vectors:
* SM3, GB/T 32905-2016 Annex A: "abc" and "abcd" x 16.
* SM2, the signature example on the recommended curve sm2p256v1 (GB/T 32918.5-2017 /
  GM/T 0003.5-2012): private key d, public key (x_A, y_A), ID_A = "1234567812345678",
  M = "message digest", Z_A, e, the fixed k, (x_1, y_1) = kG and (r, s).

Independent implementations: the `gmssl` PyPI package (pure Python, its own SM2 and
SM3 arithmetic, nothing shared with OpenSSL) and the `openssl` command (`pkeyutl` with
`-digest sm3` and `distid`: the same library, but its own Z_A and e computation).
"""

from __future__ import annotations

import binascii
import os
import shutil
import subprocess

import pytest

from faechain.crypto import der, sm2
from faechain.crypto.suite import Ed25519Suite, SuiteError, get_suite, suite_name
from faechain.crypto.verifier import ParallelVerifier

SUITE = get_suite("sm2-sm3")

SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]

# GB/T 32918.5-2017 (GM/T 0003.5-2012) signature example on sm2p256v1
EX_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
EX_X = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
EX_Y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
EX_ID = b"1234567812345678"
EX_M = b"message digest"
EX_Z = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
EX_E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
EX_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
EX_X1 = "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
EX_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
EX_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
EX_PUB = bytes.fromhex("04" + EX_X + EX_Y)


# -- SM3 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("msg, digest", SM3_VECTORS)
def test_sm3_vectors(msg, digest):
    assert SUITE.hash(msg).hex() == digest
    assert sm2.sm3(msg).hex() == digest


def test_sm3_is_the_hash_of_the_suite_and_not_sha256():
    assert SUITE.name == "sm2-sm3" and SUITE.hash_name == "sm3"
    assert len(SUITE.hash(b"")) == 32
    assert SUITE.hash(b"x") != Ed25519Suite().hash(b"x")
    # the copied context carries nothing from one call into the next
    assert SUITE.hash(b"abc") == SUITE.hash(b"abc") != SUITE.hash(b"abd")


# -- the SM2 example -----------------------------------------------------------------------------
def test_published_key_pair_z_and_e():
    key = sm2.private_from_scalar(EX_D)
    assert key.public().raw() == EX_PUB  # d -> P = dG by OpenSSL
    assert sm2.z_value(EX_PUB, EX_ID).hex().upper() == EX_Z
    assert key.public().digest(EX_M).hex().upper() == EX_E  # e = SM3(Z_A || M)


def test_published_signature_verifies_and_nothing_else_does():
    pub = SUITE.public_key(EX_PUB)
    sig = sm2.encode_signature(EX_R, EX_S)
    assert pub.verify(sig, EX_M)
    assert pub.verify_digest(sig, bytes.fromhex(EX_E))
    assert not pub.verify(sig, b"message digesT")
    assert not pub.verify(sm2.encode_signature(EX_R, EX_S ^ 1), EX_M)
    assert not pub.verify(sm2.encode_signature(EX_R ^ 1, EX_S), EX_M)
    assert not pub.verify(sm2.encode_signature(EX_R, sm2.N - EX_S), EX_M)  # no (r, -s) twin
    assert not SUITE.public_key(SUITE.generate().public().raw()).verify(sig, EX_M)


def test_fixed_k_signature_by_an_independent_implementation_is_the_published_one():
    gm = pytest.importorskip("gmssl.sm2")
    signer = gm.CryptSM2(private_key=f"{EX_D:064x}", public_key=EX_PUB[1:].hex())
    e = bytes.fromhex(signer._sm3_z(EX_M))
    assert e.hex().upper() == EX_E
    rs = signer.sign(e, EX_K.lower())  # r || s in hex, with the standard's k
    assert int(rs[:64], 16) == EX_R and int(rs[64:], 16) == EX_S
    # (x_1, y_1) = kG: r = (e + x_1) mod n
    assert (int(EX_E, 16) + int(EX_X1, 16)) % sm2.N == EX_R


# -- keys and signatures of ours ----------------------------------------------------------------
def test_sign_verify_pem_round_trip():
    key = SUITE.generate()
    pem = key.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = SUITE.load_private_pem(pem)
    assert again.public().raw() == key.public().raw() and len(key.public().raw()) == 65
    sig = again.sign(b"faechain")
    r, s = sm2.decode_signature(sig)
    assert 1 <= r < sm2.N and 1 <= s < sm2.N and sig == sm2.encode_signature(r, s)
    assert SUITE.public_key(key.public().raw()).verify(sig, b"faechain")
    assert key.sign(b"faechain") != sig  # k is random
    assert key.crypto_key().public_key() is key.public()


def test_a_different_user_id_gives_a_different_z():
    raw = SUITE.generate().public().raw()
    assert sm2.z_value(raw) == sm2.z_value(raw, b"1234567812345678")
    assert sm2.z_value(raw, b"ALICE123@YAHOO.COM") != sm2.z_value(raw)


def test_keys_of_the_other_suite_are_refused():
    ed = get_suite("ed25519")
    with pytest.raises(SuiteError):
        SUITE.load_private_pem(ed.generate().to_pem())
    with pytest.raises(SuiteError):
        ed.load_private_pem(SUITE.generate().to_pem())
    with pytest.raises(SuiteError):
        SUITE.public_key(ed.generate().public().raw())  # 32 bytes
    with pytest.raises(SuiteError):
        SUITE.public_key_from_crypto(ed.generate().public().key)
    with pytest.raises(SuiteError):
        SUITE.load_private_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_suite_names():
    assert suite_name("sm") == suite_name("SM2") == suite_name("sm2-sm3") == "sm2-sm3"
    assert suite_name("ed25519") == "ed25519"
    with pytest.raises(SuiteError):
        suite_name("rsa")
    with pytest.raises(SuiteError):
        get_suite("sm")  # genesis names the suite in full


# -- malformed public keys ----------------------------------------------------------------------
def _point(x: int, y: int) -> bytes:
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


@pytest.mark.parametrize("raw, why", [
    (b"", "65 bytes"),
    (b"\x00", "infinity"),
    (EX_PUB[:-1], "65 bytes"),
    (EX_PUB + b"\x00", "65 bytes"),
    (b"\x02" + EX_PUB[1:33], "65 bytes"),  # a compressed point
    (b"\x03" + EX_PUB[1:], "uncompressed"),
    (_point(int(EX_X, 16), int(EX_Y, 16) ^ 1), "not a point on the curve"),
    (_point(0, 0), "not a point on the curve"),
    (_point(int(EX_X, 16) + sm2.P, int(EX_Y, 16)) if int(EX_X, 16) + sm2.P < 2**256 else b"\x04" + b"\xff" * 64,
     "below p"),
    (b"\x04" + b"\xff" * 64, "below p"),
])
def test_malformed_public_keys_are_refused_with_a_reason(raw, why):
    with pytest.raises(SuiteError, match=why):
        SUITE.public_key(raw)


def test_malformed_keys_make_verification_false_in_the_verifier():
    items = [(b"\x04" + b"\x01" * 64, b"sig", b"msg"), (EX_PUB, sm2.encode_signature(EX_R, EX_S), EX_M)]
    assert ParallelVerifier("sm2-sm3", workers=0).verify_many(items) == [False, True]


# -- malformed signatures -----------------------------------------------------------------------
GOOD = sm2.encode_signature(EX_R, EX_S)


def _int(raw: bytes) -> bytes:
    return der.tlv(der.INTEGER, raw)


@pytest.mark.parametrize("sig", [
    b"",
    b"\x30",
    GOOD[:-1],  # truncated
    GOOD + b"\x00",  # trailing byte
    EX_R.to_bytes(32, "big") + EX_S.to_bytes(32, "big"),  # raw r || s, not DER
    b"\x31" + GOOD[1:],  # SET instead of SEQUENCE
    der.seq(_int(b"\x00\x00" + EX_R.to_bytes(32, "big")), der.integer(EX_S)),  # r not minimal
    der.seq(der.integer(EX_R), _int(EX_S.to_bytes(32, "big"))),  # s without its sign byte: negative
    b"\x30\x81" + bytes([len(GOOD) - 2]) + GOOD[2:],  # long-form length where short is due
    der.seq(der.integer(0), der.integer(EX_S)),  # r = 0
    der.seq(der.integer(EX_R), der.integer(0)),  # s = 0
    der.seq(der.integer(sm2.N), der.integer(EX_S)),  # r = n
    der.seq(der.integer(EX_R), der.integer(sm2.N + EX_S)),  # s >= n (and s mod n is right)
    der.seq(der.integer(EX_R + sm2.N), der.integer(EX_S)),  # r >= n
    der.seq(_int(b"\xff" + EX_R.to_bytes(32, "big")), der.integer(EX_S)),  # negative r
    der.seq(der.integer(EX_R), der.integer(EX_S), der.integer(1)),  # a third integer
])
def test_malformed_signatures_do_not_verify_and_do_not_raise(sig):
    pub = SUITE.public_key(EX_PUB)
    assert pub.verify(GOOD, EX_M)
    assert pub.verify(sig, EX_M) is False
    assert pub.verify_digest(sig, bytes.fromhex(EX_E)) is False  # OpenSSL alone refuses it too
    if sig not in (b"", b"\x30"):
        with pytest.raises(SuiteError):
            sm2.decode_signature(sig)
    assert pub.verify(GOOD, EX_M)  # nothing left behind in OpenSSL's error queue matters


def test_verify_never_raises_on_wrong_types():
    pub = SUITE.public_key(EX_PUB)
    assert pub.verify("not bytes", EX_M) is False  # type: ignore[arg-type]
    assert pub.verify(b"\x00" * 200, EX_M) is False


# -- interoperability -----------------------------------------------------------------------------
def test_gmssl_signatures_verify_here_and_ours_verify_in_gmssl():
    gm = pytest.importorskip("gmssl.sm2")
    # our private scalar is never exported as an integer: make the key from a scalar instead
    d = int.from_bytes(os.urandom(32), "big") % (sm2.N - 2) + 1
    key = sm2.private_from_scalar(d)
    raw = key.public().raw()
    other = gm.CryptSM2(private_key=f"{d:064x}", public_key=raw[1:].hex())
    for msg in (b"", b"faechain", os.urandom(1000)):
        rs = other.sign_with_sm3(msg)  # r || s hex, default user id
        theirs = sm2.encode_signature(int(rs[:64], 16), int(rs[64:], 16))
        assert SUITE.public_key(raw).verify(theirs, msg)
        r, s = sm2.decode_signature(key.sign(msg))
        assert other.verify_with_sm3(f"{r:064x}{s:064x}", msg)
        assert not other.verify_with_sm3(f"{r:064x}{s:064x}", msg + b"!")


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")


@needs_openssl
def test_openssl_pkeyutl_signatures_verify_here_and_ours_verify_there(tmp_path):
    key = SUITE.generate()
    (tmp_path / "key.pem").write_bytes(key.to_pem())
    msg = b"faechain/tx/v1\x00 a signed body"
    (tmp_path / "msg").write_bytes(msg)
    dist = "distid:1234567812345678"
    pub = subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "key.pem"), "-pubout", "-out",
                          str(tmp_path / "pub.pem")], capture_output=True)
    assert pub.returncode == 0, pub.stderr
    theirs = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey",
                             str(tmp_path / "key.pem"), "-pkeyopt", dist, "-in", str(tmp_path / "msg")],
                            capture_output=True)
    assert theirs.returncode == 0, theirs.stderr
    assert SUITE.public_key(key.public().raw()).verify(theirs.stdout, msg)
    (tmp_path / "sig").write_bytes(key.sign(msg))
    ok = subprocess.run(["openssl", "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey",
                         str(tmp_path / "pub.pem"), "-pkeyopt", dist, "-in", str(tmp_path / "msg"),
                         "-sigfile", str(tmp_path / "sig")], capture_output=True, text=True)
    assert ok.returncode == 0 and "Success" in ok.stdout, ok.stdout + ok.stderr
    # with another user id the same signature is refused: the id is really in Z_A
    bad = subprocess.run(["openssl", "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey",
                          str(tmp_path / "pub.pem"), "-pkeyopt", "distid:ALICE123@YAHOO.COM", "-in",
                          str(tmp_path / "msg"), "-sigfile", str(tmp_path / "sig")], capture_output=True)
    assert bad.returncode != 0


@needs_openssl
def test_openssl_reads_our_private_key_pem(tmp_path):
    key = sm2.private_from_scalar(EX_D)
    (tmp_path / "key.pem").write_bytes(key.to_pem())
    out = subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "key.pem"), "-noout", "-text"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "SM2" in out.stdout
    hexes = "".join(c for c in out.stdout.split("pub:")[1].split("ASN1")[0] if c in "0123456789abcdef")
    assert binascii.unhexlify(hexes) == EX_PUB


def test_signatures_verify_in_worker_processes():
    key = SUITE.generate()
    msgs = [os.urandom(40) for _ in range(60)]
    items = [(key.public().raw(), key.sign(m), m) for m in msgs]
    items[7] = (items[7][0], items[7][1], b"other")
    pv = ParallelVerifier("sm2-sm3", workers=1)
    try:
        assert pv.verify_many(items) == [i != 7 for i in range(60)]
    finally:
        pv.close()
