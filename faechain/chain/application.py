"""The `Application`: faechain's state machine behind the one narrow boundary.

Shaped like CometBFT's ABCI 2.0 so that the solo engine and CometBFT drive the
same code:

    info()                          last committed height, app hash, block hash
    check_tx(tx_bytes)              admit to the mempool or reject (cheap checks)
    finalize_block(h, time, txs)    execute a block: one receipt per tx, new app hash
    commit()                        persist the finalized block; only now is it durable
    query(...)                      read state (with proofs) and run contract queries

`finalize_block` is deterministic: time comes from the block, contracts see only
`ctx`, state changes are applied in sorted key order, no floats, no clocks.

This module is the boundary only; each job behind it has its module:

    results.py      Receipt, CheckResult, BlockResult, Info, Rejected (what it answers)
    state.py        the state overlays: committed, block, transaction
    envelope.py     chain, expiry, contract and method checks of an envelope
    auth.py         who signed (certificates on chain) and the signature, with caches
    execution.py    each transaction of a block, then the end-of-block work
    persistence.py  the new state root and the rows of the block's one atomic write
    queries.py      state values with proofs, contract queries
"""

from __future__ import annotations

import logging
import threading
import time as _time
from collections.abc import Callable
from typing import Any

from faechain.chain.auth import Authenticator, Verifier
from faechain.chain.envelope import check_envelope
from faechain.chain.execution import Executor, validator_updates
from faechain.chain.persistence import BlockWriter
from faechain.chain.queries import Queries
from faechain.chain.results import OK, BlockResult, CheckResult, Info, Receipt, Rejected
from faechain.chain.state import BlockState, CommittedState, TrialState
from faechain.chain.visibility import ReadView
from faechain.contracts.errors import ContractError
from faechain.contracts.runtime import REGISTRY, Caller, Contract, Ctx
from faechain.core.block import Header
from faechain.core.encoding import decode_trusted, encode
from faechain.core.genesis import Genesis
from faechain.core.merkle import merkle_root
from faechain.core.tx import Tx
from faechain.crypto.suite import PublicKey, get_suite
from faechain.ledger.smt import EMPTY, SparseMerkleTree
from faechain.ledger.storage import BlockWrite, HeaderSignature
from faechain.ledger.store import ChainStore
from faechain.modules.governance.contract import Governance
from faechain.modules.membership.contract import Membership

log = logging.getLogger("faechain.app")

GENESIS_CALLER = Caller(b"\x00" * 32, "", "genesis", "genesis", "GENESIS", {})
SPENT_PRUNE_MIN = 10_000  # spent hashes kept before expired ones are pruned


def load_contracts() -> dict[str, type[Contract]]:
    """Import every built-in contract so that it registers itself (faechain.modules imports
    each module, membership first)."""
    import faechain.modules  # noqa: F401

    return dict(REGISTRY)


class Application:
    """One chain's state machine over its store, as the engines drive it."""

    def __init__(self, store: ChainStore, genesis: Genesis):
        self.store = store
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.suite = get_suite(genesis.suite)
        self.hash = self.suite.hash
        self.tree = SparseMerkleTree(self.hash, store, source_checks=store.verify_nodes_with(self.hash))
        self.contracts: dict[str, Contract] = {name: cls() for name, cls in load_contracts().items()}
        self.lock = threading.RLock()
        self.auth = Authenticator(self.suite)
        self.executor = Executor(self.contracts, self.chain_id, self.suite, self.auth)
        self.writer = BlockWriter(store, self.contracts, self.tree, self.hash)
        self.queries = Queries(store, self.contracts, self.tree, self.hash, self.suite)
        self._recent: dict[bytes, int] = {}  # the replay guard: executed, unexpired tx hash -> expires
        self._pending: BlockWrite | None = None
        self._pending_result: BlockResult | None = None
        self.listeners: list[Callable[[BlockResult], None]] = []
        # set by faechain.node.startup.halt when storage is found damaged while serving
        self.damaged: Exception | None = None
        # a member node's organisation (faechain.member): the node holds only its view
        self.own_view_of: str | None = None
        self._load_head()

    @property
    def verifier(self) -> Verifier | None:
        """Optional faechain.crypto.verifier.ParallelVerifier: batches verify on every core."""
        return self.auth.verifier

    @verifier.setter
    def verifier(self, verifier: Verifier | None) -> None:
        self.auth.verifier = verifier

    # -- head and genesis ------------------------------------------------------------
    def _load_head(self) -> None:
        raw = self.store.meta("head")
        if raw is None:
            self.app_hash = EMPTY
            raw = self._init_genesis()
        head = decode_trusted(raw)
        self.height, self.app_hash, self.block_hash = head["height"], head["app_hash"], head["block_hash"]
        self.last_time = head["time"]
        self._info = Info(self.height, self.app_hash, self.block_hash, self.chain_id)
        self._recent = dict(self.store.unexpired_txs(self.last_time))
        self._prune_at = max(SPENT_PRUNE_MIN, 2 * len(self._recent))
        stored_genesis = self.store.meta("genesis")
        if stored_genesis != encode(self.genesis.canonical()):
            raise RuntimeError("this node's database belongs to a different genesis document")

    def _init_genesis(self) -> bytes:
        """Run every contract's genesis hook (in name order) and commit block 0; its head record."""
        block = BlockState(self.store)
        for name in sorted(self.contracts):
            config = dict(self.genesis.contracts.get(name, {}))
            if name == Membership.name:
                config["orgs"] = self.genesis.orgs
            elif name == Governance.name:
                config["validators"] = self.genesis.validators
            ctx = Ctx(name, GENESIS_CALLER, self.genesis.genesis_time, 0, b"\x00" * 32, 0, block, self.chain_id,
                      self.suite)
            self.contracts[name].genesis(ctx, config)
        genesis_bytes = encode(self.genesis.canonical())
        app_hash = self.writer.state_root(self.app_hash, block.writes)
        header = Header(self.chain_id, 0, self.genesis.genesis_time, self.hash(genesis_bytes),
                        EMPTY, EMPTY, app_hash, b"")
        write = self.writer.block_write(header, [], [], [], block.writes, {"genesis": genesis_bytes})
        self.store.commit(write)
        self.tree.pending.clear()
        return write.meta["head"]

    def info(self) -> Info:
        """The committed head, read as one consistent snapshot from any thread."""
        return self._info

    # -- mempool admission -------------------------------------------------------------
    def check_tx(self, raw: bytes, now_ms: int | None = None) -> CheckResult:
        """Admission check of one transaction (see `check_txs`)."""
        return self.check_txs([raw], now_ms)[0]

    def check_txs(self, raws: list[bytes], now_ms: int | None = None) -> list[CheckResult]:
        """Admission checks: decoding, chain, expiry, replay, signer, arguments, signature.

        Cheap with respect to contracts: a tx that passes may still fail in its
        block (the contract decides there). Signatures of the whole batch are
        verified together on every core, and each verified (hash, signature) pair is
        remembered so that finalize_block does not verify it again.
        """
        now = now_ms if now_ms is not None else max(self.last_time, int(_time.time() * 1000))
        auth = self.auth
        state = CommittedState(self.store, None)
        results: list[CheckResult | None] = []
        to_verify: list[tuple[int, Tx]] = []
        for raw in raws:
            tx = None
            try:
                tx = auth.decode(raw)
                check_envelope(tx, now, self.chain_id, self.contracts)
                if tx.hash in self._recent:
                    raise Rejected("replay", "this transaction has already been executed")
                auth.caller(tx, state, now)
                self.contracts[tx.contract].methods[tx.method].bind(tx.args)
            except (Rejected, ContractError) as exc:
                results.append(CheckResult(exc.code, exc.message, tx.hash if tx is not None else b""))
                continue
            results.append(None)
            if not auth.is_verified(tx):
                to_verify.append((len(results) - 1, tx))
            else:
                auth.admitted(raw, tx)
                results[-1] = CheckResult(OK, "", tx.hash)
        if to_verify:
            verdicts = auth.verify_many([tx for _, tx in to_verify])
            for (i, tx), good in zip(to_verify, verdicts, strict=True):
                if good:
                    auth.admitted(raws[i], tx)
                    results[i] = CheckResult(OK, "", tx.hash)
                else:
                    results[i] = CheckResult(
                        "bad_signature", "the signature does not verify against the signer's certificate", tx.hash
                    )
        return results  # type: ignore[return-value]

    def dry_run(self, raw: bytes, now_ms: int | None = None) -> Receipt:
        """What the next block would answer to this one transaction, committing nothing.

        The transaction goes through the block's own checks (decoding, chain, expiry,
        replay, signer, signature, arguments) and its contract against the committed state
        of the head, at the next height and the chain's time, so the receipt carries the
        code and message the block would give, and the events and result it would emit.
        Its writes are thrown away; no nonce is spent, nothing is logged on the ledger.

        Only a dry run of a transaction its signer signed: the answer tells the signer what
        its own receipt would, no more (refusal messages follow docs/confidentiality.md).
        The contracts' end-of-block work is not run, and transactions still waiting in the
        mempool are not applied first: a dry run is advice, the block decides.
        """
        if self.own_view_of is not None:
            raise Rejected("not_available_here", "a member node holds only its organisation's records: "
                           "a dry run needs the whole state, ask a validator")
        if self.damaged is not None:
            raise self.damaged
        head = self._info.height
        now = now_ms if now_ms is not None else max(self.last_time, int(_time.time() * 1000))
        trial = TrialState(self.store, head)
        receipt, _ = self.executor.deliver(trial, head + 1, now, 0, raw, set(), self._recent, [])
        return receipt

    # -- block execution -------------------------------------------------------------
    def finalize_block(self, height: int, time_ms: int, txs: list[bytes], proposer: bytes = b"") -> BlockResult:
        """Execute a block deterministically; nothing is persisted until `commit`."""
        if self.damaged is not None:  # never build on storage known to be damaged
            raise self.damaged
        if height != self.height + 1:
            raise ValueError(f"expected block {self.height + 1}, got {height}")
        time_ms = max(time_ms, self.last_time)  # block time never goes backwards
        if self.auth.verifier is not None:
            self.auth.preverify(txs)
        block = BlockState(self.store)
        done = self.executor.execute(block, height, time_ms, txs, self._recent)
        app_hash = self.writer.state_root(self.app_hash, block.writes)
        txs_root = merkle_root(self.hash, [row[1] for row in done.tx_rows])
        results_root = merkle_root(self.hash, done.result_leaves)
        header = Header(self.chain_id, height, time_ms, self.block_hash, txs_root, results_root, app_hash, proposer)
        self._pending = self.writer.block_write(header, done.tx_rows, done.executed, done.event_rows, block.writes, {})
        self._pending_result = BlockResult(height, time_ms, self._pending.block_hash, app_hash, done.receipts, header,
                                           done.end_events, validator_updates(block.writes, height))
        return self._pending_result

    def commit(self, header_signature: HeaderSignature | None = None) -> BlockResult:
        """Persist the finalized block atomically; afterwards it is reported committed.

        `header_signature`: the block signer's signature of the finalized header (the solo
        engine's), written in the block's own transaction, so that no committed block of a
        signing chain is ever found without its signature, even after a kill -9."""
        write, result = self._pending, self._pending_result
        if write is None or result is None:
            raise RuntimeError("commit without finalize_block")
        write.signature = header_signature
        self.store.commit(write)
        self.tree.pending.clear()
        self.height, self.app_hash, self.block_hash = write.height, write.app_hash, write.block_hash
        self.last_time = result.time
        self._info = Info(self.height, self.app_hash, self.block_hash, self.chain_id)
        self._remember_executed(write.executed)
        self._pending = self._pending_result = None
        self.auth.forget_committed([row[2] for row in write.txs], write.values)
        for listener in list(self.listeners):
            try:
                listener(result)
            except Exception:  # a subscriber's failure must not stop the chain
                log.exception("block listener failed")
        return result

    def commit_synced(self, header: Header, txs: list[tuple[int, bytes, bytes, bytes]],
                      withheld: list[tuple[int, bytes, bytes]], events: list[tuple[int, int, str, str, bytes]],
                      writes: dict[bytes, bytes | None], receipts: list[Receipt],
                      end_events: list[dict[str, Any]], *, end_block: tuple[bytes | None, bool] = (None, True),
                      revealed: dict[bytes, bytes | None] | None = None,
                      hidden: set[bytes] | None = None) -> BlockResult:
        """Keep a block another node executed, as a member node does (faechain.member): the
        transactions, events and state values its organisation may see, already checked against
        the validators' signed headers by the caller; `withheld` holds only the hashes of the
        others. Nothing is executed and no Merkle node is written (the member holds no tree: its
        values were proven against the signed app hash). Written atomically, like a block this
        node made; listeners (the event stream) hear of it the same way."""
        if header.height != self.height + 1:
            raise ValueError(f"expected block {self.height + 1}, got {header.height}")
        block_hash = header.hash(self.hash)
        executed = []
        for idx, tx_hash, envelope, _ in txs:
            try:
                executed.append((tx_hash, idx, self.auth.decode(envelope).expires))
            except (Rejected, ContractError):
                pass  # an undecodable transaction is recorded by hash only, as a validator does
        values = {**writes, **(revealed or {})}
        index_del, index_add = self.writer.index_changes(values)
        head = encode({"height": header.height, "app_hash": header.app_hash, "block_hash": block_hash,
                       "time": header.time})
        write = BlockWrite(height=header.height, block_hash=block_hash, header=header.encode(),
                           app_hash=header.app_hash, txs=txs, executed=executed,
                           events=[(idx, n, c, t, d) for idx, n, c, t, d in events], values=values, nodes={},
                           index_del=index_del, index_add=index_add, meta={"head": head}, withheld=withheld,
                           end_block=end_block, revealed=sorted(set(revealed or {}) | set(hidden or ())))
        self.store.commit(write)
        self.height, self.app_hash, self.block_hash = header.height, header.app_hash, block_hash
        self.last_time = header.time
        self._info = Info(self.height, self.app_hash, self.block_hash, self.chain_id)
        placeholders = {i: Receipt(h, header.height, i, "withheld") for i, h, _ in withheld}
        shown = {r.index: r for r in receipts}
        ordered = [shown.get(i) or placeholders[i] for i in range(len(txs) + len(withheld))]
        result = BlockResult(header.height, header.time, block_hash, header.app_hash, ordered, header, end_events)
        for listener in list(self.listeners):
            try:
                listener(result)
            except Exception:  # a subscriber's failure must not stop the member following the chain
                log.exception("block listener failed")
        return result

    def commit_snapshot(self, header: Header, values: dict[bytes, bytes]) -> None:
        """Start a member node from a checkpoint: block `header` and the state values its
        organisation may read as of it (each proven against the header's app hash by the caller),
        kept as the node's head without the blocks before it. A key this node holds from genesis
        that is not among `values` is gone, or not the organisation's to read, as of that block:
        it is written as deleted, as a validator answers it "not found" to this organisation."""
        if self.height != 0:
            raise ValueError(f"a checkpoint starts an empty node; this one is at block {self.height}")
        block_hash = header.hash(self.hash)
        writes: dict[bytes, bytes | None] = {k: None for k, _ in self.store.scan_prefix(b"", None, -1)}
        writes.update(values)
        index_del, index_add = self.writer.index_changes(writes)
        head = encode({"height": header.height, "app_hash": header.app_hash, "block_hash": block_hash,
                       "time": header.time})
        self.store.commit(BlockWrite(height=header.height, block_hash=block_hash, header=header.encode(),
                                     app_hash=header.app_hash, txs=[], executed=[], events=[], values=writes,
                                     nodes={}, index_del=index_del, index_add=index_add, meta={"head": head}))
        self.height, self.app_hash, self.block_hash = header.height, header.app_hash, block_hash
        self.last_time = header.time
        self._info = Info(self.height, self.app_hash, self.block_hash, self.chain_id)

    def _remember_executed(self, executed: list[tuple[bytes, int, int]]) -> None:
        """Keep spent hashes until they expire; expired ones are refused by expiry anyway."""
        recent = self._recent
        for tx_hash, _, expires in executed:
            recent[tx_hash] = expires
        if len(recent) > self._prune_at:
            now = self.last_time
            self._recent = {h: e for h, e in recent.items() if e >= now}
            self._prune_at = max(SPENT_PRUNE_MIN, 2 * len(self._recent))

    # -- queries ----------------------------------------------------------------------
    def state_value(self, key: bytes, height: int | None = None, prove: bool = False) -> dict[str, Any]:
        """A raw state value at a height, optionally with its proof against that app hash."""
        return self.queries.state_value(key, height, self.height, prove)

    def run_query(self, contract: str, method: str, args: dict[str, Any], caller: Caller | None,
                  height: int | None = None) -> Any:
        """Run a contract's @query as `caller` at a committed height (the head if None)."""
        return self.queries.run_query(contract, method, args, caller, height, self.height)

    def read_view(self, caller: Caller | None, height: int | None = None) -> ReadView:
        """What `caller` may see of the ledger at a committed height (the head if None): the raw
        routes' one question, answered by the contracts' own read rules. On a member node
        (`own_view_of`: its organisation) a reader of that organisation sees all the node holds:
        the validators sent it exactly what the organisation may read, and the rules could not
        be asked again here without the records of others they consult."""
        if self.own_view_of is not None and caller is not None and caller.org_id == self.own_view_of:
            caller = None
        return self.queries.view(caller, self.height if height is None else height)

    def caller_for_cert(self, cert_id: bytes, cert: bytes | None = None) -> Caller:
        """Resolve a reader's certificate like a signer's (for signed queries)."""
        fake = Tx(hash=b"", body=b"", signature=b"", cert=cert, chain=self.chain_id, signer=cert_id,
                  contract="", method="", args={}, nonce=0, expires=0, size=0)
        now = max(self.last_time, int(_time.time() * 1000))
        caller, _ = self.auth.caller(fake, CommittedState(self.store, None), now)
        return caller

    def public_key_for(self, cert_id: bytes) -> PublicKey:
        """The key of a signer resolved by `caller_for_cert` (which caches it)."""
        return self.auth.public_key(cert_id)
