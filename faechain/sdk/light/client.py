"""`LightClient`: the member's source of trusted headers (`faechain.sdk.trust.HeaderTrust`).

It starts from what the member holds itself — its own copy of the chain's genesis, or
a checkpoint (height and header hash) obtained out of band — and from there believes a
header only when signatures say so:

  * on a CometBFT network, by the validators' signatures, as CometBFT's own light client
    checks them (`faechain.sdk.light.cometbft`: skipping verification with trust level
    1/3, more than 2/3 of each set's power, the trusting period); faechain block h's app
    hash is the one CometBFT's header h + 1 carries;
  * on a solo chain, by the block signer genesis declares (`faechain.sdk.light.solo`).

The material comes from the node the member reads from (`GET /v1/light/{height}`), which
need not be honest: a forged header fails verification. Witnesses — other members'
nodes — are asked for the same header; a witness that holds a different verified header
at the same height is an attack (or a fork), reported as `VerificationError("diverged")`
with both signed headers as its `evidence`.

What this assumes, stated: the genesis file or checkpoint the member starts from is the
real one; on CometBFT, fewer than 1/3 of the voting power is faulty within the trusting
period; on a solo chain, the one block signer never signs two headers at one height
(witnesses are how a member would notice).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from faechain.core.errors import FaeError
from faechain.core.genesis import Genesis
from faechain.crypto.suite import get_suite
from faechain.sdk.light import cometbft as cb
from faechain.sdk.light.solo import verify_solo
from faechain.sdk.trust import TrustedHeader, VerificationError

CACHE_MAX = 4096  # verified faechain heights kept (a TrustedHeader is ~200 bytes)


class LightSource(Protocol):
    """A node's relay of light blocks (`faechain.sdk.Client` is one)."""

    @property
    def url(self) -> str:
        """The node's address, to name it in errors and evidence."""
        ...

    def light_block(self, height: int) -> dict[str, Any] | None:
        """GET /v1/light/{height}; None when the node has no such signed header yet."""
        ...

    def head_height(self) -> int:
        """The node's last committed height (GET /v1/info)."""
        ...


@dataclass(frozen=True)
class Checkpoint:
    """A trusted starting point other than genesis: CometBFT's header at `height` with
    hash `block_hash` (as `cometbft light --height --hash` takes it)."""

    height: int
    block_hash: bytes


@dataclass
class LightClient:
    """Trusted headers for one chain (see the module docstring). Thread-safe."""

    genesis: Genesis
    primary: LightSource
    witnesses: Sequence[LightSource] = ()
    checkpoint: Checkpoint | None = None
    trusting_period_s: float = cb.DEFAULT_TRUSTING_PERIOD_S
    max_clock_drift_s: float = cb.DEFAULT_MAX_CLOCK_DRIFT_S
    trust_level: Fraction = cb.DEFAULT_TRUST_LEVEL
    now_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))
    # where the newest verified CometBFT block is kept between runs (CometBFT's trusted store):
    # a later run starts from it instead of genesis, whose trust ends with the trusting period
    store_path: str | None = None
    _anchor: cb.LightBlock | None = field(default=None, init=False, repr=False)
    _cache: OrderedDict[int, TrustedHeader] = field(default_factory=OrderedDict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _last_verified: cb.LightBlock | None = field(default=None, init=False, repr=False)
    witness_problems: list[str] = field(default_factory=list, init=False)  # witnesses that could not be used

    def __post_init__(self) -> None:
        self.suite = get_suite(self.genesis.suite)
        self.engine = "solo" if not self.genesis.validators else "cometbft"
        if self.engine == "solo" and self.genesis.block_signer_key() is None:
            raise VerificationError("this chain's genesis declares no block signer: its solo headers are unsigned "
                                    "and cannot be verified", "untrusted")

    # -- HeaderTrust -------------------------------------------------------------------------
    def trusted(self, height: int) -> TrustedHeader:
        """faechain block `height`, verified by signatures (and agreed by every witness)."""
        if type(height) is not int or height < 0:
            raise VerificationError(f"{height!r} is not a block height", "untrusted")
        with self._lock:
            hit = self._cache.get(height)
            if hit is not None:
                self._cache.move_to_end(height)
                return hit
        header = self._verify_solo(height) if self.engine == "solo" else self._verify_cometbft(height)
        with self._lock:
            self._cache[height] = header
            while len(self._cache) > CACHE_MAX:
                self._cache.popitem(last=False)
        return header

    def latest(self) -> TrustedHeader:
        """The newest block whose header is signed now. On CometBFT the head's app hash is
        signed only in the next header, so that is usually the head's predecessor."""
        head = self.primary.head_height()
        lowest = 0 if self.engine == "solo" else 1  # CometBFT signs no header for faechain's block 0
        for height in (head, head - 1):
            if height < lowest:
                break
            try:
                return self.trusted(height)
            except VerificationError as exc:
                if exc.code != "unavailable":
                    raise
        raise VerificationError(f"{self.primary.url} has no signed header at its head ({head}) or just before it; "
                                "a node that has just started has none until its next block", "unavailable")

    def newest(self) -> TrustedHeader:
        """The newest block any source shows a signed header for: `latest()`, or a witness's
        newer block, verified by signatures all the same. Freshness is measured against it:
        the head height a node states is signed by nobody, so a node can understate it and pass
        an old answer off as fresh; a witness holding newer signed headers shows how far the
        chain has gone. A witness that cannot back its head with signatures proves nothing
        and is noted in `witness_problems`."""
        best = self.latest()
        for witness in self.witnesses:
            try:
                head = witness.head_height()
            except (FaeError, OSError) as exc:
                self.witness_problems.append(f"{witness.url}: its head is unknown ({exc})")
                continue
            for height in (head, head - 1):
                if height <= best.height:
                    break
                try:
                    theirs = self._verify_from(witness, height)
                except VerificationError as exc:
                    if exc.code == "unavailable":
                        continue  # its head's header is not signed yet: the block before it
                    self.witness_problems.append(f"{witness.url}: {exc.message}")
                    break
                best = theirs
                break
        return best

    def _verify_from(self, source: LightSource, height: int) -> TrustedHeader:
        """Block `height` from `source`'s material, verified from this client's trusted block
        (not cached, not compared: `newest` only needs to know it is signed)."""
        if self.engine == "solo":
            key = self.genesis.block_signer_key()
            assert key is not None  # checked at construction
            return verify_solo(self._doc(source, height), self.genesis.chain_id, key, self.suite, self.suite.hash,
                               height=height)
        if height < 1:
            raise VerificationError(f"no signed header for block {height}", "untrusted")
        anchor = self._start(self._fetcher(self.primary))
        verified, _ = cb.verify_to(anchor, height + 1, self._fetcher(source), now_ms=self.now_ms(),
                                   trusting_period_s=self.trusting_period_s,
                                   max_clock_drift_s=self.max_clock_drift_s, trust_level=self.trust_level)
        return cb.trusted_header(verified, chain_id=self.genesis.chain_id)

    # -- solo ---------------------------------------------------------------------------------
    def _verify_solo(self, height: int) -> TrustedHeader:
        key = self.genesis.block_signer_key()
        assert key is not None  # checked at construction
        header = verify_solo(self._doc(self.primary, height), self.genesis.chain_id, key, self.suite,
                             self.suite.hash, height=height)
        for witness in self.witnesses:
            doc = witness.light_block(height)
            if doc is None:
                continue  # the witness is behind: nothing to compare yet
            theirs = verify_solo(doc, self.genesis.chain_id, key, self.suite, self.suite.hash, height=height)
            if theirs.block_hash != header.block_hash:
                raise VerificationError(
                    f"the block signer signed two headers at height {height}: {self.primary.url} serves "
                    f"{header.block_hash.hex()}, witness {witness.url} serves {theirs.block_hash.hex()}",
                    "diverged", evidence={"height": height, "primary": self._doc(self.primary, height),
                                          "witness": doc, "witness_url": witness.url})
        return header

    # -- CometBFT -----------------------------------------------------------------------------
    def _fetcher(self, source: LightSource) -> cb.Fetch:
        """CometBFT light block H from `source`: the relay of faechain block H - 1 carries it."""

        def fetch(cometbft_height: int) -> cb.LightBlock:
            doc = self._doc(source, cometbft_height - 1)
            try:
                return cb.light_block_from_json({"signed_header": doc["commit"]["signed_header"],
                                                 "validator_set": {"validators": doc["validators"]["validators"]}})
            except (KeyError, TypeError) as exc:
                raise VerificationError(f"{source.url}: the light block for height {cometbft_height - 1} is "
                                        f"malformed ({exc})", "bad_header") from None

        return fetch

    def _start(self, fetch: cb.Fetch) -> cb.LightBlock:
        if self._anchor is None:
            stored = self._load_stored()
            if stored is not None:
                self._anchor = stored
            elif self.checkpoint is not None:
                self._anchor = cb.trust_checkpoint(self.checkpoint.height, self.checkpoint.block_hash, fetch,
                                                   self.genesis.chain_id)
            else:
                validators = cb.ValidatorSet.of([(base64.b64decode(v["pub_key"]), int(v["power"]))
                                                 for v in self.genesis.validators])
                self._anchor = cb.trust_genesis(self.genesis.chain_id, validators, fetch)
        return self._anchor

    def _verify_cometbft(self, height: int) -> TrustedHeader:
        if height < 1:
            raise VerificationError("block 0 is faechain's genesis block: its state is the genesis document's, "
                                    "which the member holds", "untrusted")
        fetch = self._fetcher(self.primary)
        anchor = self._start(fetch)
        try:
            verified, _ = cb.verify_to(anchor, height + 1, fetch, now_ms=self.now_ms(),
                                       trusting_period_s=self.trusting_period_s,
                                       max_clock_drift_s=self.max_clock_drift_s, trust_level=self.trust_level)
        except VerificationError as exc:
            if exc.code == "untrusted" and "expired" in exc.message:
                raise VerificationError(f"{exc.message}, such as a checkpoint (a CometBFT header's height and "
                                        "hash from a source you trust)", "untrusted") from None
            raise
        self._last_verified = verified  # `ties` asks for it right after, when a member node syncs
        if verified.height > anchor.height:
            # Only a header above the trusted block is compared: one at or below it is fixed by
            # the hashes that link it to that block (each header names its predecessor's), which
            # a witness walked back from the same block must follow too, so it could only agree,
            # at the cost of fetching that whole stretch again from every witness.
            for witness in self.witnesses:
                self._compare_witness(witness, anchor, verified)
            self._anchor = verified  # later checks skip from here
            self._save_stored(verified)
        return cb.trusted_header(verified, chain_id=self.genesis.chain_id)

    def ties(self, height: int) -> cb.Ties:
        """What the validators' signatures fix of faechain block `height` on a CometBFT network:
        beside the app hash, its time and its transactions' data_hash (CometBFT header
        `height`, tied by hash to the verified header `height` + 1). A member node checks the
        blocks it syncs by it (faechain.member.verify)."""
        if self.engine != "cometbft":
            raise VerificationError("a solo chain's header is signed whole: there is nothing to tie", "untrusted")
        self.trusted(height)
        after = self._last_verified
        fetch = self._fetcher(self.primary)
        if after is None or after.height != height + 1:
            after, _ = cb.verify_to(self._start(fetch), height + 1, fetch, now_ms=self.now_ms(),
                                    trusting_period_s=self.trusting_period_s,
                                    max_clock_drift_s=self.max_clock_drift_s, trust_level=self.trust_level)
        return cb.ties(after, fetch(height).header)

    # -- the trusted store ------------------------------------------------------------------------
    def _load_stored(self) -> cb.LightBlock | None:
        """The block a previous run verified, if `store_path` holds one of this chain."""
        if self.store_path is None or not os.path.exists(self.store_path):
            return None
        try:
            with open(self.store_path) as f:
                doc = json.load(f)
            if doc.get("chain_id") != self.genesis.chain_id:
                return None
            return cb.light_block_from_json(doc["light_block"])
        except (OSError, ValueError, KeyError, TypeError, VerificationError):
            return None  # unreadable: start again from genesis or the checkpoint

    def _save_stored(self, block: cb.LightBlock) -> None:
        if self.store_path is None:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.store_path)), exist_ok=True)
        tmp = f"{self.store_path}.{os.getpid()}.{threading.get_ident()}.tmp"  # two runs at once: each its own
        with open(tmp, "w") as f:
            json.dump({"chain_id": self.genesis.chain_id, "light_block": cb.light_block_to_json(block)}, f)
        os.replace(tmp, self.store_path)

    def _compare_witness(self, witness: LightSource, anchor: cb.LightBlock, verified: cb.LightBlock) -> None:
        """The witness's header at the same height, verified from the same trusted block,
        must be the same header. One it cannot back with signatures is no evidence of an
        attack (the witness may be behind or broken): it is noted in `witness_problems`."""
        try:
            theirs, _ = cb.verify_to(anchor, verified.height, self._fetcher(witness), now_ms=self.now_ms(),
                                     trusting_period_s=self.trusting_period_s,
                                     max_clock_drift_s=self.max_clock_drift_s, trust_level=self.trust_level)
        except VerificationError as exc:
            self.witness_problems.append(f"{witness.url}: {exc.message}")
            return
        if theirs.hash() != verified.hash():
            raise VerificationError(
                f"two signed headers at CometBFT height {verified.height}: {self.primary.url} serves "
                f"{verified.hash().hex().upper()}, witness {witness.url} serves {theirs.hash().hex().upper()}, "
                "each verified from the same trusted header: an attack on this member, or a fork", "diverged",
                evidence={"height": verified.height, "primary": cb.light_block_to_json(verified),
                          "witness": cb.light_block_to_json(theirs), "witness_url": witness.url})

    # -- fetching ---------------------------------------------------------------------------------
    def _doc(self, source: LightSource, height: int) -> dict[str, Any]:
        doc = source.light_block(height)
        if doc is None:
            raise VerificationError(f"{source.url} has no signed header for block {height} yet", "unavailable")
        return doc
