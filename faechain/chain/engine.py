"""`Engine`: what drives the chain, as the node, the API and the console use it.

An engine takes signed envelopes from submitters, has the `Application` check them,
orders them into blocks and has the application execute and commit those blocks. Two
implement this protocol: `faechain.engines.solo.SoloEngine` (one process, blocks every
few milliseconds) and `faechain.engines.cometbft.engine.CometBFTEngine` (this node
behind a CometBFT validator). The layers above depend on this protocol only, never on
one engine's attributes.

A submission is answered twice: its admission check (`CheckResult`, once the engine
has checked it) and, if the submitter waits, its `Receipt` once its block committed.
An engine that stopped after an error fails waiting submitters with `EngineError`.
"""

from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass
from typing import Any, Protocol

from faechain.chain.results import CheckResult, Receipt
from faechain.core.errors import FaeError


class EngineError(FaeError):
    """An engine refuses an operation (`forbidden`: advancing a clock it does not own,
    `bad_request`, `unavailable`: block production stopped after an error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code)


@dataclass(frozen=True)
class EngineHealth:
    """Whether an engine can take submissions and commit them now (`Engine.health`; GET /healthz
    answers 503 with `code` and `message` when not `ok`)."""

    ok: bool
    code: str = "ok"  # "unavailable" when not ok
    message: str = ""  # why not, in words an operator can act on

    @classmethod
    def down(cls, message: str) -> EngineHealth:
        return cls(False, "unavailable", message)


@dataclass
class Submission:
    """A submitted envelope: its admission check, and the future of its receipt (None when
    the check failed or the submitter does not wait)."""

    check: CheckResult
    future: cf.Future[Receipt] | None  # resolves to the Receipt once committed


class Engine(Protocol):
    """The surface of an engine (see the module docstring)."""

    @property
    def name(self) -> str:
        """`solo` or `cometbft` (GET /v1/info reports it)."""

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the engine's threads (and servers): from now on it takes submissions."""

    def stop(self) -> None:
        """Stop taking submissions, answer what is queued `unavailable`, join the threads."""

    @property
    def error(self) -> BaseException | None:
        """Why block production stopped, None while it runs."""

    @property
    def healthy(self) -> bool:
        """Block production runs (`error` is None)."""

    def health(self) -> EngineHealth:
        """Whether submissions can be taken and committed now: block production runs and, for
        an engine behind a consensus node, that node answers. May block briefly (the CometBFT
        engine asks its RPC, with a short timeout): call it off the event loop."""

    def halt(self, exc: BaseException) -> None:
        """Storage was found damaged while serving: stop taking transactions from now on."""

    # -- submission -------------------------------------------------------------------------
    def submit_async(self, raw: bytes, wait: bool = True) -> tuple[cf.Future[CheckResult], cf.Future[Receipt] | None]:
        """Queue an envelope for checking: (future check result, future receipt or None)."""

    def submit(self, raw: bytes, wait: bool = True) -> Submission:
        """Check an envelope (blocking); its receipt future resolves when its block commits."""

    # -- the clock ----------------------------------------------------------------------------
    def now_ms(self) -> int:
        """The engine's clock: what clients should sign expiries against (unix ms)."""

    def advance_time(self, seconds: int) -> int:
        """Dev chains only: move block time forward; the new offset in ms. EngineError
        `forbidden` where the clock cannot be advanced, `bad_request` for a bad amount."""

    # -- what a light client needs ------------------------------------------------------------
    def light_block(self, height: int) -> dict[str, Any] | None:
        """What, beside the header itself, lets a member check committed block `height` by
        signature rather than by trusting this node (GET /v1/light/{height} serves it):

        solo      {"signer": raw public key, "signature": bytes} — the block signer genesis
                  declares, over `faechain.core.block.header_signing_bytes`; both None on a
                  chain whose genesis declares no signer (its headers are unsigned);
        cometbft  {"commit": CometBFT RPC `/commit` at height + 1, "validators": `/validators`
                  at height + 1, every page merged} as CometBFT answered them (header h + 1
                  carries the app hash after faechain block h).

        None when there is nothing to show yet: the height is not committed (or, on CometBFT,
        height + 1 does not exist yet). EngineError `unavailable` when the consensus node
        cannot be asked. Blocking: call it off the event loop."""

    # -- what /metrics reports ------------------------------------------------------------------
    @property
    def blocks_made(self) -> int:
        """Blocks committed through this engine since it started."""

    @property
    def block_seconds(self) -> float:
        """Time spent finalizing and committing those blocks."""

    @property
    def mempool_size(self) -> int:
        """Transactions submitted and not yet committed (or refused)."""
