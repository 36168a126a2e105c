"""Mutated signed transactions through the real admission and execution paths.

Mutants of a member's signed envelope (flipped bits, inserted, deleted or duplicated
bytes, truncation, a swapped or dropped certificate) go through `Application.check_txs`
and then into a block, as a proposer could put them there: check_txs and
finalize_block never raise, a mutant is accepted only if it is byte for byte the signed
envelope or that envelope without its certificate, at most one of them executes, and
the chain goes on.
The ABCI socket server, fed garbage and then well-formed requests with junk fields,
keeps serving every other connection.
"""

from __future__ import annotations

import socket
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faechain.core.encoding import encode
from faechain.core.tx import decode_tx
from faechain.engines.cometbft import proto
from faechain.engines.cometbft.abci import AbciApp, AbciServer
from fuzz import targets

BUDGET = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def test_mutants_are_refused_or_the_same_transaction(chain):
    assert chain.run("exchange", "membership", "set_attributes",
                     {"org_id": chain.org_ids["investor"], "attributes": {"tier": 1}}).ok  # registered signer
    signed = chain.sign("exchange", "membership", "set_attributes",
                        {"org_id": chain.org_ids["investor"], "attributes": {"tier": 2, "memo": b"\x00"}},
                        expires=chain.clock + 3_600_000)
    orig = decode_tx(signed, chain.app.hash)
    without_cert = encode([1, orig.body, orig.signature, None])
    other_cert = encode([1, orig.body, orig.signature, chain.ids["bank"].cert])
    assert [c.code for c in chain.app.check_txs([signed, without_cert, other_cert], chain.clock)] == \
        ["ok", "ok", "bad_certificate"]  # another member's certificate in the slot: "ok" before
    executed: list[bytes] = []

    @BUDGET
    @given(st.lists(st.binary(min_size=3, max_size=30), min_size=1, max_size=6),
           st.sampled_from([signed, without_cert, other_cert]))
    def run(scripts, base):
        mutants = [targets.mutate(base, s) for s in scripts]
        checks = chain.app.check_txs(mutants, chain.clock)
        for raw, check in zip(mutants, checks, strict=True):
            if check.ok:  # the signed envelope itself, or without its certificate: never a third
                assert check.tx_hash == orig.hash and raw in (signed, without_cert)
        result = chain.block(mutants)  # a proposer may include anything: no exception
        for r in result.receipts:
            if r.code != "bad_encoding" and r.code != "too_large":
                assert r.tx_hash == chain.app.hash(decode_tx(mutants[r.index], chain.app.hash).body)
            if r.ok:
                assert r.tx_hash == orig.hash and mutants[r.index] in (signed, without_cert)
                executed.append(r.tx_hash)

    run()
    assert len(executed) <= 1  # the signed transaction once at most; every copy after it is a replay
    assert chain.app.check_txs([signed], chain.clock)[0].code in ("ok", "replay")


def _recv_frames(sock: socket.socket, n: int) -> list[bytes]:
    buf, out = bytearray(), []
    while len(out) < n:
        data = sock.recv(1 << 16)
        if not data:
            raise ConnectionError("closed")
        buf += data
        msgs, used = proto.read_frames(buf)
        del buf[:used]
        out += msgs
    return out


def _answers_info(address) -> None:
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(proto.frame(proto.f_bytes(proto.REQ_INFO, b"", always=True))
                  + proto.frame(proto.f_bytes(proto.REQ_FLUSH, b"", always=True)))
        info, flush = _recv_frames(s, 2)
        assert next(proto.iter_fields(info))[0] == proto.RES_INFO


def test_abci_server_survives_garbage_and_junk_fields(chain):
    server = AbciServer(AbciApp(chain.app, fault=""), "tcp://127.0.0.1:0")
    server.start()
    address = server._sock.getsockname()
    try:
        garbage = [b"\xff" * 11, b"\x80" * 10 + b"\x01", proto.uvarint(proto.MAX_FRAME + 1) + b"\x00",
                   proto.frame(b"\x00\x00"), proto.frame(b"\x0f"), proto.frame(b"\x12\x05ab")]
        for g in garbage:  # the server drops each such connection (or waits for the rest of a frame)
            with socket.create_connection(address, timeout=5) as s:
                s.sendall(g)
                s.shutdown(socket.SHUT_WR)
                s.settimeout(5)
                try:
                    while s.recv(1 << 16):
                        pass
                except OSError:
                    pass
            _answers_info(address)

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.sampled_from([proto.REQ_ECHO, proto.REQ_INFO, proto.REQ_QUERY, proto.REQ_CHECK_TX,
                                proto.REQ_PREPARE_PROPOSAL, proto.REQ_PROCESS_PROPOSAL, proto.REQ_EXTEND_VOTE,
                                proto.REQ_LIST_SNAPSHOTS, proto.REQ_OFFER_SNAPSHOT]),
               st.binary(max_size=64))
        def junk(kind, junk_fields):
            """A request of a kind the query and mempool connections serve, its fields random:
            answered (or the connection dropped if the fields do not parse), never a crash."""
            with socket.create_connection(address, timeout=10) as s:
                s.sendall(proto.frame(proto.f_bytes(kind, junk_fields, always=True))
                          + proto.frame(proto.f_bytes(proto.REQ_FLUSH, b"", always=True)))
                try:
                    _recv_frames(s, 2)
                except (ConnectionError, OSError):
                    pass
            _answers_info(address)

        junk()
        assert server.abci.error is None
    finally:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0  # 5 s before: accept() was never woken
