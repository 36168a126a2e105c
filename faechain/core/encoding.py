"""Canonical encoding: one byte string per value.

Every transaction body, block header, receipt and state record is encoded as
deterministic CBOR (RFC 8949 section 4.2): shortest-form integers and lengths,
definite lengths only, map keys sorted (length first, then bytewise, as cbor2's
canonical mode does), no tags, no floats.

The value model is deliberately small so that every node, in every language, can
produce the same bytes:

    None, bool, int (-2**63 .. 2**64-1), str (UTF-8), bytes, list, dict[str, value]

`decode` accepts only bytes that `encode` would have produced for the decoded
value: anything else (a float, a tag, an indefinite length, a duplicate or
unsorted key, a non-minimal integer) is rejected with `EncodingError`. That is what
makes "the transaction that was signed" and "the transaction that was executed"
the same thing. See docs/encoding.md for the specification and test vectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Any

import cbor2

from faechain.core.errors import FaeError

INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
MAX_DEPTH = 32


class EncodingError(FaeError, ValueError):
    """The bytes are not the canonical encoding of a faechain value."""

    code = "bad_encoding"


_SCALARS = (str, bytes, bool, type(None))


def _check(value: Any, depth: int) -> None:
    """Reject anything outside the value model (floats, tags, sets, big ints...).

    Scalars inside containers are checked inline: this runs on every encode and
    on every decode of outside bytes, so it is written to make few calls.
    """
    if depth > MAX_DEPTH:
        raise EncodingError("value nested too deeply")
    t = type(value)
    if t is dict:
        for k in value:
            if type(k) is not str:
                raise EncodingError("map keys must be text")
        values = value.values()
    elif t is list:
        values = value
    elif t in _SCALARS:
        return
    elif t is int:
        if not INT_MIN <= value <= INT_MAX:
            raise EncodingError("integer outside the 64-bit range")
        return
    else:
        raise EncodingError(f"type {t.__name__} is not encodable")
    for v in values:
        tv = type(v)
        if tv in _SCALARS:
            continue
        if tv is int:
            if not INT_MIN <= v <= INT_MAX:
                raise EncodingError("integer outside the 64-bit range")
            continue
        _check(v, depth + 1)


def _no_lone_surrogates(value: Any) -> None:
    t = type(value)
    if t is str:
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise EncodingError("text holds a lone surrogate: it has no UTF-8 encoding") from None
    elif t is list:
        for v in value:
            _no_lone_surrogates(v)
    elif t is dict:
        for k, v in value.items():
            _no_lone_surrogates(k)
            _no_lone_surrogates(v)


def check(value: Any) -> None:
    """Raise EncodingError unless value lies in the canonical value model."""
    _check(value, 0)
    _no_lone_surrogates(value)  # text must have a UTF-8 form (encode() finds this out itself)


def _key_order(key: str) -> tuple[int, str]:
    # length of the UTF-8 form first, then bytewise; code-point order is UTF-8 byte order
    return (len(key) if key.isascii() else len(key.encode()), key)


def _sorted_maps(value: Any) -> Any:
    """The same value with every map's keys in canonical order (containers copied)."""
    t = type(value)
    if t is dict:
        if len(value) == 1:
            (k, v), = value.items()
            tv = type(v)
            return {k: _sorted_maps(v)} if tv is dict or tv is list else value
        out = {}
        for k in sorted(value, key=_key_order):
            v = value[k]
            tv = type(v)
            out[k] = _sorted_maps(v) if tv is dict or tv is list else v
        return out
    if t is list:
        return [_sorted_maps(v) if type(v) is dict or type(v) is list else v for v in value]
    return value


def encode(value: Any) -> bytes:
    """The canonical bytes of value.

    cbor2's own canonical mode sorts map keys by encoding each of them; sorting
    here with (UTF-8 length, text) and encoding plainly gives the same bytes for
    our value model at a third of the cost (see tests/ledger/test_encoding.py).
    """
    _check(value, 0)
    try:
        return cbor2.dumps(_sorted_maps(value))
    except UnicodeEncodeError:
        raise EncodingError("text holds a lone surrogate: it has no UTF-8 encoding") from None


def encode_trusted(value: Any) -> bytes:
    """Canonical bytes of a value the caller built from checked parts (hot path)."""
    return cbor2.dumps(_sorted_maps(value))


def decode_trusted(data: bytes) -> Any:
    """Decode bytes this node itself encoded and stored (state values, receipts).

    They were canonical when written and storage is authenticated by the app
    hash, so the outside-input checks of `decode` are skipped on this hot path.
    """
    return cbor2.loads(data)


def _no_tags(decoder: Any, tag: Any) -> Any:
    raise EncodingError(f"CBOR tag {tag.tag} not allowed")


class _NoSemanticTags(Mapping[int, Any]):
    """cbor2's `semantic_decoders`, refusing every tag number: no tag's decoder ever runs.

    cbor2 decodes the tags it knows (bignums, dates, shared references 28/29, ...) itself
    and calls `tag_hook` only for the others. Shared references let ~150 bytes describe a
    value whose expansion doubles at every level, which `_check` and the canonical
    re-encoding then walked in exponential time (a fuzzing finding). With this mapping a
    tag's content is read as a plain item (within `max_depth`) and the tag then refused.
    """

    def __getitem__(self, tag: int) -> Any:
        return self.get(tag)

    def get(self, tag: int, default: Any = None) -> Any:
        def refuse(*_: Any) -> Any:
            raise EncodingError(f"CBOR tag {tag} not allowed")

        return refuse

    def __contains__(self, tag: object) -> bool:
        return True

    def __iter__(self) -> Iterator[int]:
        return iter(())

    def __len__(self) -> int:
        return 0


_NO_SEMANTIC_TAGS = _NoSemanticTags()


def decode(data: bytes) -> Any:
    """Decode canonical bytes; reject every non-canonical or out-of-model input."""
    if type(data) is not bytes:
        data = bytes(data)
    try:
        value = cbor2.loads(
            data,
            tag_hook=_no_tags,
            allow_indefinite=False,
            allow_duplicate_keys=False,
            max_depth=MAX_DEPTH + 1,
            semantic_decoders=_NO_SEMANTIC_TAGS,
        )
    except EncodingError:
        raise
    except Exception as exc:  # noqa: BLE001 - cbor2 raises several types for malformed input
        if isinstance(exc.__cause__, EncodingError):  # a refused tag, wrapped by cbor2
            raise exc.__cause__ from None
        raise EncodingError(f"malformed encoding: {exc}") from None
    _check(value, 0)
    # Canonical = minimal heads and definite lengths (then a plain re-encoding, which
    # keeps the decoded key order, reproduces the bytes exactly) + sorted map keys.
    # Two cheap checks instead of a sorting canonical re-encode: this is the hot path
    # of every transaction's admission.
    if cbor2.dumps(value) != data:
        raise EncodingError("bytes are not in canonical form")
    _check_key_order(value)
    return value


def _key_rank(key: str) -> tuple[int, bytes]:
    raw = key.encode()
    return len(raw), raw


def _check_key_order(value: Any) -> None:
    """Every map's keys strictly ascending by (length, bytes) of their UTF-8 form."""
    t = type(value)
    if t is dict:
        if len(value) > 1:
            ranks = [_key_rank(k) for k in value]
            for a, b in pairwise(ranks):
                if a >= b:
                    raise EncodingError("bytes are not in canonical form (map keys out of order)")
        for v in value.values():
            tv = type(v)
            if tv is dict or tv is list:
                _check_key_order(v)
    elif t is list:
        for v in value:
            tv = type(v)
            if tv is dict or tv is list:
                _check_key_order(v)
