"""The transaction envelope.

    envelope = [1, body, signature, certificate-or-null]     (canonical CBOR array)
    body     = canonical CBOR map {
        "chain":    chain id (text),
        "signer":   certificate id = hash(certificate DER) (bytes),
        "contract": contract name (text),
        "method":   method name (text),
        "args":     map of arguments,
        "nonce":    any unsigned integer the signer chooses (uniqueness),
        "expires":  block time in milliseconds after which the tx is void,
    }
    signed bytes = b"faechain/tx/v1\\x00" + body
    tx hash      = hash(body)

The body travels as a byte string inside the envelope, so the bytes that were
signed are exactly the bytes that are hashed and executed, with no re-encoding.
Replay protection: the chain keeps the hash of every transaction it has executed
and refuses a second one; `expires` bounds how long a signed body stays usable
(a node refuses bodies that expire more than `MAX_TTL_MS` ahead), so a signed
transaction cannot be held back and replayed much later on a pruned node either.
The certificate is optional once the signer is registered on chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faechain.core.encoding import EncodingError, decode, encode
from faechain.core.errors import FaeError

SIGN_DOMAIN = b"faechain/tx/v1\x00"
ENVELOPE_VERSION = 1
MAX_TX_BYTES = 64 * 1024
MAX_TTL_MS = 24 * 3600 * 1000
NAME_MAX = 64
BODY_FIELDS = frozenset({"chain", "signer", "contract", "method", "args", "nonce", "expires"})


class TxError(FaeError, ValueError):
    """An envelope is malformed; `code` is the stable rejection code (`bad_encoding`,
    `too_large`: see `faechain.core.errors.ENVELOPE_CODES`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code)


@dataclass(frozen=True, slots=True)
class Tx:
    """A decoded, well-formed (not yet authenticated) transaction."""

    hash: bytes
    body: bytes
    signature: bytes
    cert: bytes | None
    chain: str
    signer: bytes
    contract: str
    method: str
    args: dict[str, Any]
    nonce: int
    expires: int
    size: int

    @property
    def sign_bytes(self) -> bytes:
        return SIGN_DOMAIN + self.body


def make_body(
    chain: str, signer: bytes, contract: str, method: str, args: dict[str, Any], nonce: int, expires: int
) -> bytes:
    return encode(
        {
            "chain": chain,
            "signer": signer,
            "contract": contract,
            "method": method,
            "args": args,
            "nonce": nonce,
            "expires": expires,
        }
    )


def make_envelope(body: bytes, signature: bytes, cert: bytes | None = None) -> bytes:
    return encode([ENVELOPE_VERSION, body, signature, cert])


def decode_tx(data: bytes, hasher: Callable[[bytes], bytes]) -> Tx:
    """Parse envelope bytes; raise TxError with a stable code for any defect."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TxError("bad_encoding", "transaction must be bytes")
    size = len(data)
    if size > MAX_TX_BYTES:
        raise TxError("too_large", f"transaction is {size} bytes; the limit is {MAX_TX_BYTES}")
    try:
        env = decode(bytes(data))
    except EncodingError as exc:
        raise TxError("bad_encoding", f"envelope: {exc}") from None
    if type(env) is not list or len(env) != 4:
        raise TxError("bad_encoding", "envelope must be [version, body, signature, certificate]")
    version, body, signature, cert = env
    if type(version) is not int or version != ENVELOPE_VERSION:  # true == 1 in Python
        raise TxError("bad_encoding", f"unsupported envelope version {version!r}")
    if type(body) is not bytes or type(signature) is not bytes:
        raise TxError("bad_encoding", "body and signature must be byte strings")
    if cert is not None and type(cert) is not bytes:
        raise TxError("bad_encoding", "certificate must be a byte string or null")
    try:
        fields = decode(body)
    except EncodingError as exc:
        raise TxError("bad_encoding", f"body: {exc}") from None
    if type(fields) is not dict or fields.keys() != BODY_FIELDS:
        raise TxError("bad_encoding", f"body must have exactly the fields {sorted(BODY_FIELDS)}")
    chain, signer, contract, method = fields["chain"], fields["signer"], fields["contract"], fields["method"]
    args, nonce, expires = fields["args"], fields["nonce"], fields["expires"]
    if type(chain) is not str or type(contract) is not str or type(method) is not str:
        raise TxError("bad_encoding", "chain, contract and method must be text")
    if len(contract) > NAME_MAX or len(method) > NAME_MAX:
        raise TxError("bad_encoding", "contract or method name too long")
    if type(signer) is not bytes or len(signer) != 32:
        raise TxError("bad_encoding", "signer must be a 32-byte certificate id")
    if type(args) is not dict:
        raise TxError("bad_encoding", "args must be a map")
    if type(nonce) is not int or nonce < 0 or type(expires) is not int or expires < 0:
        raise TxError("bad_encoding", "nonce and expires must be unsigned integers")
    return Tx(
        hash=hasher(body),
        body=body,
        signature=signature,
        cert=cert,
        chain=chain,
        signer=signer,
        contract=contract,
        method=method,
        args=args,
        nonce=nonce,
        expires=expires,
        size=size,
    )
