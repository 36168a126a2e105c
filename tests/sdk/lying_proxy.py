"""A lying node for tests: an HTTP proxy between the SDK and an honest node that rewrites
what the node says, and a header source the tests trust.

    proxy = LyingProxy(node.url).start()
    proxy.lie(lambda path, doc: ...)          # rewrite JSON answers of /v1/query/...
    proxy.replay("/v1/query/receivables/voucher", old_doc)   # serve an older genuine answer
    client = Client(proxy.url, identity=..., trust=HonestHeaders(node.url, identity))

The proxy runs its own aiohttp server on a free loopback port on a thread, forwards every
request as it came (signed reads stay valid: a read signature covers method, path and body,
not the host) and applies the rules to JSON answers of contract queries only. It records the
last genuine answer of each query path (`answers`), which is how a test serves a stale one.

`HonestHeaders` is the tests' `HeaderTrust`: block headers read straight from the honest
node (never through the proxy). It stands in for the light client, which establishes the
same headers by validator signatures; it is honest only because the test made the node so.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from faechain.core.block import Header
from faechain.core.encoding import decode, encode
from faechain.core.wire import jsonable
from faechain.identity.wallet import Identity
from faechain.ledger.smt import SparseMerkleTree
from faechain.node.testing import free_port
from faechain.sdk import Client
from faechain.sdk.trust import TrustedHeader

Rule = Callable[[str, dict[str, Any]], dict[str, Any]]  # (request path, answer) -> the answer served
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class LyingProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self.header_rules: list[Rule] = []  # applied to /v1/light/... and /v1/blocks/... answers
        self.replays: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}  # the last genuine answer per query path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._thread: threading.Thread | None = None

    # -- the lies ---------------------------------------------------------------------------
    def lie(self, rule: Rule) -> None:
        self.rules.append(rule)

    def replay(self, path: str, answer: dict[str, Any]) -> None:
        """Serve `answer` (a genuine one recorded earlier) for every query to `path`."""
        self.replays[path] = answer

    def lie_about_headers(self, rule: Rule) -> None:
        """Rewrite what the node says of its headers (GET /v1/light/{h}, /v1/blocks/{h})."""
        self.header_rules.append(rule)

    def honest(self) -> None:
        self.rules.clear()
        self.header_rules.clear()
        self.replays.clear()

    # -- serving ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        path = request.path
        if path in self.replays:
            return web.json_response(self.replays[path])
        async with self._session.request(request.method, self.upstream + request.path_qs, data=body or None,
                                         headers=headers, allow_redirects=False) as resp:
            data = await resp.read()
            ctype = resp.headers.get("Content-Type", "")
            status = resp.status
        if path.startswith("/v1/query/") and status == 200 and ctype.startswith("application/json"):
            doc = json.loads(data)
            self.answers[path] = json.loads(data)
            for rule in list(self.rules):
                doc = rule(path, doc)
            data = json.dumps(doc).encode()
        elif path.startswith(("/v1/light/", "/v1/blocks/")) and status == 200 and self.header_rules:
            doc = json.loads(data)
            for rule in list(self.header_rules):
                doc = rule(path, doc)
            data = json.dumps(doc).encode()
        return web.Response(status=status, body=data, headers={"Content-Type": ctype} if ctype else None)

    def start(self) -> LyingProxy:
        started = threading.Event()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._session = aiohttp.ClientSession()
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            started.set()

        def run() -> None:
            loop = asyncio.new_event_loop()
            loop.run_until_complete(main())
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="lying-proxy", daemon=True)
        self._thread.start()
        if not started.wait(15):
            raise RuntimeError("the lying proxy did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            if self._session is not None:
                await self._session.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(15)


class HonestHeaders:
    """A `HeaderTrust` over the honest node itself, read directly (see the module doc)."""

    def __init__(self, url: str, identity: Identity | None = None):
        self.client = Client(url, identity=identity)
        self.asked: list[int] = []

    def _header(self, doc: dict[str, Any]) -> TrustedHeader:
        h = doc["header"]
        return TrustedHeader(height=doc["height"], block_hash=bytes.fromhex(doc["hash"]),
                             app_hash=bytes.fromhex(h["app_hash"]), time_ms=h["time"],
                             basis="test: the honest node's own header, read directly (not through the proxy)")

    def trusted(self, height: int) -> TrustedHeader:
        self.asked.append(height)
        return self._header(self.client.block(height))

    def latest(self) -> TrustedHeader:
        return self._header(self.client.block("latest"))


def reheader(doc: dict[str, Any], hasher: Callable[[bytes], bytes], **fields: Any) -> dict[str, Any]:
    """A GET /v1/light answer with header fields changed, consistently: new bytes, hash and
    rendering (a forger who recomputes everything but cannot sign)."""
    header = Header(**{**Header.decode(bytes.fromhex(doc["header_bytes"])).to_map(), **fields})
    raw = header.encode()
    return {**doc, "header": jsonable(header.to_map()), "header_bytes": raw.hex(), "block_hash": hasher(raw).hex()}


def forge_penetration(node: Any, answer: dict[str, Any], asset_index: int = 0) -> bytes:
    """Rewrite `answer` (plans.penetrate with proofs) as a consistent lie: the first voucher's
    amount multiplied by 100, and *every* proof recomputed against the state root that lie
    gives. Returns that root: with it, the answer verifies; only a signature can tell."""
    tree = SparseMerkleTree(node.app.hash, node.store)  # new nodes stay in memory
    voucher = next(a["voucher"] for a in answer["assets"][asset_index:] if a.get("voucher"))
    proof = voucher["proof"]
    value = decode(bytes.fromhex(proof["value"]))
    value["amount"] *= 100
    raw = encode(value)
    key = voucher["key"].encode()
    forged_root = tree.update(bytes.fromhex(proof["app_hash"]), {node.app.hash(key): node.app.hash(raw)})
    voucher["value"] = jsonable(value)
    proof["value"] = raw.hex()

    def reprove(x: Any) -> None:
        if isinstance(x, dict):
            p = x.get("proof")
            if isinstance(p, dict) and "app_hash" in p:
                q = tree.prove(forged_root, node.app.hash(bytes.fromhex(p["key"])))
                p["app_hash"] = forged_root.hex()
                p["proof"] = {"siblings": [s.hex() for s in q["siblings"]],
                              "leaf": [h.hex() for h in q["leaf"]] if q["leaf"] else None}
            for v in x.values():
                reprove(v)
        elif isinstance(x, list):
            for v in x:
                reprove(v)

    reprove(answer)
    return forged_root
