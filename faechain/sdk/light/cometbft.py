"""A CometBFT light client: headers trusted because validators signed them, not because a
node served them.

A faechain node on the CometBFT engine answers with state proofs against an app hash;
the app hash is worth something only if the chain's validators signed it. CometBFT
puts the app hash faechain computed after block h into its header h+1, and the
validators sign that header's hash in their precommits. This module checks exactly
that, as CometBFT v0.38's own light client does (`light/verifier.go`,
`types/validation.go`), from nothing but the JSON its RPC serves:

  * **records** (`Header`, `Commit`, `ValidatorSet`, `LightBlock`, ...; defined in
    `records`, read from the JSON of `/commit?height=H` and `/validators?height=H` by
    `rpcjson`, both re-exported here) with every hash recomputed, never taken from the
    node: `Header.hash()` (the RFC 6962 Merkle root of its 14 encoded fields),
    `ValidatorSet.hash()` and the precommits' sign bytes (`proto`);
  * **verification** between a trusted block and an untrusted one: `verify_adjacent`
    (h -> h+1: the new validators are the ones the trusted header announced, and more
    than 2/3 of their power signed) and `verify_non_adjacent` (skipping: at least the
    trust level, 1/3 by default, of the *trusted* validators' power signed the far
    header, so at least one honest validator vouches for it, and more than 2/3 of its
    own validators did), both inside the trusting period and refusing headers from
    the future;
  * **bisection** (`verify_to`): skip to the target, and where too few of the trusted
    validators signed it, verify a header in between first, as `cometbft light` does.

What a verified header guarantees rests on two assumptions, and only these: the
starting block is genuine (genesis, or a checkpoint the member obtained out of band),
and within the trusting period fewer than 1/3 of the trusted voting power is faulty.

Every failure raises `VerificationError` with code `bad_header` (the header, commit or
validator set does not check out) or `untrusted` (the trusted block cannot vouch for
it: expired, before it, or too few of its validators signed), naming the height and
what failed. `NotEnoughTrust`, an `untrusted` error, is the one bisection recovers from.

Header h+1's app hash is faechain's after block h (`trusted_header`, `Ties`): faechain
heights are CometBFT heights, and faechain's own block hash is in no CometBFT header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from faechain.sdk.light import proto
from faechain.sdk.light.records import (
    ADDRESS_SIZE,
    BLOCK_ID_FLAG_ABSENT,
    BLOCK_ID_FLAG_COMMIT,
    BLOCK_ID_FLAG_NIL,
    BLOCK_PROTOCOL,
    NANOS,
    ZERO_BLOCK_ID,
    ZERO_TIME_NS,
    BlockID,
    Commit,
    CommitSig,
    Header,
    LightBlock,
    PartSetHeader,
    SignedHeader,
    Tally,
    Validator,
    ValidatorSet,
    address_of,
    bad_header,
    data_hash,
    format_time,
    merkle_root,
    parse_time,
    percent,
)
from faechain.sdk.light.rpcjson import (
    commit_from_json,
    header_from_json,
    light_block_from_json,
    light_block_to_json,
    signed_header_from_json,
    validator_from_json,
    validator_set_from_json,
)
from faechain.sdk.trust import TrustedHeader, VerificationError

# The records (faechain.sdk.light.records) and their JSON (faechain.sdk.light.rpcjson) are
# re-exported: a caller of the light client imports this one module.
__all__ = [
    "ADDRESS_SIZE", "BLOCK_ID_FLAG_ABSENT", "BLOCK_ID_FLAG_COMMIT", "BLOCK_ID_FLAG_NIL", "BLOCK_PROTOCOL",
    "DEFAULT_MAX_CLOCK_DRIFT_S", "DEFAULT_TRUSTING_PERIOD_S", "DEFAULT_TRUST_LEVEL", "ZERO_BLOCK_ID", "ZERO_TIME_NS",
    "BlockID", "Commit", "CommitSig", "Fetch", "Header", "LightBlock", "NotEnoughTrust", "PartSetHeader",
    "SignedHeader", "Tally", "Ties", "Validator", "ValidatorSet", "address_of", "commit_from_json",
    "count_signatures", "data_hash", "format_time", "header_from_json", "light_block_from_json",
    "light_block_to_json", "merkle_root", "parse_time", "signed_header_from_json", "ties", "trust_checkpoint",
    "trust_genesis", "trusted_header", "validate_light_block", "validator_from_json", "validator_set_from_json",
    "verify", "verify_adjacent", "verify_commit_light", "verify_commit_light_trusting", "verify_non_adjacent",
    "verify_to",
]

DEFAULT_TRUST_LEVEL = Fraction(1, 3)  # CometBFT's: at least one honest validator signed
DEFAULT_TRUSTING_PERIOD_S = 168 * 3600.0  # `cometbft light`'s default, one week
DEFAULT_MAX_CLOCK_DRIFT_S = 10.0  # CometBFT light client's default
# Where bisection looks when a header is too far to trust directly: 9/16 of the way, as
# CometBFT does (a little past the middle, since later headers are more likely to share
# validators with the target).
PIVOT_NUMERATOR, PIVOT_DENOMINATOR = 9, 16


class NotEnoughTrust(VerificationError):
    """Too little of the trusted validators' power signed a far header to trust it
    directly (CometBFT's ErrNewValSetCantBeTrusted). Bisection answers it by verifying
    a header in between first; alone it is an `untrusted` failure."""

    code = "untrusted"


# -- checks of one block -----------------------------------------------------------------
def validate_light_block(lb: LightBlock, chain_id: str) -> None:
    """LightBlock.ValidateBasic: the header, commit and set are well formed, belong to
    `chain_id`, the commit is for this header (its block id is the header's hash,
    recomputed here), and the set is the one the header names. No signature yet."""
    h, c = lb.header, lb.commit
    h.validate()
    c.validate()
    if h.chain_id != chain_id:
        raise bad_header(f"header at height {h.height} belongs to chain {h.chain_id!r}, not {chain_id!r}")
    if c.height != h.height:
        raise bad_header(f"header at height {h.height} comes with the commit of height {c.height}")
    if c.block_id.hash != h.hash():
        raise bad_header(f"commit at height {h.height} signs block {c.block_id.hash.hex().upper()}, but the header "
                         f"hashes to {h.hash().hex().upper()}")
    lb.validator_set.validate(h.height)
    if lb.validator_set.hash() != h.validators_hash:
        raise bad_header(f"validator set given for height {h.height} hashes to "
                         f"{lb.validator_set.hash().hex().upper()}, but the header names validators "
                         f"{h.validators_hash.hex().upper()}")


def _signature_checker(chain_id: str, commit: Commit) -> Callable[[int, Validator], bool]:
    parts = {True: commit.vote_parts(chain_id, True)}

    def check(index: int, validator: Validator) -> bool:
        sig = commit.signatures[index]
        if sig.for_block not in parts:
            parts[sig.for_block] = commit.vote_parts(chain_id, sig.for_block)
        return validator.verify(sig.signature, proto.vote_sign_bytes(parts[sig.for_block], sig.timestamp_ns))

    return check


def verify_commit_light(chain_id: str, vals: ValidatorSet, commit: Commit, height: int,
                        *, all_signatures: bool = False) -> Tally:
    """VerifyCommitLight: more than 2/3 of `vals`' voting power signed `commit` for its
    block. The i-th signature must be the i-th validator's. Stops once 2/3 is passed
    (as CometBFT does) unless `all_signatures`; a wrong signature met on the way fails
    the commit."""
    if len(vals) != len(commit.signatures):
        raise bad_header(f"commit at height {height} has {len(commit.signatures)} signature slots for "
                         f"{len(vals)} validators")
    if commit.height != height:
        raise bad_header(f"commit for height {commit.height} given for height {height}")
    needed = vals.total_voting_power * 2 // 3
    check = _signature_checker(chain_id, commit)
    power = signed = 0
    for i, sig in enumerate(commit.signatures):
        if not sig.for_block:
            continue
        v = vals.validators[i]
        if sig.validator_address != v.address:
            raise bad_header(f"commit at height {height}: signature #{i} is by {sig.validator_address.hex().upper()}, "
                             f"which is not validator #{i} of the set ({v.address.hex().upper()})")
        if not check(i, v):
            raise bad_header(f"commit at height {height}: signature #{i} by validator {v.address.hex().upper()} "
                             f"does not verify")
        power += v.voting_power
        signed += 1
        if not all_signatures and power > needed:
            break
    if power <= needed:
        raise bad_header(f"commit at height {height} has {signed} of {len(vals)} validators' signatures: "
                         f"{percent(power, vals.total_voting_power)} % of voting power, needs more than 2/3")
    return Tally(signed, len(vals), power, vals.total_voting_power)


def verify_commit_light_trusting(chain_id: str, trusted_vals: ValidatorSet, commit: Commit,
                                 trust_level: Fraction, trusted_height: int) -> Tally:
    """VerifyCommitLightTrusting: more than `trust_level` of the power of `trusted_vals`
    (the validators of an earlier, trusted height, not necessarily the commit's own)
    signed `commit`. Signatures are matched by address; unknown signers are skipped,
    a validator signing twice fails. NotEnoughTrust if too little power signed."""
    needed = trusted_vals.total_voting_power * trust_level.numerator // trust_level.denominator
    check = _signature_checker(chain_id, commit)
    seen: dict[int, int] = {}
    power = signed = 0
    for i, sig in enumerate(commit.signatures):
        if not sig.for_block:
            continue
        found = trusted_vals.by_address(sig.validator_address)
        if found is None:
            continue
        j, v = found
        if j in seen:
            raise bad_header(f"commit at height {commit.height}: validator {v.address.hex().upper()} signed twice "
                             f"(#{seen[j]} and #{i})")
        seen[j] = i
        if not check(i, v):
            raise bad_header(f"commit at height {commit.height}: signature #{i} by validator {v.address.hex().upper()} "
                             f"does not verify")
        power += v.voting_power
        signed += 1
        if power > needed:
            return Tally(signed, len(trusted_vals), power, trusted_vals.total_voting_power)
    raise NotEnoughTrust(
        f"commit at height {commit.height} carries signatures of {signed} of the {len(trusted_vals)} validators "
        f"trusted at height {trusted_height}: {percent(power, trusted_vals.total_voting_power)} % of their "
        f"voting power, needs more than {trust_level.numerator}/{trust_level.denominator}")


def count_signatures(chain_id: str, lb: LightBlock) -> Tally:
    """Every signature of `lb`'s commit checked and counted (for a person-readable basis)."""
    return verify_commit_light(chain_id, lb.validator_set, lb.commit, lb.height, all_signatures=True)


# -- verification between two blocks -----------------------------------------------------
def _check_trust_level(level: Fraction) -> None:
    if not Fraction(1, 3) <= level <= 1:
        raise ValueError(f"trust level must be within [1/3, 1], got {level}")


def _check_not_expired(trusted: LightBlock, trusting_period_s: float, now_ms: int) -> None:
    expires_ns = trusted.header.time_ns + round(trusting_period_s * NANOS)
    now_ns = now_ms * 1_000_000
    if not expires_ns > now_ns:
        raise VerificationError(
            f"trusted header at height {trusted.height} ({format_time(trusted.header.time_ns)}) expired at "
            f"{format_time(expires_ns)}, past its trusting period of {trusting_period_s:g} s "
            f"(now {format_time(now_ns)}); start again from a newer trusted block", "untrusted")


def _check_new_block(trusted: LightBlock, untrusted: LightBlock, now_ms: int, max_clock_drift_s: float) -> None:
    """verifyNewHeaderAndVals: well formed, same chain, later in height and time, not from
    the future, and the validator set given is the one the header names."""
    chain_id = trusted.header.chain_id
    validate_light_block(untrusted, chain_id)
    h, t = untrusted.header, trusted.header
    if h.height <= t.height:
        raise bad_header(f"header at height {h.height} is not above the trusted height {t.height}")
    if not h.time_ns > t.time_ns:
        raise bad_header(f"header at height {h.height} has time {format_time(h.time_ns)}, not after the trusted header "
                         f"{t.height}'s {format_time(t.time_ns)}")
    limit_ns = now_ms * 1_000_000 + round(max_clock_drift_s * NANOS)
    if not h.time_ns < limit_ns:
        raise bad_header(f"header at height {h.height} has time {format_time(h.time_ns)}, in the future (now "
                         f"{format_time(now_ms * 1_000_000)}, allowed clock drift {max_clock_drift_s:g} s)")


def verify_adjacent(trusted: LightBlock, untrusted: LightBlock, trusting_period_s: float, now_ms: int,
                    max_clock_drift_s: float = DEFAULT_MAX_CLOCK_DRIFT_S) -> Tally:
    """Header h+1 from trusted header h: its validators are those h announced as next, and
    more than 2/3 of their power signed it. Returns who signed (as far as checked)."""
    if untrusted.height != trusted.height + 1:
        raise ValueError(f"heights {trusted.height} and {untrusted.height} are not adjacent")
    _check_not_expired(trusted, trusting_period_s, now_ms)
    _check_new_block(trusted, untrusted, now_ms, max_clock_drift_s)
    if untrusted.header.validators_hash != trusted.header.next_validators_hash:
        raise bad_header(f"header at height {untrusted.height} names validators "
                         f"{untrusted.header.validators_hash.hex().upper()}, but trusted header {trusted.height} "
                         f"announced {trusted.header.next_validators_hash.hex().upper()} as next")
    return verify_commit_light(trusted.header.chain_id, untrusted.validator_set, untrusted.commit, untrusted.height)


def verify_non_adjacent(trusted: LightBlock, untrusted: LightBlock, trusting_period_s: float, now_ms: int,
                        max_clock_drift_s: float = DEFAULT_MAX_CLOCK_DRIFT_S,
                        trust_level: Fraction = DEFAULT_TRUST_LEVEL) -> Tally:
    """A far header from a trusted one (skipping): more than `trust_level` of the trusted
    validators' power signed it (NotEnoughTrust otherwise: bisect), and more than 2/3 of
    its own validators' power did. The second check comes last, as in CometBFT: the
    untrusted set may be made huge to waste a verifier's time."""
    _check_trust_level(trust_level)
    if untrusted.height == trusted.height + 1:
        raise ValueError(f"heights {trusted.height} and {untrusted.height} are adjacent; use verify_adjacent")
    _check_not_expired(trusted, trusting_period_s, now_ms)
    _check_new_block(trusted, untrusted, now_ms, max_clock_drift_s)
    chain_id = trusted.header.chain_id
    verify_commit_light_trusting(chain_id, trusted.validator_set, untrusted.commit, trust_level, trusted.height)
    return verify_commit_light(chain_id, untrusted.validator_set, untrusted.commit, untrusted.height)


def verify(trusted: LightBlock, untrusted: LightBlock, trusting_period_s: float, now_ms: int,
           max_clock_drift_s: float = DEFAULT_MAX_CLOCK_DRIFT_S,
           trust_level: Fraction = DEFAULT_TRUST_LEVEL) -> Tally:
    """`verify_adjacent` or `verify_non_adjacent`, as the heights require."""
    if untrusted.height == trusted.height + 1:
        return verify_adjacent(trusted, untrusted, trusting_period_s, now_ms, max_clock_drift_s)
    return verify_non_adjacent(trusted, untrusted, trusting_period_s, now_ms, max_clock_drift_s, trust_level)


Fetch = Callable[[int], LightBlock]


def _fetch(fetch: Fetch, height: int) -> LightBlock:
    lb = fetch(height)
    if lb.height != height:
        raise bad_header(f"asked for the light block at height {height}, got one for height {lb.height}")
    return lb


def verify_to(trusted: LightBlock, target_height: int, fetch: Fetch, *, now_ms: int,
              trusting_period_s: float = DEFAULT_TRUSTING_PERIOD_S,
              max_clock_drift_s: float = DEFAULT_MAX_CLOCK_DRIFT_S,
              trust_level: Fraction = DEFAULT_TRUST_LEVEL) -> tuple[LightBlock, list[LightBlock]]:
    """Verify the block at `target_height` from `trusted`, fetching what it needs.

    Forward, it skips: it tries the target directly; where too little of the trusted
    validators' power signed it, it fetches a block 9/16 of the way there and tries that,
    and so on; once one verifies it becomes the trusted block and the target is tried
    again (CometBFT's `verifySkipping`). With an unchanged validator set, one step
    reaches any height. Backward (a target below `trusted`), it follows the chain of
    header hashes (each header names its predecessor's hash), as CometBFT does.

    Returns the verified block and the trace: every block verified on the way, from
    `trusted` to the target. Any failure raises VerificationError naming the height."""
    _check_trust_level(trust_level)
    if target_height < 1:
        raise VerificationError(f"no block at height {target_height}", "untrusted")
    if target_height == trusted.height:
        _check_not_expired(trusted, trusting_period_s, now_ms)
        return trusted, [trusted]
    if target_height < trusted.height:
        return _verify_backwards(trusted, target_height, fetch, trusting_period_s, now_ms)
    verified = trusted
    trace = [trusted]
    cache = [_fetch(fetch, target_height)]  # the target, then ever nearer pivots
    depth = 0
    while True:
        candidate = cache[depth]
        try:
            verify(verified, candidate, trusting_period_s, now_ms, max_clock_drift_s, trust_level)
        except NotEnoughTrust:
            if depth == len(cache) - 1:
                pivot = verified.height + (candidate.height - verified.height) * PIVOT_NUMERATOR // PIVOT_DENOMINATOR
                cache.append(_fetch(fetch, pivot))
            depth += 1
            continue
        trace.append(candidate)
        if depth == 0:
            return candidate, trace
        verified = candidate
        del cache[depth:]
        depth = 0


def _verify_backwards(trusted: LightBlock, target_height: int, fetch: Fetch, trusting_period_s: float,
                      now_ms: int) -> tuple[LightBlock, list[LightBlock]]:
    _check_not_expired(trusted, trusting_period_s, now_ms)
    chain_id = trusted.header.chain_id
    verified, trace = trusted, [trusted]
    for height in range(trusted.height - 1, target_height - 1, -1):
        lb = _fetch(fetch, height)
        h = lb.header
        h.validate()
        if h.chain_id != chain_id:
            raise bad_header(f"header at height {height} belongs to chain {h.chain_id!r}, not {chain_id!r}")
        if not h.time_ns < verified.header.time_ns:
            raise bad_header(f"header at height {height} has time {format_time(h.time_ns)}, not before header "
                             f"{verified.height}'s {format_time(verified.header.time_ns)}")
        if h.hash() != verified.header.last_block_id.hash:
            raise bad_header(f"header at height {height} hashes to {h.hash().hex().upper()}, but header "
                             f"{verified.height} names {verified.header.last_block_id.hash.hex().upper()} "
                             f"as its predecessor")
        if lb.validator_set.hash() != h.validators_hash:
            raise bad_header(f"validator set given for height {height} hashes to "
                             f"{lb.validator_set.hash().hex().upper()}, but the header names validators "
                             f"{h.validators_hash.hex().upper()}")
        verified = lb
        trace.append(lb)
    return verified, trace


# -- starting points -----------------------------------------------------------------------
def trust_checkpoint(height: int, block_hash: bytes, fetch: Fetch, chain_id: str) -> LightBlock:
    """The block at a checkpoint a member obtained out of band (height and header hash):
    fetched, its header hash compared, and its commit checked against its own validators
    (CometBFT's start from trust options). The first verification from it still checks
    the trusting period."""
    lb = _fetch(fetch, height)
    if lb.hash() != block_hash:
        raise bad_header(f"header at height {height} hashes to {lb.hash().hex().upper()}, not the trusted "
                         f"checkpoint {block_hash.hex().upper()}")
    validate_light_block(lb, chain_id)
    verify_commit_light(chain_id, lb.validator_set, lb.commit, height)
    return lb


def trust_genesis(chain_id: str, validators: ValidatorSet, fetch: Fetch) -> LightBlock:
    """Block 1, trusted because genesis's validators (taken from the genesis file the
    member holds) are the ones its header names and more than 2/3 of them signed it."""
    lb = _fetch(fetch, 1)
    if lb.header.validators_hash != validators.hash():
        raise bad_header(f"header at height 1 names validators {lb.header.validators_hash.hex().upper()}, not "
                         f"genesis's {validators.hash().hex().upper()}")
    validate_light_block(lb, chain_id)
    verify_commit_light(chain_id, lb.validator_set, lb.commit, 1)
    return lb


# -- from CometBFT heights to faechain blocks ------------------------------------------------
@dataclass(frozen=True)
class Ties:
    """What a verified CometBFT header h+1 (and, if given, header h) ties of faechain block h.

    Tied by signatures: the app hash after block h (header h+1's app_hash); with header h,
    block h's time (header h's time, which faechain's ABCI server uses, floored to ms),
    its transactions' bytes (header h's data_hash, `data_hash(txs)`) and its proposer.
    Header h+1's last_results_hash commits to the ExecTxResults CometBFT got for block h,
    whose `data` is the hash of each faechain receipt.
    Not tied: faechain's own block hash. It covers faechain's header encoding (its
    transaction and receipt roots, under the chain's hash suite) and appears in no
    CometBFT header; `TrustedHeader.block_hash` is left empty for this reason, and a
    faechain header must be checked field by field against what is tied above."""

    height: int
    app_hash: bytes
    time_ms: int
    data_hash: bytes
    proposer_address: bytes


def trusted_header(after: LightBlock, block: Header | None = None, *, chain_id: str | None = None) -> TrustedHeader:
    """faechain block h as established by `after`, a *verified* CometBFT light block h+1
    (faechain heights equal CometBFT heights; header h+1 carries the app hash after h).

    `block`, CometBFT header h, is optional; when given it is tied to `after` by hash
    (header h+1 names its predecessor's hash, so no signature is needed) and supplies
    block h's own time. Without it `time_ms` is header h+1's time: when the validators
    signed the app hash, no earlier than block h's time. `block_hash` is empty: faechain's
    block hash is not in any CometBFT header (see `Ties`)."""
    h = after.height - 1
    if h < 1:
        raise VerificationError(f"CometBFT header {after.height} carries the genesis app hash, no block's",
                                "untrusted")
    tally = count_signatures(chain_id or after.header.chain_id, after)
    time_ms = after.header.time_ms
    when = f"time of header {after.height}"
    if block is not None:
        if block.height != h or block.hash() != after.header.last_block_id.hash:
            raise bad_header(f"header at height {block.height} hashes to {block.hash().hex().upper()}, but header "
                             f"{after.height} names {after.header.last_block_id.hash.hex().upper()} as its predecessor")
        time_ms, when = block.time_ms, f"time of header {h}"
    return TrustedHeader(height=h, block_hash=b"", app_hash=after.header.app_hash, time_ms=time_ms,
                         basis=f"{tally}, CometBFT header {after.height} ({when})")


def ties(after: LightBlock, block: Header) -> Ties:
    """What `after` (verified, height h+1) and `block` (header h, tied to it by hash) fix
    about faechain block h; bad_header if `block` is not `after`'s predecessor."""
    if block.height != after.height - 1 or block.hash() != after.header.last_block_id.hash:
        raise bad_header(f"header at height {block.height} is not the predecessor header {after.height} names")
    return Ties(block.height, after.header.app_hash, block.time_ms, block.data_hash, block.proposer_address)
