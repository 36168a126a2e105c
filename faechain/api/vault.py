"""Document vault routes: a document's bytes in and out, with access decided on chain.

    PUT /v1/vault/{hash}?scope=<contract>&subject=<id>   body: the bytes (application/octet-stream)
    GET /v1/vault/{hash}?scope=<contract>                 answer: the bytes

Documents belong to business objects (a financing plan, later an NPA package's data
room) whose contract records each document's hash on chain. The node keeps the bytes
in its `Vault` (`faechain.ledger.vault`); who may put or get them is the contract's
business, not the API's, so the rules live in one place and every node applies the
same ones. A *scope* names that contract, and the node asks it, as the authenticated
caller, through two ordinary contract queries:

    <scope>.vault_upload(subject=<id>, hash=<hex>)   any value: allowed; a ContractError: refused
                                                     (a query that also declares `document` gets the
                                                     bytes, to check their form: personal data documents)
    <scope>.vault_document(hash=<hex>)               the on-chain record ({"hash", "name",
                                                     "media_type", "size", ...}) or a ContractError

A scope without that query is `unknown_scope` (404). Refusals keep the contract's code,
as `POST /v1/query` reports them (`unauthorized` 403, `not_found` 404, ...).

Uploads are always signed (never anonymous, even where anonymous reads are allowed):
the signature covers the SHA-256 of the body like any signed read, and the bytes must
hash, with the chain's hash function, to `{hash}` (`hash_mismatch`, nothing stored).
They may be larger than the node's usual request limit, up to `vault_max_bytes`
(`too_large`, checked from Content-Length and again while reading). Downloads follow
the read rule (anonymous only on a dev chain on loopback, and then the contract
decides) and are re-hashed before they are served: a copy damaged on disk answers 500
`vault_damaged` rather than wrong bytes.

Each organisation runs its own node, and a document's bytes first reach only the node
they were uploaded to. So when the contract has allowed a signed reader and this vault
does not hold the document, the node asks its `vault_peers` (config; other members'
API base URLs), in order: it sends the same path and query there with the reader's own
credentials unchanged (the read signature covers method, path and date, not the host,
so the peer authenticates the same member and its copy of the contract applies the same
rule) and `X-Fae-Forwarded: 1`, which stops the peer from asking its own peers in turn.
An answer is read up to `vault_max_bytes` within `vault_peer_timeout` seconds and used
only if its bytes hash to `{hash}`; the node keeps that copy in its vault and serves it.
A peer that fails (an error, a timeout, other bytes) is logged and the next one tried;
none: 404 `not_in_vault`. Anonymous readers and forwarded requests are never passed on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from yarl import URL

from faechain.api import auth
from faechain.api.errors import HttpError
from faechain.api.http import json_response
from faechain.api.limits import body_deadline
from faechain.core.errors import FaeError
from faechain.core.wire import HEADER_CERT, HEADER_DATE, HEADER_SIGNATURE, HEADER_SIGNER, jsonable
from faechain.ledger.vault import VaultError, check_hash_hex

if TYPE_CHECKING:  # the server imports this module to register its routes
    from faechain.api.server import Api

log = logging.getLogger("faechain.api.vault")

UPLOAD_QUERY = "vault_upload"
DOCUMENT_QUERY = "vault_document"
HEADER_DOC_HASH = "X-Fae-Doc-Hash"
# set on a download a node passes to a peer: the peer answers from its own vault only
HEADER_FORWARDED = "X-Fae-Forwarded"
READ_HEADERS = (HEADER_SIGNER, HEADER_CERT, HEADER_DATE, HEADER_SIGNATURE)
OCTET_STREAM = "application/octet-stream"
# type/subtype, RFC 6838 restricted names, no parameters: what a record may set as Content-Type
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")
CHUNK = 64 * 1024


def _query_param(request: web.Request, name: str) -> str:
    value = request.query.get(name, "")
    if not value:
        raise HttpError("bad_request", f"parameter {name!r} is required")
    return value


def _hash_param(request: web.Request) -> str:
    try:
        return check_hash_hex(request.match_info["hash"])
    except VaultError as exc:
        raise HttpError(exc.code, exc.message) from None


async def _read_body(request: web.Request, limit: int, deadline: float) -> bytes:
    """The request body, refused with `too_large` as soon as it is known to exceed `limit`,
    and with `request_timeout` if it has not all arrived within `deadline` seconds."""
    too_large = HttpError("too_large", f"a document may have at most {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    body = bytearray()
    try:
        async with asyncio.timeout(deadline):
            async for chunk in request.content.iter_chunked(CHUNK):
                body += chunk
                if len(body) > limit:  # no (or a wrong) Content-Length: stop reading at once
                    raise too_large
    except TimeoutError:
        raise HttpError("request_timeout", f"the document did not arrive within {deadline:g} s") from None
    return bytes(body)


def media_type(record: dict) -> str:
    """The record's `media_type` when it is a plain type/subtype, else application/octet-stream."""
    value = record.get("media_type")
    if isinstance(value, str) and MEDIA_TYPE.fullmatch(value.lower()):
        return value.lower()
    return OCTET_STREAM


def content_disposition(record: dict) -> str:
    """Always an attachment (never rendered in the node's origin), named after the record."""
    name = record.get("name")
    if isinstance(name, str) and name:
        return "attachment; filename*=UTF-8''" + quote(name, safe="")
    return "attachment"


class PeerFailed(FaeError):
    """A vault peer did not supply a document (the reason is logged, the next peer tried);
    `absent`: it answered that it does not hold it either, which is no fault."""

    code = "peer_failed"

    def __init__(self, reason: str, absent: bool = False) -> None:
        super().__init__(reason)
        self.absent = absent


class VaultRoutes:
    """The two handlers, bound to one `Api` (its node, queries, auth and metrics)."""

    def __init__(self, api: Api):
        self.api = api
        self.vault = api.node.vault
        self._peer_session: aiohttp.ClientSession | None = None  # made on first use, on the serving loop

    async def close(self, _app: web.Application | None = None) -> None:
        """Close the HTTP client used for vault peers (the application's cleanup)."""
        if self._peer_session is not None:
            await self._peer_session.close()
            self._peer_session = None

    def _scope(self, request: web.Request, method: str) -> str:
        """The `scope` parameter, if it names a contract with the query `method`."""
        scope = _query_param(request, "scope")
        contract = self.api.node.app.contracts.get(scope)
        m = contract.methods.get(method) if contract is not None else None
        if m is None or m.kind != "query":
            raise HttpError("unknown_scope", f"no contract {scope!r} with a query {method!r}: "
                                            "it keeps no documents in the vault")
        return scope

    async def _in_vault(self, fn: Callable[..., Any], hash_hex: str, *args: Any) -> Any:
        """A Vault call in the executor; its VaultErrors become HttpErrors (a damaged copy is logged)."""
        try:
            return await self.api.run_blocking(fn, hash_hex, *args)
        except VaultError as exc:
            if exc.code == "vault_damaged":
                log.error("%s (file %s)", exc.message, self.vault.path(hash_hex))
            raise HttpError(exc.code, exc.message) from None

    async def _counted(self, op: str, handler: Callable, request: web.Request) -> web.Response:
        try:
            resp, outcome = await handler(request)
        except HttpError as exc:
            self.api.metrics.on_vault(op, exc.code)
            raise
        self.api.metrics.on_vault(op, outcome)
        return resp

    async def upload(self, request: web.Request) -> web.Response:
        return await self._counted("upload", self._upload, request)

    async def download(self, request: web.Request) -> web.Response:
        return await self._counted("download", self._download, request)

    async def _upload(self, request: web.Request) -> tuple[web.Response, str]:
        hash_hex = _hash_param(request)
        scope = self._scope(request, UPLOAD_QUERY)
        subject = _query_param(request, "subject")
        # refuse anonymous uploads before reading a possibly large body
        if not auth.has_credentials(request):
            raise HttpError("unauthenticated", "uploading a document requires a member's signature "
                                              "(X-Fae-Signer, X-Fae-Date, X-Fae-Signature)")
        config = self.api.node.config
        data = await _read_body(request, config.vault_max_bytes, body_deadline(config, config.vault_max_bytes))
        caller = await self.api.reader(request, data)  # the signature covers the bytes
        args: dict[str, Any] = {"subject": subject, "hash": hash_hex}
        if "document" in self.api.node.app.contracts[scope].methods[UPLOAD_QUERY].params:
            args["document"] = data  # the contract checks the form (faechain/contracts/personal.py)
        await self.api.run_query(scope, UPLOAD_QUERY, args, caller)
        stored = await self._in_vault(self.vault.put, hash_hex, data)
        resp = json_response({"hash": hash_hex, "size": len(data), "stored": stored}, 201)
        return resp, "stored" if stored else "exists"

    async def _download(self, request: web.Request) -> tuple[web.Response, str]:
        hash_hex = _hash_param(request)
        scope = self._scope(request, DOCUMENT_QUERY)
        caller = await self.api.reader(request)  # None: an anonymous read the contract judges
        record = jsonable(await self.api.run_query(scope, DOCUMENT_QUERY, {"hash": hash_hex}, caller))
        if not isinstance(record, dict) or record.get("hash") != hash_hex:
            log.error("contract %r answered %s(hash=%s) with a record of another document: %r",
                      scope, DOCUMENT_QUERY, hash_hex, record)
            raise HttpError("internal", f"contract {scope!r} did not answer with the record of {hash_hex}")
        outcome = "served"
        try:
            data = await self._in_vault(self.vault.get, hash_hex)
        except HttpError as exc:
            if exc.code != "not_in_vault":
                raise
            data = await self._from_peers(request, hash_hex, caller is not None, exc)
            outcome = "fetched_from_peer"
        headers = {
            HEADER_DOC_HASH: hash_hex,
            "Content-Disposition": content_disposition(record),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
        return web.Response(body=data, content_type=media_type(record), headers=headers), outcome

    # -- documents held by another member's node --------------------------------------------
    async def _from_peers(self, request: web.Request, hash_hex: str, signed: bool, missing: HttpError) -> bytes:
        """The document from the first vault peer that has it, kept in this vault; `missing`
        (this vault's `not_in_vault`) when the request may not be passed on."""
        config = self.api.node.config
        peers = list(config.vault_peers)
        if not peers or not signed or request.headers.get(HEADER_FORWARDED):
            raise missing  # nowhere to ask; an anonymous reader; or a peer asking us: never pass it on
        headers = {name: request.headers[name] for name in READ_HEADERS if name in request.headers}
        headers[HEADER_FORWARDED] = "1"
        # the path and query exactly as the reader signed them (credentials in the query stay there)
        path_qs = request.rel_url.raw_path_qs
        for peer in peers:
            try:
                data = await self._fetch(peer + path_qs, headers, config.vault_max_bytes, config.vault_peer_timeout)
            except PeerFailed as exc:
                log.log(logging.INFO if exc.absent else logging.WARNING,
                        "vault peer %s did not supply document %s: %s", peer, hash_hex, exc)
                continue
            actual = (await self.api.run_blocking(self.vault.hasher, data)).hex()
            if actual != hash_hex:
                log.warning("vault peer %s sent %d bytes for document %s that hash to %s: ignored",
                            peer, len(data), hash_hex, actual)
                continue
            try:
                await self.api.run_blocking(self.vault.put, hash_hex, data)
            except (VaultError, OSError) as exc:  # the verified bytes are still served
                log.error("document %s fetched from vault peer %s could not be kept in %s: %s",
                          hash_hex, peer, self.vault.root, exc)
            else:
                log.info("document %s (%d bytes) fetched from vault peer %s and kept", hash_hex, len(data), peer)
            return data
        raise HttpError("not_in_vault", f"document {hash_hex} is not in this node's vault, and none of the "
                                       f"{len(peers)} vault peer(s) it asked supplied it")

    def _session(self) -> aiohttp.ClientSession:
        if self._peer_session is None or self._peer_session.closed:
            self._peer_session = aiohttp.ClientSession(auto_decompress=True)
        return self._peer_session

    async def _fetch(self, url: str, headers: dict[str, str], limit: int, timeout: float) -> bytes:
        """The body of a 200 answer to GET `url`, at most `limit` bytes within `timeout` s; PeerFailed else."""
        try:
            async with self._session().get(URL(url, encoded=True), headers=headers, allow_redirects=False,
                                           timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                if resp.status != 200:
                    code = await _error_code(resp)
                    raise PeerFailed(f"it answered {resp.status} {code}".rstrip(),
                                     absent=resp.status == 404 and code == "not_in_vault")
                if resp.content_length is not None and resp.content_length > limit:
                    raise PeerFailed(f"it offered {resp.content_length} bytes, over vault_max_bytes ({limit})")
                body = bytearray()
                async for chunk in resp.content.iter_chunked(CHUNK):
                    body += chunk
                    if len(body) > limit:
                        raise PeerFailed(f"it sent more than vault_max_bytes ({limit})")
                return bytes(body)
        except TimeoutError:
            raise PeerFailed(f"no complete answer within {timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise PeerFailed(f"{type(exc).__name__}: {exc}") from None


async def _error_code(resp: aiohttp.ClientResponse) -> str:
    """The `code` of a faechain JSON error body, or ""."""
    try:
        doc = json.loads(await resp.content.read(4096))
    except (ValueError, aiohttp.ClientError):
        return ""
    code = doc.get("code") if isinstance(doc, dict) else None
    return code if isinstance(code, str) and len(code) <= 64 and code.isprintable() else ""


def add_routes(app: web.Application, api: Api) -> None:
    """Register the vault routes; uploads read their body under `vault_max_bytes`."""
    routes = VaultRoutes(api)
    upload = app.router.add_put("/v1/vault/{hash}", routes.upload)
    app.router.add_get("/v1/vault/{hash}", routes.download)
    api.own_body_limit.add(upload)
    app.on_cleanup.append(routes.close)
