"""Documents fetched from vault peers: two in-process nodes of one consortium (the same
genesis, each with its own chain and vault), a document uploaded at node A only, read
through node B. The test scope contract (`tests.api.vault_support`) keeps its document
records in a module-level table, so both nodes know the same records.

Stub peers (a tiny HTTP server here) stand in for members' nodes that answer wrongly or
record that they were asked at all."""

from __future__ import annotations

import base64
import hashlib
import http.server
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from faechain.contracts.errors import NotFound, ensure
from faechain.contracts.runtime import REGISTRY, Contract, QueryCtx, query, register
from faechain.core.wire import signed_path
from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client, Identity
from tests.api.test_api_rest import raw
from tests.api.vault_support import DOCS, SCOPE, VaultTest, record_document

PUBLIC_SCOPE = "vaultpublic"


class PublicDocs(Contract):
    """A scope whose documents anyone may read, anonymous readers included (so that the
    node, not the contract, is what keeps an anonymous read from being passed on)."""

    name = PUBLIC_SCOPE

    @query
    def vault_upload(self, q: QueryCtx, subject: str, hash: str) -> dict:
        return {"subject": subject}

    @query
    def vault_document(self, q: QueryCtx, hash: str) -> dict:
        record = DOCS.get(hash)
        ensure(record is not None, NotFound(f"no document {hash}"))
        return record


class StubPeer:
    """An HTTP server posing as a vault peer: records every request, answers as told.

    `answer` is ("bytes", data), ("status", code), ("flood", n) (n bytes, chunked, no
    Content-Length) or ("hang", None) (never answers until the stub is closed)."""

    def __init__(self, answer: tuple):
        self.answer = answer
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                stub.requests.append((self.path, dict(self.headers.items())))
                kind, value = stub.answer
                if kind == "hang":
                    stub.release.wait(60)
                    return
                if kind == "status":
                    body = b'{"code": "internal", "message": "stub failure"}'
                    self.send_response(value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if kind == "flood":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"\x00" * 65536
                    try:
                        for _ in range(value // len(chunk) + 1):
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                    except OSError:  # the node stopped reading: what it should do
                        pass
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(value)))
                self.end_headers()
                self.wfile.write(value)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stubs() -> Iterator:
    made: list[StubPeer] = []

    def make(answer: tuple) -> StubPeer:
        made.append(StubPeer(answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> Iterator[tuple]:
    """Nodes A and B of one consortium (B's home is a copy of A's, made before either ran)."""
    register(VaultTest)
    register(PublicDocs)
    nodes: list[NodeThread] = []
    try:
        home_a = str(tmp_path_factory.mktemp("vault-peer-a") / "home")
        home_b = str(tmp_path_factory.mktemp("vault-peer-b") / "home")
        create_demo(home_a, free_port())
        shutil.copytree(home_a, home_b)
        create_demo(home_b, free_port())  # the same consortium and genesis on another port
        for home in (home_a, home_b):
            nodes.append(NodeThread(home, anonymous_reads=False))
            nodes[-1].start()
        a, b = nodes[0].node, nodes[1].node
        assert a.app.chain_id == b.app.chain_id and a.config.port != b.config.port
        yield a, b
    finally:
        for nt in nodes:
            nt.stop()
        REGISTRY.pop(SCOPE, None)
        REGISTRY.pop(PUBLIC_SCOPE, None)


@pytest.fixture
def a(pair):
    return pair[0]


@pytest.fixture
def b(pair):
    return pair[1]


@pytest.fixture(autouse=True)
def fresh_settings(pair):
    """Each test sets the peers it needs; nodes start with none, signed reads only."""
    limits = [node.config.vault_max_bytes for node in pair]
    for node in pair:
        node.config.vault_peers = []
        node.config.vault_peer_timeout = 10.0
        node.config.anonymous_reads = False
    yield
    for node, limit in zip(pair, limits, strict=True):
        node.config.vault_peers = []
        node.config.anonymous_reads = False
        node.config.vault_max_bytes = limit


@pytest.fixture(scope="module")
def who(pair):
    cache: dict[str, Identity] = {}

    def get(name: str) -> Identity:
        if name not in cache:
            cache[name] = Identity.load(pair[0].home, name)
        return cache[name]

    return get


def get_path(hash_hex: str, scope: str = SCOPE) -> str:
    return f"/v1/vault/{hash_hex}?" + urlencode({"scope": scope})


def downloads(node) -> dict[str, int]:
    """The node's `fae_vault_requests_total{op="download"}` counters by outcome."""
    _, _, text = raw(node, "GET", "/metrics")
    out = {}
    for line in text.decode().splitlines():
        m = re.fullmatch(r'fae_vault_requests_total\{op="download",outcome="([^"]+)"\} (\d+)', line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)
            if after.get(k, 0) != before.get(k, 0)}


def at_a_only(a, b, who, text: bytes, scope: str = SCOPE) -> tuple[bytes, str]:
    """A document uploaded (by supplier1) at node A and recorded; B does not hold it."""
    data = text + os.urandom(16)
    with Client(a.url, identity=who("supplier1")) as c:
        digest = c.upload_document(None, scope, "P-1", data)["hash"]
    record_document(digest, name="doc.pdf", media_type="application/pdf", size=len(data))
    assert a.vault.has(digest) and not b.vault.has(digest)
    return data, digest


def dead_url() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_document_uploaded_at_one_node_is_served_by_another(a, b, who):
    data, digest = at_a_only(a, b, who, b"%PDF-1.7 pool list P-1\n")
    b.config.vault_peers = [a.url]
    a_before, b_before = downloads(a), downloads(b)
    # the regulator (not the uploader) reads through B
    status, hdrs, body = raw(b, "GET", get_path(digest), sign=who("regulator"))
    assert status == 200 and body == data
    assert hdrs["X-Fae-Doc-Hash"] == digest and hdrs["Content-Type"] == "application/pdf"
    # B kept its own copy, verified like any copy it stores
    assert b.vault.has(digest) and b.vault.get(digest) == data
    assert delta(b_before, downloads(b)) == {"fetched_from_peer": 1}
    assert delta(a_before, downloads(a)) == {"served": 1}  # A served it once, to B
    # from now on B serves its own copy, even with no peers
    b.config.vault_peers = []
    with Client(b.url, identity=who("supplier1")) as c:
        assert c.download_document(None, SCOPE, digest) == data
    assert delta(a_before, downloads(a)) == {"served": 1}


def test_credentials_in_the_query_are_passed_on_as_they_were_signed(a, b, who):
    data, digest = at_a_only(a, b, who, b"statement read with query credentials")
    b.config.vault_peers = [a.url]
    regulator = who("regulator")
    path = get_path(digest)
    d = int(time.time() * 1000)
    sig = regulator.sign_read(b.app.chain_id, "GET", signed_path(*path.split("?", 1)), hashlib.sha256(b"").digest(), d)
    path += "&" + urlencode({"signer": regulator.cert_id.hex(), "cert": base64.b64encode(regulator.cert).decode(),
                             "date": str(d), "sig": base64.b64encode(sig).decode()})
    a_before = downloads(a)
    status, _, body = raw(b, "GET", path)
    assert status == 200 and body == data and b.vault.has(digest)
    assert delta(a_before, downloads(a)) == {"served": 1}


def test_the_peer_gets_the_readers_own_credentials(a, b, who, stubs):
    data, digest = at_a_only(a, b, who, b"credentials travel unchanged")
    peer = stubs(("bytes", data))
    b.config.vault_peers = [peer.url]
    with Client(b.url, identity=who("regulator")) as c:
        assert c.download_document(None, SCOPE, digest) == data
    [(path, headers)] = peer.requests
    assert path == get_path(digest)
    assert headers["X-Fae-Forwarded"] == "1"
    assert headers["X-Fae-Signer"] == who("regulator").cert_id.hex()
    assert {"X-Fae-Date", "X-Fae-Signature", "X-Fae-Cert"} <= set(headers)


def test_a_reader_the_contract_refuses_is_never_passed_on(a, b, who, stubs):
    _, digest = at_a_only(a, b, who, b"confidential: not for the bank")
    peer = stubs(("status", 500))
    b.config.vault_peers = [peer.url, a.url]
    a_before = downloads(a)
    status, _, doc = raw(b, "GET", get_path(digest), sign=who("bank"))
    assert status == 403 and doc["code"] == "unauthorized"
    # nor a document the contract has no record of
    unrecorded = b.app.hash(b"never recorded anywhere").hex()
    status, _, doc = raw(b, "GET", get_path(unrecorded), sign=who("supplier1"))
    assert status == 404 and doc["code"] == "not_found"
    assert peer.requests == [] and delta(a_before, downloads(a)) == {}
    assert not b.vault.has(digest)


def test_a_peer_answering_wrongly_is_skipped_for_the_next(a, b, who, stubs, caplog):
    data, digest = at_a_only(a, b, who, b"audited accounts 2025")
    b.config.vault_max_bytes = 256 * 1024  # the flooding peer sends more than that
    wrong = stubs(("bytes", b"not the audited accounts"))
    failing = stubs(("status", 500))
    flood = stubs(("flood", b.config.vault_max_bytes + 1))
    hanging = stubs(("hang", None))
    b.config.vault_peer_timeout = 1.0
    b.config.vault_peers = [dead_url(), failing.url, wrong.url, flood.url, hanging.url, a.url]
    with caplog.at_level(logging.WARNING, logger="faechain.api.vault"):
        with Client(b.url, identity=who("supplier1")) as c:
            assert c.download_document(None, SCOPE, digest) == data
    assert b.vault.get(digest) == data
    for stub in (failing, wrong, flood, hanging):
        assert len(stub.requests) == 1
    skipped = [r.getMessage() for r in caplog.records if digest in r.getMessage()]
    assert any(wrong.url in m and "hash to" in m for m in skipped), skipped
    assert any(failing.url in m and "500" in m for m in skipped), skipped
    assert any(flood.url in m and "vault_max_bytes" in m for m in skipped), skipped
    assert any(hanging.url in m and "within 1 s" in m for m in skipped), skipped


def test_no_peer_has_it(a, b, who, stubs):
    missing = b.app.hash(b"recorded, uploaded nowhere").hex()
    record_document(missing)
    wrong = stubs(("bytes", b"something else entirely"))
    b.config.vault_peers = [wrong.url, a.url]
    status, _, doc = raw(b, "GET", get_path(missing), sign=who("supplier1"))
    assert status == 404 and doc["code"] == "not_in_vault"
    assert "2 vault peer(s)" in doc["message"]
    assert len(wrong.requests) == 1 and not b.vault.has(missing)
    assert [f for _, _, files in os.walk(b.vault.root) for f in files if f.startswith(".")] == []


def test_anonymous_readers_are_never_passed_on(a, b, who, stubs):
    data, digest = at_a_only(a, b, who, b"public notice", scope=PUBLIC_SCOPE)
    peer = stubs(("bytes", data))
    b.config.vault_peers = [peer.url]
    b.config.anonymous_reads = b.config.open_reads = True  # an open dev node: the contract decides, and allows it
    status, _, doc = raw(b, "GET", get_path(digest, PUBLIC_SCOPE))
    assert status == 404 and doc["code"] == "not_in_vault"
    assert "peer" not in doc["message"] and peer.requests == []
    # the same read signed is passed on
    status, _, body = raw(b, "GET", get_path(digest, PUBLIC_SCOPE), sign=who("investor4"))
    assert status == 200 and body == data and len(peer.requests) == 1


def test_a_forwarded_request_is_not_forwarded_again(a, b, who, stubs):
    missing = a.app.hash(b"recorded, in neither vault").hex()
    record_document(missing)
    # each node is the other's peer: one hop, then 404, never a loop
    a.config.vault_peers = [b.url]
    b.config.vault_peers = [a.url]
    a.config.vault_peer_timeout = b.config.vault_peer_timeout = 5.0
    a_before, b_before = downloads(a), downloads(b)
    status, _, doc = raw(b, "GET", get_path(missing), sign=who("supplier1"))
    assert status == 404 and doc["code"] == "not_in_vault" and "1 vault peer(s)" in doc["message"]
    assert delta(a_before, downloads(a)) == {"not_in_vault": 1}
    assert delta(b_before, downloads(b)) == {"not_in_vault": 1}
    # a request marked as forwarded is answered from the vault alone
    peer = stubs(("bytes", b"never asked"))
    b.config.vault_peers = [peer.url]
    status, _, doc = raw(b, "GET", get_path(missing), b"", {"X-Fae-Forwarded": "1"}, sign=who("supplier1"))
    assert status == 404 and doc["code"] == "not_in_vault" and peer.requests == []

