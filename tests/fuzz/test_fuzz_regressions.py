"""What fuzzing the decoders found, each kept as a regression test (each failed before its fix).

1. CBOR shared references (tags 28/29): cbor2 decodes them itself, before our tag hook,
   so ~150 bytes described a value that doubles at every level, and the canonical check
   walked it in exponential time (24 levels: 26 s; 32: hours) while holding the
   application lock. Every tag is now refused; no tag's own decoder runs.
"""

from __future__ import annotations

import time

import cbor2
import pytest

from faechain.ledger.encoding import EncodingError, decode


def shared_dag(levels: int) -> bytes:
    """shareable([level 1, sharedref(1)]) ... : `levels` nested pairs of one shared value."""

    def level(i: int) -> bytes:
        if i == levels:
            return bytes.fromhex("d81c8100")  # shareable([0])
        return bytes.fromhex("d81c82") + level(i + 1) + bytes.fromhex("d81d") + cbor2.dumps(i + 1)

    return level(0)


def test_shared_references_are_refused_at_once():
    data = shared_dag(24)  # 148 bytes; about 15 s before the fix, 2**24 nodes walked
    assert len(data) < 200
    started = time.perf_counter()
    with pytest.raises(EncodingError):  # the tag, or the nesting it takes to get there
        decode(data)
    assert time.perf_counter() - started < 1.0
    with pytest.raises(EncodingError, match="CBOR tag 28 not allowed"):
        decode(shared_dag(4))  # "bytes are not in canonical form" before the fix, after expanding it
    with pytest.raises(EncodingError, match="CBOR tag 29 not allowed"):
        decode(bytes.fromhex("d81d00"))


@pytest.mark.parametrize("tag", [0, 1, 2, 3, 4, 5, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 32, 35, 36, 37, 52, 54,
                                 100, 256, 258, 260, 261, 262, 263, 270, 1004, 55799, 2**32 - 1, 2**64 - 1])
def test_known_tags_are_refused_whatever_their_content(tag):
    """cbor2 reads a tag's content as a plain item, then our hook refuses the tag: its own
    decoder (bignum, date, shared reference, regular expression, ...) never runs."""
    head = cbor2.dumps(cbor2.CBORTag(tag, 0))[:-1]
    for content in (b"\x00", b"\x81\x00", b"\x41\x01", b"\x82\x1b\x7f\xff\xff\xff\xff\xff\xff\xff\x01"):
        with pytest.raises(EncodingError, match=f"CBOR tag {tag} not allowed"):
            decode(head + content)
    with pytest.raises(EncodingError):
        decode(head)  # truncated


def test_no_tag_number_reaches_a_decoder_of_its_own():
    """Every tag below 65536 is refused by our hook, whatever cbor2 knows it as."""
    for tag in range(65536):
        try:
            decode(cbor2.dumps(cbor2.CBORTag(tag, 0)))
        except EncodingError as exc:
            assert str(exc) == f"CBOR tag {tag} not allowed", (tag, exc)
        else:
            raise AssertionError(f"tag {tag} decoded")
