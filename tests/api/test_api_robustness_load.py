"""Load shedding: oversize bodies, slow clients and floods, on loopback with small limits.

A demo node with tight limits (64 KiB bodies, 128 KiB documents, 2 s to send a body or a
request's headers, 16 requests in flight, 4 event streams, a 60-transaction mempool and
5-transaction blocks every 0.2 s). Every body-taking route answers 413 `too_large` to an
oversize body; a client sending its body or headers slowly is cut off (408
`request_timeout`, or the connection closed) while others are served; 500 idle
connections do not stop it; a burst of submissions beyond the mempool gets 429
`mempool_full`, a burst of requests beyond max_inflight 429 `busy`, and through all of it
the node keeps committing blocks. Request loops are bounded; deadlines are generous.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import threading
import time

import aiohttp
import pytest

from faechain.core.wire import signed_path
from faechain.devnet.demo import create_demo, demo_org_id
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Identity

LIMITS = dict(max_body_bytes=64 * 1024, vault_max_bytes=128 * 1024, body_timeout=2.0, idle_timeout=2.0,
              max_inflight=16, max_event_streams=4, max_mempool=60, max_block_txs=5, block_interval=0.2,
              heartbeat=0.3)
INVESTOR4 = demo_org_id(15)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("loadnode"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False, **LIMITS)
    nt.start()
    yield nt.node
    nt.stop()


@pytest.fixture(scope="module")
def exchange(node):
    return Identity.load(node.home, "exchange")


def signed_headers(node, ident, method: str, path: str, body: bytes = b"") -> dict:
    date = int(time.time() * 1000)
    base, _, query = path.partition("?")
    sig = ident.sign_read(node.app.chain_id, method, signed_path(base, query), hashlib.sha256(body).digest(), date)
    return {"X-Fae-Signer": ident.cert_id.hex(), "X-Fae-Date": str(date),
            "X-Fae-Signature": base64.b64encode(sig).decode(), "X-Fae-Cert": base64.b64encode(ident.cert).decode()}


def request(node, raw: bytes, timeout: float = 20.0) -> tuple[int, dict, bytes]:
    """Send raw HTTP bytes; (status, headers, body) of the answer (read until the server closes)."""
    with socket.create_connection((node.config.host, node.config.port), timeout=timeout) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the node answered (413) and closed before reading it all
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")]
                if length and len(body) >= length[0]:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def http_bytes(method: str, path: str, headers: dict, body: bytes = b"", chunked: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192])
                           for i in range(0, len(body), 8192)) + b"0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body)}")
        payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def body_routes() -> list[tuple[str, str]]:
    """(METHOD, concrete path) of every route of /openapi.json that takes a request body."""
    from faechain.api.openapi import build_document, finish
    from faechain.console.openapi import extend

    doc = finish(extend(build_document("x")))
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "requestBody" in op:
                concrete = (path.replace("{contract}", "membership").replace("{method}", "orgs")
                            .replace("{hash}", "ab" * 32))
                out.append((method.upper(), concrete + ("?scope=plans&subject=P-1" if "vault" in path else "")))
    return out


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("method,path", body_routes())
def test_an_oversize_body_is_413_on_every_body_route(node, exchange, method, path, chunked):
    limit = node.config.vault_max_bytes if path.startswith("/v1/vault/") else node.config.max_body_bytes
    body = b"{" + b" " * limit + b"}"
    headers = {"Content-Type": "application/json", "X-Fae-CSRF": "x", **signed_headers(node, exchange, method, path)}
    status, _, answer = request(node, http_bytes(method, path, headers, body, chunked))
    assert status == 413, (status, answer[:200])
    assert json.loads(answer)["code"] == "too_large"


def test_a_large_body_under_the_limit_is_read(node, exchange):
    body = json.dumps({"org_id": exchange.org_id, "pad": "x" * (node.config.max_body_bytes - 100)}).encode()
    path = "/v1/query/membership/org"
    headers = {"Content-Type": "application/json", **signed_headers(node, exchange, "POST", path, body)}
    status, _, answer = request(node, http_bytes("POST", path, headers, body, chunked=True))
    assert status == 400 and json.loads(answer)["code"] == "bad_request"  # pad is no argument of org()


def _healthy(node) -> bool:
    status, _, body = request(node, http_bytes("GET", "/healthz", {}), timeout=10)
    return status == 200 and json.loads(body)["ok"]


def _trickle(sock: socket.socket, data: bytes, every: float, stop: threading.Event) -> None:
    for i in range(len(data)):
        if stop.wait(every):
            return
        try:
            sock.sendall(data[i:i + 1])
        except OSError:
            return


def _slow_client(node, head: bytes, tail: bytes, every: float = 0.25, limit: float = 20.0):
    """Send `head` at once and `tail` a byte every `every` s; (seconds until the server answered or
    closed, what it sent, how many other requests were served meanwhile)."""
    sock = socket.create_connection((node.config.host, node.config.port), timeout=limit)
    stop = threading.Event()
    started = time.monotonic()
    sock.sendall(head)
    sender = threading.Thread(target=_trickle, args=(sock, tail, every, stop), daemon=True)
    sender.start()
    got = b""
    served = 0
    answered = None
    try:
        sock.settimeout(0.5)
        while time.monotonic() - started < limit:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                served += _healthy(node)  # others are served while the slow client is connected
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            if answered is None:
                answered = time.monotonic() - started
            got += chunk
            if b"\r\n\r\n" in got:
                break
        return (answered if answered is not None else time.monotonic() - started), got, served
    finally:
        stop.set()
        sock.close()


def test_a_slow_body_is_cut_off_with_408_while_others_are_served(node, exchange):
    path = "/v1/query/membership/orgs"
    body = b"{}" + b" " * 2000
    headers = {"Content-Type": "application/json", **signed_headers(node, exchange, "POST", path, body)}
    raw = http_bytes("POST", path, headers, body)
    split = raw.index(b"\r\n\r\n") + 4 + 10
    took, got, served = _slow_client(node, raw[:split], raw[split:])
    assert got.startswith(b"HTTP/1.1 408"), got[:200]
    assert b'"request_timeout"' in got
    assert node.config.body_timeout <= took < 15, took
    assert served >= 1


def test_a_slow_vault_upload_is_cut_off(node, exchange):
    path = "/v1/vault/" + "ab" * 32 + "?scope=plans&subject=P-1"
    body = b"x" * 4000
    headers = signed_headers(node, exchange, "PUT", path, body)
    raw = http_bytes("PUT", path, {"Content-Type": "application/octet-stream", **headers}, body)
    split = raw.index(b"\r\n\r\n") + 4 + 10
    took, got, _ = _slow_client(node, raw[:split], raw[split:], every=0.5, limit=30)
    deadline = node.config.body_timeout * node.config.vault_max_bytes / node.config.max_body_bytes
    assert got.startswith(b"HTTP/1.1 408") and b'"request_timeout"' in got, got[:200]
    assert deadline <= took < deadline + 10, took


def test_slow_headers_are_cut_off_while_others_are_served(node):
    head = b"GET /v1/info HTTP/1.1\r\nHost: localhost\r\n"
    tail = b"".join(b"X-Slow-%d: %d\r\n" % (i, i) for i in range(40)) + b"\r\n"
    took, got, served = _slow_client(node, head, tail)
    assert got == b"" or got.startswith(b"HTTP/1.1 4"), got[:200]  # closed without an answer
    assert took < node.config.idle_timeout + 6, took
    assert served >= 1


def _height(node) -> int:
    return node.app.height


def test_500_idle_connections_do_not_stop_the_node(node):
    h0 = _height(node)
    socks = []
    try:
        for i in range(500):
            s = socket.create_connection((node.config.host, node.config.port), timeout=10)
            if i % 2:
                s.sendall(b"GET /v1/info HTTP/1.1\r\n")  # half of them start a request and stall
            socks.append(s)
        for _ in range(5):
            assert _healthy(node)
        status, _, body = request(node, http_bytes("GET", "/v1/info", {}))
        assert status == 200 and json.loads(body)["chain_id"]
        deadline = time.monotonic() + node.config.idle_timeout + 15
        closed = 0
        for s in socks:  # the node closes every one of them (idle_timeout)
            try:
                while True:
                    s.settimeout(max(0.1, deadline - time.monotonic()))
                    if s.recv(65536) == b"":
                        closed += 1
                        break
            except ConnectionResetError:
                closed += 1
            except (TimeoutError, OSError):
                pass
        assert closed == 500
    finally:
        for s in socks:
            s.close()
    assert _height(node) > h0  # heartbeat blocks went on


async def _flood(node, raws: list[bytes], concurrency: int) -> tuple[list[tuple[int, dict]], list[int]]:
    """Submit every envelope (wait=false) over `concurrency` connections; (status, body) of each,
    and the heights seen while submitting."""
    heights: list[int] = []
    url = node.url + "/v1/txs?wait=false"
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)

    async def one(session, raw):
        async with sem:
            heights.append(_height(node))
            async with session.post(url, data=raw, headers={"Content-Type": "application/octet-stream"}) as r:
                return r.status, await r.json()

    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        results = await asyncio.gather(*(one(session, raw) for raw in raws))
    return results, heights


def test_a_burst_beyond_the_mempool_is_429_while_blocks_commit(node, exchange):
    now = node.engine.now_ms()
    raws = [exchange.sign_tx(node.app.chain_id, "membership", "set_attributes",
                             {"org_id": INVESTOR4, "attributes": {"burst": i}}, now_ms=now, nonce=10_000 + i)
            for i in range(600)]
    h0 = _height(node)
    results, heights = asyncio.run(_flood(node, raws, 64))
    statuses = [s for s, _ in results]
    assert set(statuses) <= {202, 429}, sorted(set(statuses))
    full = [b for s, b in results if s == 429]
    assert full and all(b["code"] in ("mempool_full", "busy") for b in full)
    assert any(b["code"] == "mempool_full" for b in full)
    accepted = [b["tx_hash"] for s, b in results if s == 202]
    assert len(accepted) >= node.config.max_mempool
    assert max(heights) > h0, "no block committed during the flood"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(node.store.tx(bytes.fromhex(h)) is None for h in accepted[-5:]):
        time.sleep(0.2)
    assert all(node.store.tx(bytes.fromhex(h)) is not None for h in accepted)  # every accepted one commits


async def _concurrent(node, ident, n: int, submit: bool) -> list[tuple[int, dict, str | None]]:
    """n requests at once over n connections: signed queries, or submissions that wait for their block."""
    connector = aiohttp.TCPConnector(limit=n, force_close=True)
    now = node.engine.now_ms()

    async def one(session, i):
        if submit:
            path, ctype = "/v1/txs?wait=true&timeout=20", "application/octet-stream"
            body = ident.sign_tx(node.app.chain_id, "membership", "set_attributes",
                                 {"org_id": INVESTOR4, "attributes": {"wave": i}}, now_ms=now, nonce=50_000 + i)
            headers = {"Content-Type": ctype}
        else:
            path, body = "/v1/query/membership/orgs", json.dumps({"type": "INVESTOR"}).encode()
            headers = {"Content-Type": "application/json", **signed_headers(node, ident, "POST", path, body)}
        async with session.post(node.url + path, data=body, headers=headers) as r:
            return r.status, await r.json(), r.headers.get("Retry-After")

    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        return await asyncio.gather(*(one(session, i) for i in range(n)))


@pytest.mark.parametrize("submit", [False, True], ids=["queries", "waiting-submissions"])
def test_500_concurrent_requests_are_served_or_shed_with_busy(node, exchange, submit):
    h0 = _height(node)
    results = asyncio.run(_concurrent(node, exchange, 500, submit))
    statuses = {s for s, _, _ in results}
    assert statuses <= {200, 429}, statuses
    shed = [(b, ra) for s, b, ra in results if s == 429]
    assert all(b["code"] in ("busy", "mempool_full") for b, _ in shed)
    assert all(ra == "1" for b, ra in shed if b["code"] == "busy")
    assert sum(s == 200 for s, _, _ in results) >= node.config.max_inflight
    if submit:  # each waits for its block: far more than max_inflight are in flight at once
        assert any(b["code"] == "busy" for b, _ in shed)
        assert all(b["ok"] for s, b, _ in results if s == 200)
    assert _healthy(node)
    deadline = time.monotonic() + 10
    while _height(node) <= h0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _height(node) > h0


def test_event_streams_beyond_the_cap_are_busy(node, exchange):
    def open_stream():
        s = socket.create_connection((node.config.host, node.config.port), timeout=10)
        s.sendall(http_bytes("GET", "/v1/events", signed_headers(node, exchange, "GET", "/v1/events"))
                  .replace(b"Content-Length: 0\r\n", b""))
        first = s.recv(4096)
        return s, first

    streams = []
    try:
        for _ in range(node.config.max_event_streams):
            s, first = open_stream()
            assert first.startswith(b"HTTP/1.1 200"), first[:100]
            streams.append(s)
        extra, first = open_stream()
        extra.close()
        assert first.startswith(b"HTTP/1.1 429") and b'"busy"' in first, first[:300]
        streams.pop().close()
        deadline = time.monotonic() + 10
        while True:  # the freed slot is taken again once the node has noticed the closed stream
            s, first = open_stream()
            if first.startswith(b"HTTP/1.1 200"):
                streams.append(s)
                break
            s.close()
            assert time.monotonic() < deadline, first[:200]
            time.sleep(0.3)
    finally:
        for s in streams:
            s.close()
