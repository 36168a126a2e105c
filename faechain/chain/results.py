"""What the state machine answers: receipts, check results, block results, the head.

These are the values that cross the ABCI-shaped boundary (`Application`): the engines
hand them on to submitters, the API renders them, the storage keeps the receipts
(`Receipt.to_map`, canonical CBOR, part of every block's results root). A
transaction refused before its contract runs raises `Rejected` with a stable code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faechain.core.block import Header
from faechain.core.errors import FaeError

OK = "ok"


class Rejected(FaeError):
    """A transaction fails before its contract runs (decoding, envelope, replay, signer,
    signature); `code` is one of `faechain.core.errors.ENVELOPE_CODES` and the like."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code)


@dataclass
class Receipt:
    """The outcome of one transaction of a block (stored, and hashed into the results root)."""

    tx_hash: bytes
    height: int
    index: int
    code: str
    message: str = ""
    result: Any = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == OK

    def to_map(self) -> dict[str, Any]:
        """The stored form (its canonical encoding is the results-root leaf)."""
        return {
            "tx": self.tx_hash,
            "height": self.height,
            "index": self.index,
            "code": self.code,
            "message": self.message,
            "result": self.result,
            "events": self.events,
        }

    @classmethod
    def from_map(cls, m: dict[str, Any]) -> Receipt:
        return cls(m["tx"], m["height"], m["index"], m["code"], m["message"], m["result"], m["events"])


@dataclass
class CheckResult:
    """The admission verdict of `check_tx`: ok, or the code a submitter is refused with."""

    code: str
    message: str = ""
    tx_hash: bytes = b""

    @property
    def ok(self) -> bool:
        return self.code == OK


@dataclass
class BlockResult:
    """A finalized block: its header, receipts, end-of-block events and validator changes."""

    height: int
    time: int
    block_hash: bytes
    app_hash: bytes
    receipts: list[Receipt]
    header: Header
    end_events: list[dict[str, Any]] = field(default_factory=list)  # events of the contracts' end_block hooks
    # validator set changes of this block: [(pub_key type, pub_key bytes, power)], power 0 removes
    validator_updates: list[tuple[str, bytes, int]] = field(default_factory=list)


@dataclass
class Info:
    """The committed head (ABCI Info)."""

    height: int
    app_hash: bytes
    block_hash: bytes
    chain_id: str


@dataclass(frozen=True)
class TxOutcome:
    """What `end_block` hooks learn of a signed transaction of their block, rejected or not."""

    index: int
    tx_hash: bytes
    signer_org: str
    contract: str
    method: str
    args: dict[str, Any]
    code: str
    message: str


@dataclass(frozen=True)
class BlockView:
    """The block so far, as an end_block hook sees it (`ctx.block`)."""

    txs: list[TxOutcome]  # every authenticated transaction, in block order
    events: list[dict[str, Any]]  # {"tx": index or None for end-block events, "contract", "type", "attrs"}
