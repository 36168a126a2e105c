"""The SDK's CometBFT light client, without a network: on light blocks captured from a real
4-validator localnet (tests/sdk/vectors/, refreshed by tests/e2e/test_light_cometbft_localnet.py,
which runs the same checks against live nodes) and on synthetic chains signed by keys made
here, for what a real network does not readily show: validator sets replaced wholesale
(bisection), the trust-level and 2/3 boundaries, double votes, clocks.

Every time is injected (`now_ms`); nothing reads the wall clock."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from fractions import Fraction

import pytest

from faechain.core.protobuf import delimited, f_sfixed64, f_varint, iter_fields
from faechain.sdk.light import proto
from faechain.sdk.light.cometbft import (
    LightBlock,
    NotEnoughTrust,
    SignedHeader,
    ValidatorSet,
    count_signatures,
    data_hash,
    format_time,
    header_from_json,
    light_block_from_json,
    light_block_to_json,
    merkle_root,
    parse_time,
    ties,
    trust_checkpoint,
    trust_genesis,
    trusted_header,
    verify,
    verify_adjacent,
    verify_commit_light,
    verify_non_adjacent,
    verify_to,
)
from faechain.sdk.light.synthetic import Signer, SyntheticChain, private_key, public_bytes, sign_commit
from tests.sdk.light_support import (
    assert_forgeries_refused,
    flip_app_hash,
    keep_signatures,
    load_vectors,
    refused,
    vector_block,
)

DAY = 86_400.0
T0 = 1_790_000_000 * 1_000_000_000  # a synthetic chain's genesis time (ns)


@pytest.fixture(scope="module")
def vectors():
    return load_vectors()


@pytest.fixture(scope="module")
def real(vectors):
    """The captured blocks by role: first (1), trusted (h), adjacent (h+1), far (h+4)."""
    return {role: vector_block(vectors, h) for role, h in vectors["heights"].items()}


def fetch_from(blocks):
    by_height = {b.height: b for b in blocks}
    return lambda h: by_height[h]


# -- on real CometBFT blocks ---------------------------------------------------------------
def test_hashes_recomputed_here_are_cometbfts(vectors):
    for h, doc in vectors["blocks"].items():
        lb = light_block_from_json(doc["light_block"])
        assert lb.height == int(h)
        assert lb.hash().hex().upper() == doc["block_id_hash"] == lb.commit.block_id.hash.hex().upper()
        assert lb.validator_set.hash() == lb.header.validators_hash
        assert str(count_signatures(vectors["chain_id"], lb)).startswith("signed by ")
        # what we write back is CometBFT's JSON byte for byte (times to the nanosecond included)
        assert light_block_to_json(lb) == doc["light_block"]


def test_genuine_blocks_verify_adjacent_skipping_and_from_genesis(vectors, real):
    now = real["far"].header.time_ms + 1_000
    assert str(verify_adjacent(real["trusted"], real["adjacent"], DAY, now)).startswith("signed by 3 of 4")
    verify_non_adjacent(real["first"], real["far"], DAY, now)
    genesis = ValidatorSet.of([(base64.b64decode(k), vectors["genesis_power"]) for k in vectors["genesis_validators"]])
    first = trust_genesis(vectors["chain_id"], genesis, fetch_from(real.values()))
    block, trace = verify_to(first, real["far"].height, fetch_from(real.values()), now_ms=now)
    assert block == real["far"] and trace == [first, real["far"]]
    assert trust_checkpoint(real["trusted"].height, real["trusted"].hash(), fetch_from(real.values()),
                            vectors["chain_id"]) == real["trusted"]


def test_forgeries_of_real_blocks_are_refused(real):
    assert_forgeries_refused(real["trusted"], real["adjacent"], real["far"])


def test_wrong_starting_points_are_refused(vectors, real):
    fetch = fetch_from(real.values())
    msg = refused(trust_checkpoint, real["trusted"].height, b"\x01" * 32, fetch, vectors["chain_id"])
    assert msg == (f"header at height {real['trusted'].height} hashes to {real['trusted'].hash().hex().upper()}, "
                   f"not the trusted checkpoint {'01' * 32}")
    strangers = ValidatorSet.of([(public_bytes(private_key(f"s{i}")), 10) for i in range(4)])
    msg = refused(trust_genesis, vectors["chain_id"], strangers, fetch)
    assert msg.startswith("header at height 1 names validators ") and "not genesis's" in msg
    msg = refused(trust_genesis, "another-chain", light_genesis(vectors), fetch)
    assert msg == f"header at height 1 belongs to chain {vectors['chain_id']!r}, not 'another-chain'"


def light_genesis(vectors) -> ValidatorSet:
    return ValidatorSet.of([(base64.b64decode(k), vectors["genesis_power"]) for k in vectors["genesis_validators"]])


def test_header_h_plus_1_gives_faechain_block_hs_app_hash(vectors, real):
    after, block = real["adjacent"], real["trusted"].header
    doc = vectors["blocks"][str(after.height)]
    t = trusted_header(after, block)
    assert (t.height, t.app_hash.hex(), t.block_hash) == (block.height, doc["faechain_app_hash_after_previous"], b"")
    assert t.time_ms == vectors["blocks"][str(block.height)]["faechain_block_time_ms"] == block.time_ms
    assert t.basis == f"{count_signatures(vectors['chain_id'], after)}, CometBFT header {after.height} " \
                      f"(time of header {block.height})"
    tied = ties(after, block)
    assert (tied.height, tied.app_hash, tied.time_ms) == (t.height, t.app_hash, t.time_ms)
    assert tied.data_hash == block.data_hash != data_hash([])  # block h carried a transaction
    alone = trusted_header(after)  # without header h: the time the app hash was signed in
    assert alone.time_ms == after.header.time_ms and alone.app_hash == t.app_hash
    msg = refused(trusted_header, after, real["first"].header)
    assert msg.startswith("header at height 1 hashes to ") and f"but header {after.height} names" in msg
    assert refused(trusted_header, real["first"], code="untrusted").startswith("CometBFT header 1 carries the genesis")


def test_malformed_json_is_refused_naming_the_field(vectors):
    doc = vectors["blocks"]["1"]["light_block"]["signed_header"]["header"]
    assert refused(header_from_json, {k: v for k, v in doc.items() if k != "height"}) == \
        "malformed header: KeyError 'height'"
    assert refused(header_from_json, {**doc, "time": "yesterday"}) == "malformed time 'yesterday'"
    assert refused(light_block_from_json, {"signed_header": {}}).startswith("malformed light block: no validator set")


# -- encodings -----------------------------------------------------------------------------
def test_times_parse_and_print_as_go_does():
    assert parse_time("1970-01-01T00:00:01.5Z") == 1_500_000_000
    assert parse_time("2024-05-01T20:34:56.123456789+08:00") == parse_time("2024-05-01T12:34:56.123456789Z")
    assert format_time(parse_time("2024-05-01T12:34:56.120Z")) == "2024-05-01T12:34:56.12Z"
    assert format_time(parse_time("0001-01-01T00:00:00Z")) == "0001-01-01T00:00:00Z"
    # a nanosecond before the epoch: seconds floored to -1, nanos 999999999 (as Go's Timestamp)
    assert proto.timestamp(-1) == f_varint(1, -1) + f_varint(2, 999_999_999)


def test_sign_bytes_and_merkle_shapes():
    head, tail = proto.canonical_vote_parts("c", 5, 0, b"\xaa" * 32, 1, b"\xbb" * 32)
    raw = proto.vote_sign_bytes((head, tail), 1_000_000_007)
    assert raw == delimited(raw[1:]) and raw[0] == len(raw) - 1
    fields = [(n, v) for n, _, v in iter_fields(raw[1:])]
    assert [n for n, _ in fields] == [1, 2, 4, 5, 6]  # round 0 omitted, as proto3 does
    assert fields[1] == (2, 5) and f_sfixed64(2, -1) == b"\x11" + b"\xff" * 8
    nil_head, _ = proto.canonical_vote_parts("c", 5, 0, b"", 0, b"", for_block=False)
    assert [n for n, _, _ in iter_fields(nil_head)] == [1, 2]  # a vote for nil names no block
    sha = lambda b: hashlib.sha256(b).digest()  # noqa: E731
    assert merkle_root([]) == sha(b"") == data_hash([])
    a, b, c = (sha(b"\x00" + x) for x in (b"a", b"b", b"c"))
    assert merkle_root([b"a", b"b", b"c"]) == sha(b"\x01" + sha(b"\x01" + a + b) + c)


# -- synthetic chains ----------------------------------------------------------------------
def signers(prefix: str, n: int = 4, power: int = 10) -> list[Signer]:
    return [Signer(private_key(f"{prefix}{i}"), power) for i in range(n)]


def chain(schedule, chain_id: str = "synthetic", **kw) -> SyntheticChain:
    """`schedule(h)` gives the signers of height h."""
    return SyntheticChain(chain_id, schedule, genesis_time_ns=T0, **kw)


def now_after(c: SyntheticChain, h: int) -> int:
    return c.header(h).time_ms + 1_000


def test_bisection_crosses_validator_sets_replaced_wholesale():
    """Sets A, B, C, D with nobody in common, each for 100 heights: no header of one set
    can be trusted from another, so the client must find each hand-over (h, h+1) and
    cross it adjacently, as `cometbft light` does."""
    sets = [signers(p) for p in "ABCD"]
    c = chain(lambda h: sets[min((h - 1) // 100, 3)])
    now = now_after(c, 400)
    msg = refused(verify_non_adjacent, c(1), c(150), DAY, now, code="untrusted")
    assert msg == ("commit at height 150 carries signatures of 0 of the 4 validators trusted at height 1: "
                   "0 % of their voting power, needs more than 1/3")
    with pytest.raises(NotEnoughTrust):
        verify(c(1), c(150), DAY, now)
    block, trace = verify_to(c(1), 400, c, now_ms=now)
    heights = [b.height for b in trace]
    assert block == c(400) and heights[0] == 1 and heights[-1] == 400
    assert heights == sorted(set(heights))
    for handover in (100, 200, 300):
        assert handover in heights and handover + 1 in heights, heights
    for a, b in zip(trace, trace[1:], strict=False):  # every step of the trace verifies on its own
        verify(a, b, DAY, now)


def test_skipping_takes_few_steps_when_sets_change_gradually():
    """One of four validators replaced every 10 heights: a skip is trusted while more than
    1/3 of the old power is still there, so far fewer steps than hand-overs."""
    pool = [Signer(private_key(f"g{i}"), 10) for i in range(104)]
    c = chain(lambda h: pool[(h - 1) // 10:(h - 1) // 10 + 4])
    block, trace = verify_to(c(1), 1000, c, now_ms=now_after(c, 1000))
    assert block.height == 1000 and len(trace) < 60, [b.height for b in trace]


def test_one_step_when_the_set_never_changes():
    keys = signers("S")
    c = chain(lambda h: keys)
    block, trace = verify_to(c(1), 10_000, c, now_ms=now_after(c, 10_000))
    assert [b.height for b in trace] == [1, 10_000]


def test_trust_level_and_two_thirds_are_strict_bounds():
    old = signers("T", 3)
    new = [old[0], *signers("N", 2)]
    c = chain(lambda h: old if h < 50 else new)
    now = now_after(c, 60)
    # exactly 1/3 of the trusted power (one of three) signed height 60: not more than 1/3
    msg = refused(verify_non_adjacent, c(1), c(60), DAY, now, code="untrusted")
    assert msg.endswith("carries signatures of 1 of the 3 validators trusted at height 1: "
                        "33.3 % of their voting power, needs more than 1/3")
    # exactly 2/3 of a header's own validators (two of three) is not more than 2/3
    d = chain(lambda h: old, absent_at=lambda h: {2} if h == 7 else ())
    msg = refused(verify_non_adjacent, d(1), d(7), DAY, now_after(d, 7))
    assert msg == "commit at height 7 has 2 of 3 validators' signatures: 66.7 % of voting power, needs more than 2/3"
    verify_non_adjacent(d(1), d(8), DAY, now_after(d, 8), trust_level=Fraction(2, 3))
    # as in CometBFT, a trust level of 1 can never be met: more than all the power is needed
    refused(verify_non_adjacent, d(1), d(8), DAY, now_after(d, 8), trust_level=Fraction(1), code="untrusted")
    with pytest.raises(ValueError, match="trust level must be within"):
        verify_non_adjacent(d(1), d(8), DAY, now_after(d, 8), trust_level=Fraction(1, 4))


def test_a_validator_counted_twice_is_refused():
    keys = signers("D")
    c = chain(lambda h: keys)
    lb = c(9)
    sigs = list(lb.commit.signatures)
    sigs[1] = sigs[0]
    forged = dataclasses.replace(lb, signed_header=SignedHeader(
        lb.header, dataclasses.replace(lb.commit, signatures=tuple(sigs))))
    msg = refused(verify_non_adjacent, c(1), forged, DAY, now_after(c, 9))
    assert msg == (f"commit at height 9: validator {lb.validator_set.validators[0].address.hex().upper()} "
                   f"signed twice (#0 and #1)")


def test_other_chain_stalled_clock_and_wrong_heights_are_refused():
    keys = signers("C")
    a, b = chain(lambda h: keys, "chain-a"), chain(lambda h: keys, "chain-b")
    now = now_after(a, 5)
    msg = refused(verify_adjacent, a(1), b(2), DAY, now)
    assert msg == "header at height 2 belongs to chain 'chain-b', not 'chain-a'"
    stalled = chain(lambda h: keys, block_interval_ns=0)
    msg = refused(verify_adjacent, stalled(1), stalled(2), DAY, now)
    assert msg.startswith("header at height 2 has time ") and "not after the trusted header 1's" in msg
    msg = refused(verify_to, a(1), 5, lambda h: a(h - 1), now_ms=now)
    assert msg == "asked for the light block at height 5, got one for height 4"
    assert refused(verify_to, a(3), 0, a, now_ms=now, code="untrusted") == "no block at height 0"
    assert verify_to(a(3), 3, a, now_ms=now) == (a(3), [a(3)])
    with pytest.raises(ValueError, match="not adjacent"):
        verify_adjacent(a(1), a(3), DAY, now)
    # the commit of another height, served under this header
    lb = a(4)
    swapped = dataclasses.replace(lb, signed_header=SignedHeader(lb.header, a(3).commit))
    assert refused(verify_adjacent, a(3), swapped, DAY, now) == \
        "header at height 4 comes with the commit of height 3"


def test_a_forged_pivot_fails_bisection_naming_its_height():
    sets = [signers("P"), signers("Q")]
    c = chain(lambda h: sets[0] if h <= 100 else sets[1])
    pivot = 1 + (200 - 1) * 9 // 16
    forged_fetch = lambda h: flip_app_hash(c(h)) if h == pivot else c(h)  # noqa: E731
    msg = refused(verify_to, c(1), 200, forged_fetch, now_ms=now_after(c, 200))
    assert msg.startswith(f"commit at height {pivot} signs block ")


def test_backwards_follows_header_hashes():
    keys = signers("B")
    c = chain(lambda h: keys)
    now = now_after(c, 50)
    block, trace = verify_to(c(50), 40, c, now_ms=now)
    assert block == c(40) and [b.height for b in trace] == list(range(50, 39, -1))
    forged = lambda h: flip_app_hash(c(h)) if h == 45 else c(h)  # noqa: E731
    msg = refused(verify_to, c(50), 40, forged, now_ms=now)
    assert msg.startswith("header at height 45 hashes to ") and "but header 46 names" in msg
    msg = refused(verify_to, c(50), 40, c, now_ms=c.header(50).time_ms + int(DAY * 1000) + 1, trusting_period_s=DAY,
                  code="untrusted")
    assert msg.startswith("trusted header at height 50 (")


def test_commit_checks_need_the_validator_in_its_slot():
    keys = signers("V")
    c = chain(lambda h: keys)
    lb = c(3)
    # fewer signature slots than validators
    short = dataclasses.replace(lb.commit, signatures=lb.commit.signatures[:3])
    assert refused(verify_commit_light, "synthetic", lb.validator_set, short, 3) == \
        "commit at height 3 has 3 signature slots for 4 validators"
    # a commit re-signed by three of the four keys, in the right slots, verifies
    three = {s.validator.address: s.key for s in keys[:3]}
    resigned = sign_commit(lb.header, lb.validator_set, three)
    assert verify_commit_light("synthetic", lb.validator_set, resigned, 3).signed == 3
    two = keep_signatures(LightBlock(SignedHeader(lb.header, resigned), lb.validator_set), 2)
    assert "2 of 4 validators' signatures: 50 %" in refused(verify_adjacent, c(2), two, DAY, now_after(c, 3))
