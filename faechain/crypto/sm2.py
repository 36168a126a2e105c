"""The national cryptography suite `sm2-sm3`: SM2 signatures and SM3 hashing.

    hash       SM3 (GB/T 32905-2016), 32 bytes
    signature  SM2 (GB/T 32918.2-2016) on the curve sm2p256v1 (GB/T 32918.5-2017), with
               e = SM3(Z_A || M) and Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A),
               ID_A the standard default user id "1234567812345678" (GM/T 0009-2012);
               encoded as DER SEQUENCE { r INTEGER, s INTEGER } (GM/T 0009)
    public key the uncompressed point 04 || x || y (65 bytes) on chain; in certificates an
               id-ecPublicKey SubjectPublicKeyInfo with the curve OID 1.2.156.10197.1.301
    private    PKCS#8 PEM (id-ecPublicKey, curve sm2p256v1), as `openssl genpkey` writes it

The arithmetic is OpenSSL 3's own SM2 and SM3: the system libcrypto that Python's
`hashlib` is linked against, reached through ctypes (SM3 through `hashlib` itself).
`bench/crypto_suites.py` measured it against the PyPI packages that bundle GmSSL or
Tongsuo, gmalglib and the pure-Python implementations; BENCHMARKS.md has the table.
Z_A and e are computed here (Z_A once per key) and OpenSSL signs and verifies e, so the
user id handling is visible and tested against the standard's published values.

Strictness. A public key must be 65 bytes, start with 04 (no compressed points, no point
at infinity), have coordinates below p and lie on the curve. A signature must be the
canonical DER of (r, s) with 1 <= r, s <= n-1: OpenSSL re-encodes what it decoded and
refuses any difference, so a signature has exactly one encoding. SM2 has no (r, -s)
twin as ECDSA does (s enters the check through t = r + s), so no low-s rule is needed;
the transaction hash does not cover the signature in any case.

k is drawn by OpenSSL's DRBG for every signature (the standard's k is random); nothing
here can choose it, so the conformance test checks the standard's (r, s) by verifying
it and by an independent implementation signing with the standard's k.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import threading
import weakref
from collections.abc import Callable
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_size_t, c_ulong, c_void_p
from typing import TYPE_CHECKING, Any

from faechain.core.errors import FaeError
from faechain.crypto import der
from faechain.crypto.suite import SuiteError

if TYPE_CHECKING:
    from _hashlib import HASH  # what hashlib.new returns (typeshed's name; hashlib does not re-export it)

NAME = "sm2-sm3"
DEFAULT_USER_ID = b"1234567812345678"

# sm2p256v1 (GB/T 32918.5-2017)
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2_CURVE = "1.2.156.10197.1.301"
OID_SM2_WITH_SM3 = "1.2.156.10197.1.501"
OID_SM3 = "1.2.156.10197.1.401"

ALGORITHM_ID = der.seq(der.oid(OID_EC_PUBLIC_KEY), der.oid(OID_SM2_CURVE))  # SPKI / PKCS#8 algorithm
SPKI_PREFIX = der.tlv(der.SEQUENCE, ALGORITHM_ID + der.tlv(der.BIT_STRING, b"\x00" + bytes(65)))[:-65]
_CURVE_BYTES = b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))


class SmError(SuiteError):
    """A key or signature is malformed for SM2."""


class SmUnavailable(FaeError, RuntimeError):
    """This machine's libcrypto cannot do SM2/SM3."""

    code = "suite_unavailable"


# -- SM3 ----------------------------------------------------------------------------------
def _sm3_prototype() -> HASH | None:
    try:
        return hashlib.new("sm3")
    except ValueError:
        return None


_SM3 = _sm3_prototype()


def sm3(data: bytes) -> bytes:
    """SM3 digest (32 bytes) of `data`."""
    if _SM3 is None:
        raise SmUnavailable("Python's hashlib has no SM3 (its OpenSSL lacks it)")
    h = _SM3.copy()  # copying a ready context skips the algorithm lookup of hashlib.new
    h.update(data)
    return h.digest()


def z_value(public_raw: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """Z_A of GB/T 32918.2 section 5.5: the signer's identity and key, hashed into every e."""
    bits = len(user_id) * 8
    if bits > 0xFFFF:
        raise SmError("the user id is longer than 8191 bytes")
    return sm3(bits.to_bytes(2, "big") + user_id + _CURVE_BYTES + public_raw[1:])


def on_curve(x: int, y: int) -> bool:
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def check_public_raw(raw: bytes) -> None:
    """Raise SmError unless `raw` is an uncompressed point of sm2p256v1 (not infinity)."""
    if not isinstance(raw, (bytes, bytearray)):
        raise SmError("an SM2 public key is bytes")
    if len(raw) == 1 and raw[0] == 0:
        raise SmError("the point at infinity is not a public key")
    if len(raw) != 65:
        raise SmError(f"an SM2 public key is 65 bytes (04 || x || y), got {len(raw)}")
    if raw[0] != 0x04:
        raise SmError("an SM2 public key must be an uncompressed point (first byte 04)")
    x, y = int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")
    if x >= P or y >= P:
        raise SmError("SM2 public key coordinates must be below p")
    if not on_curve(x, y):
        raise SmError("the SM2 public key is not a point on the curve sm2p256v1")


def decode_signature(sig: bytes) -> tuple[int, int]:
    """(r, s) of a DER SM2 signature, checking the encoding and the range [1, n-1]."""
    try:
        parts = der.children(der.read_one(bytes(sig), der.SEQUENCE))
        if len(parts) != 2 or parts[0][0] != der.INTEGER or parts[1][0] != der.INTEGER:
            raise SmError("an SM2 signature is SEQUENCE { r INTEGER, s INTEGER }")
        r, s = der.read_integer(parts[0][1]), der.read_integer(parts[1][1])
    except der.DerError as exc:
        raise SmError(f"malformed SM2 signature: {exc}") from None
    if not (1 <= r < N and 1 <= s < N):
        raise SmError("SM2 signature r and s must lie in [1, n-1]")
    return r, s


def encode_signature(r: int, s: int) -> bytes:
    return der.seq(der.integer(r), der.integer(s))


# -- libcrypto --------------------------------------------------------------------------
class _Lib:
    """The functions of OpenSSL 3's libcrypto that this suite calls."""

    def __init__(self) -> None:
        if _SM3 is None:
            raise SmUnavailable("Python's hashlib has no SM3 (its OpenSSL lacks it)")
        self.path = _find_libcrypto()
        lib = ctypes.CDLL(self.path)

        def fn(name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
            f = lib[name]
            f.restype, f.argtypes = restype, list(argtypes)
            return f

        version = fn("OpenSSL_version_num", c_ulong)()
        if version < 0x30000000:
            raise SmUnavailable(f"{self.path} is OpenSSL {version:#x}; the SM suite needs OpenSSL 3")
        self.version = version
        self.ctx_from_name = fn("EVP_PKEY_CTX_new_from_name", c_void_p, c_void_p, c_char_p, c_char_p)
        self.ctx_from_pkey = fn("EVP_PKEY_CTX_new_from_pkey", c_void_p, c_void_p, c_void_p, c_char_p)
        self.ctx_free = fn("EVP_PKEY_CTX_free", None, c_void_p)
        self.keygen_init = fn("EVP_PKEY_keygen_init", c_int, c_void_p)
        self.generate = fn("EVP_PKEY_generate", c_int, c_void_p, POINTER(c_void_p))
        self.pkey_free = fn("EVP_PKEY_free", None, c_void_p)
        self.is_a = fn("EVP_PKEY_is_a", c_int, c_void_p, c_char_p)
        self.sign_init = fn("EVP_PKEY_sign_init", c_int, c_void_p)
        self.sign = fn("EVP_PKEY_sign", c_int, c_void_p, c_char_p, POINTER(c_size_t), c_char_p, c_size_t)
        self.verify_init = fn("EVP_PKEY_verify_init", c_int, c_void_p)
        self.verify = fn("EVP_PKEY_verify", c_int, c_void_p, c_char_p, c_size_t, c_char_p, c_size_t)
        self.get_octets = fn("EVP_PKEY_get_octet_string_param", c_int, c_void_p, c_char_p, c_char_p, c_size_t,
                             POINTER(c_size_t))
        self.d2i_pubkey = fn("d2i_PUBKEY", c_void_p, c_void_p, POINTER(c_char_p), c_long)
        self.d2i_private = fn("d2i_AutoPrivateKey", c_void_p, c_void_p, POINTER(c_char_p), c_long)
        self.bio_new = fn("BIO_new", c_void_p, c_void_p)
        self.bio_s_mem = fn("BIO_s_mem", c_void_p)
        self.bio_ctrl = fn("BIO_ctrl", c_long, c_void_p, c_int, c_long, c_void_p)
        self.bio_free = fn("BIO_free", c_int, c_void_p)
        self.write_pkcs8 = fn("PEM_write_bio_PKCS8PrivateKey", c_int, c_void_p, c_void_p, c_void_p, c_char_p,
                              c_int, c_void_p, c_void_p)
        self.clear_errors = fn("ERR_clear_error", None)
        self.up_ref = fn("EVP_PKEY_up_ref", c_int, c_void_p)
        self._check_sm2()

    def _check_sm2(self) -> None:
        ctx = self.ctx_from_name(None, b"SM2", None)
        if not ctx:
            self.clear_errors()
            raise SmUnavailable(f"{self.path} has no SM2 (OpenSSL built without it?)")
        self.ctx_free(ctx)


def _find_libcrypto() -> str:
    """The libcrypto Python's own hashlib uses (so SM3 and SM2 come from one library)."""
    import _hashlib  # noqa: F401 - maps libcrypto into this process

    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if line.strip() else ""
                if "/libcrypto" in path:
                    return path
    except OSError:
        pass
    for name in ("crypto", "libcrypto.so.3", "libcrypto.3"):
        found = ctypes.util.find_library(name)
        if found:
            return found
    return "libcrypto.so.3"


_lib: _Lib | None = None
_lib_lock = threading.Lock()


def lib() -> _Lib:
    global _lib
    if _lib is None:
        with _lib_lock:
            if _lib is None:
                _lib = _Lib()
    return _lib


def available() -> bool:
    try:
        lib()
        return True
    except (SmUnavailable, OSError, AttributeError):
        return False


def _owned(obj: object, ptr: int) -> None:
    """Free the EVP_PKEY when the Python object goes."""
    weakref.finalize(obj, lib().pkey_free, ptr)


def _public_raw(pkey: int) -> bytes:
    L = lib()
    buf, n = ctypes.create_string_buffer(65), c_size_t()
    if L.get_octets(pkey, b"pub", buf, 65, byref(n)) != 1 or n.value != 65:
        L.clear_errors()
        raise SmError("cannot read the SM2 public key")
    return buf.raw


# -- keys -------------------------------------------------------------------------------
class Sm2PublicKey:
    """An SM2 public key: verifies signatures made with the default user id."""

    __slots__ = ("_pkey", "_raw", "_z", "__weakref__")

    def __init__(self, raw: bytes, _pkey: int | None = None):
        raw = bytes(raw)
        check_public_raw(raw)
        L = lib()
        if _pkey is None:
            spki = SPKI_PREFIX + raw
            p = c_char_p(spki)
            _pkey = L.d2i_pubkey(None, byref(p), len(spki))
            if not _pkey:
                L.clear_errors()
                raise SmError("OpenSSL refused the SM2 public key")
            if L.is_a(_pkey, b"SM2") != 1:
                L.pkey_free(_pkey)
                raise SmError("the key did not load as an SM2 key")
        self._pkey = _pkey
        _owned(self, _pkey)
        self._raw = raw
        self._z = z_value(raw)

    def raw(self) -> bytes:
        return self._raw

    def spki(self) -> bytes:
        """The DER SubjectPublicKeyInfo (id-ecPublicKey, sm2p256v1)."""
        return SPKI_PREFIX + self._raw

    def digest(self, message: bytes) -> bytes:
        """e = SM3(Z_A || message), what the signature covers."""
        return sm3(self._z + message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        if not isinstance(signature, (bytes, bytearray)) or not 8 <= len(signature) <= 72:
            return False
        signature = bytes(signature)
        try:
            decode_signature(signature)  # strict DER and ranges here, whatever OpenSSL would allow
        except SmError:
            return False
        return self.verify_digest(signature, self.digest(bytes(message)))

    def verify_digest(self, signature: bytes, e: bytes) -> bool:
        L = lib()
        ctx = L.ctx_from_pkey(None, self._pkey, None)
        if not ctx:
            L.clear_errors()
            raise MemoryError("EVP_PKEY_CTX_new_from_pkey failed")
        try:
            ok: bool = L.verify_init(ctx) == 1 and L.verify(ctx, signature, len(signature), e, len(e)) == 1
        finally:
            L.ctx_free(ctx)
        if not ok:
            L.clear_errors()
        return ok

    def public_key(self) -> Sm2PublicKey:
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sm2PublicKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"Sm2PublicKey({self._raw.hex()[:18]}...)"


class Sm2PrivateKey:
    """An SM2 private key held by OpenSSL (never as a Python integer)."""

    __slots__ = ("_pkey", "_public", "__weakref__")

    def __init__(self, pkey: int):
        L = lib()
        if L.is_a(pkey, b"SM2") != 1:
            L.pkey_free(pkey)
            raise SmError("not an SM2 private key")
        self._pkey = pkey
        _owned(self, pkey)
        self._public = Sm2PublicKey(_public_raw(pkey), _pkey=_up_ref(pkey))

    def sign(self, message: bytes) -> bytes:
        return self.sign_digest(self._public.digest(bytes(message)))

    def sign_digest(self, e: bytes) -> bytes:
        L = lib()
        ctx = L.ctx_from_pkey(None, self._pkey, None)
        if not ctx:
            L.clear_errors()
            raise MemoryError("EVP_PKEY_CTX_new_from_pkey failed")
        try:
            buf, n = ctypes.create_string_buffer(80), c_size_t(80)
            if L.sign_init(ctx) != 1 or L.sign(ctx, buf, byref(n), e, len(e)) != 1:
                L.clear_errors()
                raise SmError("SM2 signing failed")
            return buf.raw[: n.value]
        finally:
            L.ctx_free(ctx)

    def public(self) -> Sm2PublicKey:
        return self._public

    def public_key(self) -> Sm2PublicKey:  # what certificate code asks of crypto_key()
        return self._public

    def crypto_key(self) -> Sm2PrivateKey:
        return self

    def to_pem(self) -> bytes:
        L = lib()
        bio = L.bio_new(L.bio_s_mem())
        if not bio:
            raise MemoryError("BIO_new failed")
        try:
            if L.write_pkcs8(bio, self._pkey, None, None, 0, None, None) != 1:
                L.clear_errors()
                raise SmError("cannot write the SM2 private key")
            ptr = c_char_p()
            n = L.bio_ctrl(bio, 3, 0, ctypes.cast(byref(ptr), c_void_p))  # BIO_get_mem_data
            return ctypes.string_at(ptr, n)
        finally:
            L.bio_free(bio)

    def __repr__(self) -> str:
        return f"Sm2PrivateKey(public={self._public.raw().hex()[:18]}...)"


def _up_ref(pkey: int) -> int:
    if lib().up_ref(pkey) != 1:
        raise MemoryError("EVP_PKEY_up_ref failed")
    return pkey


def generate() -> Sm2PrivateKey:
    L = lib()
    ctx = L.ctx_from_name(None, b"SM2", None)
    if not ctx:
        L.clear_errors()
        raise SmUnavailable("OpenSSL has no SM2 key generation")
    try:
        out = c_void_p()
        if L.keygen_init(ctx) != 1 or L.generate(ctx, byref(out)) != 1 or out.value is None:
            L.clear_errors()
            raise SmError("SM2 key generation failed")
        return Sm2PrivateKey(out.value)
    finally:
        L.ctx_free(ctx)


def private_from_der(data: bytes) -> Sm2PrivateKey:
    """A PKCS#8 (or SEC1 ECPrivateKey) DER private key on sm2p256v1."""
    L = lib()
    p = c_char_p(bytes(data))
    pkey = L.d2i_private(None, byref(p), len(data))
    if not pkey:
        L.clear_errors()
        raise SmError("not an SM2 private key (PKCS#8 DER on the curve sm2p256v1 expected)")
    return Sm2PrivateKey(pkey)


def private_from_scalar(d: int) -> Sm2PrivateKey:
    """The key with private scalar d, 1 <= d <= n-2 (test vectors; OpenSSL derives d*G)."""
    if not 1 <= d <= N - 2:
        raise SmError("an SM2 private key lies in [1, n-2]")
    ec_private = der.seq(der.integer(1), der.octet_string(d.to_bytes(32, "big")))
    pkcs8 = der.seq(der.integer(0), ALGORITHM_ID, der.octet_string(ec_private))
    return private_from_der(pkcs8)


def load_private_pem(pem: bytes) -> Sm2PrivateKey:
    text = pem.decode("ascii", "replace") if isinstance(pem, (bytes, bytearray)) else str(pem)
    begin, end = "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----"
    if begin not in text or end not in text:
        raise SmError("not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)")
    body = text.split(begin, 1)[1].split(end, 1)[0]
    try:
        data = base64.b64decode("".join(body.split()), validate=True)
    except ValueError:
        raise SmError("the PEM private key is not valid base64") from None
    return private_from_der(data)


def public_from_spki(spki: bytes) -> Sm2PublicKey:
    """The key of a DER SubjectPublicKeyInfo, which must be id-ecPublicKey on sm2p256v1."""
    try:
        parts = der.children(der.read_one(bytes(spki), der.SEQUENCE))
        if len(parts) != 2 or parts[0][0] != der.SEQUENCE or parts[1][0] != der.BIT_STRING:
            raise SmError("a SubjectPublicKeyInfo is SEQUENCE { algorithm, subjectPublicKey }")
        alg = der.children(parts[0][1])
        if len(alg) != 2 or alg[0][0] != der.OID or alg[1][0] != der.OID:
            raise SmError("the key algorithm is not an elliptic curve named by OID")
        if der.read_oid(alg[0][1]) != OID_EC_PUBLIC_KEY or der.read_oid(alg[1][1]) != OID_SM2_CURVE:
            raise SmError("the key is not an SM2 key (id-ecPublicKey on sm2p256v1)")
        bits = parts[1][1]
    except der.DerError as exc:
        raise SmError(f"malformed SubjectPublicKeyInfo: {exc}") from None
    if not bits or bits[0] != 0:
        raise SmError("the public key bit string has unused bits")
    return Sm2PublicKey(bits[1:])
