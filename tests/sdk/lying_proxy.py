"""A lying node for tests: an HTTP proxy between the SDK and an honest node that rewrites
what the node says, and a header source the tests trust.

    proxy = LyingProxy(node.url).start()
    proxy.lie(lambda path, doc: ...)          # rewrite JSON answers of /v1/query/...
    proxy.replay("/v1/query/receivables/voucher", old_doc)   # serve an older genuine answer
    proxy.lie_at("/v1/state", lambda path, doc: ...)          # rewrite any other JSON answer
    client = Client(proxy.url, identity=..., trust=HonestHeaders(node.url, identity))

The proxy runs its own aiohttp server on a free loopback port on a thread, forwards every
request as it came (signed reads stay valid: a read signature covers method, path and body,
not the host) and applies the rules to JSON answers of contract queries only. It records the
last genuine answer of each query path (`answers`), which is how a test serves a stale one.

`forge_proofs` and `forge_light_block` tell the consistent lies: an answer's proofs recomputed
against the state root a changed value gives (from the answer's own proofs, no node state),
and a CometBFT light block with that root, rehashed, its commit re-pointed or signed anew by
keys the test holds (tests/e2e/test_lying_localnet.py).

`HonestHeaders` is the tests' `HeaderTrust`: block headers read straight from the honest
node (never through the proxy). It stands in for the light client, which establishes the
same headers by validator signatures; it is honest only because the test made the node so.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

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
        self.path_rules: list[tuple[str, Rule]] = []  # (path prefix, rule): any JSON answer, e.g. /v1/state
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

    def lie_at(self, prefix: str, rule: Rule) -> None:
        """Rewrite the JSON answers of every path starting with `prefix` (e.g. "/v1/state",
        "/v1/info": a node can say anything, its head height included)."""
        self.path_rules.append((prefix, rule))

    def honest(self) -> None:
        self.rules.clear()
        self.header_rules.clear()
        self.path_rules.clear()
        self.replays.clear()

    # -- serving ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        path = request.path
        if path in self.replays:
            return web.json_response(self.replays[path])
        async with self._session.request(request.method, URL(self.upstream + request.raw_path, encoded=True),
                                         data=body or None,
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
        prefixed = [rule for prefix, rule in self.path_rules if path.startswith(prefix)]
        if prefixed and status == 200 and ctype.startswith("application/json"):
            doc = json.loads(data)
            for rule in prefixed:
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


class _ProofNodes:
    """The Merkle nodes a set of proofs reveals, by hash: each proof's leaf and the internal
    nodes on its path. Enough for `SparseMerkleTree` to change those keys and prove them again
    (`forge_proofs`): a forger needs nothing but the answers the node gives out."""

    def __init__(self, hasher: Callable[[bytes], bytes]):
        self.hasher = hasher
        self.nodes: dict[bytes, bytes] = {}

    def add(self, key: bytes, proof: dict[str, Any]) -> None:
        key_hash = self.hasher(key)
        siblings = [bytes.fromhex(s) for s in proof["siblings"]]
        node = bytes(32)  # an absence proof ends in an empty subtree
        if proof["leaf"]:
            enc = b"\x00" + b"".join(bytes.fromhex(x) for x in proof["leaf"])
            node = self.hasher(enc)
            self.nodes[node] = enc
        for depth in range(len(siblings) - 1, -1, -1):
            right = (key_hash[depth >> 3] >> (7 - (depth & 7))) & 1
            enc = b"\x01" + (siblings[depth] + node if right else node + siblings[depth])
            node = self.hasher(enc)
            self.nodes[node] = enc

    def get_node(self, node_hash: bytes) -> bytes | None:
        return self.nodes.get(node_hash)


def _proof_records(doc: Any) -> list[dict[str, Any]]:
    """Every proof document in an answer: {key (hex) or key_hex, value, app_hash, proof: {siblings, leaf}}
    (the answer of GET /v1/state?prove=true is one itself)."""
    out: list[dict[str, Any]] = []
    if isinstance(doc, dict):
        if "app_hash" in doc and isinstance(doc.get("proof"), dict) and "siblings" in doc["proof"]:
            out.append(doc)
        for v in doc.values():
            out.extend(_proof_records(v))
    elif isinstance(doc, list):
        for v in doc:
            out.extend(_proof_records(v))
    return out


def forge_proofs(doc: dict[str, Any], hasher: Callable[[bytes], bytes], changes: dict[bytes, bytes],
                 *, app_hash: bytes | None = None, material: Sequence[dict[str, Any]] = ()) -> bytes:
    """Rewrite the proofs in `doc` (an answer with proofs, changed in place) as a consistent lie:
    state key -> new value for each of `changes` in the state whose root is `app_hash` (default:
    the only one the changed keys are proven against), and every proof against that root
    recomputed against the root the lie gives; proofs of other blocks (a history's versions) are
    left alone. Only the answer's own proofs (and `material`, more proof documents of that block)
    are used, as a lying node that kept no state could. Returns the forged root: with it in the
    header, the answer verifies; only the validators' signatures can tell. What the answer
    *shows* is the caller's to change."""
    records = _proof_records(doc)
    keyed = [(bytes.fromhex(r["key_hex"] if "key_hex" in r else r["key"]), r) for r in records]
    more = [(bytes.fromhex(m["key_hex"] if "key_hex" in m else m["key"]), m) for m in material]
    roots = {r["app_hash"] for k, r in keyed + more if k in changes}
    if app_hash is not None:
        roots &= {app_hash.hex()}
    if len(roots) != 1:
        raise ValueError(f"the changed keys are proven against {len(roots)} of the app hashes meant, not one")
    [root_hex] = roots
    source = _ProofNodes(hasher)
    for key, r in keyed + more:
        if r["app_hash"] == root_hex:
            source.add(key, r["proof"])
    tree = SparseMerkleTree(hasher, source)
    forged = tree.update(bytes.fromhex(root_hex), {hasher(k): hasher(v) for k, v in changes.items()})
    for key, r in keyed:
        if r["app_hash"] != root_hex:
            continue  # a version proven at another block: left as it is
        q = tree.prove(forged, hasher(key))
        r["app_hash"] = forged.hex()
        r["proof"] = {"siblings": [s.hex() for s in q["siblings"]],
                      "leaf": [x.hex() for x in q["leaf"]] if q["leaf"] else None}
        if key in changes:
            r["value"] = changes[key].hex()
    return forged


def forge_light_block(doc: dict[str, Any], *, app_hash: bytes | None = None,
                      signers: dict[bytes, Any] | None = None, validators: Any = None) -> dict[str, Any]:
    """A CometBFT network's GET /v1/light/{h} answer (CometBFT's light block h + 1) rewritten as a
    lying node would serve it: header h + 1 with `app_hash` (and, given `validators`, a
    `faechain.sdk.light.cometbft.ValidatorSet`, naming that set as its own and the next),
    rehashed. With `signers` (validator address -> Ed25519 private key) the commit is signed
    anew by those keys, every other slot absent; without, the old signatures are kept and the
    commit re-pointed at the new header hash: a forger who recomputes everything but cannot sign."""
    import dataclasses

    from faechain.sdk.light import cometbft as cb
    from faechain.sdk.light.synthetic import sign_commit

    lb = cb.light_block_from_json({"signed_header": doc["commit"]["signed_header"],
                                   "validator_set": {"validators": doc["validators"]["validators"]}})
    vals = lb.validator_set if validators is None else validators
    fields: dict[str, Any] = {}
    if app_hash is not None:
        fields["app_hash"] = app_hash
    if validators is not None:
        fields["validators_hash"] = fields["next_validators_hash"] = validators.hash()
    header = dataclasses.replace(lb.header, **fields)
    if signers is None:
        commit = dataclasses.replace(lb.commit, block_id=cb.BlockID(header.hash(), lb.commit.block_id.part_set_header))
    else:
        commit = sign_commit(header, vals, signers)
    out = cb.light_block_to_json(cb.LightBlock(cb.SignedHeader(header, commit), vals))
    return {**doc, "commit": {**doc["commit"], "signed_header": out["signed_header"]},
            "validators": {**doc["validators"], "validators": out["validator_set"]["validators"]}}
