"""Protocol-buffers wire-format primitives: varints, field tags and the four wire types.

Written from the protobuf encoding specification (no generated code, no protobuf
runtime to install). Two layers build messages from these: the ABCI codec of the
CometBFT engine (`faechain.engines.cometbft.proto`) and the SDK's light client, which
must re-encode CometBFT headers and votes byte for byte to hash and verify them
(`faechain.sdk.light.proto`). They live here, at the bottom, because the SDK may not
import engine code: a member's verifier runs none of the node's.

Wire format recap:
    tag     = uvarint(field_number << 3 | wire_type)
    VARINT  (0) uvarint; int32/int64 negatives are 10-byte two's complement
    I64     (1) 8 bytes little-endian          (fixed64, sfixed64, double)
    LEN     (2) uvarint length, then bytes     (bytes, strings, sub-messages)
    I32     (5) 4 bytes little-endian          (fixed32, sfixed32, float)
proto3 omits fields holding their default (0, empty); a *set* member of a `oneof`,
and gogoproto's non-nullable sub-messages, are written even when empty (tag and
length 0).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from faechain.core.errors import FaeError

VARINT, I64, LEN, I32 = 0, 1, 2, 5

Buffer = bytes | bytearray | memoryview


class ProtoError(FaeError, ValueError):
    """Malformed protobuf or framing."""

    code = "bad_protobuf"


def uvarint(n: int) -> bytes:
    """An unsigned varint: seven bits a byte, least significant group first."""
    if n < 0:
        raise ValueError("uvarint of a negative number")
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_uvarint(buf: Buffer, pos: int) -> tuple[int, int]:
    """(value, next position); ProtoError if truncated or longer than 10 bytes."""
    result = shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise ProtoError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtoError("varint longer than 10 bytes")


def to_signed64(n: int) -> int:
    """Interpret a decoded varint as int64/int32 (two's complement)."""
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


def svarint(n: int) -> bytes:
    """int32/int64 as protobuf writes them (negatives as 64-bit two's complement)."""
    return uvarint(n if n >= 0 else n + (1 << 64))


def tag(num: int, wire_type: int) -> bytes:
    """The key that precedes a field's value."""
    return uvarint(num << 3 | wire_type)


def iter_fields(buf: Buffer) -> Iterator[tuple[int, int, Any]]:
    """Yield (field number, wire type, value) of a message: LEN values are bytes, the
    others ints. The value is typed Any because which one it is follows from the wire
    type the caller has just compared, which a type checker cannot see."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = read_uvarint(buf, pos)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise ProtoError("field number 0")
        value: int | bytes
        if wt == VARINT:
            value, pos = read_uvarint(buf, pos)
        elif wt == LEN:
            n, pos = read_uvarint(buf, pos)
            if pos + n > end:
                raise ProtoError("truncated length-delimited field")
            value = bytes(buf[pos:pos + n])
            pos += n
        elif wt == I64:
            if pos + 8 > end:
                raise ProtoError("truncated fixed64")
            value = int.from_bytes(buf[pos:pos + 8], "little")
            pos += 8
        elif wt == I32:
            if pos + 4 > end:
                raise ProtoError("truncated fixed32")
            value = int.from_bytes(buf[pos:pos + 4], "little")
            pos += 4
        else:
            raise ProtoError(f"unsupported wire type {wt}")
        yield num, wt, value


def f_varint(num: int, value: int) -> bytes:
    """A varint field (int32/int64/uint32/uint64/bool/enum); omitted when zero."""
    if not value:
        return b""
    return uvarint(num << 3 | VARINT) + svarint(int(value))


def f_sfixed64(num: int, value: int) -> bytes:
    """An sfixed64 field (8 bytes little-endian, two's complement); omitted when zero."""
    if not value:
        return b""
    return uvarint(num << 3 | I64) + (value & ((1 << 64) - 1)).to_bytes(8, "little")


def f_bytes(num: int, value: bytes | str, always: bool = False) -> bytes:
    """A bytes/string/sub-message field; omitted when empty unless `always` (oneof members,
    non-nullable sub-messages)."""
    if isinstance(value, str):
        value = value.encode()
    if not value and not always:
        return b""
    return uvarint(num << 3 | LEN) + uvarint(len(value)) + value


def delimited(message: bytes) -> bytes:
    """A message prefixed by its length as an unsigned varint (ABCI frames, sign bytes)."""
    return uvarint(len(message)) + message
