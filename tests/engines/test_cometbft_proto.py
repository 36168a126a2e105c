"""The hand-written ABCI protobuf codec against bytes made by CometBFT's own types.

`abci_golden/golden.json` holds Requests and Responses marshalled by CometBFT
v0.38.26's gogoproto types (`abci_golden/main.go` regenerates it): requests must
decode to the values the generator put in, and our responses must encode to the
same bytes byte for byte.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faechain.engines.cometbft import proto
from faechain.engines.cometbft.codes import CODE_NUMBERS, DERIVED_BASE, code_name, code_number

with open(os.path.join(os.path.dirname(__file__), "abci_golden", "golden.json")) as _f:
    GOLDEN = {k: bytes.fromhex(v) for k, v in json.load(_f).items()}

# 2026-11-27T01:02:03.456789Z in unix milliseconds (floored)
T_MS = 1795741323456


def test_golden_finalize_block_request():
    kind, body = proto.decode_request(GOLDEN["req_finalize_block"])
    assert kind == proto.REQ_FINALIZE_BLOCK
    r = proto.BlockRequest.decode(body, kind)
    assert r.txs == [b"tx-one", b"tx-two"]
    assert (r.height, r.time_ms, r.hash, r.proposer_address) == (1234567, T_MS, b"\x01\x02\x03", b"\xaa\xbb")


def test_golden_prepare_and_process_proposal_requests():
    kind, body = proto.decode_request(GOLDEN["req_prepare_proposal"])
    assert kind == proto.REQ_PREPARE_PROPOSAL
    r = proto.BlockRequest.decode(body, kind)
    assert (r.txs, r.max_tx_bytes, r.height, r.time_ms, r.proposer_address) == (
        [b"a", b"bb"], 1048576, 7, T_MS, b"\x01")
    kind, body = proto.decode_request(GOLDEN["req_process_proposal"])
    assert kind == proto.REQ_PROCESS_PROPOSAL
    r = proto.BlockRequest.decode(body, kind)
    assert (r.txs, r.height, r.hash) == ([b"a"], 8, b"\x05")


def test_golden_check_tx_info_query_flush_commit_requests():
    kind, body = proto.decode_request(GOLDEN["req_check_tx_recheck"])
    assert kind == proto.REQ_CHECK_TX and proto.decode_check_tx(body) == (b"hello", proto.CHECK_TX_RECHECK)
    kind, body = proto.decode_request(GOLDEN["req_check_tx_new"])
    assert kind == proto.REQ_CHECK_TX and proto.decode_check_tx(body) == (b"hello", proto.CHECK_TX_NEW)
    assert proto.decode_request(GOLDEN["req_flush"]) == (proto.REQ_FLUSH, b"")
    assert proto.decode_request(GOLDEN["req_commit"]) == (proto.REQ_COMMIT, b"")
    kind, body = proto.decode_request(GOLDEN["req_info"])
    assert kind == proto.REQ_INFO
    assert proto.RequestInfo.decode(body) == proto.RequestInfo("0.38.26", 11, 8, "2.0.0")
    kind, body = proto.decode_request(GOLDEN["req_query"])
    assert kind == proto.REQ_QUERY
    assert proto.RequestQuery.decode(body) == proto.RequestQuery(b"k", "/state", 3, False)


def test_golden_init_chain_request():
    kind, body = proto.decode_request(GOLDEN["req_init_chain"])
    assert kind == proto.REQ_INIT_CHAIN
    r = proto.RequestInitChain.decode(body)
    assert (r.time_ms, r.chain_id, r.initial_height, r.app_state_bytes) == (T_MS, "fae-x", 1, b'{"a":1}')
    assert r.validators == [proto.ValidatorUpdate("ed25519", b"\x01\x02\x03\x04", 10),
                            proto.ValidatorUpdate("ed25519", b"\x05\x06", 3)]


@pytest.mark.parametrize("name, encoded", [
    ("res_flush", lambda: proto.FLUSH),
    ("res_commit", lambda: proto.commit(0)),
    ("res_info", lambda: proto.info("faechain x", "0.1.0", 1, 300, b"\xde\xad")),
    ("res_check_tx", lambda: proto.check_tx(4, b"\x07", "bad sig", "bad_signature", 1, "faechain")),
    ("res_check_tx_ok", lambda: proto.check_tx(0, b"\x07", gas_wanted=1)),
    ("res_finalize_block", lambda: proto.finalize_block(
        [proto.exec_tx_result(0, b"\x01"), proto.exec_tx_result(21, b"\x02", "no", "unauthorized", "faechain"),
         proto.exec_tx_result()], b"\xab\xcd")),
    ("res_init_chain", lambda: proto.init_chain(b"\x01\x02")),
    ("res_prepare_proposal", lambda: proto.prepare_proposal([b"a", b""])),
    ("res_process_proposal", lambda: proto.process_proposal(proto.PROPOSAL_ACCEPT)),
    ("res_exception", lambda: proto.exception("boom")),
    ("res_echo", lambda: proto.echo("hi")),
    ("res_query", lambda: proto.query(key=b"k", value=b"v", height=3, log="exists")),
    ("res_extend_vote", lambda: proto.extend_vote(b"")),
    ("res_verify_vote_extension", lambda: proto.verify_vote_extension(proto.VOTE_EXTENSION_ACCEPT)),
    ("res_list_snapshots", lambda: proto.list_snapshots()),
    ("res_offer_snapshot", lambda: proto.offer_snapshot(proto.SNAPSHOT_ABORT)),
    ("res_negative_height_query", lambda: proto.query(height=-2)),
])
def test_golden_responses_byte_for_byte(name, encoded):
    assert encoded().hex() == GOLDEN[name].hex()


def test_every_request_kind_has_its_response_kind():
    assert set(proto.RESPONSE_FOR) == set(proto.REQUEST_NAMES)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_uvarint_round_trip(n):
    enc = proto.uvarint(n)
    assert proto.read_uvarint(enc, 0) == (n, len(enc))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_signed_varint_fields_round_trip(n):
    enc = proto.f_varint(3, n)
    if n == 0:
        assert enc == b""  # proto3 omits defaults
        return
    [(num, wt, v)] = list(proto.iter_fields(enc))
    assert (num, wt, proto.to_signed64(v)) == (3, proto.VARINT, n)
    if n < 0:
        assert len(enc) == 11  # tag + ten bytes, as protobuf writes negative int64


@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(min_value=1, max_value=50))
def test_frames_survive_any_split(messages, step):
    """Frames split at arbitrary byte boundaries (as TCP delivers them) come out whole and in order."""
    stream = b"".join(proto.frame(m) for m in messages)
    buf, got = bytearray(), []
    for i in range(0, len(stream), step):
        buf += stream[i:i + step]
        msgs, used = proto.read_frames(buf)
        del buf[:used]
        got.extend(msgs)
    assert got == messages and not buf


def test_malformed_input_is_rejected():
    with pytest.raises(proto.ProtoError):
        proto.read_uvarint(b"\xff" * 11, 0)
    with pytest.raises(proto.ProtoError):
        list(proto.iter_fields(b"\x0a\x05ab"))  # length beyond the end
    with pytest.raises(proto.ProtoError):
        list(proto.iter_fields(b"\x0b"))  # wire type 3 (groups) is not supported
    with pytest.raises(proto.ProtoError):
        proto.decode_request(b"")
    with pytest.raises(proto.ProtoError):
        proto.read_frames(proto.uvarint(proto.MAX_FRAME + 1))


def test_unknown_fields_are_skipped():
    # a RequestCheckTx with an extra future field 9 (varint) and 10 (bytes)
    body = proto.f_bytes(1, b"tx") + proto.f_varint(9, 5) + proto.f_bytes(10, b"x") + proto.f_varint(2, 1)
    assert proto.decode_check_tx(body) == (b"tx", proto.CHECK_TX_RECHECK)


def test_timestamp_and_tx_size():
    assert proto.decode_timestamp(proto.encode_timestamp(T_MS)) == T_MS
    assert proto.tx_proto_size(b"x" * 127) == 1 + 1 + 127
    assert proto.tx_proto_size(b"x" * 128) == 1 + 2 + 128


def test_codes_are_stable_and_derived_codes_deterministic():
    assert code_number("ok") == 0
    assert code_number("unauthorized") == 21 and code_number("replay") == 9
    assert len(set(CODE_NUMBERS.values())) == len(CODE_NUMBERS)
    derived = code_number("receivable_overdue")
    assert derived >= DERIVED_BASE and derived == code_number("receivable_overdue") < 2**32
    assert code_name(21) == "unauthorized" and code_name(derived, "receivable_overdue") == "receivable_overdue"
