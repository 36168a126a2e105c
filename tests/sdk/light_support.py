"""Forgeries of CometBFT light blocks, shared by the light client's unit tests (on the
captured vectors in tests/sdk/vectors/) and its localnet test (on live blocks).

Each takes a genuine LightBlock and returns one a lying node could serve; the light
client must refuse every one, naming the height and what failed."""

from __future__ import annotations

import dataclasses
import json
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faechain.sdk.light import proto
from faechain.sdk.light.cometbft import (
    BLOCK_ID_FLAG_ABSENT,
    ZERO_TIME_NS,
    CommitSig,
    LightBlock,
    SignedHeader,
    Validator,
    ValidatorSet,
    address_of,
    light_block_from_json,
)
from faechain.sdk.light.synthetic import public_bytes

VECTORS = os.path.join(os.path.dirname(__file__), "vectors", "cometbft_light_blocks.json")


def load_vectors() -> dict:
    with open(VECTORS) as f:
        return json.load(f)


def vector_block(vectors: dict, height: int) -> LightBlock:
    return light_block_from_json(vectors["blocks"][str(height)]["light_block"])


def flip_app_hash(lb: LightBlock) -> LightBlock:
    """The header's app hash changed (last byte flipped); the commit left as signed."""
    h = lb.header
    forged = dataclasses.replace(h, app_hash=h.app_hash[:-1] + bytes([h.app_hash[-1] ^ 1]))
    return dataclasses.replace(lb, signed_header=SignedHeader(forged, lb.commit))


def keep_signatures(lb: LightBlock, keep: int) -> LightBlock:
    """Only the first `keep` signatures for the block left; the others marked absent."""
    sigs, kept = [], 0
    for s in lb.commit.signatures:
        if s.for_block and kept < keep:
            sigs.append(s)
            kept += 1
        else:
            sigs.append(CommitSig(BLOCK_ID_FLAG_ABSENT, b"", ZERO_TIME_NS, b""))
    commit = dataclasses.replace(lb.commit, signatures=tuple(sigs))
    return dataclasses.replace(lb, signed_header=SignedHeader(lb.header, commit))


def outsider_signs(lb: LightBlock, index: int, key: Ed25519PrivateKey, *, claim_slot: bool = False) -> LightBlock:
    """Signature #index replaced by a valid signature of the same vote by `key`, a key
    outside the validator set: under the outsider's own address, or (claim_slot) under the
    address of the validator whose slot it takes."""
    sig = lb.commit.signatures[index]
    parts = lb.commit.vote_parts(lb.header.chain_id, True)
    forged = dataclasses.replace(
        sig, block_id_flag=2,
        validator_address=sig.validator_address if claim_slot else address_of(public_bytes(key)),
        signature=key.sign(proto.vote_sign_bytes(parts, sig.timestamp_ns)))
    sigs = list(lb.commit.signatures)
    sigs[index] = forged
    commit = dataclasses.replace(lb.commit, signatures=tuple(sigs))
    return dataclasses.replace(lb, signed_header=SignedHeader(lb.header, commit))


def other_validator_set(lb: LightBlock) -> LightBlock:
    """The validator set served with the header changed: the first validator's power doubled."""
    vals = list(lb.validator_set.validators)
    vals[0] = Validator(vals[0].address, vals[0].pub_key, vals[0].voting_power * 2)
    return dataclasses.replace(lb, validator_set=ValidatorSet(tuple(vals)))


def refused(call, *args, code: str = "bad_header", **kw) -> str:
    """Run `call`; it must raise VerificationError with `code`. Returns the message."""
    from faechain.sdk.trust import VerificationError

    try:
        call(*args, **kw)
    except VerificationError as exc:
        assert exc.code == code, (exc.code, exc.message)
        return exc.message
    raise AssertionError(f"{getattr(call, '__name__', call)} accepted a forgery")


def assert_forgeries_refused(trusted: LightBlock, nxt: LightBlock, far: LightBlock) -> None:
    """Every forgery of `nxt` (height trusted+1) and of `far` (a later height, same 4-validator
    set of equal powers) is refused with a message naming the height and what failed;
    the genuine ones verify. Times are injected: `now` is a second after `far`."""
    from faechain.sdk.light.cometbft import verify_adjacent, verify_non_adjacent
    from faechain.sdk.light.synthetic import private_key

    day = 86_400.0
    now = far.header.time_ms + 1_000
    n, f = nxt.height, far.height
    verify_adjacent(trusted, nxt, day, now)
    verify_non_adjacent(trusted, far, day, now)
    for check, block in ((verify_adjacent, nxt), (verify_non_adjacent, far)):
        h = block.height
        msg = refused(check, trusted, flip_app_hash(block), day, now)
        assert f"commit at height {h} signs block {block.hash().hex().upper()}, but the header hashes to" in msg
        msg = refused(check, trusted, keep_signatures(block, 2), day, now)
        assert msg == (f"commit at height {h} has 2 of 4 validators' signatures: 50 % of voting power, "
                       f"needs more than 2/3"), msg
        outsider = private_key("not a validator")
        msg = refused(check, trusted, outsider_signs(block, 0, outsider), day, now)
        assert msg == (f"commit at height {h}: signature #0 is by {address_of(public_bytes(outsider)).hex().upper()}, "
                       f"which is not validator #0 of the set "
                       f"({block.validator_set.validators[0].address.hex().upper()})"), msg
        msg = refused(check, trusted, outsider_signs(block, 0, outsider, claim_slot=True), day, now)
        assert msg == (f"commit at height {h}: signature #0 by validator "
                       f"{block.validator_set.validators[0].address.hex().upper()} does not verify"), msg
        msg = refused(check, trusted, other_validator_set(block), day, now)
        assert msg.startswith(f"validator set given for height {h} hashes to ") and "but the header names" in msg
        # the trusted header's trusting period is over (now injected just past it)
        expired_at = trusted.header.time_ms + int(day * 1000) + 1
        check(trusted, block, day, expired_at - 2)  # a millisecond earlier it still verifies
        msg = refused(check, trusted, block, day, expired_at, code="untrusted")
        assert msg.startswith(f"trusted header at height {trusted.height} (") and "expired at" in msg, msg
        # a header from the future: now is 11 s before its time, drift allowed 10 s
        msg = refused(check, trusted, block, day, block.header.time_ms - 11_000, 10.0)
        assert msg.startswith(f"header at height {h} has time ") and "in the future" in msg, msg
    assert n == trusted.height + 1 and f > n + 1
