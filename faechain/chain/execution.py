"""Executing a block: each transaction in order, then the contracts' end-of-block work.

`Executor.execute` is the deterministic core of `Application.finalize_block`. Time
comes from the block, contracts see only their `ctx`, and a contract's failure is
recorded in its receipt (or as an `EndBlockFailed` event), never halting the chain;
only damaged storage (`StorageDamaged`) stops it. Nothing here persists anything:
the block's writes collect in a `BlockState` and reach storage at `commit`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from faechain.chain.auth import Authenticator
from faechain.chain.envelope import check_envelope
from faechain.chain.results import OK, BlockView, Receipt, Rejected, TxOutcome
from faechain.chain.state import BlockState, TxState
from faechain.contracts.errors import ContractError
from faechain.contracts.runtime import Caller, Contract, Ctx
from faechain.core.block import end_block_record
from faechain.core.encoding import EncodingError, check, decode_trusted, encode, encode_trusted
from faechain.crypto.suite import Suite
from faechain.ledger.integrity import StorageDamaged
from faechain.modules.governance.records import validator_updates_key
from faechain.modules.membership.records import cert_state_key

log = logging.getLogger("faechain.app")

# the caller a contract's end_block hook runs as: the chain itself
SYSTEM_CALLER = Caller(bytes(32), "", "faechain", "end_block", "SYSTEM", {})

TxRow = tuple[int, bytes, bytes, bytes]  # (index, tx hash, envelope, encoded receipt)
SpentRow = tuple[bytes, int, int]  # (tx hash, index, expires): an authenticated tx's hash is spent
EventRow = tuple[int, int, str, str, bytes]  # (index, n, contract, type, encoded attrs)


@dataclass
class ExecutedBlock:
    """What executing a block's transactions produced (its state writes are in the BlockState)."""

    receipts: list[Receipt]
    tx_rows: list[TxRow]
    executed: list[SpentRow]
    event_rows: list[EventRow]
    end_events: list[dict[str, Any]]  # events of the contracts' end_block hooks
    result_leaves: list[bytes]  # the results-root leaves: each receipt, then the end-block record if any


class Executor:
    """Runs blocks of transactions against the contracts of one chain."""

    def __init__(self, contracts: dict[str, Contract], chain_id: str, suite: Suite, auth: Authenticator):
        self.contracts = contracts
        self.chain_id = chain_id
        self.suite = suite
        self.hash = suite.hash
        self.auth = auth

    def execute(self, block: BlockState, height: int, time_ms: int, txs: list[bytes],
                spent: Mapping[bytes, int]) -> ExecutedBlock:
        """Deliver every transaction in order, then run the end_block hooks. `spent` is the
        replay guard: the hashes of executed transactions that have not expired yet."""
        receipts: list[Receipt] = []
        tx_rows: list[TxRow] = []
        executed: list[SpentRow] = []
        event_rows: list[EventRow] = []
        in_block: set[bytes] = set()
        outcomes: list[TxOutcome] = []
        for index, raw in enumerate(txs):
            receipt, expires = self.deliver(block, height, time_ms, index, raw, in_block, spent, outcomes)
            receipts.append(receipt)
            tx_rows.append((index, receipt.tx_hash, raw, encode_trusted(receipt.to_map())))
            if expires is not None:  # authenticated: its hash is now spent
                executed.append((receipt.tx_hash, index, expires))
                in_block.add(receipt.tx_hash)
            for n, ev in enumerate(receipt.events):
                event_rows.append((index, n, ev["contract"], ev["type"], encode_trusted(ev["attrs"])))
        tx_events = [{"tx": r.index, **ev} for r in receipts for ev in r.events]
        end_events = self.end_block(block, height, time_ms, len(txs), BlockView(outcomes, tx_events))
        result_leaves = [self.hash(row[3]) for row in tx_rows]
        if end_events:
            result_leaves.append(self.hash(end_block_record(end_events)))
            for n, ev in enumerate(end_events):
                event_rows.append((len(txs), n, ev["contract"], ev["type"], encode_trusted(ev["attrs"])))
        return ExecutedBlock(receipts, tx_rows, executed, event_rows, end_events, result_leaves)

    def deliver(self, block: BlockState, height: int, time_ms: int, index: int, raw: bytes, in_block: set[bytes],
                spent: Mapping[bytes, int], outcomes: list[TxOutcome]) -> tuple[Receipt, int | None]:
        """Execute one transaction of a block: (receipt, expiry if the signer was authenticated).

        The order of checks is part of the protocol (it decides the receipt code):
        decode, chain/expiry/contract/method, replay, signer, signature, arguments, contract.
        Expiry comes before replay so that forgetting expired hashes never changes a result.
        """
        auth = self.auth
        tx_hash = b""
        try:
            tx = auth.decode(raw)
            tx_hash = tx.hash
            check_envelope(tx, time_ms, self.chain_id, self.contracts)
            if tx_hash in in_block or tx_hash in spent:
                raise Rejected("replay", "this transaction has already been executed")
            caller, new_cert = auth.caller(tx, block, time_ms)
            auth.check_signature(tx)
        except Rejected as exc:
            return Receipt(tx_hash or self.hash(raw), height, index, exc.code, exc.message), None
        contract = self.contracts[tx.contract]
        method = contract.methods[tx.method]
        txs = TxState(block)
        if new_cert is not None:
            # a new signer's certificate is registered with its first successful
            # transaction: a rejected transaction leaves the state exactly as it was
            txs.put_raw(cert_state_key(tx.signer), encode(new_cert))
        ctx = Ctx(tx.contract, caller, time_ms, height, tx_hash, index, txs, self.chain_id, self.suite, self.contracts)
        try:
            kwargs = method.bind(tx.args)
            result = method.func(contract, ctx, **kwargs)
            check(result)
        except ContractError as exc:
            receipt = Receipt(tx_hash, height, index, exc.code, exc.message)
        except EncodingError as exc:
            receipt = Receipt(tx_hash, height, index, "bad_request", f"unencodable value: {exc}")
        except StorageDamaged:  # the disk, not the contract: stop rather than record a failure
            raise
        except Exception as exc:  # noqa: BLE001 - a contract bug must not halt the chain; deterministic code
            receipt = Receipt(tx_hash, height, index, "internal_error", f"contract failed: {type(exc).__name__}")
        else:
            block.merge(txs.writes)
            receipt = Receipt(tx_hash, height, index, OK, "", result, ctx.events)
        outcomes.append(TxOutcome(index, tx_hash, caller.org_id, tx.contract, tx.method, tx.args, receipt.code,
                                  receipt.message))
        return receipt, tx.expires

    def end_block(self, block: BlockState, height: int, time_ms: int, n_txs: int,
                  view: BlockView) -> list[dict[str, Any]]:
        """Run each contract's end_block hook (in name order); returns their events.

        Each hook sees the block so far as `ctx.block`: its signed transactions'
        outcomes (rejected ones included) and its events, with the end-block events
        of the contracts before it in name order (so `supervision`, last, sees all).
        A hook that fails has its writes discarded and leaves an `EndBlockFailed`
        event, deterministically, instead of halting the chain.
        """
        events: list[dict[str, Any]] = []
        for name in sorted(self.contracts):
            contract = self.contracts[name]
            if type(contract).end_block is Contract.end_block:
                continue
            txs = TxState(block)
            ctx = Ctx(name, SYSTEM_CALLER, time_ms, height, bytes(32), n_txs, txs, self.chain_id, self.suite,
                      self.contracts)
            ctx.block = BlockView(view.txs, view.events + [{"tx": None, **ev} for ev in events])
            try:
                contract.end_block(ctx)
            except StorageDamaged:  # the disk, not the contract: stop rather than record a failure
                raise
            except Exception as exc:
                log.exception("end_block of %s failed at height %d", name, height)
                events.append({"contract": name, "type": "EndBlockFailed", "attrs": {"error": type(exc).__name__}})
                continue
            block.merge(txs.writes)
            events.extend(ctx.events)
        return events


def validator_updates(writes: Mapping[bytes, bytes | None], height: int) -> list[tuple[str, bytes, int]]:
    """The validator changes governance executed in block `height`, from the block's writes
    (CometBFT applies them at height + 2)."""
    raw = writes.get(validator_updates_key(height))
    if raw is None:
        return []
    return [(key_type, bytes.fromhex(key), power) for key_type, key, power in decode_trusted(raw)]
