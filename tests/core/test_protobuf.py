"""The protobuf wire primitives the ABCI codec and the SDK's light client share
(faechain.core.protobuf): the encodings CometBFT's gogoproto writes, byte for byte."""

from __future__ import annotations

import pytest

from faechain.core.protobuf import (
    I64,
    LEN,
    ProtoError,
    delimited,
    f_bytes,
    f_sfixed64,
    f_varint,
    iter_fields,
    svarint,
    tag,
    uvarint,
)


def test_fields_are_omitted_at_their_default_and_written_otherwise():
    assert f_varint(1, 0) == f_bytes(2, b"") == f_sfixed64(3, 0) == b""
    assert f_bytes(2, b"", always=True) == b"\x12\x00"  # a set oneof member / non-nullable message
    assert f_varint(1, 300) == b"\x08\xac\x02"
    assert f_varint(1, -1) == b"\x08" + b"\xff" * 9 + b"\x01"  # int64 negatives: 10 bytes
    assert svarint(-1) == uvarint((1 << 64) - 1)


def test_sfixed64_is_eight_little_endian_bytes_in_twos_complement():
    assert f_sfixed64(2, 5) == tag(2, I64) + (5).to_bytes(8, "little") == b"\x11\x05" + bytes(7)
    assert f_sfixed64(2, -2) == b"\x11\xfe" + b"\xff" * 7
    [(num, wt, value)] = list(iter_fields(f_sfixed64(2, 7)))
    assert (num, wt, value) == (2, I64, 7)


def test_delimited_prefixes_the_length():
    msg = f_bytes(6, "chain") + f_varint(1, 2)
    assert delimited(msg) == bytes([len(msg)]) + msg
    assert delimited(b"x" * 200)[:2] == uvarint(200) == b"\xc8\x01"
    assert [(n, wt) for n, wt, _ in iter_fields(msg)] == [(6, LEN), (1, 0)]


def test_malformed_input_is_refused():
    with pytest.raises(ProtoError, match="truncated fixed64"):
        list(iter_fields(b"\x11\x01\x02"))
    with pytest.raises(ValueError, match="negative"):
        uvarint(-1)
