"""`Engine.health()` and GET /healthz: a node says it is not ok when it cannot commit what it
is given — block production stopped, or (CometBFT engine) its consensus node unreachable.

The CometBFT cases need no CometBFT: the RPC endpoint is a socket that refuses connections, one
that accepts and never answers, or a minimal JSON-RPC server that answers `health`. The same with
real processes (one node's CometBFT killed in a 4-validator network) is in
tests/e2e/test_localnet_faults.py."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faechain.chain.engine import EngineHealth
from faechain.devnet.demo import create_demo
from faechain.engines.cometbft import engine as cometbft_engine
from faechain.engines.cometbft.engine import CometBFTEngine
from faechain.engines.solo import SoloEngine
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Identity


@pytest.fixture
def refusing() -> Iterator[str]:
    """The URL of a port bound but not listening: every connection is refused (and, held
    for the test, no other process can take the port meanwhile)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{s.getsockname()[1]}"
    finally:
        s.close()


@pytest.fixture
def silent() -> Iterator[str]:
    """The URL of a server that accepts connections and never answers (a wedged CometBFT)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    try:
        yield f"http://127.0.0.1:{s.getsockname()[1]}"
    finally:
        s.close()


@pytest.fixture
def answering() -> Iterator[str]:
    """A JSON-RPC endpoint that answers every call with an empty result, as CometBFT's `health` does."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps({"jsonrpc": "2.0", "id": doc["id"], "result": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_solo_health_follows_block_production(chain):
    eng = SoloEngine(chain.app, heartbeat=3600)
    assert eng.health() == EngineHealth(True, "ok", "")
    eng.halt(RuntimeError("disk on fire"))
    h = eng.health()
    assert (h.ok, h.code) == (False, "unavailable") and h.message == "block production stopped: disk on fire"


def test_cometbft_health_with_an_rpc_endpoint_that_refuses_connections(chain, refusing):
    eng = CometBFTEngine(chain.app, listen="tcp://127.0.0.1:0", rpc=refusing)
    h = eng.health()
    assert (h.ok, h.code) == (False, "unavailable"), h
    assert h.message.startswith("consensus engine unreachable: cannot reach CometBFT RPC at " + refusing), h
    assert eng.error is None  # nothing stopped: the node serves reads and takes CometBFT back when it returns


def test_cometbft_health_when_the_rpc_answers_and_after_a_halt(chain, answering):
    eng = CometBFTEngine(chain.app, listen="tcp://127.0.0.1:0", rpc=answering)
    assert eng.health() == EngineHealth(True)
    assert eng.health().ok  # the probe's kept-alive connection is reused
    eng.halt(RuntimeError("storage damaged"))
    h = eng.health()
    assert not h.ok and h.message == "block production stopped: storage damaged"


def test_cometbft_health_with_an_rpc_that_never_answers(chain, silent, monkeypatch):
    monkeypatch.setattr(cometbft_engine, "HEALTH_TIMEOUT", 0.2)
    eng = CometBFTEngine(chain.app, listen="tcp://127.0.0.1:0", rpc=silent)
    h = eng.health()
    assert not h.ok and h.message.startswith("consensus engine unreachable"), h


def _get(port: int, path: str, body: bytes | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST" if body is not None else "GET", path, body=body,
                     headers={"Content-Type": "application/octet-stream"} if body is not None else {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_healthz_of_a_node_whose_cometbft_is_unreachable(tmp_path, refusing):
    """The issue's node: its submissions are refused 503 `unavailable`, and /healthz says so too."""
    home = str(tmp_path / "home")
    create_demo(home, free_port())
    nt = NodeThread(home, engine="cometbft", abci={"listen": "tcp://127.0.0.1:0", "rpc": refusing})
    node = nt.start()
    try:
        port = node.config.port
        status, doc = _get(port, "/healthz")
        assert status == 503, doc
        assert doc["ok"] is False and doc["code"] == "unavailable" and doc["height"] == node.app.height
        assert doc["message"].startswith("consensus engine unreachable"), doc
        ident = Identity.load(home, "exchange")
        tx = ident.sign_tx(node.app.chain_id, "membership", "set_attributes",
                           {"org_id": ident.org_id, "attributes": {"k": 1}}, now_ms=node.engine.now_ms())
        status, doc = _get(port, "/v1/txs", tx)
        assert status == 503 and doc["code"] == "unavailable", doc
        status, doc = _get(port, "/v1/info")  # the node still serves what it has
        assert status == 200 and doc["engine"] == "cometbft"
    finally:
        nt.stop()
