"""The ABCI server in-process: a small Python ABCI client speaks the socket protocol
to `AbciServer` over `Application`, the way CometBFT does (framing, pipelining,
Flush, in-order responses), and the results are compared with driving the
Application directly."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket

import pytest

from faechain.core.encoding import encode_trusted
from faechain.engines.cometbft import proto
from faechain.engines.cometbft.abci import AbciApp, AbciServer
from faechain.engines.cometbft.codes import CODESPACE, code_number
from faechain.node.config import paths
from tests.conftest import open_chain


class AbciClient:
    """Just enough of CometBFT's socket client: framed requests, framed responses."""

    def __init__(self, address: tuple[str, int]):
        self.sock = socket.create_connection(address, timeout=10)
        self.buf = bytearray()

    def send(self, *requests: bytes, split: int | None = None) -> None:
        data = b"".join(proto.frame(r) for r in requests)
        if split is None:
            self.sock.sendall(data)
        else:  # deliver in small pieces to exercise reassembly
            for i in range(0, len(data), split):
                self.sock.sendall(data[i:i + split])

    def recv(self, n: int) -> list[tuple[int, bytes]]:
        """The next n responses as (oneof field, inner message)."""
        out: list[tuple[int, bytes]] = []
        while len(out) < n:
            msgs, used = proto.read_frames(self.buf)
            del self.buf[:used]
            out.extend(_response(m) for m in msgs)
            if len(out) < n:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise ConnectionError("server closed")
                self.buf += data
        assert len(out) == n, "more responses than requests"
        return out

    def call(self, request: bytes) -> tuple[int, bytes]:
        self.send(request, req(proto.REQ_FLUSH))
        res, flush = self.recv(2)
        assert flush[0] == proto.RES_FLUSH
        return res

    def close(self) -> None:
        self.sock.close()


def _response(msg: bytes) -> tuple[int, bytes]:
    fields = [(num, v) for num, wt, v in proto.iter_fields(msg) if wt == proto.LEN]
    assert len(fields) == 1, fields
    return fields[0]


def req(kind: int, inner: bytes = b"") -> bytes:
    return proto.f_bytes(kind, inner, always=True)


def check_tx(tx: bytes, recheck: bool = False) -> bytes:
    return req(proto.REQ_CHECK_TX, proto.f_bytes(1, tx) + proto.f_varint(2, int(recheck)))


def block_req(kind: int, height: int, time_ms: int, txs: list[bytes], proposer: bytes = b"\x01" * 20,
              max_tx_bytes: int = 0) -> bytes:
    txs_field = 2 if kind == proto.REQ_PREPARE_PROPOSAL else 1
    inner = (proto.f_varint(1, max_tx_bytes) if kind == proto.REQ_PREPARE_PROPOSAL else b"")
    inner += b"".join(proto.f_bytes(txs_field, t, always=True) for t in txs)
    inner += proto.f_varint(5, height) + proto.f_bytes(6, proto.encode_timestamp(time_ms), always=True)
    inner += proto.f_bytes(8, proposer)
    return req(kind, inner)


def fields(inner: bytes) -> dict[int, list]:
    out: dict[int, list] = {}
    for num, _, v in proto.iter_fields(inner):
        out.setdefault(num, []).append(v)
    return out


@pytest.fixture
def served(chain):
    commits: list = []
    checks: list = []
    abci = AbciApp(chain.app, max_block_txs=3, on_commit=commits.append,
                   on_check=lambda results, recheck: checks.append((results, recheck)), fault="")
    server = AbciServer(abci, "tcp://127.0.0.1:0")
    server.start()
    address = server._sock.getsockname()
    client = AbciClient(address)
    yield chain, abci, server, client, commits, checks
    client.close()
    server.stop()


def test_info_echo_and_flush_order(served):
    chain, _, _, client, _, _ = served
    kind, inner = client.call(req(proto.REQ_INFO, proto.f_bytes(1, "0.38.26")))
    assert kind == proto.RES_INFO
    f = fields(inner)
    assert f.get(4, [0])[0] == 0 and f[5] == [chain.app.app_hash]
    # pipelined requests, delivered two bytes at a time, answered in order
    client.send(req(proto.REQ_ECHO, proto.f_bytes(1, "a")), req(proto.REQ_FLUSH),
                req(proto.REQ_ECHO, proto.f_bytes(1, "b")), req(proto.REQ_FLUSH), split=2)
    got = client.recv(4)
    assert [k for k, _ in got] == [proto.RES_ECHO, proto.RES_FLUSH, proto.RES_ECHO, proto.RES_FLUSH]
    assert fields(got[0][1])[1] == [b"a"] and fields(got[2][1])[1] == [b"b"]


def test_check_tx_batch_new_and_recheck(served):
    chain, _, _, client, _, checks = served
    good = chain.sign("exchange", "membership", "set_attributes",
                      {"org_id": chain.org_ids["investor"], "attributes": {"x": 1}})
    other_chain = chain.ids["exchange"].sign_tx("another-chain", "membership", "set_attributes",
                                                {"org_id": chain.org_ids["investor"], "attributes": {}},
                                                now_ms=chain.clock)
    client.send(check_tx(good), check_tx(b"garbage"), check_tx(other_chain), req(proto.REQ_FLUSH))
    got = client.recv(4)
    assert [k for k, _ in got] == [proto.RES_CHECK_TX] * 3 + [proto.RES_FLUSH]
    ok, garbage, wrong = (fields(inner) for _, inner in got[:3])
    assert 1 not in ok  # code 0 is omitted on the wire
    assert garbage[1] == [code_number("bad_encoding")] and garbage[8] == [CODESPACE.encode()]
    assert wrong[1] == [code_number("wrong_chain")] and wrong[4] == [b"wrong_chain"]
    assert len(checks) == 1 and [r.code for _, r in checks[0][0]] == ["ok", "bad_encoding", "wrong_chain"]
    # after the tx is executed, a recheck refuses it as a replay
    chain.block([good])
    client.send(check_tx(good, recheck=True), req(proto.REQ_FLUSH))
    (_, inner), _ = client.recv(2)
    assert fields(inner)[1] == [code_number("replay")]
    assert checks[-1][1] is True


def test_finalize_block_and_commit_match_the_application(served, consortium_template, tmp_path):
    chain, abci, _, client, commits, _ = served
    # a twin chain over a copy of the same consortium, driven directly
    twin_home = str(tmp_path / "twin")
    shutil.copytree(consortium_template, twin_home)
    twin = open_chain(twin_home)
    try:
        inv = chain.org_ids["investor"]
        txs = [chain.sign("exchange", "membership", "set_attributes", {"org_id": inv, "attributes": {"n": 1}}),
               chain.sign("investor", "membership", "set_attributes", {"org_id": inv, "attributes": {"n": 2}}),
               b"not a transaction"]
        t = chain.clock
        kind, inner = client.call(block_req(proto.REQ_FINALIZE_BLOCK, 1, t, txs))
        assert kind == proto.RES_FINALIZE_BLOCK
        expected = twin.app.finalize_block(1, t, txs, b"\x01" * 20)
        twin.app.commit()
        f = fields(inner)
        assert f[5] == [expected.app_hash]
        results = [fields(r) for r in f[2]]
        assert [r.get(1, [0])[0] for r in results] == [0, code_number("unauthorized"), code_number("bad_encoding")]
        assert results[1][3] == [expected.receipts[1].message.encode()] and results[1][8] == [b"faechain"]
        for r, receipt in zip(results, expected.receipts, strict=True):
            assert r[2] == [chain.app.hash(encode_trusted(receipt.to_map()))]
        assert chain.app.height == 0  # nothing is committed before Commit
        kind, inner = client.call(req(proto.REQ_COMMIT))
        assert kind == proto.RES_COMMIT
        assert chain.app.height == 1 and chain.app.app_hash == expected.app_hash
        assert chain.app.block_hash == twin.app.block_hash  # same header, byte for byte
        assert len(commits) == 1 and commits[0].height == 1
        assert abci.blocks == 1
    finally:
        twin.close()


def test_handshake_replays_a_block_finalized_but_not_committed(served):
    """A crash between FinalizeBlock and Commit: Info reports the last *committed* block,
    so CometBFT replays the block, and finalizing it again is fine."""
    chain, _, _, client, _, _ = served
    tx = chain.sign("exchange", "membership", "set_attributes",
                    {"org_id": chain.org_ids["bank"], "attributes": {"k": "v"}})
    _, first = client.call(block_req(proto.REQ_FINALIZE_BLOCK, 1, chain.clock, [tx]))
    _, inner = client.call(req(proto.REQ_INFO))
    assert fields(inner).get(4, [0])[0] == 0
    _, again = client.call(block_req(proto.REQ_FINALIZE_BLOCK, 1, chain.clock, [tx]))
    assert fields(again)[5] == fields(first)[5]
    client.call(req(proto.REQ_COMMIT))
    _, inner = client.call(req(proto.REQ_INFO))
    assert fields(inner)[4] == [1] and fields(inner)[5] == [chain.app.app_hash]


def test_finalize_failure_is_an_exception_and_sets_error(served):
    chain, abci, _, client, _, _ = served
    kind, inner = client.call(block_req(proto.REQ_FINALIZE_BLOCK, 5, chain.clock, []))  # wrong height
    assert kind == proto.RES_EXCEPTION and b"expected block 1" in fields(inner)[1][0]
    assert abci.error is not None


def test_prepare_proposal_cuts_to_limits_and_process_accepts(served):
    chain, _, _, client, _, _ = served
    txs = [b"a" * 100, b"b" * 100, b"c" * 100, b"d" * 100]
    _, inner = client.call(block_req(proto.REQ_PREPARE_PROPOSAL, 1, chain.clock, txs, max_tx_bytes=10_000))
    assert fields(inner)[1] == txs[:3]  # max_block_txs = 3
    _, inner = client.call(block_req(proto.REQ_PREPARE_PROPOSAL, 1, chain.clock, txs, max_tx_bytes=2 * 103))
    assert fields(inner)[1] == txs[:2]  # 100 bytes + 3 bytes of framing each
    kind, inner = client.call(block_req(proto.REQ_PROCESS_PROPOSAL, 1, chain.clock, [b"junk"]))
    assert kind == proto.RES_PROCESS_PROPOSAL and fields(inner)[1] == [proto.PROPOSAL_ACCEPT]


def test_query_state(served):
    chain, _, _, client, _, _ = served
    key = f"membership/org/{chain.org_ids['bank']}".encode()
    _, inner = client.call(req(proto.REQ_QUERY, proto.f_bytes(1, key) + proto.f_bytes(2, "/state")))
    f = fields(inner)
    assert 1 not in f and f[7] == [chain.app.store.get_value(key)]
    _, inner = client.call(req(proto.REQ_QUERY, proto.f_bytes(2, "/nope")))
    assert fields(inner)[1] == [code_number("bad_request")]


def test_query_with_prove_returns_a_sparse_merkle_proof_op(served):
    """`prove=true` answers with one ProofOp of type `fae:smt` that verifies the value (or
    its absence) against the app hash of the height answered; a changed value fails."""
    from faechain.core.encoding import decode
    from faechain.ledger.smt import verify_proof

    chain, _, _, client, _, _ = served
    for key in (f"membership/org/{chain.org_ids['bank']}".encode(), b"membership/org/NO-SUCH-ORG"):
        for path in ("/state", "/store/faechain/key"):
            query = proto.f_bytes(1, key) + proto.f_bytes(2, path) + proto.f_varint(4, 1)
            _, inner = client.call(req(proto.REQ_QUERY, query))
            f = fields(inner)
            assert 1 not in f, f  # code 0
            height = f.get(9, [0])[0]  # proto3 omits 0
            value = f[7][0] if 7 in f else None
            assert value == chain.app.store.get_value(key)
            ops = [fields(op) for op in fields(f[8][0])[1]]
            assert len(ops) == 1 and ops[0][1] == [b"fae:smt"] and ops[0][2] == [key]
            proof = decode(ops[0][3][0])
            app_hash = chain.app.state_value(key, height)["app_hash"]
            assert verify_proof(chain.app.hash, app_hash, key, value, proof)
            if value is not None:
                assert not verify_proof(chain.app.hash, app_hash, key, value + b"x", proof)
            else:
                assert not verify_proof(chain.app.hash, app_hash, key, b"forged", proof)


def _init_chain(chain, validators: list[tuple[bytes, int]], chain_id: str | None = None,
                time_ms: int | None = None, app_state: bytes = b"") -> bytes:
    inner = proto.f_bytes(1, proto.encode_timestamp(chain.genesis.genesis_time if time_ms is None else time_ms),
                          always=True)
    inner += proto.f_bytes(2, chain_id or chain.chain_id)
    for key, power in validators:
        inner += proto.f_bytes(4, proto.ValidatorUpdate("ed25519", key, power).encode(), always=True)
    inner += proto.f_bytes(5, app_state) + proto.f_varint(6, 1)
    return req(proto.REQ_INIT_CHAIN, inner)


def test_init_chain_checks_the_genesis(served):
    chain, abci, _, client, _, _ = served
    keys = [os.urandom(32), os.urandom(32)]
    chain.app.genesis.validators = [{"name": f"v{i}", "pub_key": base64.b64encode(k).decode(), "power": 10}
                                    for i, k in enumerate(keys)]
    for bad in (_init_chain(chain, [(keys[0], 10)]),                      # a validator missing
                _init_chain(chain, [(keys[0], 10), (keys[1], 5)]),         # another power
                _init_chain(chain, [(keys[0], 10), (keys[1], 10)], chain_id="other"),
                _init_chain(chain, [(keys[0], 10), (keys[1], 10)], time_ms=chain.genesis.genesis_time + 1),
                _init_chain(chain, [(keys[0], 10), (keys[1], 10)], app_state=b'{"chain_id": "x"}')):
        kind, inner = client.call(bad)
        assert kind == proto.RES_EXCEPTION, inner
    app_state = json.dumps(chain.app.genesis.canonical()).encode()
    kind, inner = client.call(_init_chain(chain, [(keys[1], 10), (keys[0], 10)], app_state=app_state))
    assert kind == proto.RES_INIT_CHAIN and fields(inner)[3] == [chain.app.app_hash]


def test_a_broken_connection_does_not_stop_the_server(served):
    chain, _, server, client, _, _ = served
    client.sock.sendall(b"\xff" * 11)  # not a varint: the server drops this connection
    with pytest.raises((ConnectionError, OSError)):
        client.recv(1)
    other = AbciClient(server._sock.getsockname())
    try:
        kind, _ = other.call(req(proto.REQ_INFO))
        assert kind == proto.RES_INFO
    finally:
        other.close()


def test_fault_spec_parsing():
    from faechain.engines.cometbft.abci import _parse_fault

    assert _parse_fault("before-commit:3") == ("before-commit", 3)
    assert _parse_fault("after-commit:1") == ("after-commit", 1)
    assert _parse_fault("") is None and _parse_fault("sometime:3") is None


def test_localnet_helpers(tmp_path):
    from faechain.devnet import localnet as L

    text = "proxy_app = \"x\"\n[rpc]\nladdr = \"a\"\n[p2p]\nladdr = \"b\"\npex = true\n"
    out = L.set_toml(text, {"proxy_app": "tcp://1", "p2p.laddr": "tcp://2", "p2p.pex": False, "rpc.laddr": 5})
    assert out == "proxy_app = \"tcp://1\"\n[rpc]\nladdr = 5\n[p2p]\nladdr = \"tcp://2\"\npex = false\n"
    with pytest.raises(L.LocalnetError):
        L.set_toml(text, {"rpc.nothing": 1})
    assert L.rfc3339(1795741323456) == "2026-11-27T01:02:03.456Z"
    assert paths(str(tmp_path))["genesis"].endswith("genesis.json")
