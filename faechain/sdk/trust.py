"""What a member trusts when it checks an answer: block headers verified by signatures.

A proof shows that a value is in the state whose root is some app hash; it says nothing
unless that app hash is one the chain's validators signed. This module is the seam
between the two halves of a check:

  * a `HeaderTrust` hands out `TrustedHeader`s — the app hash after block `height`,
    established by verifying validator signatures from a trusted starting point (the
    light client, `faechain.sdk.light`), never by believing the node that served it;
  * the verifiers of answers (`faechain.sdk.verified`, `faechain.sdk.penetration`)
    check proofs against `trusted(height).app_hash` and rebuild what they return from
    proven bytes only.

Anything that fails raises `VerificationError`, naming what failed in words a person
can act on; nothing in this module or its callers returns a half-checked answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from faechain.core.errors import FaeError


class VerificationError(FaeError):
    """An answer, header or proof did not check out. `code` says which kind of failure:

    `not_proven`   a value shown is not the value proven, or a proof does not verify;
    `incomplete`   a listing that claims completeness leaves something out;
    `bad_header`   a header or commit does not verify against the trusted validators;
    `stale`        the answer is older than the freshness bound allows;
    `diverged`     a witness node holds another header at the same height (an attack:
                   `evidence` holds both signed headers);
    `untrusted`    the height lies outside what the trusted starting point can reach
                   (before it, or past the trusting period);
    `unavailable`  the node has no signed header for that height yet (on CometBFT, the
                   app hash of the head block is signed only in the next header).
    """

    code = "not_proven"

    def __init__(self, message: str, code: str | None = None, *, evidence: object = None) -> None:
        super().__init__(message, code)
        self.evidence = evidence


@dataclass(frozen=True)
class TrustedHeader:
    """faechain block `height` as established by signatures: its hash, time and the app
    hash (state root) after it. `basis` says how it was established, for a person to read
    (e.g. "signed by 3 of 4 validators (75 % of voting power), CometBFT header 58")."""

    height: int
    block_hash: bytes
    app_hash: bytes
    time_ms: int
    basis: str


class HeaderTrust(Protocol):
    """A source of verified headers (the light client)."""

    def trusted(self, height: int) -> TrustedHeader:
        """Block `height`, verified; VerificationError if it cannot be."""
        ...

    def latest(self) -> TrustedHeader:
        """The newest block this source can verify now (for freshness checks)."""
        ...
