"""Signed CometBFT headers made from keys you hold: for tests, benchmarks and demos.

A verifier never needs this module. It exists because the light client's hard cases
(validator sets that change, commits signed by too few, forged headers) need chains
whose every byte is under control, and a real network can give only the honest ones.
Headers and commits made here hash and sign exactly as CometBFT's do (the same
encoders as the verifier), so what verifies here verifies the same way on a real chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from faechain.sdk.light import proto
from faechain.sdk.light.cometbft import (
    BLOCK_ID_FLAG_ABSENT,
    BLOCK_ID_FLAG_COMMIT,
    ZERO_BLOCK_ID,
    ZERO_TIME_NS,
    BlockID,
    Commit,
    CommitSig,
    Header,
    LightBlock,
    PartSetHeader,
    SignedHeader,
    Validator,
    ValidatorSet,
    data_hash,
)

NANOS = 1_000_000_000


def private_key(seed: str) -> Ed25519PrivateKey:
    """A deterministic Ed25519 key named by `seed` (the same seed, the same key)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Signer:
    """A validator whose private key we hold."""

    key: Ed25519PrivateKey
    power: int

    @cached_property
    def public(self) -> bytes:
        return public_bytes(self.key)

    @property
    def validator(self) -> Validator:
        return Validator.of(self.public, self.power)


def validator_set(signers: Sequence[Signer]) -> ValidatorSet:
    return ValidatorSet.of([(s.public, s.power) for s in signers])


def sign_commit(header: Header, vals: ValidatorSet, keys: Mapping[bytes, Ed25519PrivateKey], *,
                round_: int = 0, vote_time_ns: int | None = None) -> Commit:
    """The commit of `header` by the validators of `vals` whose key is in `keys` (by
    address); every other slot is absent. Votes are timed a millisecond after the header
    unless `vote_time_ns` says otherwise."""
    bid = BlockID(header.hash(), PartSetHeader(1, hashlib.sha256(b"parts" + header.hash()).digest()))
    unsigned = Commit(header.height, round_, bid, ())
    parts = unsigned.vote_parts(header.chain_id, True)
    when = header.time_ns + 1_000_000 if vote_time_ns is None else vote_time_ns
    sigs = []
    for v in vals.validators:
        key = keys.get(v.address)
        if key is None:
            sigs.append(CommitSig(BLOCK_ID_FLAG_ABSENT, b"", ZERO_TIME_NS, b""))
        else:
            sigs.append(CommitSig(BLOCK_ID_FLAG_COMMIT, v.address, when, key.sign(proto.vote_sign_bytes(parts, when))))
    return Commit(header.height, round_, bid, tuple(sigs))


@dataclass
class SyntheticChain:
    """A chain whose validators at height h are `signers_at(h)`.

    Headers are built on demand and in order (each names its predecessor's hash);
    commits are signed only for the heights asked for, so a chain of a million heights
    costs only what is fetched from it. `absent_at(h)` names validators (by index in the
    height's set) that do not sign block h."""

    chain_id: str
    signers_at: Callable[[int], Sequence[Signer]]
    genesis_time_ns: int
    block_interval_ns: int = NANOS
    absent_at: Callable[[int], Collection[int]] | None = None
    _headers: list[Header] = field(default_factory=list, repr=False)
    _sets: dict[tuple[tuple[bytes, int], ...], tuple[ValidatorSet, dict[bytes, Ed25519PrivateKey]]] = field(
        default_factory=dict, repr=False)
    _blocks: dict[int, LightBlock] = field(default_factory=dict, repr=False)

    def validators(self, height: int) -> tuple[ValidatorSet, dict[bytes, Ed25519PrivateKey]]:
        signers = self.signers_at(height)
        ident = tuple((s.public, s.power) for s in signers)
        if ident not in self._sets:
            self._sets[ident] = (validator_set(signers), {s.validator.address: s.key for s in signers})
        return self._sets[ident]

    def header(self, height: int) -> Header:
        while len(self._headers) < height:
            h = len(self._headers) + 1
            prev = self._headers[-1] if self._headers else None
            last = ZERO_BLOCK_ID if prev is None else BlockID(
                prev.hash(), PartSetHeader(1, hashlib.sha256(b"parts" + prev.hash()).digest()))
            vals, _ = self.validators(h)
            nxt, _ = self.validators(h + 1)
            self._headers.append(Header(
                chain_id=self.chain_id, height=h, time_ns=self.genesis_time_ns + h * self.block_interval_ns,
                last_block_id=last, last_commit_hash=hashlib.sha256(b"commit %d" % (h - 1)).digest(),
                data_hash=data_hash([]), validators_hash=vals.hash(), next_validators_hash=nxt.hash(),
                consensus_hash=hashlib.sha256(b"params").digest(),
                app_hash=hashlib.sha256(b"app hash after %d" % (h - 1)).digest(),
                last_results_hash=hashlib.sha256(b"results %d" % (h - 1)).digest(),
                evidence_hash=data_hash([]), proposer_address=vals.validators[h % len(vals)].address))
        return self._headers[height - 1]

    def light_block(self, height: int) -> LightBlock:
        if height not in self._blocks:
            header = self.header(height)
            vals, keys = self.validators(height)
            if self.absent_at is not None:
                gone = {vals.validators[i].address for i in self.absent_at(height)}
                keys = {a: k for a, k in keys.items() if a not in gone}
            self._blocks[height] = LightBlock(SignedHeader(header, sign_commit(header, vals, keys)), vals)
        return self._blocks[height]

    __call__ = light_block  # a SyntheticChain is a `fetch` for verify_to
