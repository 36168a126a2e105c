"""HTTP wire conventions shared by the REST server and the SDK (no aiohttp here).

JSON:
    * bytes render as lowercase hex strings (hashes, ids, keys, signatures);
    * every error is `{"code": <stable code>, "message": <text>}`, sometimes with
      extra fields (`tx_hash`, `reason`); clients branch on `code` only.

Signed reads (every read except /v1/info, /healthz, /metrics, /openapi.json, /):

    X-Fae-Signer     certificate id, hex (hash of the member's certificate DER)
    X-Fae-Cert       the certificate DER, base64 (optional once it is registered on chain)
    X-Fae-Date       unix milliseconds; must lie within ±300 s of the node's clock
    X-Fae-Signature  base64 of identity.sign_read(chain_id, METHOD, signed_path, sha256(body), date)

The same four may travel as query parameters `signer`, `cert`, `date`, `sig`
(a browser's EventSource cannot set headers). `signed_path` is the request's raw
path followed by `?` and its raw query string with those four parameters taken
out (the remaining parameters keep their order and their percent-encoding); no
`?` when nothing remains. A signed read can be replayed within the date window
by whoever captured it; reads change nothing, and the window bounds it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

HEADER_SIGNER = "X-Fae-Signer"
HEADER_CERT = "X-Fae-Cert"
HEADER_DATE = "X-Fae-Date"
HEADER_SIGNATURE = "X-Fae-Signature"
AUTH_PARAMS = ("signer", "cert", "date", "sig")
MAX_CLOCK_SKEW_MS = 300_000


def signed_path(raw_path: str, raw_query: str) -> str:
    """The path a read signature covers: path plus the query without auth parameters."""
    if not raw_query:
        return raw_path
    kept = [part for part in raw_query.split("&")
            if part and unquote_plus(part.split("=", 1)[0]) not in AUTH_PARAMS]
    return raw_path + ("?" + "&".join(kept) if kept else "")


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional; ValueError when malformed."""
    t = text.strip().replace("-", "+").replace("_", "/").replace(" ", "+")
    t += "=" * (-len(t) % 4)
    try:
        return base64.b64decode(t, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"malformed base64: {exc}") from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def json_default(value: Any) -> Any:
    """`json.dumps(default=...)`: bytes as lowercase hex, tuples and sets as lists."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def jsonable(value: Any) -> Any:
    """A copy of a canonical value with every bytes replaced by its hex string."""
    t = type(value)
    if t is bytes:
        return value.hex()
    if t is dict:
        return {k: jsonable(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [jsonable(v) for v in value]
    return value
