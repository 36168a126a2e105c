"""Who signed a transaction, and whether the signature is theirs: `Authenticator`.

A signer is a certificate id (the hash of its certificate). It is accepted when its
certificate is registered on chain (or attached, and then registered with its first
successful transaction), is not revoked, is inside its validity window, chains to
the CA of an ACTIVE member organisation whose type is the certificate's role. The
records read are the membership contract's (faechain.modules.membership.records's
state keys).

Authentication is the hot path of admission and execution, so it is cached:

    decoded    raw envelope -> Tx admitted by check_tx (finalize_block skips decoding)
    verified   (tx hash, signature) pairs whose signature verified (checked once)
    keys       signer -> its public key
    callers    signer -> CachedCaller, resolved against committed state
    chained    (signer, CA id) pairs whose certificate chain verified

Every cache only skips work that would give the same answer; none is ever consulted
where it could be stale (see `caller` and `forget_committed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from faechain.chain.results import Rejected
from faechain.chain.state import BlockState, CommittedState
from faechain.contracts.runtime import Caller
from faechain.core.encoding import decode_trusted
from faechain.core.tx import Tx, TxError, decode_tx
from faechain.crypto import certs
from faechain.crypto.suite import PublicKey, Suite
from faechain.modules.membership.records import STATE_PREFIX as MEMBERSHIP_PREFIX
from faechain.modules.membership.records import (
    ca_state_key,
    caller_attributes,
    cert_state_key,
    org_state_key,
    revocation_state_key,
)

VERIFIED_MAX = 200_000  # verified pairs remembered before the set is dropped (at a commit)


class Verifier(Protocol):
    """Batch signature verification (faechain.crypto.verifier.ParallelVerifier: every core)."""

    def verify_many(self, items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bool]: ...

    def close(self) -> None: ...


class CachedCaller(NamedTuple):
    """A signer resolved against committed state, and the two records it depends on."""

    caller: Caller
    not_before: int  # validity window of the certificate, unix ms
    not_after: int
    cert_key: bytes  # its certificate record's state key
    org_key: bytes  # its organisation record's state key


class Authenticator:
    """Decodes envelopes and authenticates their signers for one chain, with its caches."""

    def __init__(self, suite: Suite):
        self.suite = suite
        self.hash = suite.hash
        # optional batch verifier (faechain.crypto.verifier.ParallelVerifier): verify on every core
        self.verifier: Verifier | None = None
        self._verified: dict[tuple[bytes, bytes], bool] = {}
        self._decoded: dict[bytes, Tx] = {}
        self._keys: dict[bytes, PublicKey] = {}
        self._callers: dict[bytes, CachedCaller] = {}
        self._chained: set[tuple[bytes, bytes]] = set()

    # -- decoding ---------------------------------------------------------------------------
    def decode(self, raw: bytes) -> Tx:
        """The envelope's transaction (from the admission cache when check_tx saw it)."""
        tx = self._decoded.get(raw)
        if tx is None:
            try:
                tx = decode_tx(raw, self.hash)
            except TxError as exc:
                raise Rejected(exc.code, exc.message) from None
        return tx

    def admitted(self, raw: bytes, tx: Tx) -> None:
        """Remember an admitted envelope's decoding until its block commits."""
        self._decoded[raw] = tx

    # -- the signer ---------------------------------------------------------------------------
    def caller(self, tx: Tx, state: BlockState | CommittedState, now_ms: int) -> tuple[Caller, dict[str, Any] | None]:
        """Who signed: (caller, certificate record to register or None).

        A caller depends on exactly two records, the certificate's and its
        organisation's. Resolved callers are cached against committed state (the
        cache is dropped when a block changes membership); inside a block the cache
        is used only while neither record has been written by that block, so the
        steady-state cost is one dict lookup and never a stale answer.
        """
        if tx.cert is not None and self.hash(tx.cert) != tx.signer:
            # registered or not: the certificate slot is not signed, so anything but the signer's own
            # certificate (or null) would make a second envelope of the same transaction
            raise self._not_the_signers(tx.cert)
        hit = self._callers.get(tx.signer)
        if hit is not None:
            cached, not_before, not_after, cert_key, org_key = hit
            pending = state.writes
            if not pending or (cert_key not in pending and org_key not in pending):
                if not not_before <= now_ms <= not_after:
                    raise Rejected("bad_certificate", "the signer's certificate is not valid at this time")
                return cached, None
        cert_key = cert_state_key(tx.signer)
        raw = state.get_raw(cert_key)
        new_record = None
        rec = decode_trusted(raw) if raw is not None else None
        if rec is not None:
            if rec.get("revoked"):
                raise Rejected("revoked", "the signer's certificate has been revoked")
        else:
            rec = new_record = self._new_certificate(tx, state)
        org_key = org_state_key(rec["org_id"])
        org_raw = state.get_raw(org_key)
        if org_raw is None:
            raise Rejected("not_member", f"organisation {rec['org_id']} is not a consortium member")
        org = decode_trusted(org_raw)
        if org["status"] != "ACTIVE":
            raise Rejected("not_member", f"organisation {rec['org_id']} is no longer a member")
        if new_record is not None and (tx.signer, org["ca_id"]) not in self._chained:
            assert tx.cert is not None  # a new record comes from the attached certificate
            ca_raw = state.get_raw(ca_state_key(org["id"]))
            if ca_raw is None:  # not reached: membership writes an organisation with its CA
                raise Rejected("bad_certificate", f"organisation {org['id']} has no CA certificate on chain")
            try:
                certs.verify_issued_by(self.suite, tx.cert, decode_trusted(ca_raw))
            except certs.CertificateError as exc:
                raise Rejected("bad_certificate", str(exc)) from None
            if rec["role"] != org["type"]:
                raise Rejected("bad_certificate",
                               f"certificate role {rec['role']} is not the organisation's type {org['type']}")
            self._chained.add((tx.signer, org["ca_id"]))  # only once every check passed
        not_before, not_after = rec.get("not_before", 0) * 1000, rec["not_after"] * 1000
        if not not_before <= now_ms <= not_after:
            raise Rejected("bad_certificate", "the signer's certificate is not valid at this time")
        if tx.signer not in self._keys:
            self._keys[tx.signer] = self.suite.public_key(rec["public_key"])
        caller = Caller(tx.signer, org["id"], org["name"], rec["name"], org["type"],
                        caller_attributes(rec["attributes"], org["attributes"]))
        if new_record is None and isinstance(state, CommittedState) and state.height is None:
            self._callers[tx.signer] = CachedCaller(caller, not_before, not_after, cert_key, org_key)
        return caller, new_record

    def _new_certificate(self, tx: Tx, state: BlockState | CommittedState) -> dict[str, Any]:
        """The certificate record of a signer not yet registered, from its attached certificate."""
        if tx.cert is None:
            raise Rejected("unknown_signer", "the signer's certificate is not registered; attach it")
        if self.hash(tx.cert) != tx.signer:
            raise self._not_the_signers(tx.cert)
        try:
            info = certs.read_info(tx.cert)
        except certs.CertificateError as exc:
            raise Rejected("bad_certificate", str(exc)) from None
        if info.is_ca:
            raise Rejected("bad_certificate", "a CA certificate cannot sign transactions")
        # revoked by its organisation before it was ever used
        if state.get_raw(revocation_state_key(info.org_id, tx.signer)) is not None:
            raise Rejected("revoked", "the signer's certificate has been revoked")
        try:
            public = certs.public_key(self.suite, tx.cert)
        except certs.CertificateError as exc:
            raise Rejected("bad_certificate", self._sign_with_own_suite(tx.cert, str(exc))) from None
        return {
            "id": tx.signer.hex(), "org_id": info.org_id, "name": info.name, "role": info.role,
            "public_key": public.raw(),
            "attributes": info.attributes, "not_before": info.not_before, "not_after": info.not_after,
            "revoked": False,
        }

    def _not_the_signers(self, cert: bytes) -> Rejected:
        """The refusal of an attached certificate whose hash is not the signer id. A wallet of the
        other signature suite names its certificate by that suite's hash (SHA-256 or SM3), so the
        usual cause is the wrong suite: said so when the certificate holds the other suite's key."""
        message = self._sign_with_own_suite(cert, "the attached certificate does not match the signer id")
        return Rejected("bad_certificate", message)

    def _sign_with_own_suite(self, cert: bytes, message: str) -> str:
        """`message`, or the wrong-suite message when `cert` holds a key of another suite."""
        other = certs.key_suite(cert)
        if other is None or other == self.suite.name:
            return message
        return f"{certs.wrong_suite(self.suite.name, other)}; sign with an identity of the {self.suite.name} suite"

    def public_key(self, cert_id: bytes) -> PublicKey:
        """The key of a signer `caller` has resolved (it caches every key it resolves)."""
        return self._keys[cert_id]

    # -- the signature ----------------------------------------------------------------------------
    def is_verified(self, tx: Tx) -> bool:
        """Has this (tx hash, signature) pair verified before?"""
        return (tx.hash, tx.signature) in self._verified

    def check_signature(self, tx: Tx) -> None:
        """Verify once: a (tx hash, signature) pair checked in check_tx is not checked again."""
        cache_key = (tx.hash, tx.signature)
        if cache_key in self._verified:
            return
        if not self._keys[tx.signer].verify(tx.signature, tx.sign_bytes):
            raise Rejected("bad_signature", "the signature does not verify against the signer's certificate")
        self._verified[cache_key] = True

    def verify_many(self, txs: list[Tx]) -> list[bool]:
        """Verify signatures in a batch (on every core when a verifier pool is attached)."""
        if self.verifier is not None and len(txs) > 1:
            raw_keys: dict[bytes, bytes] = {}
            for tx in txs:
                if tx.signer not in raw_keys:
                    raw_keys[tx.signer] = self._keys[tx.signer].raw()
            items = [(raw_keys[tx.signer], tx.signature, tx.sign_bytes) for tx in txs]
            verdicts = self.verifier.verify_many(items)
        else:
            verdicts = [self._keys[tx.signer].verify(tx.signature, tx.sign_bytes) for tx in txs]
        for tx, good in zip(txs, verdicts, strict=True):
            if good:
                self._verified[(tx.hash, tx.signature)] = True
        return verdicts

    def preverify(self, raws: list[bytes]) -> None:
        """Batch-verify signatures this node has not seen in check_tx (e.g. blocks
        proposed by others or replayed after a restart). Only fills the cache, so
        it cannot change any result."""
        pending = []
        for raw in raws:
            try:
                tx = self.decode(raw)
            except Rejected:
                continue
            if tx.signer in self._keys and (tx.hash, tx.signature) not in self._verified:
                pending.append(tx)
        if len(pending) > 1:
            self.verify_many(pending)

    # -- after a commit -----------------------------------------------------------------------------
    def forget_committed(self, raws: Iterable[bytes], changed: Mapping[bytes, bytes | None]) -> None:
        """A block committed: drop its envelopes' decodings, the callers whose records it
        changed, and (when it has grown large) the set of verified signatures."""
        for raw in raws:
            self._decoded.pop(raw, None)
        if any(k.startswith(MEMBERSHIP_PREFIX) for k in changed):
            self._callers = {
                signer: hit for signer, hit in self._callers.items()
                if hit.cert_key not in changed and hit.org_key not in changed
            }
        if len(self._verified) > VERIFIED_MAX:
            self._verified.clear()
