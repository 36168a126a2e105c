"""The protobuf encodings CometBFT v0.38 hashes and signs, rebuilt byte for byte.

A light client cannot take a header's hash or a vote's sign bytes from the node it is
checking: it recomputes them from the fields and compares. Every function here returns
exactly the bytes CometBFT's gogoproto-generated `Marshal` gives for the same message
(field numbers from `proto/tendermint/types/{types,canonical,validator}.proto`,
`proto/tendermint/version/types.proto`, `proto/tendermint/crypto/keys.proto`), using
the wire primitives in `faechain.core.protobuf`; no protobuf runtime is needed.

Two gogoproto rules matter for byte equality:
  * proto3 scalars are omitted when zero or empty;
  * sub-messages marked `(gogoproto.nullable) = false` (a BlockID's PartSetHeader, a
    vote's timestamp) are always written, even when empty, while nullable ones (a
    CanonicalVote's block id) are left out when absent.
Times are nanoseconds since the Unix epoch (a Go `time.Time` has nanosecond precision,
and signatures cover every digit).
"""

from __future__ import annotations

from faechain.core.protobuf import delimited, f_bytes, f_sfixed64, f_varint

PRECOMMIT = 2  # SignedMsgType SIGNED_MSG_TYPE_PRECOMMIT: the votes a commit is made of
ED25519_FIELD = 1  # tendermint.crypto.PublicKey oneof sum: ed25519 = 1 (secp256k1 = 2)
NANOS = 1_000_000_000


def timestamp(time_ns: int) -> bytes:
    """google.protobuf.Timestamp{seconds, nanos}: seconds floored, nanos in [0, 1e9)."""
    seconds, nanos = divmod(time_ns, NANOS)
    return f_varint(1, seconds) + f_varint(2, nanos)


def consensus_version(block: int, app: int) -> bytes:
    """tendermint.version.Consensus{block, app}."""
    return f_varint(1, block) + f_varint(2, app)


def part_set_header(total: int, hash_: bytes) -> bytes:
    """PartSetHeader (and CanonicalPartSetHeader, which has the same fields)."""
    return f_varint(1, total) + f_bytes(2, hash_)


def block_id(hash_: bytes, parts_total: int, parts_hash: bytes) -> bytes:
    """BlockID{hash, part_set_header}; the part-set header is non-nullable, always written
    (CanonicalBlockID has the same layout)."""
    return f_bytes(1, hash_) + f_bytes(2, part_set_header(parts_total, parts_hash), always=True)


# -- cdcEncode: the wrapper types Header.Hash() puts each scalar field in ---------------
def string_value(value: str) -> bytes:
    """google.protobuf.StringValue; empty for the empty string (cdcEncode gives nil)."""
    return f_bytes(1, value)


def int64_value(value: int) -> bytes:
    """google.protobuf.Int64Value; empty for zero."""
    return f_varint(1, value)


def bytes_value(value: bytes) -> bytes:
    """google.protobuf.BytesValue; empty for empty bytes."""
    return f_bytes(1, value)


def ed25519_public_key(key: bytes) -> bytes:
    """tendermint.crypto.PublicKey with the ed25519 member of its oneof set."""
    return f_bytes(ED25519_FIELD, key, always=True)


def simple_validator(ed25519_key: bytes, voting_power: int) -> bytes:
    """SimpleValidator{pub_key, voting_power}: one leaf of a validator set's hash."""
    return f_bytes(1, ed25519_public_key(ed25519_key), always=True) + f_varint(2, voting_power)


def canonical_vote_parts(chain_id: str, height: int, round_: int, block_hash: bytes, parts_total: int,
                         parts_hash: bytes, *, for_block: bool = True) -> tuple[bytes, bytes]:
    """The fields of a CanonicalVote (a precommit) before and after its timestamp.

    Every validator's vote in one commit shares these and differs only in its timestamp,
    so a verifier builds them once per commit and `vote_sign_bytes` joins them. A vote
    for nil (`for_block=False`) carries no block id: CanonicalizeBlockID gives nil for
    the zero BlockID, and the nullable field is left out."""
    head = f_varint(1, PRECOMMIT) + f_sfixed64(2, height) + f_sfixed64(3, round_)
    if for_block:
        head += f_bytes(4, block_id(block_hash, parts_total, parts_hash), always=True)
    return head, f_bytes(6, chain_id)


def vote_sign_bytes(parts: tuple[bytes, bytes], time_ns: int) -> bytes:
    """What a validator signs: the CanonicalVote, length-delimited (as `protoio.MarshalDelimited`
    writes it, for compatibility with the old amino encoding)."""
    head, tail = parts
    return delimited(head + f_bytes(5, timestamp(time_ns), always=True) + tail)
