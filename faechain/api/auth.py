"""Read authentication: members sign their reads (see `faechain.core.wire`).

`authenticate(request)` returns the reading member's `Caller`. An unsigned read on a node
that allows them (a dev chain on loopback) reads as `NOBODY`, a non-member who sees block
hashes and heights only (docs/confidentiality.md) — or, on an open dev node (`fae demo
--open`, `open_reads`), as None, which sees everything. Credentials that are present but
wrong are always refused, even where anonymous reads are allowed, so a client never
silently reads as nobody.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from aiohttp import web

from faechain.api.errors import HttpError
from faechain.api.http import parse_int
from faechain.chain.results import Rejected
from faechain.contracts.runtime import NOBODY, Caller
from faechain.core.wire import (
    HEADER_CERT,
    HEADER_DATE,
    HEADER_SIGNATURE,
    HEADER_SIGNER,
    MAX_CLOCK_SKEW_MS,
    b64decode,
    signed_path,
)
from faechain.identity.wallet import read_message


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine: the one case where a dev chain may
    serve reads unsigned and the console may sign with the node's wallet."""
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


def _unauth(message: str, reason: str | None = None) -> HttpError:
    extra = {"reason": reason} if reason else {}
    return HttpError("unauthenticated", message, 401, **extra)


def _credentials(request: web.Request) -> dict[str, str | None] | None:
    """The four read-auth fields (each None when absent), or None when none is given."""
    h, q = request.headers, request.query
    creds = {
        "signer": h.get(HEADER_SIGNER) or q.get("signer"),
        "cert": h.get(HEADER_CERT) or q.get("cert"),
        "date": h.get(HEADER_DATE) or q.get("date"),
        "sig": h.get(HEADER_SIGNATURE) or q.get("sig"),
    }
    if not any(creds.values()):
        return None
    return creds


def has_credentials(request: web.Request) -> bool:
    """Whether the request carries read credentials at all (checked, right or wrong, by
    `authenticate`): routes that never serve anonymous callers refuse early without it."""
    return _credentials(request) is not None


def _required(creds: dict[str, str | None], name: str) -> str:
    value = creds[name]
    if not value:
        raise _unauth(f"incomplete credentials: {name} is missing")
    return value


async def authenticate(request: web.Request, node, body: bytes = b"") -> Caller | None:
    creds = _credentials(request)
    if creds is None:
        return anonymous_reader(node)
    signer = _required(creds, "signer")
    date = _required(creds, "date")
    sig = _required(creds, "sig")
    try:
        cert_id = bytes.fromhex(signer)
        date_ms = parse_int(date)
        signature = b64decode(sig)
        cert = b64decode(creds["cert"]) if creds["cert"] else None
    except ValueError as exc:
        raise _unauth(f"malformed credentials: {exc}") from None
    if len(cert_id) != 32:
        raise _unauth("the signer must be a 32-byte certificate id in hex")
    now = int(time.time() * 1000)
    if abs(now - date_ms) > MAX_CLOCK_SKEW_MS:
        raise _unauth(f"the request date is more than {MAX_CLOCK_SKEW_MS // 1000} s from the node's clock "
                      f"(node time {now} ms)", "clock_skew")
    app = node.app
    caller = await resolve_caller(app, cert_id, cert)
    path = signed_path(request.rel_url.raw_path, request.rel_url.raw_query_string)
    msg = read_message(app.chain_id, request.method, path, hashlib.sha256(body).digest(), date_ms)
    if not app.public_key_for(cert_id).verify(signature, msg):
        raise _unauth(f"the read signature does not verify (signed path: {path})", "bad_signature")
    return caller


def anonymous_reader(node) -> Caller | None:
    """Who an unsigned read reads as: None (sees all) on an open dev node, `NOBODY` (a
    non-member) where anonymous reads are allowed; refused `unauthenticated` elsewhere."""
    if node.config.anonymous_reads:
        return None if getattr(node.config, "open_reads", False) else NOBODY
    raise _unauth("this read requires a member's signature (X-Fae-Signer, X-Fae-Date, X-Fae-Signature)")


def require_member(caller: Caller | None) -> Caller | None:
    """`caller`, refused `unauthenticated` if it is `NOBODY`: a route that serves members only
    (queries, documents, the history) has nothing for a non-member."""
    if caller is NOBODY:
        raise _unauth("this read is for members: sign it (X-Fae-Signer, X-Fae-Date, X-Fae-Signature); an "
                      "unsigned reader sees block hashes and heights only (fae demo --open shows it all)")
    return caller


def _resolve_locked(app, cert_id: bytes, cert: bytes | None) -> Caller:
    with app.lock:
        return app.caller_for_cert(cert_id, cert)


async def resolve_caller(app, cert_id: bytes, cert: bytes | None) -> Caller:
    """`caller_for_cert` under the application lock.

    The lock matters: resolving reads the latest committed state through the
    store's value cache and fills the application's caller cache; doing either
    while a block commits could leave a stale entry behind. When the lock is
    free the lookup runs inline (it is a cache hit almost always); when a block
    is being committed it waits in a worker thread, never on the event loop.
    """
    try:
        if app.lock.acquire(blocking=False):
            try:
                return app.caller_for_cert(cert_id, cert)
            finally:
                app.lock.release()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, _resolve_locked, app, cert_id, cert)
    except Rejected as exc:
        raise _unauth(f"{exc.code}: {exc.message}", exc.code) from None
