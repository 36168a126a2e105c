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
"""

from __future__ import annotations

import logging
import threading
import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable

from faechain.contracts.errors import ContractError
from faechain.contracts.runtime import REGISTRY, Caller, Contract, Ctx, QueryCtx
from faechain.crypto import certs
from faechain.crypto.suite import PublicKey, get_suite
from faechain.identity.membership import caller_attributes
from faechain.ledger.block import Header, end_block_record
from faechain.ledger.encoding import EncodingError, check, decode_trusted, encode, encode_trusted
from faechain.ledger.integrity import StorageDamaged
from faechain.ledger.merkle import merkle_root
from faechain.ledger.smt import EMPTY, SparseMerkleTree
from faechain.ledger.storage import BlockWrite, Store
from faechain.ledger.tx import MAX_TTL_MS, Tx, TxError, decode_tx
from faechain.node.genesis import Genesis

log = logging.getLogger("faechain.app")

OK = "ok"
MEMBERSHIP = "membership"
MEMBERSHIP_PREFIX = b"membership/"
GOVERNANCE = "governance"
# what the governance contract writes when a vote changes the validator set (state, so every
# node reports the same changes for the same block): [[key type, pub_key hex, power], ...]
VALIDATOR_UPDATES_KEY = "governance/updates/{height}"


def load_contracts() -> dict[str, type[Contract]]:
    """Import every built-in contract so that it registers itself."""
    import faechain.identity.membership  # noqa: F401
    import faechain.modules  # noqa: F401

    return dict(REGISTRY)


@dataclass
class Receipt:
    tx_hash: bytes
    height: int
    index: int
    code: str
    message: str = ""
    result: Any = None
    events: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == OK

    def to_map(self) -> dict:
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
    def from_map(cls, m: dict) -> "Receipt":
        return cls(m["tx"], m["height"], m["index"], m["code"], m["message"], m["result"], m["events"])


@dataclass
class CheckResult:
    code: str
    message: str = ""
    tx_hash: bytes = b""

    @property
    def ok(self) -> bool:
        return self.code == OK


@dataclass
class BlockResult:
    height: int
    time: int
    block_hash: bytes
    app_hash: bytes
    receipts: list[Receipt]
    header: Header
    end_events: list = field(default_factory=list)  # events of the contracts' end_block hooks
    # validator set changes of this block: [(pub_key type, pub_key bytes, power)], power 0 removes
    validator_updates: list = field(default_factory=list)


@dataclass
class Info:
    height: int
    app_hash: bytes
    block_hash: bytes
    chain_id: str


# the caller a contract's end_block hook runs as: the chain itself
@dataclass(frozen=True)
class TxOutcome:
    """What `end_block` hooks learn of a signed transaction of their block, rejected or not."""

    index: int
    tx_hash: bytes
    signer_org: str
    contract: str
    method: str
    args: dict
    code: str
    message: str


@dataclass(frozen=True)
class BlockView:
    """The block so far, as an end_block hook sees it (`ctx.block`)."""

    txs: list  # TxOutcome of every authenticated transaction, in block order
    events: list  # {"tx": index or None for end-block events, "contract", "type", "attrs"}


SYSTEM_CALLER = Caller(bytes(32), "", "faechain", "end_block", "SYSTEM", {})


class Rejected(Exception):
    """A transaction fails before its contract runs; carries a stable code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def overlay_scan(base, writes: dict[bytes, bytes | None], prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
    """Prefix scan of `base` with pending `writes` laid over it, in key order.

    Each pending key can hide or replace at most one base row, so fetching
    `limit + len(pending)` base rows is enough for the first `limit` results.
    """
    pending = {k: v for k, v in writes.items() if k.startswith(prefix)}
    base_limit = None if limit is None else limit + len(pending)
    merged = dict(base(prefix, base_limit))
    merged.update(pending)
    items = sorted((k, v) for k, v in merged.items() if v is not None)
    return items if limit is None else items[:limit]


class BlockState:
    """A block's pending writes over the committed store."""

    def __init__(self, store: Store):
        self.store = store
        self.writes: dict[bytes, bytes | None] = {}

    def get_raw(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.store.get_value(key)

    def merge(self, writes: dict[bytes, bytes | None]) -> None:
        self.writes.update(writes)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        self.writes[key] = value

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        return overlay_scan(self._committed_scan, self.writes, prefix, limit)

    def _committed_scan(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        return list(self.store.scan_prefix(prefix, None, -1 if limit is None else limit))


class TxState:
    """One transaction's writes over its block; merged only if the tx succeeds."""

    def __init__(self, block: BlockState):
        self.block = block
        self.writes: dict[bytes, bytes | None] = {}

    def get_raw(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.block.get_raw(key)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        self.writes[key] = value

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        return overlay_scan(self.block.scan_raw, self.writes, prefix, limit)


class CommittedState:
    """Read-only view of committed state, latest or at a height."""

    def __init__(self, store: Store, height: int | None):
        self.store = store
        self.height = height

    def get_raw(self, key: bytes) -> bytes | None:
        return self.store.get_value(key, self.height)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        raise PermissionError("queries cannot write state")

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        return list(self.store.scan_prefix(prefix, self.height, -1 if limit is None else limit))


class Application:
    def __init__(self, store: Store, genesis: Genesis):
        self.store = store
        self.genesis = genesis
        self.chain_id = genesis.chain_id
        self.suite = get_suite(genesis.suite)
        self.hash = self.suite.hash
        self.tree = SparseMerkleTree(self.hash, store)
        self.contracts: dict[str, Contract] = {name: cls() for name, cls in load_contracts().items()}
        self.lock = threading.RLock()
        self._verified: dict[tuple[bytes, bytes], bool] = {}
        self._decoded: dict[bytes, Tx] = {}
        self._keys: dict[bytes, PublicKey] = {}
        self._callers: dict[bytes, tuple[Caller, int, int]] = {}
        self._chain_ok: set[tuple[bytes, bytes]] = set()
        self._recent: dict[bytes, int] = {}  # executed, unexpired tx hash -> expires
        self._pending: BlockWrite | None = None
        self._pending_result: BlockResult | None = None
        self.listeners: list[Callable[[BlockResult], None]] = []
        # optional faechain.crypto.verifier.ParallelVerifier: batches verify on every core
        self.verifier = None
        # set by faechain.ledger.integrity.halt when storage is found damaged while serving
        self.damaged: Exception | None = None
        self._load_head()

    # -- head and genesis ------------------------------------------------------------
    def _load_head(self) -> None:
        raw = self.store.meta("head")
        if raw is None:
            self.app_hash = EMPTY
            self._init_genesis()
            raw = self.store.meta("head")
        head = decode_trusted(raw)
        self.height, self.app_hash, self.block_hash = head["height"], head["app_hash"], head["block_hash"]
        self.last_time = head["time"]
        self._info = Info(self.height, self.app_hash, self.block_hash, self.chain_id)
        self._recent = dict(self.store.unexpired_txs(self.last_time))
        self._outcomes: list[TxOutcome] = []  # of the block being executed
        self._prune_at = max(10_000, 2 * len(self._recent))
        stored_genesis = self.store.meta("genesis")
        if stored_genesis != encode(self.genesis.canonical()):
            raise RuntimeError("this node's database belongs to a different genesis document")

    def _init_genesis(self) -> None:
        block = BlockState(self.store)
        gen_caller = Caller(b"\x00" * 32, "", "genesis", "genesis", "GENESIS", {})
        for name in sorted(self.contracts):
            config = dict(self.genesis.contracts.get(name, {}))
            if name == MEMBERSHIP:
                config["orgs"] = self.genesis.orgs
            elif name == GOVERNANCE:
                config["validators"] = self.genesis.validators
            ctx = Ctx(name, gen_caller, self.genesis.genesis_time, 0, b"\x00" * 32, 0, block, self.chain_id, self.suite)
            self.contracts[name].genesis(ctx, config)
        genesis_bytes = encode(self.genesis.canonical())
        app_hash = self._apply_state(block.writes)
        header = Header(self.chain_id, 0, self.genesis.genesis_time, self.hash(genesis_bytes),
                        EMPTY, EMPTY, app_hash, b"")
        write = self._block_write(header, [], [], [], block.writes, {"genesis": genesis_bytes})
        self.store.commit(write)
        self.tree.pending.clear()

    def _remember_executed(self, executed: list[tuple[bytes, int, int]]) -> None:
        """Keep spent hashes until they expire; expired ones are refused by expiry anyway."""
        recent = self._recent
        for tx_hash, _, expires in executed:
            recent[tx_hash] = expires
        if len(recent) > self._prune_at:
            now = self.last_time
            self._recent = {h: e for h, e in recent.items() if e >= now}
            self._prune_at = max(10_000, 2 * len(self._recent))

    def info(self) -> Info:
        """The committed head, read as one consistent snapshot from any thread."""
        return self._info

    # -- authentication -----------------------------------------------------------
    def _decode(self, raw: bytes) -> Tx:
        tx = self._decoded.get(raw)
        if tx is None:
            try:
                tx = decode_tx(raw, self.hash)
            except TxError as exc:
                raise Rejected(exc.code, exc.message) from None
        return tx

    def _caller(self, tx: Tx, state, now_ms: int) -> tuple[Caller, dict | None]:
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
            raise Rejected("bad_certificate", "the attached certificate does not match the signer id")
        hit = self._callers.get(tx.signer)
        if hit is not None:
            caller, not_before, not_after, cert_key, org_key = hit
            pending = getattr(state, "writes", None)
            if not pending or (cert_key not in pending and org_key not in pending):
                if not not_before <= now_ms <= not_after:
                    raise Rejected("bad_certificate", "the signer's certificate is not valid at this time")
                return caller, None
        cert_key = f"{MEMBERSHIP}/cert/{tx.signer.hex()}".encode()
        raw = state.get_raw(cert_key)
        new_record = None
        rec = decode_trusted(raw) if raw is not None else None
        if rec is not None:
            if rec.get("revoked"):
                raise Rejected("revoked", "the signer's certificate has been revoked")
        else:
            if tx.cert is None:
                raise Rejected("unknown_signer", "the signer's certificate is not registered; attach it")
            if self.hash(tx.cert) != tx.signer:
                raise Rejected("bad_certificate", "the attached certificate does not match the signer id")
            try:
                info = certs.read_info(tx.cert)
            except certs.CertificateError as exc:
                raise Rejected("bad_certificate", str(exc)) from None
            if info.is_ca:
                raise Rejected("bad_certificate", "a CA certificate cannot sign transactions")
            # revoked by its organisation before it was ever used
            if state.get_raw(f"{MEMBERSHIP}/revoked/{info.org_id}/{tx.signer.hex()}".encode()) is not None:
                raise Rejected("revoked", "the signer's certificate has been revoked")
            try:
                public = certs.public_key(self.suite, tx.cert)
            except certs.CertificateError as exc:
                raise Rejected("bad_certificate", str(exc)) from None
            rec = {
                "id": tx.signer.hex(), "org_id": info.org_id, "name": info.name, "role": info.role,
                "public_key": public.raw(),
                "attributes": info.attributes, "not_before": info.not_before, "not_after": info.not_after,
                "revoked": False,
            }
            new_record = rec
        org_key = f"{MEMBERSHIP}/org/{rec['org_id']}".encode()
        org_raw = state.get_raw(org_key)
        if org_raw is None:
            raise Rejected("not_member", f"organisation {rec['org_id']} is not a consortium member")
        org = decode_trusted(org_raw)
        if org["status"] != "ACTIVE":
            raise Rejected("not_member", f"organisation {rec['org_id']} is no longer a member")
        if new_record is not None and (tx.signer, org["ca_id"]) not in self._chain_ok:
            try:
                ca_der = decode_trusted(state.get_raw(f"{MEMBERSHIP}/ca/{org['id']}".encode()))
                certs.verify_issued_by(self.suite, tx.cert, ca_der)
            except certs.CertificateError as exc:
                raise Rejected("bad_certificate", str(exc)) from None
            if rec["role"] != org["type"]:
                raise Rejected("bad_certificate", f"certificate role {rec['role']} is not the organisation's type {org['type']}")
            self._chain_ok.add((tx.signer, org["ca_id"]))  # only once every check passed
        not_before, not_after = rec.get("not_before", 0) * 1000, rec["not_after"] * 1000
        if not not_before <= now_ms <= not_after:
            raise Rejected("bad_certificate", "the signer's certificate is not valid at this time")
        if tx.signer not in self._keys:
            self._keys[tx.signer] = self.suite.public_key(rec["public_key"])
        caller = Caller(tx.signer, org["id"], org["name"], rec["name"], org["type"],
                        caller_attributes(rec["attributes"], org["attributes"]))
        if new_record is None and isinstance(state, CommittedState) and state.height is None:
            self._callers[tx.signer] = (caller, not_before, not_after, cert_key, org_key)
        return caller, new_record

    def _check_signature(self, tx: Tx) -> None:
        """Verify once: a (tx hash, signature) pair checked in check_tx is not checked again."""
        cache_key = (tx.hash, tx.signature)
        if cache_key in self._verified:
            return
        if not self._keys[tx.signer].verify(tx.signature, tx.sign_bytes):
            raise Rejected("bad_signature", "the signature does not verify against the signer's certificate")
        self._verified[cache_key] = True

    def _check_envelope(self, tx: Tx, now_ms: int) -> None:
        if tx.chain != self.chain_id:
            raise Rejected("wrong_chain", f"transaction is for chain {tx.chain!r}, this is {self.chain_id!r}")
        if tx.expires < now_ms:
            raise Rejected("tx_expired", "the transaction has expired")
        if tx.expires > now_ms + MAX_TTL_MS:
            raise Rejected("tx_expired", f"expiry lies more than {MAX_TTL_MS // 3600000} h ahead")
        contract = self.contracts.get(tx.contract)
        if contract is None:
            raise Rejected("unknown_contract", f"no contract named {tx.contract!r}")
        method = contract.methods.get(tx.method)
        if method is None or method.kind != "tx":
            raise Rejected("unknown_method", f"contract {tx.contract!r} has no transaction method {tx.method!r}")

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
        state = CommittedState(self.store, None)
        results: list[CheckResult | None] = []
        to_verify: list[tuple[int, Tx]] = []
        for raw in raws:
            tx = None
            try:
                tx = self._decode(raw)
                self._check_envelope(tx, now)
                if tx.hash in self._recent:
                    raise Rejected("replay", "this transaction has already been executed")
                self._caller(tx, state, now)
                self.contracts[tx.contract].methods[tx.method].bind(tx.args)
            except (Rejected, ContractError) as exc:
                results.append(CheckResult(exc.code, exc.message, tx.hash if tx is not None else b""))
                continue
            results.append(None)
            if (tx.hash, tx.signature) not in self._verified:
                to_verify.append((len(results) - 1, tx))
            else:
                self._decoded[raw] = tx
                results[-1] = CheckResult(OK, "", tx.hash)
        if to_verify:
            verdicts = self._verify_many([tx for _, tx in to_verify])
            for (i, tx), good in zip(to_verify, verdicts):
                if good:
                    self._decoded[raws[i]] = tx
                    results[i] = CheckResult(OK, "", tx.hash)
                else:
                    results[i] = CheckResult(
                        "bad_signature", "the signature does not verify against the signer's certificate", tx.hash
                    )
        return results  # type: ignore[return-value]

    def _verify_many(self, txs: list[Tx]) -> list[bool]:
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
        for tx, good in zip(txs, verdicts):
            if good:
                self._verified[(tx.hash, tx.signature)] = True
        return verdicts

    # -- block execution -------------------------------------------------------------
    def finalize_block(self, height: int, time_ms: int, txs: list[bytes], proposer: bytes = b"") -> BlockResult:
        """Execute a block deterministically; nothing is persisted until `commit`."""
        if self.damaged is not None:  # never build on storage known to be damaged
            raise self.damaged
        if height != self.height + 1:
            raise ValueError(f"expected block {self.height + 1}, got {height}")
        time_ms = max(time_ms, self.last_time)  # block time never goes backwards
        if self.verifier is not None:
            self._preverify(txs)
        block = BlockState(self.store)
        receipts: list[Receipt] = []
        tx_rows, executed, event_rows = [], [], []
        in_block: set[bytes] = set()
        self._outcomes = []
        for index, raw in enumerate(txs):
            receipt, expires = self._deliver(block, height, time_ms, index, raw, in_block)
            receipts.append(receipt)
            tx_rows.append((index, receipt.tx_hash, raw, encode_trusted(receipt.to_map())))
            if expires is not None:  # authenticated: its hash is now spent
                executed.append((receipt.tx_hash, index, expires))
                in_block.add(receipt.tx_hash)
            for n, ev in enumerate(receipt.events):
                event_rows.append((index, n, ev["contract"], ev["type"], encode_trusted(ev["attrs"])))
        tx_events = [{"tx": r.index, **ev} for r in receipts for ev in r.events]
        end_events = self._end_block(block, height, time_ms, len(txs), BlockView(self._outcomes, tx_events))
        result_leaves = [self.hash(row[3]) for row in tx_rows]
        if end_events:
            result_leaves.append(self.hash(end_block_record(end_events)))
            for n, ev in enumerate(end_events):
                event_rows.append((len(txs), n, ev["contract"], ev["type"], encode_trusted(ev["attrs"])))
        app_hash = self._apply_state(block.writes)
        txs_root = merkle_root(self.hash, [row[1] for row in tx_rows])
        results_root = merkle_root(self.hash, result_leaves)
        header = Header(self.chain_id, height, time_ms, self.block_hash, txs_root, results_root, app_hash, proposer)
        self._pending = self._block_write(header, tx_rows, executed, event_rows, block.writes, {})
        self._pending_result = BlockResult(height, time_ms, self._pending.block_hash, app_hash, receipts, header,
                                           end_events, self._validator_updates(block, height))
        return self._pending_result

    @staticmethod
    def _validator_updates(block: BlockState, height: int) -> list[tuple[str, bytes, int]]:
        """The validator changes governance executed in this block (CometBFT applies them at height + 2)."""
        raw = block.writes.get(VALIDATOR_UPDATES_KEY.format(height=height).encode())
        if raw is None:
            return []
        return [(key_type, bytes.fromhex(key), power) for key_type, key, power in decode_trusted(raw)]

    def _end_block(self, block: BlockState, height: int, time_ms: int, n_txs: int, view: BlockView) -> list[dict]:
        """Run each contract's end_block hook (in name order); returns their events.

        Each hook sees the block so far as `ctx.block`: its signed transactions'
        outcomes (rejected ones included) and its events, with the end-block events
        of the contracts before it in name order (so `supervision`, last, sees all).
        A hook that fails has its writes discarded and leaves an `EndBlockFailed`
        event, deterministically, instead of halting the chain.
        """
        events: list[dict] = []
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

    def _preverify(self, txs: list[bytes]) -> None:
        """Batch-verify signatures this node has not seen in check_tx (e.g. blocks
        proposed by others or replayed after a restart). Only fills the cache, so
        it cannot change any result."""
        pending = []
        for raw in txs:
            try:
                tx = self._decode(raw)
            except Rejected:
                continue
            if tx.signer in self._keys and (tx.hash, tx.signature) not in self._verified:
                pending.append(tx)
        if len(pending) > 1:
            self._verify_many(pending)

    def _deliver(
        self, block: BlockState, height: int, time_ms: int, index: int, raw: bytes, in_block: set
    ) -> tuple[Receipt, int | None]:
        """Execute one transaction of a block: (receipt, expiry if the signer was authenticated).

        The order of checks is part of the protocol (it decides the receipt code):
        decode, chain/expiry/contract/method, replay, signer, signature, arguments, contract.
        Expiry comes before replay so that forgetting expired hashes never changes a result.
        """
        tx_hash = b""
        try:
            tx = self._decode(raw)
            tx_hash = tx.hash
            self._check_envelope(tx, time_ms)
            if tx_hash in in_block or tx_hash in self._recent:
                raise Rejected("replay", "this transaction has already been executed")
            caller, new_cert = self._caller(tx, block, time_ms)
            self._check_signature(tx)
        except Rejected as exc:
            return Receipt(tx_hash or self.hash(raw), height, index, exc.code, exc.message), None
        contract = self.contracts[tx.contract]
        method = contract.methods[tx.method]
        txs = TxState(block)
        if new_cert is not None:
            # a new signer's certificate is registered with its first successful
            # transaction: a rejected transaction leaves the state exactly as it was
            txs.put_raw(f"{MEMBERSHIP}/cert/{tx.signer.hex()}".encode(), encode(new_cert))
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
        except Exception as exc:  # a contract bug must not halt the chain; deterministic code
            receipt = Receipt(tx_hash, height, index, "internal_error", f"contract failed: {type(exc).__name__}")
        else:
            block.merge(txs.writes)
            receipt = Receipt(tx_hash, height, index, OK, "", result, ctx.events)
        self._outcomes.append(TxOutcome(index, tx_hash, caller.org_id, tx.contract, tx.method, tx.args, receipt.code,
                                        receipt.message))
        return receipt, tx.expires

    def _apply_state(self, writes: dict[bytes, bytes | None]) -> bytes:
        """Fold a block's writes into the sparse Merkle tree once; return the new root."""
        h = self.hash
        changes = {h(k): (h(v) if v is not None else None) for k, v in writes.items()}
        return self.tree.update(self.app_hash, changes)

    def _block_write(self, header: Header, tx_rows, executed, event_rows, writes, meta) -> BlockWrite:
        block_hash = header.hash(self.hash)
        index_del, index_add = self._index_changes(writes)
        head = encode({"height": header.height, "app_hash": header.app_hash, "block_hash": block_hash, "time": header.time})
        return BlockWrite(
            height=header.height,
            block_hash=block_hash,
            header=header.encode(),
            app_hash=header.app_hash,
            txs=tx_rows,
            executed=executed,
            events=event_rows,
            values=dict(writes),
            nodes=dict(self.tree.pending),
            index_del=index_del,
            index_add=index_add,
            meta={**meta, "head": head},
        )

    def _index_changes(self, writes: dict[bytes, bytes | None]):
        """Query-index rows to drop (old values) and add (new values) for changed records."""
        dels, adds = [], []
        for key in sorted(writes):
            parts = key.decode().split("/", 2)
            if len(parts) < 3:
                continue
            contract = self.contracts.get(parts[0])
            if contract is None or parts[1] not in contract.indexes:
                continue
            kind = f"{parts[0]}/{parts[1]}"
            old = self.store.get_value(key)
            if old is not None:
                dels.extend((kind, f, v, key) for f, v in contract.index_rows(parts[1], decode_trusted(old)))
            new = writes[key]
            if new is not None:
                adds.extend((kind, f, v, key) for f, v in contract.index_rows(parts[1], decode_trusted(new)))
        return dels, adds

    def commit(self) -> BlockResult:
        """Persist the finalized block atomically; afterwards it is reported committed."""
        write, result = self._pending, self._pending_result
        if write is None or result is None:
            raise RuntimeError("commit without finalize_block")
        self.store.commit(write)
        self.tree.pending.clear()
        self.height, self.app_hash, self.block_hash = write.height, write.app_hash, write.block_hash
        self.last_time = result.time
        self._info = Info(self.height, self.app_hash, self.block_hash, self.chain_id)
        self._remember_executed(write.executed)
        self._pending = self._pending_result = None
        for raw in [row[2] for row in write.txs]:
            self._decoded.pop(raw, None)
        changed = write.values
        if any(k.startswith(MEMBERSHIP_PREFIX) for k in changed):
            self._callers = {
                signer: hit for signer, hit in self._callers.items() if hit[3] not in changed and hit[4] not in changed
            }
        if len(self._verified) > 200_000:
            self._verified.clear()
        for listener in list(self.listeners):
            try:
                listener(result)
            except Exception:  # a subscriber's failure must not stop the chain
                log.exception("block listener failed")
        return result

    # -- queries ----------------------------------------------------------------------
    def state_value(self, key: bytes, height: int | None = None, prove: bool = False) -> dict:
        """A raw state value at a height, optionally with its proof against that app hash."""
        h = self.height if height is None else height
        if not 0 <= h <= self.height:
            raise ValueError(f"height {h} is not committed")
        block = self.store.block(h)
        header = Header.decode(block[1])
        value = self.store.get_value(key, h)
        out: dict[str, Any] = {"key": key, "value": value, "height": h, "app_hash": header.app_hash}
        if prove:
            out["proof"] = self.tree.prove(header.app_hash, self.hash(key))
        return out

    def run_query(self, contract: str, method: str, args: dict, caller: Caller | None, height: int | None = None) -> Any:
        c = self.contracts.get(contract)
        if c is None:
            raise Rejected("unknown_contract", f"no contract named {contract!r}")
        m = c.methods.get(method)
        if m is None or m.kind != "query":
            raise Rejected("unknown_method", f"contract {contract!r} has no query {method!r}")
        kwargs = m.bind(args)
        h = self.height if height is None else height
        block = self.store.block(h)
        if block is None:
            raise Rejected("not_found", f"height {h} is not committed")
        access = CommittedState(self.store, h)
        q = QueryCtx(
            contract, caller, access, _StoreIndex(self.store), h,
            time=Header.decode(block[1]).time // 1000,
            prover=lambda key: self.state_value(key, h, prove=True),
            historian=lambda key: [
                {"height": at, "value": None if v is None else decode_trusted(v)} for at, v in self.store.history(key)
                if at <= h
            ],
        )
        return m.func(c, q, **kwargs)

    def caller_for_cert(self, cert_id: bytes, cert: bytes | None = None) -> Caller:
        """Resolve a reader's certificate like a signer's (for signed queries)."""
        fake = Tx(hash=b"", body=b"", signature=b"", cert=cert, chain=self.chain_id, signer=cert_id,
                  contract="", method="", args={}, nonce=0, expires=0, size=0)
        caller, _ = self._caller(fake, CommittedState(self.store, None), max(self.last_time, int(_time.time() * 1000)))
        return caller

    def public_key_for(self, cert_id: bytes) -> PublicKey:
        """The key of a signer resolved by `caller_for_cert` (which caches it)."""
        return self._keys[cert_id]


class _StoreIndex:
    def __init__(self, store: Store):
        self.store = store

    def find(self, kind: str, field: str, value: str, limit: int = 1000) -> list[bytes]:
        return self.store.index_find(kind, field, value, limit)
