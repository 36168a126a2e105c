"""The node's REST API (aiohttp): `build_app(node, extensions)` is what `Node.serve` runs.

Routes (all JSON unless noted; bytes as lowercase hex; errors `{"code","message"}`):

    GET  /                         the web console and block explorer (public page; its own
                                   session API under /console/: see faechain.console.routes)
    GET  /healthz                  health and height (public): 503 when the engine cannot commit
    GET  /metrics                  Prometheus text format (public)
    GET  /openapi.json             the OpenAPI 3.1 document (public)
    GET  /v1/info                  chain id, head, suite, engine, node time (public)
    POST /v1/txs                   submit a signed envelope (the envelope authenticates itself)
    POST /v1/txs/batch             submit up to MAX_BATCH envelopes at once; per-item results
    POST /v1/txs/dry-run           what the next block would answer to a signed envelope; nothing committed
    GET  /v1/txs/{hash}            a committed transaction, decoded, with its receipt (to whoever may
                                   see it; anyone else: its hash, position and receipt hash)
    GET  /v1/blocks/{height}       a block header and its transactions ("latest" allowed; each as
                                   /v1/txs shows it to the reader)
    GET  /v1/light/{height}        what a light client checks block {height} by: the header's
                                   bytes and the block signer's signature (solo) or CometBFT's
                                   commit and validators at height + 1 (see `Api.light`); the one
                                   route served with CORS (a browser's witness check reads it)
    GET  /v1/state                 a raw state value, optionally with its proof (if the reader may
                                   read the record under that key: else 404, as for an absent one)
    POST /v1/query/{contract}/{method}   run a contract query as the signed reader
    GET  /v1/contracts             contracts and their methods
    GET  /v1/events                server-sent events: blocks and the contract events the reader may see
    GET  /v1/sync/{height}         a block as a member node of the reader's organisation keeps it, each
                                   part with what checks it against signed headers (faechain.api.sync)
    GET  /v1/snapshot/{height}     the state as of a block that the reader may read, with proofs, a page
                                   at a time: where a member node joining from a checkpoint starts
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
needs a signed request (see `faechain.core.wire`) unless the node allows anonymous
reads; what each reader is shown of a transaction, a block, a state key or an event is
decided by the contracts' own read rules (docs/confidentiality.md, `faechain.api.confidential`).
Blocking work (check_tx under the application lock, contract queries,
history scans) runs in the default executor, never on the event loop.

Why one file (over 500 lines): the route table and the handlers it names read best side
by side; body parsing, read authentication and the event stream live in their own
modules.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, Protocol, TypeVar

from aiohttp import web

from faechain.api import audit, auth, sync, vault
from faechain.api.auth import require_member
from faechain.api.confidential import withheld_tx
from faechain.api.errors import HttpError, status_for
from faechain.api.events import EventHub, stream_events
from faechain.api.http import (
    MAX_INT_PARAM,
    advance_seconds,
    batch_body,
    bool_param,
    header_json,
    hex_param,
    int_param,
    json_response,
    parse_int,
    query_args,
    receipt_json,
    resume_from,
    submit_body,
    timeout_param,
)
from faechain.api.limits import Limits, handler_args
from faechain.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from faechain.api.metrics import Metrics
from faechain.api.openapi import build_document
from faechain.api.openapi import finish as finish_document
from faechain.chain.engine import EngineError
from faechain.chain.results import Receipt, Rejected
from faechain.contracts.errors import ContractError
from faechain.contracts.runtime import Caller, sees_all
from faechain.core.block import Header, end_block_record
from faechain.core.encoding import EncodingError, decode
from faechain.core.tx import TxError, decode_tx
from faechain.core.wire import HEADER_CERT, HEADER_DATE, HEADER_SIGNATURE, HEADER_SIGNER, b64encode, jsonable
from faechain.ledger.integrity import StorageDamaged, file_damage, is_corruption

log = logging.getLogger("faechain.api")
T = TypeVar("T")

API_KEY: web.AppKey[Api] = web.AppKey("faechain_api")
LIGHT_ROUTE = "/v1/light/{height}"  # served with CORS (see Api.middleware)
# check_tx rejections of POST /v1/txs: 400 unless listed.
SUBMIT_STATUS = {"too_large": 413, "replay": 409, "mempool_full": 429, "unavailable": 503, "internal_error": 500}
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_large", 503: "unavailable", 504: "timeout"}


def version() -> str:
    try:
        return metadata.version("faechain")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


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
    except TimeoutError:
        return False
    return True


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
        self.extensions: tuple[Extension, ...] = ()

    # -- middleware: errors as JSON, body limit, request metrics --------------------------
    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        try:
            limit = self.node.config.max_body_bytes
            if (request.content_length is not None and request.content_length > limit
                    and request.match_info.route not in self.own_body_limit):
                raise HttpError("too_large", f"request body exceeds {limit} bytes")
            resp = await handler(request)
        except Rejected as exc:  # a member node's read of a record it does not hold (faechain.member.store)
            resp = json_response({"code": exc.code, "message": exc.message}, status_for(exc.code))
        except HttpError as exc:
            resp = json_response(exc.body(), exc.status)
            if exc.status == 408:  # the client is still sending: do not wait for the rest
                resp.force_close()
        except web.HTTPException as exc:
            code = HTTP_CODES.get(exc.status, "internal" if exc.status >= 500 else "bad_request")
            if exc.status == 413:
                message = f"request body exceeds {self.node.config.max_body_bytes} bytes"
            else:
                message = exc.reason
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
                self.node.halt(damage)
                resp = json_response({"code": damage.code, "message": f"damaged storage: {damage.what}; this node "
                                      "has stopped taking transactions until its operator recovers it"}, 500)
        except Exception:
            log.exception("internal error serving %s %s", request.method, request.path)
            resp = json_response({"code": "internal", "message": "internal error; see the node's log"}, 500)
        if route == LIGHT_ROUTE and request.method == "GET":
            # public header data: a member's browser asks it of another member's node too (the
            # console's witness), so it may be read cross-origin; no other route is
            resp.headers["Access-Control-Allow-Origin"] = "*"
        self.metrics.on_request(request.method, route, resp.status)
        return resp

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in the default executor: blocking work (the application lock, SQLite
        reads, hashing a document) never runs on the event loop. For the API's routes and
        those of its extensions (vault, audit, the console)."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def reader(self, request: web.Request, body: bytes = b"") -> Caller | None:
        """The member a read is signed by (`body`: the request's bytes, which the signature
        covers); None for an anonymous read where the node allows them. Refused with
        `unauthenticated` otherwise (see faechain.api.auth). A member node holds one
        organisation's view only: another organisation's reader is told to read elsewhere."""
        caller = await auth.authenticate(request, self.node, body)
        org = getattr(self.node, "member_org", None)
        if org is not None and caller is not None and caller.org_id and caller.org_id != org:
            raise HttpError("not_available_here", f"this is {org}'s member node: it holds only what {org} may "
                            f"read, not {caller.org_id}'s view; read from your own node or a validator")
        return caller

    async def run_query(self, contract: str, method: str, args: dict, caller: Caller | None,
                        height: int | None = None) -> Any:
        """A contract query run as `caller` in the executor; its refusals (`Rejected`,
        `ContractError`) become HttpErrors with their stable codes and statuses. A non-member
        (`NOBODY`, an unsigned reader of a node that is not open) is refused `unauthenticated`."""
        require_member(caller)
        try:
            return await self.run_blocking(self.node.app.run_query, contract, method, args, caller, height)
        except (Rejected, ContractError) as exc:
            raise HttpError(exc.code, exc.message) from None

    def _head(self) -> tuple[int, bytes, Header]:
        """A consistent (height, block hash, header) of the last committed block."""
        h = self.node.app.height
        row = self.node.store.block(h)
        return h, row[0], Header.decode(row[1])

    # -- public ---------------------------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        """200 while the engine can take and commit submissions; 503 with its reason when not
        (block production stopped, or the consensus engine cannot be reached)."""
        health = await self.run_blocking(self.node.engine.health)
        if not health.ok:
            return json_response({"ok": False, "height": self.node.app.height, "code": health.code,
                                  "message": health.message}, 503)
        return json_response({"ok": True, "height": self.node.app.height})

    async def metrics_text(self, request: web.Request) -> web.Response:
        text = self.metrics.render(self.node, len(self.hub.subscribers))
        return web.Response(body=text.encode(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    async def openapi(self, request: web.Request) -> web.Response:
        doc = build_document(version())
        for extension in self.extensions:
            doc = extension.extend_document(doc)
        return json_response(finish_document(doc))

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
            "engine": node.engine.name,
            "time": node.engine.now_ms(),
            "wall_time": int(time.time() * 1000),
            "anonymous_reads": bool(node.config.anonymous_reads),
            "open_reads": bool(node.config.anonymous_reads and getattr(node.config, "open_reads", False)),
            "version": version(),
        })

    # -- transactions -----------------------------------------------------------------------
    async def submit(self, request: web.Request) -> web.Response:
        raw = submit_body(request.content_type, await request.read())
        wait = bool_param(request, "wait", True)
        timeout = timeout_param(request)
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
        except TimeoutError:
            pending["message"] = f"accepted but not committed within {timeout:g} s; look it up later"
            return json_response(pending, 202)
        except EngineError as exc:
            raise HttpError("unavailable", exc.message) from None
        return json_response(receipt_json(receipt))

    async def dry_run(self, request: web.Request) -> web.Response:
        """`POST /v1/txs/dry-run`: the receipt the next block would give this signed envelope,
        with nothing committed (`Application.dry_run`). 200 whatever the outcome, as a receipt
        is the answer; a member node, which holds only its organisation's records, relays it."""
        body = await request.read()
        raw = submit_body(request.content_type, body)
        try:
            receipt = await self.run_blocking(self.node.app.dry_run, raw, self.node.engine.now_ms())
        except Rejected as exc:
            if exc.code != "not_available_here":
                raise HttpError(exc.code, exc.message) from None
            relayed = await self.run_blocking(self.relay, request, body)
            if relayed is None:
                raise HttpError("unavailable", "no validator answered the dry run") from None
            return relayed
        return json_response({**receipt_json(receipt), "dry_run": True})

    async def submit_batch(self, request: web.Request) -> web.Response:
        """Many envelopes in one request: all go to the engine at once (one check batch),
        and the answer lists each one's outcome in request order; 200 unless the request
        itself is malformed."""
        wait = bool_param(request, "wait", True)
        timeout = timeout_param(request)
        raws = batch_body(request.content_type, await request.read())
        engine = self.node.engine
        subs = [engine.submit_async(raw, wait) for raw in raws]
        await _all_done([c for c, _ in subs])
        checks = [c.result() for c, _ in subs]
        waiting = [r for (_, r), check in zip(subs, checks, strict=True) if r is not None and check.ok]
        timed_out = bool(waiting) and not await _all_done(waiting, timeout)
        results = []
        for (_, receipt_future), check in zip(subs, checks, strict=True):
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
        caller = await self.reader(request)
        tx_hash = hex_param(request.match_info["hash"], "transaction hash", 32)
        doc = await self.run_blocking(self.tx_doc, tx_hash, caller)
        if doc is None:
            raise HttpError("not_found", f"no committed transaction {tx_hash.hex()}")
        return json_response(doc)

    def tx_doc(self, tx_hash: bytes, caller: Caller | None) -> dict | None:
        """A committed transaction as GET /v1/txs/{hash} shows it to `caller`: in full to whoever
        may see it (docs/confidentiality.md), else withheld — its hash, height, position, block
        time and receipt hash only. None if there is none. Blocking: run it with `run_blocking`."""
        row = self.node.store.tx(tx_hash)
        if row is None:
            held = self.node.store.withheld_tx(tx_hash)  # a member node's: only its hashes
            if held is None:
                return None
            height, index, receipt_hash = held
            block = self.node.store.block(height)
            return {"index": index, "hash": tx_hash.hex(), "tx_hash": tx_hash.hex(), "withheld": True,
                    "receipt_hash": receipt_hash.hex(), "height": height,
                    "time": Header.decode(block[1]).time if block else None}
        height, index, envelope, receipt_raw = row
        block = self.node.store.block(height)
        time_ms = Header.decode(block[1]).time if block else None
        receipt = Receipt.from_map(decode(receipt_raw))
        try:
            tx = decode_tx(envelope, self.node.app.hash)
        except TxError:
            tx = None
        if tx is None or not self.node.app.read_view(caller, height).sees_tx(tx, receipt):
            return {**withheld_tx(index, tx_hash, receipt_raw, self.node.app.hash), "height": height,
                    "time": time_ms}
        return {
            "tx_hash": tx_hash.hex(),
            "height": height,
            "index": index,
            "time": time_ms,
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
            "receipt_hash": self.node.app.hash(receipt_raw).hex(),
            "receipt": receipt_json(receipt),
        }

    # -- blocks and state ---------------------------------------------------------------------
    def block_doc(self, height: int, raw: bool = False, *, caller: Caller | None) -> dict | None:
        """A committed block as GET /v1/blocks/{height} shows it to `caller`: its header and, per
        transaction, its index, hash and receipt hash (`receipt_hash`: the results-root leaf), and
        to a reader who may see it (docs/confidentiality.md) its code, contract, method and signer
        — another reader gets `withheld: true` instead, which is enough to recompute `txs_root`
        and `results_root`. `end_block_hash` is the extra results-root leaf (None without end-block
        events). With `raw` (`?raw=true`) also the bytes the roots commit to, of what the reader
        may see: each transaction's envelope and stored receipt, and the end-block record if it
        may see every end-block event — which an evidence bundle carries (`faechain.sdk.evidence`).
        None past the head. Blocking: run it with `run_blocking`."""
        store = self.node.store
        row = store.block(height) if 0 <= height <= MAX_INT_PARAM else None
        if row is None:
            return None
        header = Header.decode(row[1])
        hasher = self.node.app.hash
        view = None if sees_all(caller) else self.node.app.read_view(caller, height)
        txs = []
        rows = store.block_txs(height)
        for index, tx_hash, envelope, receipt in rows:
            rec = decode(receipt)
            try:
                tx = decode_tx(envelope, hasher)
            except TxError:  # a garbage tx is recorded with its rejection; nothing to decode
                tx = None
            if view is not None and not view.sees_tx(tx, Receipt.from_map(rec)):
                txs.append(withheld_tx(index, tx_hash, receipt, hasher))
                continue
            item = {"index": index, "hash": tx_hash.hex(), "code": rec["code"], "receipt_hash": hasher(receipt).hex()}
            if tx is not None:
                item.update(contract=tx.contract, method=tx.method, signer=tx.signer.hex())
            if raw:
                item.update(envelope=envelope.hex(), receipt=receipt.hex())
            txs.append(item)
        withheld = store.withheld_txs(height)  # a member node's block: the transactions it holds only hashes of
        if withheld:
            txs.extend({"index": i, "hash": h.hex(), "tx_hash": h.hex(), "withheld": True, "receipt_hash": rh.hex()}
                       for i, h, rh in withheld)
            txs.sort(key=lambda t: t["index"])
        end = store.events_at(height, len(rows) + len(withheld))
        events = [{"contract": c, "type": t, "attrs": decode(d)} for c, t, d in end]
        record = end_block_record(events) if events else None
        end_hash = hasher(record) if record is not None else None
        kept = store.member_block(height)  # a member node may hold only some end-of-block events
        held_all = True
        if kept is not None:
            end_hash, held_all = kept[0], kept[1]
        doc = {"height": height, "hash": row[0].hex(), "header": header_json(header), "txs": txs,
               "end_block_hash": end_hash.hex() if end_hash is not None else None}
        if raw:
            whole = held_all and (view is None or all(view.sees_event(ev) for ev in events))
            doc["end_block"] = record.hex() if record is not None and whole else None
            if end_hash is not None and not whole:
                doc["end_block_withheld"] = True
        return doc

    async def block(self, request: web.Request) -> web.Response:
        caller = await self.reader(request)
        which = request.match_info["height"]
        if which == "latest":
            height = self.node.app.height
        else:
            try:
                height = parse_int(which)
            except ValueError:
                raise HttpError("bad_request", "height must be a non-negative integer or 'latest'") from None
            if not 0 <= height <= MAX_INT_PARAM:
                raise HttpError("bad_request", "height must be a non-negative integer or 'latest'")
        raw = bool_param(request, "raw", False)
        doc = await self.run_blocking(lambda: self.block_doc(height, raw, caller=caller))
        if doc is None:
            raise HttpError("not_found", f"no block at height {height} (head is {self.node.app.height})")
        return json_response(doc)

    def light_doc(self, height: int) -> dict | None:
        """What GET /v1/light/{height} answers, None when there is nothing to show yet.
        Blocking: run it with `run_blocking`."""
        row = self.node.store.block(height) if 0 <= height <= MAX_INT_PARAM else None
        if row is None:
            return None
        engine = self.node.engine
        evidence = engine.light_block(height)
        if evidence is None:
            return None
        # a member node relays its validators' evidence: the light block is theirs (solo or cometbft)
        return {"engine": getattr(engine, "consensus", engine.name), "height": height,
                "header": header_json(Header.decode(row[1])),
                "header_bytes": row[1].hex(), "block_hash": row[0].hex(), **jsonable(evidence)}

    async def light(self, request: web.Request) -> web.Response:
        """Relay what a member's light client needs to check block {height} by signature: this
        node is not trusted for any of it (the client verifies the signatures against the key
        in its genesis, or CometBFT's validator set), only asked. 404 until the block is
        committed and signed (on CometBFT: until header height + 1 exists)."""
        await self.reader(request)
        return await self.light_answer(request.match_info["height"])

    async def light_answer(self, which: str) -> web.Response:
        """The answer of GET /v1/light/{which} once the reader is authenticated (the console
        relays it for its sessions too): 400 for a height that is not one, 404 until signed."""
        try:
            height = parse_int(which)
        except ValueError:
            raise HttpError("bad_request", "height must be a non-negative integer") from None
        if not 0 <= height <= MAX_INT_PARAM:
            raise HttpError("bad_request", "height must be a non-negative integer")
        try:
            doc = await self.run_blocking(self.light_doc, height)
        except EngineError as exc:  # the consensus node cannot be asked
            raise HttpError(exc.code, exc.message) from None
        if doc is None:
            consensus = getattr(self.node.engine, "consensus", self.node.engine.name)
            more = " and CometBFT block height + 1 exists" if consensus == "cometbft" else ""
            raise HttpError("not_found", f"no signed header for height {height} yet (head is "
                            f"{self.node.app.height}; one is served once the block is committed{more})")
        return json_response(doc)

    async def state(self, request: web.Request) -> web.Response:
        caller = await self.reader(request)
        q = request.query
        if "key" in q:
            key = q["key"].encode()
        elif "key_hex" in q:
            key = hex_param(q["key_hex"], "key_hex")
        else:
            raise HttpError("bad_request", "parameter 'key' (text) or 'key_hex' is required")
        if not key:
            raise HttpError("bad_request", "the key must not be empty")
        height = int_param(request, "height")
        prove = bool_param(request, "prove", False)
        app = self.node.app
        at = app.height if height is None else height
        if not 0 <= at <= app.height:
            raise HttpError("not_found", f"height {at} is not committed (head is {app.height})")
        # the key's own contract decides who may read it, present or absent (docs/confidentiality.md):
        # a refusal reads exactly as an absent key the reader may not read
        if not sees_all(caller) and not await self.run_blocking(lambda: app.read_view(caller, at).may_read(key)):
            raise HttpError("not_found", f"no value this reader may read under that key at height {at}")
        try:
            res = app.state_value(key, at, prove)
        except ValueError as exc:
            raise HttpError("not_found", str(exc)) from None
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
        caller = await self.reader(request, body)
        contract, method = request.match_info["contract"], request.match_info["method"]
        args = query_args(request.content_type, body)
        app = self.node.app
        height = int_param(request, "height")
        if height is not None and height > app.height:
            raise HttpError("not_found", f"height {height} is not committed (head is {app.height})")
        # Pin the snapshot: every read of the query sees the same committed height.
        pinned = app.height if height is None else height
        try:
            result = await self.run_query(contract, method, args, caller, pinned)
        except HttpError as exc:
            if exc.code != "not_available_here" or caller is None:
                raise
            # a member node's query that rests on records it does not hold: the validator's answer
            # to the same signed request, not kept here, and said to be relayed
            relayed = await self.run_blocking(self.relay, request, body)
            if relayed is None:
                raise
            return relayed
        return json_response({"result": jsonable(result), "height": pinned})

    def relay(self, request: web.Request, body: bytes) -> web.Response | None:
        """`request` passed on by the node (`Node.relay_read`) as the reader signed it; None when
        nobody answers. Blocking: run it with `run_blocking`."""
        keep = ("Content-Type", "X-Fae-Signer", "X-Fae-Date", "X-Fae-Signature", "X-Fae-Cert", "Accept")
        headers = {k: request.headers[k] for k in keep if k in request.headers}
        return self._relayed(self.node.relay_read(request.method, request.raw_path, headers, body))

    def relay_as(self, ident: Any, method: str, path: str, body: bytes) -> web.Response | None:
        """A read signed here as `ident` (a wallet identity the node holds: the console's session)
        and passed on by the node (`Node.relay_read`); None when nobody answers. Blocking."""
        date = int(time.time() * 1000)
        sig = ident.sign_read(self.node.app.chain_id, method, path, hashlib.sha256(body).digest(), date)
        headers = {HEADER_SIGNER: ident.cert_id.hex(), HEADER_DATE: str(date), HEADER_SIGNATURE: b64encode(sig),
                   HEADER_CERT: b64encode(ident.cert), "Content-Type": "application/json"}
        return self._relayed(self.node.relay_read(method, path, headers, body))

    async def relay_refused(self, exc: HttpError, session: Any, contract: str, method: str, height: int,
                            request: web.Request) -> web.Response:
        """The answer to a console query this node refused with `exc`: on a member node, for
        `not_available_here`, the validator's answer to `POST /v1/query/{contract}/{method}` at
        `height` with `request`'s body, signed as the console `session`'s identity; otherwise (or when nobody
        answers) `exc` is raised."""
        if exc.code != "not_available_here" or session is None:
            raise exc
        path = f"/v1/query/{contract}/{method}?height={height}"
        body = (await request.read()).strip() or b"{}"  # the console's JSON arguments, as /v1/query takes them
        relayed = await self.run_blocking(self.relay_as, session.identity, "POST", path, body)
        if relayed is None:
            raise exc
        return relayed

    @staticmethod
    def _relayed(got: tuple[int, bytes, str, str] | None) -> web.Response | None:
        if got is None:
            return None
        status, data, ctype, source = got
        resp = web.Response(body=data, status=status, content_type=ctype.split(";")[0] or "application/json")
        resp.headers["X-Fae-Relayed-From"] = source
        return resp

    async def contracts(self, request: web.Request) -> web.Response:
        await self.reader(request)
        out = []
        for name in sorted(self.node.app.contracts):
            c = self.node.app.contracts[name]
            out.append({"name": name, "methods": [c.methods[m].describe() for m in sorted(c.methods)]})
        return json_response({"contracts": out})

    # -- events -------------------------------------------------------------------------------
    async def events(self, request: web.Request) -> web.StreamResponse:
        caller = await self.reader(request)
        first = resume_from(request)
        if self.hub.closing:
            raise HttpError("unavailable", "the node is shutting down")
        return await stream_events(request, self.hub, first, request.query.get("contract") or None,
                                   request.query.get("type") or None, bool_param(request, "blocks", True),
                                   caller=caller)

    # -- dev ----------------------------------------------------------------------------------
    async def advance_time(self, request: web.Request) -> web.Response:
        body = await request.read()
        await self.reader(request, body)
        seconds = advance_seconds(body)
        engine = self.node.engine
        if not self.node.app.genesis.dev:
            raise HttpError("forbidden", "this is not a dev chain: its clock cannot be advanced")
        h0 = self.node.app.height
        try:
            offset = engine.advance_time(seconds)
        except EngineError as exc:  # a stable code: forbidden (CometBFT's clock), bad_request
            raise HttpError(exc.code, exc.message) from None
        # The engine makes a block at the new time; answer once it is committed so the
        # caller's next read already sees the advanced block time.
        await self.hub.wait_for_height(h0 + 1, 10.0)
        return json_response({"offset_ms": offset, "time": engine.now_ms(), "height": self.node.app.height,
                              "block_time": self.node.app.last_time})


class Extension(Protocol):
    """Routes served beside the API by a layer above it (the web console): registered on the
    same application, so they share its middleware, limits and metrics, and documented in
    the same /openapi.json."""

    def add_routes(self, app: web.Application, api: Api) -> object: ...

    def extend_document(self, doc: dict) -> dict: ...


def build_app(node, extensions: Sequence[Extension] = ()) -> web.Application:
    """The aiohttp application serving `node`'s API, and each extension's routes."""
    api = Api(node)
    api.extensions = tuple(extensions)
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
    r.add_post("/v1/txs/dry-run", api.dry_run)
    r.add_get("/v1/txs/{hash}", api.tx)
    r.add_get("/v1/blocks/{height}", api.block)
    r.add_get(LIGHT_ROUTE, api.light)
    r.add_get("/v1/state", api.state)
    r.add_post("/v1/query/{contract}/{method}", api.query)
    r.add_get("/v1/contracts", api.contracts)
    r.add_get("/v1/events", api.events)
    r.add_post("/v1/dev/advance_time", api.advance_time)
    vault.add_routes(app, api)
    sync.add_routes(app, api)
    for extension in api.extensions:
        extension.add_routes(app, api)
    audit.add_routes(app, api)
    app.on_startup.append(api.hub.start)
    app.on_shutdown.append(api.hub.close)
    return app
