"""The console's HTTP side: the page, its assets, and a small session-based JSON API.

    GET    /                                the console and explorer (one HTML page, public)
    GET    /console/assets/{path}           its JavaScript and CSS (package data, public)
    GET    /console/api/session             who is signed in; the identities one may sign in as
    POST   /console/api/session             sign in as a wallet identity {"name", "passphrase"}
    DELETE /console/api/session             sign out
    POST   /console/api/query/{contract}/{method}   a contract query run as the signed-in member
    POST   /console/api/tx/prepare          sign a transaction for the member; held until confirmed
    POST   /console/api/tx/submit           submit a prepared transaction {"tx_hash"}; its receipt
    GET    /console/api/blocks              the latest blocks
    GET    /console/api/blocks/{height}     one block
    GET    /console/api/txs/{hash}          a transaction: signer's certificate chain, events, writes
    GET    /console/api/events              server-sent events (as /v1/events), for the session
    GET    /console/api/events/recent       the latest contract events as JSON
    GET    /console/api/refusals            the refusals catalog, Chinese and English (refusals.py)
    GET    /console/api/search?q=           the explorer's search: names, ids, heights, hash prefixes (search.py)
    GET    /console/api/genesis             the chain's genesis as canonical CBOR (the browser hashes
                                            and pins it: the trust anchor of its header checks)
    GET    /console/api/light/{height}      GET /v1/light/{height}: what the browser's light client
                                            checks block {height}'s header by (signatures)
    GET    /console/api/read/{path}         GET /v1/{path} as a read signed by the member (documents,
                                            audit exports, contract descriptions: whatever /v1/ serves)

Keys never leave the node: a session names a wallet identity (`<home>/wallet/<name>/`)
that this process loaded, and the console signs with it (`Identity.sign_tx`) and submits
through the engine exactly as `POST /v1/txs` does. `prepare` answers with every field of
the signed body (chain, contract, method, args, nonce, expiry, signer) and the body bytes
themselves, so the browser shows — and re-hashes — exactly what was signed before the
member confirms it; the envelope waits in the session until `submit` or its expiry.
Reads run as the member (`Application.run_query` with the member as caller, as signed
reads do).

Sign-in: on a dev chain served on loopback (`fae demo`) any wallet identity signs in with
one click, unless a passphrase is set; on any other node sign-in needs the passphrase set
with `fae node console-passphrase` (a salted scrypt hash in config.json), and is refused
while none is set. Sessions are an HttpOnly, SameSite=Strict cookie naming a server-side
session; every POST and DELETE must carry the `X-Fae-CSRF` header (the session's token;
any value before sign-in), which a cross-site page cannot set. Explorer and query reads
without a session are served only where the node allows anonymous reads, like `/v1/`, and
then as a non-member (block hashes and heights; everything on an open dev node). Every
explorer answer follows the reader's view (docs/confidentiality.md).
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import time
from collections import deque
from typing import Any

from aiohttp import web

from faechain.api import auth
from faechain.api.auth import is_loopback
from faechain.api.errors import HttpError
from faechain.api.events import stream_events
from faechain.api.http import bool_param, int_param, json_response, parse_int
from faechain.console import explorer, refusals, search, signers
from faechain.console.sessions import COOKIE, CSRF_HEADER, SessionTable
from faechain.console.signing import Signing, from_json_args, model_args
from faechain.core.encoding import encode
from faechain.core.wire import jsonable
from faechain.identity.organisations import ORG_TYPES

STATIC = os.path.join(os.path.dirname(__file__), "static")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FAILURE_WINDOW = 60.0
MAX_FAILURES = 5  # wrong passphrases per window before sign-in pauses
CONSOLE_KEY: web.AppKey[Console] = web.AppKey("faechain_console")
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml",
                 ".json": "application/json", ".png": "image/png"}


# the order the sign-in list shows roles in: operator and regulator, then ORG_TYPES' order
ROLE_ORDER = {role: i for i, role in enumerate(
    ("EXCHANGE", "REGULATOR", *(t for t in ORG_TYPES if t not in ("EXCHANGE", "REGULATOR"))))}


def is_dev_node(node) -> bool:
    """`fae demo`: a dev chain served on loopback only."""
    return bool(node.app.genesis.dev) and is_loopback(node.config.host)


def wallet_identities(home: str) -> list[dict]:
    """Public facts of the wallet's identities (no keys): the market's operator and its
    regulator first, then by organisation type in domain order, then by name."""
    wallet = os.path.join(home, "wallet")
    found = {}
    if os.path.isdir(wallet):
        for name in os.listdir(wallet):
            try:
                with open(os.path.join(wallet, name, "identity.json")) as f:
                    info = json.load(f)
            except (OSError, ValueError):
                continue
            if NAME.match(name):
                found[name] = {"name": name, "org_id": info.get("org_id"), "org_name": info.get("org_name", ""),
                               "role": info.get("role"), "attributes": info.get("attributes") or {}}
    return [found[n] for n in sorted(found, key=lambda n: (ROLE_ORDER.get(found[n]["role"], len(ROLE_ORDER)), n))]


class Console:
    def __init__(self, api):
        self.api = api
        self.node = api.node
        self.sessions = SessionTable()
        self.failures: deque[float] = deque()

    # -- helpers --------------------------------------------------------------------------
    def session(self, request: web.Request):
        return self.sessions.get(request.cookies.get(COOKIE))

    def require_session(self, request: web.Request):
        s = self.session(request)
        if s is None:
            raise HttpError("unauthenticated", "sign in to the console first", 401)
        return s

    def check_csrf(self, request: web.Request, session) -> None:
        """State-changing requests carry X-Fae-CSRF: the session's token (any value before sign-in)."""
        value = request.headers.get(CSRF_HEADER)
        if not value or (session is not None and value != session.csrf):
            raise HttpError("forbidden", f"missing or wrong {CSRF_HEADER} header")

    async def caller(self, request: web.Request):
        """The signed-in member as a Caller; without a session, where the node allows anonymous
        reads, `NOBODY` (a non-member: block hashes and heights) or, on an open dev node, None."""
        s = self.session(request)
        if s is None:
            if self.node.config.anonymous_reads:
                return auth.anonymous_reader(self.node)
            raise HttpError("unauthenticated", "sign in to the console first", 401)
        return await auth.resolve_caller(self.node.app, s.identity.cert_id, s.identity.cert)

    async def read_json(self, request: web.Request) -> dict:
        body = await request.read()
        if not body.strip():
            return {}
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:  # also: integers of over 4,300 digits, deep nesting
            raise HttpError("bad_request", f"malformed JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise HttpError("bad_request", "the body must be a JSON object")
        return doc

    def _features(self, request: web.Request) -> dict:
        routes = {r.resource.canonical for r in request.app.router.routes() if r.resource is not None}
        return {"governance": "governance" in self.node.app.contracts,
                "audit_export": "/v1/audit/export" in routes,
                "history": "/v1/history" in routes}

    # -- page and assets ------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.Response:
        with open(os.path.join(STATIC, "index.html"), encoding="utf-8") as f:
            page = f.read()
        import html

        page = page.replace("{{chain}}", html.escape(self.node.app.chain_id))
        # connect-src also allows other nodes: a witness (static/light.js) is another member's node,
        # asked for public signed headers; scripts, styles and frames stay this node's own
        csp = ("default-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; "
               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        return web.Response(text=page, content_type="text/html",
                            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                                     "Content-Security-Policy": csp})

    async def asset(self, request: web.Request) -> web.Response:
        rel = request.match_info["path"]
        path = os.path.normpath(os.path.join(STATIC, rel))
        if not path.startswith(STATIC + os.sep) or not os.path.isfile(path):
            raise HttpError("not_found", f"no console asset {rel}")
        ext = os.path.splitext(path)[1]
        ctype = CONTENT_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        with open(path, "rb") as f:
            data = f.read()
        if ctype.startswith("text"):
            ctype += "; charset=utf-8"
        return web.Response(body=data, headers={"Content-Type": ctype,
                                                "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    # -- sessions ---------------------------------------------------------------------------
    def _sign_in_rules(self) -> dict:
        dev = is_dev_node(self.node)
        has_pass = bool(getattr(self.node.config, "console_passphrase", ""))
        return {"dev": dev, "passphrase_set": has_pass, "passphrase_required": has_pass or not dev,
                "sign_in_allowed": dev or has_pass}

    async def get_session(self, request: web.Request) -> web.Response:
        app = self.node.app
        s = self.session(request)
        rules = self._sign_in_rules()
        doc: dict[str, Any] = {"signed_in": s is not None, **rules,
                               "chain": {"chain_id": app.chain_id, "suite": app.suite.name, "height": app.height},
                               "anonymous_reads": bool(self.node.config.anonymous_reads),
                               "open_reads": bool(self.node.config.anonymous_reads
                                                  and getattr(self.node.config, "open_reads", False)),
                               "features": self._features(request)}
        if rules["dev"]:
            doc["identities"] = wallet_identities(self.node.home)
        if s is not None:
            ident = s.identity
            doc["member"] = {"name": ident.name, "org_id": ident.org_id, "org_name": ident.org_name,
                             "role": ident.role, "attributes": ident.attributes, "cert_id": ident.cert_id.hex()}
            doc["csrf"] = s.csrf
        return json_response(doc, headers={"Cache-Control": "no-store"})

    async def sign_in(self, request: web.Request) -> web.Response:
        self.check_csrf(request, None)
        doc = await self.read_json(request)
        rules = self._sign_in_rules()
        if not rules["sign_in_allowed"]:
            raise HttpError("forbidden", "console sign-in on a node that is not a dev chain on loopback needs a "
                                        "passphrase: set one with `fae node console-passphrase --home <home>`")
        name, passphrase = doc.get("name"), doc.get("passphrase")
        if not isinstance(name, str) or not NAME.match(name):
            raise HttpError("bad_request", "name must be a wallet identity's name")
        if rules["passphrase_required"]:
            now = time.monotonic()
            while self.failures and now - self.failures[0] > FAILURE_WINDOW:
                self.failures.popleft()
            if len(self.failures) >= MAX_FAILURES:
                raise HttpError("forbidden", "too many wrong passphrases; try again in a minute")
            from faechain.console.passphrase import verify_passphrase

            ok = isinstance(passphrase, str) and await self.api.run_blocking(
                verify_passphrase, self.node.config.console_passphrase, passphrase)
            if not ok:
                self.failures.append(now)
                raise HttpError("unauthenticated", "wrong passphrase", 401)
        from faechain.identity.wallet import Identity

        try:
            ident = Identity.load(self.node.home, name)
        except (FileNotFoundError, NotADirectoryError):
            raise HttpError("not_found", f"no identity {name!r} in this node's wallet") from None
        except (OSError, ValueError, KeyError) as exc:
            raise HttpError("bad_request", f"cannot load identity {name!r}: {exc}") from None
        # the identity must be a member now (resolving it checks chain, revocation and validity)
        await auth.resolve_caller(self.node.app, ident.cert_id, ident.cert)
        old = request.cookies.get(COOKIE)
        if old:
            self.sessions.delete(old)
        s = self.sessions.create(ident)
        resp = json_response({"signed_in": True, "name": ident.name, "org_id": ident.org_id, "role": ident.role,
                              "csrf": s.csrf})
        resp.set_cookie(COOKIE, s.token, httponly=True, samesite="Strict", path="/",
                        secure=request.secure, max_age=int(self.sessions.lifetime))
        return resp

    async def sign_out(self, request: web.Request) -> web.Response:
        s = self.session(request)
        self.check_csrf(request, s)
        self.sessions.delete(request.cookies.get(COOKIE))
        resp = json_response({"signed_in": False})
        resp.del_cookie(COOKIE, path="/")
        return resp

    # -- queries and transactions ---------------------------------------------------------------
    async def query(self, request: web.Request) -> web.Response:
        self.check_csrf(request, self.session(request))
        caller = await self.caller(request)
        args = model_args(from_json_args(await self.read_json(request)))
        contract, method = request.match_info["contract"], request.match_info["method"]
        pinned = self.node.app.height
        try:
            result = await self.api.run_query(contract, method, args, caller, pinned)
        except HttpError as exc:  # a member node's query resting on records it does not hold: relayed
            return await self.api.relay_refused(exc, self.session(request), contract, method, pinned, request)
        return json_response({"result": jsonable(result), "height": pinned})

    # -- explorer reads ---------------------------------------------------------------------------
    async def blocks(self, request: web.Request) -> web.Response:
        caller = await self.caller(request)
        limit = min(int_param(request, "limit", 20, 1), 100)
        top = self.node.app.height
        before = int_param(request, "before")
        if before is not None:
            top = min(top, before - 1)

        def load() -> list:
            return [d for h in range(top, max(top - limit, -1), -1)
                    if (d := signers.named(self.node, self.api.block_doc(h, caller=caller))) is not None]

        return json_response({"head": self.node.app.height, "blocks": await self.api.run_blocking(load)})

    async def block(self, request: web.Request) -> web.Response:
        caller = await self.caller(request)
        which = request.match_info["height"]
        try:
            height = self.node.app.height if which == "latest" else parse_int(which)
        except ValueError:
            raise HttpError("bad_request", "height must be a non-negative integer or 'latest'") from None
        doc = await self.api.run_blocking(lambda: signers.named(self.node, self.api.block_doc(height, caller=caller)))
        if doc is None:
            raise HttpError("not_found", f"no block at height {height} (head is {self.node.app.height})")
        return json_response(doc)

    async def tx(self, request: web.Request) -> web.Response:
        caller = await self.caller(request)
        text = request.match_info["hash"]
        try:
            tx_hash = bytes.fromhex(text)
        except ValueError:
            raise HttpError("bad_request", "transaction hash must be hex") from None
        if len(tx_hash) != 32:
            raise HttpError("bad_request", "transaction hash must be 32 bytes")
        doc = await self.api.run_blocking(explorer.tx_detail, self.node, tx_hash, caller)
        if doc is None:
            raise HttpError("not_found", f"no committed transaction {text}")
        return json_response(doc)

    async def events(self, request: web.Request) -> web.StreamResponse:
        caller = await self.caller(request)
        if self.api.hub.closing:
            raise HttpError("unavailable", "the node is shutting down")
        first = int_param(request, "from")
        last_id = request.headers.get("Last-Event-ID")
        if last_id:
            try:
                first = parse_int(last_id.split("-")[0]) + 1
            except ValueError:
                raise HttpError("bad_request", "Last-Event-ID must be a block height") from None
        return await stream_events(request, self.api.hub, first, request.query.get("contract") or None,
                                   request.query.get("type") or None, bool_param(request, "blocks", True),
                                   caller=caller)

    async def recent_events(self, request: web.Request) -> web.Response:
        caller = await self.caller(request)
        limit = min(int_param(request, "limit", 100, 1), 1000)
        rows = await self.api.run_blocking(explorer.recent_events, self.node, caller, request.query.get("contract"),
                                           request.query.get("type"), limit)
        return json_response({"events": rows, "height": self.node.app.height})

    # -- what the browser's light client starts from and checks ---------------------------------
    async def genesis(self, request: web.Request) -> web.Response:
        """The genesis as its canonical CBOR bytes, exactly what the chain hashes: the browser
        decodes the document from these bytes and pins their hash (static/genesis.js), so it
        never has to trust a re-rendering. Nothing here is trusted by the browser after its
        first visit: a node that serves another genesis later is refused there."""
        await self.caller(request)
        app = self.node.app
        return json_response({"chain_id": app.chain_id, "suite": app.suite.name,
                              "canonical": encode(app.genesis.canonical()).hex()})

    async def light(self, request: web.Request) -> web.Response:
        """GET /v1/light/{height} for the session (or an anonymous reader where allowed): the
        signed header material the browser verifies (static/light.js). Only relayed."""
        await self.caller(request)
        return await self.api.light_answer(request.match_info["height"])

    async def signed_read(self, request: web.Request) -> web.StreamResponse:
        """GET /v1/<path> on this node as a read signed by the session's member (the node
        fetches it from itself over loopback, so every /v1/ rule applies unchanged)."""
        import hashlib

        from aiohttp import ClientSession, ClientTimeout
        from yarl import URL

        from faechain.core.wire import HEADER_CERT, HEADER_DATE, HEADER_SIGNATURE, HEADER_SIGNER, b64encode

        s = self.require_session(request)
        tail = request.match_info["path"]
        if ".." in tail.split("/"):
            raise HttpError("bad_request", "bad path")
        # the raw (still percent-encoded) path and query, byte for byte as signed and as sent
        raw_tail = request.rel_url.raw_path.split("/console/api/read/", 1)[-1]
        path = "/v1/" + raw_tail
        raw_query = request.rel_url.raw_query_string
        signed = path + ("?" + raw_query if raw_query else "")
        ident = s.identity
        date = int(time.time() * 1000)
        sig = ident.sign_read(self.node.app.chain_id, "GET", signed, hashlib.sha256(b"").digest(), date)
        headers = {HEADER_SIGNER: ident.cert_id.hex(), HEADER_DATE: str(date), HEADER_SIGNATURE: b64encode(sig),
                   HEADER_CERT: b64encode(ident.cert)}
        host = self.node.config.host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
        url = f"http://{host}:{self.node.config.port}{signed}"
        async with ClientSession(timeout=ClientTimeout(total=300)) as client:
            # encoded=True: sent byte for byte as signed (yarl would otherwise re-quote `%2F` as `/`)
            async with client.get(URL(url, encoded=True), headers=headers, allow_redirects=False) as upstream:
                resp = web.StreamResponse(status=upstream.status)
                for name in ("Content-Type", "Content-Disposition"):
                    if name in upstream.headers:
                        resp.headers[name] = upstream.headers[name]
                resp.headers["Cache-Control"] = "no-store"
                await resp.prepare(request)
                async for chunk in upstream.content.iter_chunked(65536):
                    await resp.write(chunk)
                await resp.write_eof()
                return resp


def add_routes(app: web.Application, api) -> Console:
    """Register the console on the API's aiohttp application (GET / is the console page)."""
    console = Console(api)
    app[CONSOLE_KEY] = console
    r = app.router
    r.add_get("/", console.index)
    r.add_get("/console/assets/{path:.+}", console.asset)
    r.add_get("/console/api/session", console.get_session)
    r.add_post("/console/api/session", console.sign_in)
    r.add_delete("/console/api/session", console.sign_out)
    r.add_post("/console/api/query/{contract}/{method}", console.query)
    signing = Signing(console)
    r.add_post("/console/api/tx/prepare", signing.prepare)
    r.add_post("/console/api/tx/submit", signing.submit)
    r.add_get("/console/api/blocks", console.blocks)
    r.add_get("/console/api/blocks/{height}", console.block)
    r.add_get("/console/api/txs/{hash}", console.tx)
    r.add_get("/console/api/events", console.events)
    r.add_get("/console/api/events/recent", console.recent_events)
    r.add_get("/console/api/search", search.route(console))
    r.add_get("/console/api/read/{path:.+}", console.signed_read)
    r.add_get("/console/api/genesis", console.genesis)
    r.add_get("/console/api/light/{height}", console.light)
    r.add_get("/console/api/refusals", refusals.catalog)
    return console
