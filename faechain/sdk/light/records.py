"""CometBFT's block records as a light client sees them, and their hashes.

`Header`, `BlockID`, `Commit`/`CommitSig`, `Validator`/`ValidatorSet`, `SignedHeader` and
`LightBlock` hold what CometBFT v0.38 serves at `/commit` and `/validators`; their
hashes are recomputed here, never read from the node: `Header.hash()` (the RFC 6962
Merkle root of its 14 encoded fields), `ValidatorSet.hash()` (of each validator's
SimpleValidator bytes, in the set's order) and the precommits' sign bytes
(`Commit.sign_bytes`), all encoded by `faechain.sdk.light.proto`. Shape checks
(CometBFT's `ValidateBasic`) are here too; what the signatures prove is decided in
`faechain.sdk.light.cometbft`.

Times are integer nanoseconds since the epoch: a Go `time.Time` has nanosecond
precision and the signatures cover every digit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from faechain.sdk.light import proto
from faechain.sdk.trust import VerificationError

BLOCK_PROTOCOL = 11  # version.BlockProtocol of CometBFT v0.38: the header format hashed here
HASH_SIZE = 32  # tmhash: SHA-256
ADDRESS_SIZE = 20  # a validator address: the first 20 bytes of SHA-256(ed25519 public key)
MAX_SIGNATURE_SIZE = 64
MAX_CHAIN_ID_LEN = 50
ED25519_TYPE = "tendermint/PubKeyEd25519"

BLOCK_ID_FLAG_ABSENT = 1  # the validator's precommit did not arrive
BLOCK_ID_FLAG_COMMIT = 2  # it voted for the committed block
BLOCK_ID_FLAG_NIL = 3  # it voted for no block

NANOS = 1_000_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def bad_header(message: str) -> VerificationError:
    """The error for a header, commit or validator set that does not check out."""
    return VerificationError(message, "bad_header")


# -- hashing -----------------------------------------------------------------------------
def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def merkle_root(items: Sequence[bytes]) -> bytes:
    """CometBFT's `merkle.HashFromByteSlices`: RFC 6962 with SHA-256, leaf = H(0x00||item),
    inner = H(0x01||left||right), split at the largest power of two below n, and the
    hash of nothing for no items."""
    n = len(items)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + items[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return sha256(b"\x01" + merkle_root(items[:k]) + merkle_root(items[k:]))


def data_hash(txs: Sequence[bytes]) -> bytes:
    """A CometBFT header's data_hash over a block's transactions (Merkle root of their
    SHA-256 hashes): how a block's transaction list is tied to a signed header."""
    return merkle_root([sha256(tx) for tx in txs])


def address_of(ed25519_key: bytes) -> bytes:
    """A validator's address: the first 20 bytes of SHA-256 of its Ed25519 key."""
    return sha256(ed25519_key)[:ADDRESS_SIZE]


# -- times -------------------------------------------------------------------------------
_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)\Z")


def parse_time(text: str) -> int:
    """An RFC 3339 time as CometBFT's JSON writes it -> nanoseconds since the epoch, exact
    (signatures cover every nanosecond, so no float may touch it)."""
    m = _TIME.match(text)
    if not m:
        raise bad_header(f"malformed time {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zone = m.group(7) or "", m.group(8)
    tz = dt.UTC if zone == "Z" else dt.timezone(
        (-1 if zone[0] == "-" else 1) * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        delta = dt.datetime(year, month, day, hour, minute, second, tzinfo=tz) - _EPOCH
    except ValueError as exc:
        raise bad_header(f"malformed time {text!r}: {exc}") from None
    seconds = delta.days * 86_400 + delta.seconds
    return seconds * NANOS + int(fraction.ljust(9, "0") or 0)


def format_time(time_ns: int) -> str:
    """Nanoseconds since the epoch -> RFC 3339 in UTC with trailing zeros trimmed, as Go's
    RFC3339Nano writes it (CometBFT's JSON)."""
    seconds, nanos = divmod(time_ns, NANOS)
    t = _EPOCH + dt.timedelta(seconds=seconds)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


ZERO_TIME_NS = parse_time("0001-01-01T00:00:00Z")  # Go's zero time.Time: an absent vote's timestamp


def _ms(time_ns: int) -> int:
    """Nanoseconds -> milliseconds, floored (as faechain's ABCI server reads block times)."""
    return time_ns // 1_000_000


def percent(part: int, whole: int) -> str:
    value = 100 * part / whole if whole else 0.0
    return f"{value:.1f}".rstrip("0").rstrip(".")


# -- records -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PartSetHeader:
    """How a block was cut into parts for gossip: their number and Merkle root."""

    total: int
    hash: bytes

    def is_zero(self) -> bool:
        return self.total == 0 and not self.hash


@dataclass(frozen=True)
class BlockID:
    """A block's identity in votes and headers: its header hash and part-set header."""

    hash: bytes
    part_set_header: PartSetHeader

    def is_zero(self) -> bool:
        return not self.hash and self.part_set_header.is_zero()

    def encode(self) -> bytes:
        return proto.block_id(self.hash, self.part_set_header.total, self.part_set_header.hash)

    def validate(self, what: str) -> None:
        for name, value in (("hash", self.hash), ("part set hash", self.part_set_header.hash)):
            if value and len(value) != HASH_SIZE:
                raise bad_header(f"{what}: {name} is {len(value)} bytes, expected {HASH_SIZE}")
        if self.part_set_header.total < 0:
            raise bad_header(f"{what}: negative part count")


ZERO_BLOCK_ID = BlockID(b"", PartSetHeader(0, b""))


@dataclass(frozen=True)
class Header:
    """A CometBFT block header. `app_hash` is the application's state root after the
    *previous* block (faechain's app hash after block height-1)."""

    chain_id: str
    height: int
    time_ns: int
    last_block_id: BlockID
    last_commit_hash: bytes
    data_hash: bytes
    validators_hash: bytes
    next_validators_hash: bytes
    consensus_hash: bytes
    app_hash: bytes
    last_results_hash: bytes
    evidence_hash: bytes
    proposer_address: bytes
    version_block: int = BLOCK_PROTOCOL
    version_app: int = 0

    @property
    def time_ms(self) -> int:
        return _ms(self.time_ns)

    def hash(self) -> bytes:
        """Header.Hash(): the Merkle root of the 14 fields, each encoded as CometBFT does
        (the version and last block id as messages, the time as a Timestamp, the rest
        wrapped in protobuf's StringValue/Int64Value/BytesValue). Empty when the header
        has no validators hash, as in CometBFT (such a header is never valid)."""
        return self._hash

    @cached_property
    def _hash(self) -> bytes:
        if not self.validators_hash:
            return b""
        return merkle_root([
            proto.consensus_version(self.version_block, self.version_app),
            proto.string_value(self.chain_id),
            proto.int64_value(self.height),
            proto.timestamp(self.time_ns),
            self.last_block_id.encode(),
            proto.bytes_value(self.last_commit_hash),
            proto.bytes_value(self.data_hash),
            proto.bytes_value(self.validators_hash),
            proto.bytes_value(self.next_validators_hash),
            proto.bytes_value(self.consensus_hash),
            proto.bytes_value(self.app_hash),
            proto.bytes_value(self.last_results_hash),
            proto.bytes_value(self.evidence_hash),
            proto.bytes_value(self.proposer_address),
        ])

    def validate(self) -> None:
        """Header.ValidateBasic: the shape of every field (not yet any signature)."""
        h = self.height
        if self.version_block != BLOCK_PROTOCOL:
            raise bad_header(f"header at height {h} has block protocol {self.version_block}, expected {BLOCK_PROTOCOL}")
        if len(self.chain_id) > MAX_CHAIN_ID_LEN:
            raise bad_header(f"header at height {h} has a chain id of {len(self.chain_id)} characters, "
                             f"more than {MAX_CHAIN_ID_LEN}")
        if h <= 0:
            raise bad_header(f"header has height {h}; heights start at 1")
        self.last_block_id.validate(f"header at height {h}, last block id")
        for name in ("last_commit_hash", "data_hash", "evidence_hash", "validators_hash", "next_validators_hash",
                     "consensus_hash", "last_results_hash"):
            value = getattr(self, name)
            if value and len(value) != HASH_SIZE:
                raise bad_header(f"header at height {h}: {name} is {len(value)} bytes, expected {HASH_SIZE}")
        if not self.validators_hash:
            raise bad_header(f"header at height {h} has no validators hash")
        if len(self.proposer_address) != ADDRESS_SIZE:
            raise bad_header(f"header at height {h}: proposer address is {len(self.proposer_address)} bytes, "
                             f"expected {ADDRESS_SIZE}")


@dataclass(frozen=True)
class CommitSig:
    """One validator's precommit in a commit (by position: the i-th belongs to the i-th
    validator of the block's set)."""

    block_id_flag: int
    validator_address: bytes
    timestamp_ns: int
    signature: bytes

    @property
    def for_block(self) -> bool:
        return self.block_id_flag == BLOCK_ID_FLAG_COMMIT

    def validate(self, height: int, index: int) -> None:
        what = f"commit at height {height}, signature #{index}"
        if self.block_id_flag == BLOCK_ID_FLAG_ABSENT:
            if self.validator_address or self.signature or self.timestamp_ns != ZERO_TIME_NS:
                raise bad_header(f"{what} is marked absent but carries an address, time or signature")
        elif self.block_id_flag in (BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL):
            if len(self.validator_address) != ADDRESS_SIZE:
                raise bad_header(f"{what}: validator address is {len(self.validator_address)} bytes, "
                                 f"expected {ADDRESS_SIZE}")
            if not self.signature:
                raise bad_header(f"{what} has no signature")
            if len(self.signature) > MAX_SIGNATURE_SIZE:
                raise bad_header(f"{what}: signature of {len(self.signature)} bytes, at most {MAX_SIGNATURE_SIZE}")
        else:
            raise bad_header(f"{what} has unknown block id flag {self.block_id_flag}")


@dataclass(frozen=True)
class Commit:
    """The precommits by which the validators committed block `height`."""

    height: int
    round: int
    block_id: BlockID
    signatures: tuple[CommitSig, ...]

    def sign_bytes(self, chain_id: str, index: int) -> bytes:
        """What validator `index` signed (Commit.VoteSignBytes): its precommit, canonical."""
        sig = self.signatures[index]
        return proto.vote_sign_bytes(self.vote_parts(chain_id, sig.for_block), sig.timestamp_ns)

    def vote_parts(self, chain_id: str, for_block: bool) -> tuple[bytes, bytes]:
        """The sign bytes' fields around the timestamp, shared by every vote of this commit."""
        psh = self.block_id.part_set_header
        return proto.canonical_vote_parts(chain_id, self.height, self.round, self.block_id.hash, psh.total,
                                          psh.hash, for_block=for_block)

    def validate(self) -> None:
        """Commit.ValidateBasic."""
        if self.height < 0 or self.round < 0:
            raise bad_header(f"commit at height {self.height} has a negative height or round ({self.round})")
        if self.height >= 1:
            if self.block_id.is_zero():
                raise bad_header(f"commit at height {self.height} is for no block")
            self.block_id.validate(f"commit at height {self.height}, block id")
            if not self.signatures:
                raise bad_header(f"commit at height {self.height} has no signatures")
            for i, sig in enumerate(self.signatures):
                sig.validate(self.height, i)


@dataclass(frozen=True)
class Validator:
    """A validator: its Ed25519 key, the address derived from it, and its voting power."""

    address: bytes
    pub_key: bytes
    voting_power: int
    proposer_priority: int = 0

    @classmethod
    def of(cls, pub_key: bytes, voting_power: int) -> Validator:
        return cls(address_of(pub_key), pub_key, voting_power)

    def leaf(self) -> bytes:
        """Validator.Bytes(): SimpleValidator{pub_key, voting_power}, a leaf of the set's hash."""
        return proto.simple_validator(self.pub_key, self.voting_power)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @cached_property
    def _key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.pub_key)

    def validate(self, what: str) -> None:
        if len(self.pub_key) != 32:
            raise bad_header(f"{what}: Ed25519 key of {len(self.pub_key)} bytes, expected 32")
        if self.voting_power < 0:
            raise bad_header(f"{what} has negative voting power {self.voting_power}")
        if self.address != address_of(self.pub_key):
            raise bad_header(f"{what}: address {self.address.hex().upper()} is not derived from its key "
                             f"({address_of(self.pub_key).hex().upper()})")


@dataclass(frozen=True)
class ValidatorSet:
    """The validators of one height, in the set's order (voting power descending, then
    address): the order the header's validators_hash and the commit's signatures use."""

    validators: tuple[Validator, ...]

    @classmethod
    def of(cls, keys_and_powers: Sequence[tuple[bytes, int]]) -> ValidatorSet:
        """The set CometBFT forms from (Ed25519 key, power) pairs: zero-power ones left out,
        sorted by power descending and then by address."""
        vals = [Validator.of(k, p) for k, p in keys_and_powers if p > 0]
        vals.sort(key=lambda v: (-v.voting_power, v.address))
        return cls(tuple(vals))

    def __len__(self) -> int:
        return len(self.validators)

    @cached_property
    def total_voting_power(self) -> int:
        return sum(v.voting_power for v in self.validators)

    def hash(self) -> bytes:
        """ValidatorSet.Hash(): Merkle root of each validator's SimpleValidator bytes."""
        return self._hash

    @cached_property
    def _hash(self) -> bytes:
        return merkle_root([v.leaf() for v in self.validators])

    def by_address(self, address: bytes) -> tuple[int, Validator] | None:
        found = self._index.get(address)
        return None if found is None else (found, self.validators[found])

    @cached_property
    def _index(self) -> dict[bytes, int]:
        return {v.address: i for i, v in enumerate(self.validators)}

    def validate(self, height: int) -> None:
        if not self.validators:
            raise bad_header(f"validator set at height {height} is empty")
        for i, v in enumerate(self.validators):
            v.validate(f"validator #{i} at height {height}")


@dataclass(frozen=True)
class SignedHeader:
    header: Header
    commit: Commit


@dataclass(frozen=True)
class LightBlock:
    """What a light client verifies at one height: the signed header and the validator
    set that (it claims) signed it."""

    signed_header: SignedHeader
    validator_set: ValidatorSet

    @property
    def header(self) -> Header:
        return self.signed_header.header

    @property
    def commit(self) -> Commit:
        return self.signed_header.commit

    @property
    def height(self) -> int:
        return self.signed_header.header.height

    def hash(self) -> bytes:
        return self.signed_header.header.hash()


@dataclass(frozen=True)
class Tally:
    """Who signed a commit, for people: `signed` of `validators` validators, holding
    `power` of `total_power` voting power."""

    signed: int
    validators: int
    power: int
    total_power: int

    def __str__(self) -> str:
        return (f"signed by {self.signed} of {self.validators} validators "
                f"({percent(self.power, self.total_power)} % of voting power)")
