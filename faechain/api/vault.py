"""Document vault routes: a document's bytes in and out, with access decided on chain.

    PUT /v1/vault/{hash}?scope=<contract>&subject=<id>   body: the bytes (application/octet-stream)
    GET /v1/vault/{hash}?scope=<contract>                 answer: the bytes

Documents belong to business objects (a financing plan, later an NPA package's data
room) whose contract records each document's hash on chain. The node keeps the bytes
in its `Vault` (`faechain.node.vault`); who may put or get them is the contract's
business, not the API's, so the rules live in one place and every node applies the
same ones. A *scope* names that contract, and the node asks it, as the authenticated
caller, through two ordinary contract queries:

    <scope>.vault_upload(subject=<id>, hash=<hex>)   any value: allowed; a ContractError: refused
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
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable
from urllib.parse import quote

from aiohttp import web

from faechain.api import auth
from faechain.api.errors import ApiError
from faechain.api.server import Api, json_response
from faechain.api.wire import jsonable
from faechain.node.vault import VaultError, check_hash_hex

log = logging.getLogger("faechain.api.vault")

UPLOAD_QUERY = "vault_upload"
DOCUMENT_QUERY = "vault_document"
HEADER_DOC_HASH = "X-Fae-Doc-Hash"
OCTET_STREAM = "application/octet-stream"
# type/subtype, RFC 6838 restricted names, no parameters: what a record may set as Content-Type
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")
CHUNK = 64 * 1024


def _query_param(request: web.Request, name: str) -> str:
    value = request.query.get(name, "")
    if not value:
        raise ApiError("bad_request", f"parameter {name!r} is required")
    return value


def _hash_param(request: web.Request) -> str:
    try:
        return check_hash_hex(request.match_info["hash"])
    except VaultError as exc:
        raise ApiError(exc.code, exc.message) from None


async def _read_body(request: web.Request, limit: int) -> bytes:
    """The request body, refused with `too_large` as soon as it is known to exceed `limit`."""
    too_large = ApiError("too_large", f"a document may have at most {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > limit:  # no (or a wrong) Content-Length: stop reading at once
            raise too_large
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


class VaultRoutes:
    """The two handlers, bound to one `Api` (its node, queries, auth and metrics)."""

    def __init__(self, api: Api):
        self.api = api
        self.vault = api.node.vault

    def _scope(self, request: web.Request, method: str) -> str:
        """The `scope` parameter, if it names a contract with the query `method`."""
        scope = _query_param(request, "scope")
        contract = self.api.node.app.contracts.get(scope)
        m = contract.methods.get(method) if contract is not None else None
        if m is None or m.kind != "query":
            raise ApiError("unknown_scope", f"no contract {scope!r} with a query {method!r}: "
                                            "it keeps no documents in the vault")
        return scope

    async def _in_vault(self, fn: Callable[..., Any], hash_hex: str, *args: Any) -> Any:
        """A Vault call in the executor; its VaultErrors become ApiErrors (a damaged copy is logged)."""
        try:
            return await self.api._blocking(fn, hash_hex, *args)
        except VaultError as exc:
            if exc.code == "vault_damaged":
                log.error("%s (file %s)", exc.message, self.vault.path(hash_hex))
            raise ApiError(exc.code, exc.message) from None

    async def _counted(self, op: str, handler: Callable, request: web.Request) -> web.Response:
        try:
            resp, outcome = await handler(request)
        except ApiError as exc:
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
            raise ApiError("unauthenticated", "uploading a document requires a member's signature "
                                              "(X-Fae-Signer, X-Fae-Date, X-Fae-Signature)")
        data = await _read_body(request, self.api.node.config.vault_max_bytes)
        caller = await self.api._reader(request, data)  # the signature covers the bytes
        await self.api.run_query(scope, UPLOAD_QUERY, {"subject": subject, "hash": hash_hex}, caller)
        stored = await self._in_vault(self.vault.put, hash_hex, data)
        resp = json_response({"hash": hash_hex, "size": len(data), "stored": stored}, 201)
        return resp, "stored" if stored else "exists"

    async def _download(self, request: web.Request) -> tuple[web.Response, str]:
        hash_hex = _hash_param(request)
        scope = self._scope(request, DOCUMENT_QUERY)
        caller = await self.api._reader(request)  # None: an anonymous read the contract judges
        record = jsonable(await self.api.run_query(scope, DOCUMENT_QUERY, {"hash": hash_hex}, caller))
        if not isinstance(record, dict) or record.get("hash") != hash_hex:
            log.error("contract %r answered %s(hash=%s) with a record of another document: %r",
                      scope, DOCUMENT_QUERY, hash_hex, record)
            raise ApiError("internal", f"contract {scope!r} did not answer with the record of {hash_hex}")
        data = await self._in_vault(self.vault.get, hash_hex)
        headers = {
            HEADER_DOC_HASH: hash_hex,
            "Content-Disposition": content_disposition(record),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
        return web.Response(body=data, content_type=media_type(record), headers=headers), "served"


def add_routes(app: web.Application, api: Api) -> None:
    """Register the vault routes; uploads read their body under `vault_max_bytes`."""
    routes = VaultRoutes(api)
    upload = app.router.add_put("/v1/vault/{hash}", routes.upload)
    app.router.add_get("/v1/vault/{hash}", routes.download)
    api.own_body_limit.add(upload)
