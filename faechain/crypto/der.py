"""A small DER (X.690) writer and reader: what SM2 certificates and keys need.

The `cryptography` package parses any X.509 certificate but cannot build or verify one
whose key is on the SM2 curve, so the SM2 certificate code writes its TBSCertificate
with these helpers and reads the few fields `cryptography` will not hand out (the raw
SubjectPublicKeyInfo, the inner signature algorithm). Only definite-length DER is
accepted: every reader checks that lengths are minimal and that nothing trails.
"""

from __future__ import annotations

import datetime as dt

from faechain.core.errors import FaeError

INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 0x02, 0x03, 0x04, 0x05, 0x06
UTF8_STRING, UTC_TIME, GENERALIZED_TIME = 0x0C, 0x17, 0x18
BOOLEAN = 0x01
SEQUENCE, SET = 0x30, 0x31


class DerError(FaeError, ValueError):
    """Bytes are not the DER this reader expects."""

    code = "bad_der"


# -- writing ----------------------------------------------------------------------------
def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def seq(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(SET, b"".join(sorted(items)))  # DER: SET OF elements in ascending order


def integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("only non-negative integers are written")
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    if len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
        raw = raw[1:]
    return tlv(INTEGER, raw)


def boolean(value: bool) -> bytes:
    return tlv(BOOLEAN, b"\xff" if value else b"\x00")


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    if len(parts) < 2:
        raise ValueError(f"bad object identifier {dotted!r}")
    out = bytearray(_base128(40 * parts[0] + parts[1]))
    for p in parts[2:]:
        out += _base128(p)
    return tlv(OID, bytes(out))


def _base128(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def octet_string(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


def bit_string(data: bytes) -> bytes:
    return tlv(BIT_STRING, b"\x00" + data)  # whole bytes: no unused bits


def utf8(text: str) -> bytes:
    return tlv(UTF8_STRING, text.encode())


def explicit(number: int, content: bytes) -> bytes:
    return tlv(0xA0 | number, content)


def time(value: dt.datetime) -> bytes:
    """RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, whole seconds, Z."""
    value = value.astimezone(dt.UTC)
    if value.year < 2050:
        return tlv(UTC_TIME, value.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(GENERALIZED_TIME, value.strftime("%Y%m%d%H%M%SZ").encode())


# -- reading ----------------------------------------------------------------------------
def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, content, offset after the element) of the element at `offset`."""
    if offset + 2 > len(data):
        raise DerError("truncated element")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used here")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        n = first
    else:
        k = first & 0x7F
        if k == 0 or k > 4 or pos + k > len(data):
            raise DerError("bad length")
        n = int.from_bytes(data[pos : pos + k], "big")
        if n < 0x80 or data[pos] == 0:
            raise DerError("length is not minimal (not DER)")
        pos += k
    end = pos + n
    if end > len(data):
        raise DerError("element runs past the end")
    return tag, data[pos:end], end


def read_one(data: bytes, tag: int) -> bytes:
    """The content of `data`, which must be exactly one element with `tag`."""
    got, content, end = read_tlv(data)
    if got != tag:
        raise DerError(f"expected tag 0x{tag:02x}, found 0x{got:02x}")
    if end != len(data):
        raise DerError("trailing bytes after the element")
    return content


def children(content: bytes) -> list[tuple[int, bytes, bytes]]:
    """The elements inside a constructed value: (tag, content, whole encoding) each."""
    out, pos = [], 0
    while pos < len(content):
        tag, inner, end = read_tlv(content, pos)
        out.append((tag, inner, content[pos:end]))
        pos = end
    return out


def read_oid(content: bytes) -> str:
    if not content or content[-1] & 0x80:
        raise DerError("bad object identifier")
    values, n = [], 0
    for b in content:
        if n == 0 and b == 0x80:
            raise DerError("object identifier is not minimal")
        n = (n << 7) | (b & 0x7F)
        if n >> 128:  # no arc is wider than a UUID's (2.25.<uuid>); longer would be quadratic
            raise DerError("object identifier arc exceeds 128 bits")
        if not b & 0x80:
            values.append(n)
            n = 0
    first = values[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(v) for v in head + values[1:])


def read_integer(content: bytes) -> int:
    """A non-negative INTEGER in minimal encoding."""
    if not content:
        raise DerError("empty integer")
    if content[0] & 0x80:
        raise DerError("negative integer")
    if len(content) > 1 and content[0] == 0 and content[1] < 0x80:
        raise DerError("integer is not minimally encoded")
    return int.from_bytes(content, "big")
