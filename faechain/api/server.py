"""The node's REST API (aiohttp): `build_app(node)` is what `Node.serve` runs.

Routes (all JSON unless noted; bytes as lowercase hex; errors `{"code","message"}`):

    GET  /                         the web console and block explorer (public page; its own
                                   session API under /console/: see faechain.console.routes)
    GET  /healthz                  liveness and height (public)
    GET  /metrics                  Prometheus text format (public)
    GET  /openapi.json             the OpenAPI 3.1 document (public)
    GET  /v1/info                  chain id, head, suite, engine, node time (public)
    POST /v1/txs                   submit a signed envelope (the envelope authenticates itself)
    POST /v1/txs/batch             submit up to MAX_BATCH envelopes at once; per-item results
    GET  /v1/txs/{hash}            a committed transaction, decoded, with its receipt
    GET  /v1/blocks/{height}       a block header and its transactions ("latest" allowed)
    GET  /v1/state                 a raw state value, optionally with its proof
    POST /v1/query/{contract}/{method}   run a contract query as the signed reader
    GET  /v1/contracts             contracts and their methods
    GET  /v1/events                server-sent events: blocks and contract events
    PUT  /v1/vault/{hash}          store a document's bytes (bytes in; see faechain.api.vault)
    GET  /v1/vault/{hash}          fetch a document's bytes (bytes out), re-checked against its hash
    GET  /v1/history               the transactions and end-block events naming a reference, oldest
                                   first (regulator and exchange; see faechain.api.audit)
    GET  /v1/audit/export          the audit trail of a reference or organisation as CSV or XLSX
                                   (a file; regulator and exchange)
    POST /v1/dev/advance_time      move a dev chain's clock forward
    GET  /console/assets/{path}    the console's scripts and styles (public)
    GET|POST|DELETE /console/api/session   console sign-in as a wallet identity (cookie session)
    POST /console/api/query/{contract}/{method}, /console/api/tx/prepare, /console/api/tx/submit,
    GET  /console/api/blocks[/{height}], /console/api/txs/{hash}, /console/api/events[/recent],
         /console/api/read/{path}
                                   the console's reads and signing on the member's behalf

Everything under /v1/ except /v1/info and /v1/txs (POST) is a member read and
needs a signed request (see `faechain.api.wire`) unless the node allows anonymous
reads. Blocking work (check_tx under the application lock, contract queries,
history scans) runs in the default executor, never on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from importlib import metadata
from typing import Any

from aiohttp import web

from faechain.engines.solo import EngineError
from faechain.api import auth
from faechain.api.errors import ApiError
from faechain.api.events import EventHub, stream_events
from faechain.api.limits import Limits, handler_args
from faechain.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from faechain.api.metrics import Metrics
from faechain.api.openapi import build_document
from faechain.api.openapi import finish as finish_document
from faechain.api.wire import b64decode, json_default, jsonable
from faechain.application import Receipt, Rejected
from faechain.contracts.errors import ContractError
from faechain.contracts.runtime import Caller
from faechain.ledger.block import Header
from faechain.ledger.encoding import EncodingError, check, decode
from faechain.ledger.integrity import StorageDamaged, file_damage, halt, is_corruption
from faechain.ledger.tx import TxError, decode_tx

log = logging.getLogger("faechain.api")

API_KEY: web.AppKey["Api"] = web.AppKey("faechain_api")
DEFAULT_WAIT_TIMEOUT = 30.0
MAX_WAIT_TIMEOUT = 300.0
MAX_BATCH = 1000  # envelopes per POST /v1/txs/batch
MAX_INT_PARAM = 2**63 - 1  # SQLite's largest INTEGER: no height, index or limit lies beyond it
# check_tx rejections of POST /v1/txs: 400 unless listed.
SUBMIT_STATUS = {"too_large": 413, "replay": 409, "mempool_full": 429, "unavailable": 503, "internal_error": 500}
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 503: "unavailable", 504: "timeout"}


def version() -> str:
    try:
        return metadata.version("faechain")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    body = json.dumps(data, default=json_default, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def receipt_json(r: Receipt) -> dict:
    return {
        "ok": r.ok,
        "code": r.code,
        "message": r.message,
        "tx_hash": r.tx_hash.hex(),
        "height": r.height,
        "index": r.index,
        "result": jsonable(r.result),
        "events": jsonable(r.events),
    }


def header_json(header: Header) -> dict:
    return jsonable(header.to_map())


# -- parameter parsing ---------------------------------------------------------------------
def _int_param(request: web.Request, name: str, default: int | None = None, minimum: int = 0) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError("bad_request", f"parameter {name!r} must be an integer") from None
    if value < minimum:
        raise ApiError("bad_request", f"parameter {name!r} must be at least {minimum}")
    if value > MAX_INT_PARAM:
        raise ApiError("bad_request", f"parameter {name!r} must be at most {MAX_INT_PARAM}")
    return value


def _bool_param(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    low = raw.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ApiError("bad_request", f"parameter {name!r} must be true or false")


def _timeout_param(request: web.Request) -> float:
    timeout_raw = request.query.get("timeout")
    try:
        timeout = float(timeout_raw) if timeout_raw else DEFAULT_WAIT_TIMEOUT
    except ValueError:
        raise ApiError("bad_request", "parameter 'timeout' must be a number of seconds") from None
    if not 0 < timeout <= MAX_WAIT_TIMEOUT:
        raise ApiError("bad_request", f"parameter 'timeout' must lie in (0, {MAX_WAIT_TIMEOUT:g}]")
    return timeout


def _batch_body(content_type: str, body: bytes) -> list[bytes]:
    """The envelopes of a batch submission: a canonical CBOR array of byte strings, or
    JSON `{"txs": ["<base64>", ...]}`; at most MAX_BATCH of them."""
    if content_type == "application/cbor":
        try:
            doc = decode(body)
        except EncodingError as exc:
            raise ApiError("bad_request", f"malformed CBOR batch: {exc}") from None
        if type(doc) is not list or any(type(x) is not bytes for x in doc):
            raise ApiError("bad_request", "a CBOR batch is an array of envelope byte strings")
        raws = doc
    elif content_type == "application/json":
        doc = _json_body(body)
        txs = doc.get("txs") if isinstance(doc, dict) else None
        if not isinstance(txs, list) or any(not isinstance(x, str) for x in txs):
            raise ApiError("bad_request", 'a JSON batch is {"txs": ["<base64 envelope>", ...]}')
        if len(txs) > MAX_BATCH:
            raise ApiError("too_large", f"a batch holds at most {MAX_BATCH} transactions, not {len(txs)}")
        raws = []
        for i, text in enumerate(txs):
            try:
                raws.append(b64decode(text))
            except ValueError as exc:
                raise ApiError("bad_request", f"txs[{i}]: {exc}") from None
    else:
        raise ApiError("bad_request", "send the batch as application/cbor (an array of envelopes) "
                                      'or application/json ({"txs": [...]})')
    if not raws:
        raise ApiError("bad_request", "empty batch: send at least one envelope")
    if len(raws) > MAX_BATCH:
        raise ApiError("too_large", f"a batch holds at most {MAX_BATCH} transactions, not {len(raws)}")
    return raws


def _submit_body(content_type: str, body: bytes) -> bytes:
    """The envelope of POST /v1/txs: the body itself, or JSON `{"tx": "<base64>"}`."""
    if content_type == "application/json":
        doc = _json_body(body)
        if not isinstance(doc, dict) or not isinstance(doc.get("tx"), str):
            raise ApiError("bad_request", 'a JSON submission is {"tx": "<base64 envelope>"}')
        try:
            raw = b64decode(doc["tx"])
        except ValueError as exc:
            raise ApiError("bad_request", str(exc)) from None
    else:
        raw = body
    if not raw:
        raise ApiError("bad_request", "empty body: send the signed envelope")
    return raw


def _query_args(content_type: str, body: bytes) -> dict:
    """The named arguments of POST /v1/query: a JSON object, or a canonical CBOR map;
    values of the ledger's value model only (no floats, no lone surrogates, 64-bit ints)."""
    if content_type == "application/cbor":
        try:
            args = decode(body) if body else {}
        except EncodingError as exc:
            raise ApiError("bad_request", f"malformed CBOR arguments: {exc}") from None
    else:
        args = _json_body(body) if body.strip() else {}
    if not isinstance(args, dict):
        raise ApiError("bad_request", "the arguments must be an object of named arguments")
    try:
        check(args)
    except EncodingError as exc:
        raise ApiError("bad_request", f"unacceptable argument value: {exc}") from None
    return args


def _advance_seconds(body: bytes) -> int:
    """The `seconds` of POST /v1/dev/advance_time's body `{"seconds": n}`."""
    doc = _json_body(body) if body.strip() else {}
    seconds = doc.get("seconds") if isinstance(doc, dict) else None
    if type(seconds) is not int:
        raise ApiError("bad_request", 'the body is {"seconds": <positive integer>}')
    return seconds


def _resume_from(request: web.Request) -> int | None:
    """The first height an event stream sends: after `Last-Event-ID` (a reconnecting
    EventSource), else the `from` parameter, else None (live only)."""
    first = _int_param(request, "from")
    last_id = request.headers.get("Last-Event-ID")
    if last_id:
        try:
            last = int(last_id.split("-")[0])
        except ValueError:
            raise ApiError("bad_request", "Last-Event-ID must be a block height") from None
        if not 0 <= last <= MAX_INT_PARAM:
            raise ApiError("bad_request", "Last-Event-ID must be a block height")
        first = last + 1  # resume after the last complete block
    return first


async def _all_done(futures: list, timeout: float | None = None) -> bool:
    """Wait until every concurrent future is done (True) or `timeout` passes (False).

    One wake-up of the event loop for the whole set, instead of one per future."""
    pending = [f for f in futures if not f.done()]
    if not pending:
        return True
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    lock = threading.Lock()
    remaining = [len(pending)]

    def wake() -> None:
        if not waiter.done():
            waiter.set_result(None)

    def on_done(_) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            try:
                loop.call_soon_threadsafe(wake)
            except RuntimeError:  # the loop has closed
                pass

    for f in pending:
        f.add_done_callback(on_done)
    try:
        await asyncio.wait_for(waiter, timeout)
    except asyncio.TimeoutError:
        return False
    return True


def _hex_param(text: str, what: str, length: int | None = None) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise ApiError("bad_request", f"{what} must be hex") from None
    if length is not None and len(value) != length:
        raise ApiError("bad_request", f"{what} must be {length} bytes")
    return value


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # also: integers of over 4,300 digits, deep nesting
        raise ApiError("bad_request", f"malformed JSON: {exc}") from None


class Api:
    """The handlers, bound to one node."""

    def __init__(self, node):
        self.node = node
        self.metrics = Metrics()
        self.hub = EventHub(node, self.metrics)
        self.started_ms = int(time.time() * 1000)
        # routes that read their body under their own limit instead of max_body_bytes
        self.own_body_limit: set[web.AbstractRoute] = set()
        self.limits = Limits(node.config, self.own_body_limit)

    # -- middleware: errors as JSON, body limit, request metrics --------------------------
    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        try:
            limit = self.node.config.max_body_bytes
            if (request.content_length is not None and request.content_length > limit
                    and request.match_info.route not in self.own_body_limit):
                raise ApiError("too_large", f"request body exceeds {limit} bytes")
            resp = await handler(request)
        except ApiError as exc:
            resp = json_response(exc.body(), exc.status)
            if exc.status == 408:  # the client is still sending: do not wait for the rest
                resp.force_close()
        except web.HTTPException as exc:
            code = HTTP_CODES.get(exc.status, "internal" if exc.status >= 500 else "bad_request")
            message = exc.reason if exc.status != 413 else f"request body exceeds {self.node.config.max_body_bytes} bytes"
            if exc.status == 404:
                message = f"no route {request.method} {request.path}"
            resp = json_response({"code": code, "message": message}, exc.status)
            if exc.status == 405:
                allow = exc.headers.get("Allow")
                if allow:
                    resp.headers["Allow"] = allow
        except asyncio.CancelledError:
            raise
        except (StorageDamaged, sqlite3.DatabaseError) as exc:
            if not isinstance(exc, StorageDamaged) and not is_corruption(exc):
                log.exception("internal error serving %s %s", request.method, request.path)
                resp = json_response({"code": "internal", "message": "internal error; see the node's log"}, 500)
            else:  # never answer from damaged storage: fail the request and stop taking transactions
                damage = exc if isinstance(exc, StorageDamaged) else file_damage(self.node.store.path, exc)
                halt(self.node, damage)
                resp = json_response({"code": damage.code, "message": f"damaged storage: {damage.what}; this node "
                                      "has stopped taking transactions until its operator recovers it"}, 500)
        except Exception:
            log.exception("internal error serving %s %s", request.method, request.path)
            resp = json_response({"code": "internal", "message": "internal error; see the node's log"}, 500)
        self.metrics.on_request(request.method, route, resp.status)
        return resp

    async def _blocking(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def _reader(self, request: web.Request, body: bytes = b""):
        return await auth.authenticate(request, self.node, body)

    async def run_query(self, contract: str, method: str, args: dict, caller: Caller | None,
                        height: int | None = None) -> Any:
        """A contract query run as `caller` in the executor; its refusals (`Rejected`,
        `ContractError`) become ApiErrors with their stable codes and statuses."""
        try:
            return await self._blocking(self.node.app.run_query, contract, method, args, caller, height)
        except (Rejected, ContractError) as exc:
            raise ApiError(exc.code, exc.message) from None

    def _head(self) -> tuple[int, bytes, Header]:
        """A consistent (height, block hash, header) of the last committed block."""
        h = self.node.app.height
        row = self.node.store.block(h)
        return h, row[0], Header.decode(row[1])

    # -- public ---------------------------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        engine = self.node.engine
        if getattr(engine, "error", None) is not None:
            return json_response({"ok": False, "height": self.node.app.height, "code": "unavailable",
                                  "message": f"block production stopped: {engine.error}"}, 503)
        return json_response({"ok": True, "height": self.node.app.height})

    async def metrics_text(self, request: web.Request) -> web.Response:
        text = self.metrics.render(self.node, len(self.hub.subscribers))
        return web.Response(body=text.encode(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def openapi(self, request: web.Request) -> web.Response:
        from faechain.console.openapi import extend as add_console_paths

        return json_response(finish_document(add_console_paths(build_document(version()))))

    async def info(self, request: web.Request) -> web.Response:
        node, app = self.node, self.node.app
        h, block_hash, header = self._head()
        return json_response({
            "chain_id": app.chain_id,
            "height": h,
            "app_hash": header.app_hash.hex(),
            "block_hash": block_hash.hex(),
            "block_time": header.time,
            "suite": app.suite.name,
            "dev": bool(app.genesis.dev),
            "engine": getattr(node.engine, "name", type(node.engine).__name__),
            "time": node.engine.now_ms() if hasattr(node.engine, "now_ms") else int(time.time() * 1000),
            "wall_time": int(time.time() * 1000),
            "anonymous_reads": bool(node.config.anonymous_reads),
            "version": version(),
        })

    # -- transactions -----------------------------------------------------------------------
    async def submit(self, request: web.Request) -> web.Response:
        raw = _submit_body(request.content_type, await request.read())
        wait = _bool_param(request, "wait", True)
        timeout = _timeout_param(request)
        # the engine checks submissions in batches on its own thread (signatures on
        # every core); the event loop only awaits the two futures
        check_future, receipt_future = self.node.engine.submit_async(raw, wait)
        check = await asyncio.wrap_future(check_future)
        if not check.ok:
            status = SUBMIT_STATUS.get(check.code, 400)
            return json_response({"code": check.code, "message": check.message, "tx_hash": check.tx_hash.hex()},
                                 status)
        pending = {"tx_hash": check.tx_hash.hex(), "status": "pending"}
        if not wait or receipt_future is None:
            return json_response(pending, 202)
        try:
            receipt = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(receipt_future)), timeout)
        except asyncio.TimeoutError:
            pending["message"] = f"accepted but not committed within {timeout:g} s; look it up later"
            return json_response(pending, 202)
        except EngineError as exc:
            raise ApiError("unavailable", exc.message) from None
        return json_response(receipt_json(receipt))

    async def submit_batch(self, request: web.Request) -> web.Response:
        """Many envelopes in one request: all go to the engine at once (one check batch),
        and the answer lists each one's outcome in request order; 200 unless the request
        itself is malformed."""
        wait = _bool_param(request, "wait", True)
        timeout = _timeout_param(request)
        raws = _batch_body(request.content_type, await request.read())
        engine = self.node.engine
        subs = [engine.submit_async(raw, wait) for raw in raws]
        await _all_done([c for c, _ in subs])
        checks = [c.result() for c, _ in subs]
        waiting = [r for (_, r), check in zip(subs, checks) if r is not None and check.ok]
        timed_out = bool(waiting) and not await _all_done(waiting, timeout)
        results = []
        for (_, receipt_future), check in zip(subs, checks):
            tx_hash = check.tx_hash.hex()
            if not check.ok:
                results.append({"code": check.code, "message": check.message, "tx_hash": tx_hash})
            elif receipt_future is None or not receipt_future.done():
                item = {"tx_hash": tx_hash, "status": "pending"}
                if timed_out:
                    item["message"] = f"accepted but not committed within {timeout:g} s; look it up later"
                results.append(item)
            elif receipt_future.exception() is not None:
                exc = receipt_future.exception()
                results.append({"code": getattr(exc, "code", "unavailable"),
                                "message": getattr(exc, "message", str(exc)), "tx_hash": tx_hash})
            else:
                results.append(receipt_json(receipt_future.result()))
        return json_response({"results": results})

    async def tx(self, request: web.Request) -> web.Response:
        await self._reader(request)
        tx_hash = _hex_param(request.match_info["hash"], "transaction hash", 32)
        row = self.node.store.tx(tx_hash)
        if row is None:
            raise ApiError("not_found", f"no committed transaction {tx_hash.hex()}")
        height, index, envelope, receipt = row
        tx = decode_tx(envelope, self.node.app.hash)
        block = self.node.store.block(height)
        return json_response({
            "tx_hash": tx_hash.hex(),
            "height": height,
            "index": index,
            "time": Header.decode(block[1]).time if block else None,
            "chain": tx.chain,
            "contract": tx.contract,
            "method": tx.method,
            "args": jsonable(tx.args),
            "signer": tx.signer.hex(),
            "nonce": tx.nonce,
            "expires": tx.expires,
            "signature": tx.signature.hex(),
            "cert_attached": tx.cert is not None,
            "size": tx.size,
            "receipt": receipt_json(Receipt.from_map(decode(receipt))),
        })

    # -- blocks and state ---------------------------------------------------------------------
    def _block_doc(self, height: int) -> dict | None:
        store = self.node.store
        row = store.block(height) if 0 <= height <= MAX_INT_PARAM else None
        if row is None:
            return None
        header = Header.decode(row[1])
        txs = []
        for index, tx_hash, envelope, receipt in store.block_txs(height):
            item = {"index": index, "hash": tx_hash.hex(), "code": decode(receipt)["code"]}
            try:
                tx = decode_tx(envelope, self.node.app.hash)
                item.update(contract=tx.contract, method=tx.method, signer=tx.signer.hex())
            except TxError:  # a garbage tx is recorded with its rejection; nothing to decode
                pass
            txs.append(item)
        return {"height": height, "hash": row[0].hex(), "header": header_json(header), "txs": txs}

    async def block(self, request: web.Request) -> web.Response:
        await self._reader(request)
        which = request.match_info["height"]
        if which == "latest":
            height = self.node.app.height
        else:
            try:
                height = int(which)
            except ValueError:
                raise ApiError("bad_request", "height must be a non-negative integer or 'latest'") from None
            if not 0 <= height <= MAX_INT_PARAM:
                raise ApiError("bad_request", "height must be a non-negative integer or 'latest'")
        doc = await self._blocking(self._block_doc, height)
        if doc is None:
            raise ApiError("not_found", f"no block at height {height} (head is {self.node.app.height})")
        return json_response(doc)

    async def state(self, request: web.Request) -> web.Response:
        await self._reader(request)
        q = request.query
        if "key" in q:
            key = q["key"].encode()
        elif "key_hex" in q:
            key = _hex_param(q["key_hex"], "key_hex")
        else:
            raise ApiError("bad_request", "parameter 'key' (text) or 'key_hex' is required")
        if not key:
            raise ApiError("bad_request", "the key must not be empty")
        height = _int_param(request, "height")
        prove = _bool_param(request, "prove", False)
        try:
            res = self.node.app.state_value(key, height, prove)
        except ValueError as exc:
            raise ApiError("not_found", str(exc)) from None
        value = res["value"]
        out = {
            "key": key.decode("utf-8", "replace"),
            "key_hex": key.hex(),
            "height": res["height"],
            "app_hash": res["app_hash"].hex(),
            "found": value is not None,
            "value": value.hex() if value is not None else None,
        }
        if value is not None:
            try:
                out["decoded"] = jsonable(decode(value))
            except EncodingError:
                pass
        if prove:
            proof = res["proof"]
            out["proof"] = {"siblings": [s.hex() for s in proof["siblings"]],
                            "leaf": [x.hex() for x in proof["leaf"]] if proof["leaf"] else None}
        return json_response(out)

    # -- queries and contracts ------------------------------------------------------------------
    async def query(self, request: web.Request) -> web.Response:
        body = await request.read()
        caller = await self._reader(request, body)
        contract, method = request.match_info["contract"], request.match_info["method"]
        args = _query_args(request.content_type, body)
        app = self.node.app
        height = _int_param(request, "height")
        if height is not None and height > app.height:
            raise ApiError("not_found", f"height {height} is not committed (head is {app.height})")
        # Pin the snapshot: every read of the query sees the same committed height.
        pinned = app.height if height is None else height
        result = await self.run_query(contract, method, args, caller, pinned)
        return json_response({"result": jsonable(result), "height": pinned})

    async def contracts(self, request: web.Request) -> web.Response:
        await self._reader(request)
        out = []
        for name in sorted(self.node.app.contracts):
            c = self.node.app.contracts[name]
            out.append({"name": name, "methods": [c.methods[m].describe() for m in sorted(c.methods)]})
        return json_response({"contracts": out})

    # -- events -------------------------------------------------------------------------------
    async def events(self, request: web.Request) -> web.StreamResponse:
        await self._reader(request)
        first = _resume_from(request)
        if self.hub.closing:
            raise ApiError("unavailable", "the node is shutting down")
        return await stream_events(request, self.hub, first, request.query.get("contract") or None,
                                   request.query.get("type") or None, _bool_param(request, "blocks", True))

    # -- dev ----------------------------------------------------------------------------------
    async def advance_time(self, request: web.Request) -> web.Response:
        body = await request.read()
        await self._reader(request, body)
        seconds = _advance_seconds(body)
        engine = self.node.engine
        if not getattr(self.node.app.genesis, "dev", False) or not hasattr(engine, "advance_time"):
            raise ApiError("forbidden", "this is not a dev chain: its clock cannot be advanced")
        h0 = self.node.app.height
        try:
            offset = engine.advance_time(seconds)
        except Exception as exc:  # EngineError carries a stable code
            code = getattr(exc, "code", None)
            if code is None:
                raise
            raise ApiError(code, getattr(exc, "message", str(exc))) from None
        # The engine makes a block at the new time; answer once it is committed so the
        # caller's next read already sees the advanced block time.
        await self.hub.wait_for_height(h0 + 1, 10.0)
        return json_response({"offset_ms": offset, "time": engine.now_ms(), "height": self.node.app.height,
                              "block_time": self.node.app.last_time})


def build_app(node) -> web.Application:
    """The aiohttp application serving `node`'s API."""
    api = Api(node)
    app = web.Application(client_max_size=node.config.max_body_bytes, handler_args=handler_args(node.config),
                          middlewares=[api.middleware, api.limits.middleware])
    app[API_KEY] = api
    r = app.router
    r.add_get("/healthz", api.healthz)
    r.add_get("/metrics", api.metrics_text)
    r.add_get("/openapi.json", api.openapi)
    r.add_get("/v1/info", api.info)
    r.add_post("/v1/txs", api.submit)
    r.add_post("/v1/txs/batch", api.submit_batch)
    r.add_get("/v1/txs/{hash}", api.tx)
    r.add_get("/v1/blocks/{height}", api.block)
    r.add_get("/v1/state", api.state)
    r.add_post("/v1/query/{contract}/{method}", api.query)
    r.add_get("/v1/contracts", api.contracts)
    r.add_get("/v1/events", api.events)
    r.add_post("/v1/dev/advance_time", api.advance_time)
    from faechain.api.vault import add_routes as add_vault_routes  # it imports this module's helpers

    add_vault_routes(app, api)
    from faechain.console.routes import add_routes as add_console_routes  # serves GET / too

    add_console_routes(app, api)
    from faechain.api.audit import add_routes as add_audit_routes  # likewise

    add_audit_routes(app, api)
    app.on_startup.append(api.hub.start)
    app.on_shutdown.append(api.hub.close)
    return app
