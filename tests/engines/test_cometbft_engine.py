"""CometBFTEngine without CometBFT: a fake JSON-RPC endpoint stands in for the
consensus node's RPC, and blocks are driven through the engine's ABCI handlers,
so submission, broadcast outcomes and receipt resolution are checked exactly."""

from __future__ import annotations

import base64
import concurrent.futures as cf
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faechain.chain.engine import EngineError
from faechain.chain.results import CheckResult
from faechain.core.tx import decode_tx
from faechain.engines.cometbft import proto
from faechain.engines.cometbft.engine import CometBFTEngine


class FakeRpc:
    """Answers broadcast_tx_async batches; `errors` maps tx bytes to an error `data` text."""

    def __init__(self):
        self.received: list[bytes] = []
        self.errors: dict[bytes, str] = {}
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests += 1
                calls = doc if isinstance(doc, list) else [doc]
                answers = []
                for c in calls:
                    tx = base64.b64decode(c["params"]["tx"])
                    err = fake.errors.get(tx)
                    if err:
                        answers.append({"jsonrpc": "2.0", "id": c["id"],
                                        "error": {"code": -32603, "message": "Internal error", "data": err}})
                    else:
                        fake.received.append(tx)
                        answers.append({"jsonrpc": "2.0", "id": c["id"], "result": {"code": 0, "hash": "00"}})
                body = json.dumps(answers if isinstance(doc, list) and len(answers) > 1 else answers[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rig(chain):
    rpc = FakeRpc()
    eng = CometBFTEngine(chain.app, listen="tcp://127.0.0.1:0", rpc=rpc.url, rpc_batch=4)
    eng.start()
    yield chain, eng, rpc
    eng.stop()
    rpc.close()


def _finalize_and_commit(eng, chain, txs):
    body = b"".join(proto.f_bytes(1, t, always=True) for t in txs)
    body += proto.f_varint(5, chain.app.height + 1)
    body += proto.f_bytes(6, proto.encode_timestamp(chain.clock), always=True)
    eng.abci.finalize_block(body)
    eng.abci.commit(b"")
    chain.clock += 1000


def _tx(chain, who="exchange", **attrs):
    return chain.sign(who, "membership", "set_attributes",
                      {"org_id": chain.org_ids["investor"], "attributes": attrs or {"k": 1}})


def test_submit_broadcasts_then_commit_resolves_the_receipt(rig):
    chain, eng, rpc = rig
    txs = [_tx(chain, n=i) for i in range(10)]
    subs = [eng.submit_async(t, wait=True) for t in txs]
    checks = [c.result(10) for c, _ in subs]
    assert all(c.ok for c in checks)
    assert sorted(rpc.received) == sorted(txs)  # every accepted tx went to CometBFT
    assert rpc.requests >= 3  # batches of at most rpc_batch = 4 calls
    assert eng.mempool_size == 10
    _finalize_and_commit(eng, chain, rpc.received)
    receipts = [r.result(10) for _, r in subs]
    assert [r.code for r in receipts] == ["ok"] * 10 and {r.height for r in receipts} == {1}
    assert eng.mempool_size == 0 and eng.blocks_made == 1


def test_check_failure_is_not_broadcast(rig):
    chain, eng, rpc = rig
    check, receipt = eng.submit_async(b"\x00garbage", wait=True)
    assert check.result(10).code == "bad_encoding"
    assert rpc.received == [] and eng.mempool_size == 0


@pytest.mark.parametrize("error, code", [
    ("mempool is full: number of txs 5000 (max: 5000)", "mempool_full"),
    ("Tx too large. Max size is 10, but got 700", "too_large"),
    ("something else broke", "unavailable"),
])
def test_cometbft_refusals_become_check_results(rig, error, code):
    chain, eng, rpc = rig
    tx = _tx(chain)
    rpc.errors[tx] = error
    check, receipt = eng.submit_async(tx, wait=True)
    result = check.result(10)
    assert result.code == code and not result.ok
    assert eng.mempool_size == 0  # forgotten: no receipt will ever come


def test_already_in_cache_and_committed_resolves_from_the_store(rig):
    """Race: the local check passed, then the tx was committed (through another node) before
    our broadcast, so CometBFT answers "already in cache": the receipt comes from the store."""
    chain, eng, rpc = rig
    tx = _tx(chain)
    tx_hash = decode_tx(tx, chain.app.hash).hash
    chain.block([tx])
    rpc.errors[tx] = "tx already exists in cache"
    check, receipt = cf.Future(), cf.Future()
    with eng._lock:
        eng._inflight[tx_hash] = (tx, [receipt])
    eng._send([(tx, check, receipt, CheckResult("ok", "", tx_hash))])
    assert check.result(5).ok
    assert receipt.result(5).code == "ok" and receipt.result(5).height == 1


def test_unreachable_cometbft_is_unavailable(chain):
    eng = CometBFTEngine(chain.app, listen="tcp://127.0.0.1:0", rpc="http://127.0.0.1:1")
    eng.start()
    try:
        check, _ = eng.submit_async(_tx(chain), wait=True)
        assert check.result(10).code == "unavailable"
    finally:
        eng.stop()


def test_eviction_by_recheck_answers_the_waiter(rig):
    chain, eng, rpc = rig
    tx = _tx(chain)
    check, receipt = eng.submit_async(tx, wait=True)
    assert check.result(10).ok
    chain.clock += 11 * 60 * 1000  # past the ten-minute expiry
    chain.app.last_time = chain.clock  # as if a block at that time had been committed
    expected = chain.app.check_tx(tx)  # what a recheck says now: expired
    assert not expected.ok
    eng.abci.check_txs([(tx, proto.CHECK_TX_RECHECK)])
    r = receipt.result(5)
    assert (r.code, r.message, r.height, r.ok) == (expected.code, expected.message, 0, False)
    assert eng.mempool_size == 0


def test_advance_time_is_forbidden(rig):
    _, eng, _ = rig
    with pytest.raises(EngineError) as exc:
        eng.advance_time(60)
    assert exc.value.code == "forbidden"
