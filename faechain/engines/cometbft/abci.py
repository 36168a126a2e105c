"""The ABCI 2.0 socket server: CometBFT drives faechain's `Application` through it.

CometBFT (v0.38) opens four connections to the address in its `proxy_app`
setting and sends length-prefixed protobuf `Request`s on each:

    consensus   InitChain, PrepareProposal, ProcessProposal, FinalizeBlock, Commit
    mempool     CheckTx (new and recheck)
    query       Info (the crash-recovery handshake), Query, Echo
    snapshot    state-sync snapshots (faechain offers none)

Each connection gets a thread. Responses go back in request order; `Flush`
is answered in turn and pushes everything written so far. Consecutive CheckTx
requests that arrive together (CometBFT pipelines them and flushes every
20 ms) are checked as one batch, so their signatures are verified together.

What each request does to the Application (all under `app.lock`):

    Info             last committed height and app hash from `app.info()`; CometBFT
                     replays whatever blocks it has that the app has not committed
    InitChain        only at height 0: the chain id, genesis time, app state and
                     validator set must equal faechain's genesis.json (which seeds the
                     governance contract's validator set); answers the height-0 app
                     hash and no validators (CometBFT keeps its genesis set)
    CheckTx          `app.check_txs` on the batch (a recheck too, after each block)
    PrepareProposal  the mempool's transactions as they are, cut to max_tx_bytes and
                     `max_block_txs`
    ProcessProposal  accept (a bad transaction in a block is recorded as failed)
    FinalizeBlock    `app.finalize_block(height, header time, txs, proposer)`: one
                     ExecTxResult per tx (code 0 or the mapped code, codespace
                     "faechain", log = message, data = hash of the receipt), the
                     validator updates a governance vote executed in the block
                     (CometBFT applies them at height + 2) and the new app hash
    Commit           `app.commit()`; then waiting submitters get their receipts

A failure while finalizing or committing is answered with an `exception`,
which makes CometBFT stop: a node must not go on from a state it could not
persist (see `AbciApp.error`).

Fault injection for tests: FAE_ABCI_FAULT="before-commit:N" (or "after-commit:N")
makes the process kill itself with SIGKILL at the N-th Commit it receives,
before (after) committing, to exercise the Info handshake's replay paths.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable

from faechain.chain.application import Application
from faechain.chain.results import BlockResult, CheckResult
from faechain.core.encoding import encode, encode_trusted
from faechain.core.errors import FaeError
from faechain.engines.cometbft import proto
from faechain.engines.cometbft.codes import CODESPACE, code_number

log = logging.getLogger("faechain.abci")

APP_VERSION = 1
# ABCI Query: the paths of the state (the second is what CometBFT's light proxy sends), and
# the ProofOp type of a faechain sparse-Merkle proof
QUERY_PATHS = ("state", "store/faechain/key")
SMT_PROOF_OP = "fae:smt"
CHECK_CHUNK = 256  # CheckTx batch size: bounds how long one batch holds the app lock


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("faechain")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "0"


class GenesisMismatch(FaeError):
    """CometBFT's genesis does not describe faechain's chain."""

    code = "genesis_mismatch"


class AbciApp:
    """Answers ABCI requests from one `Application`.

    Hooks (optional, called on the connection's thread):
        on_check(results, recheck)  after each CheckTx batch: [(tx bytes, CheckResult)]
        on_commit(block_result)     after each Commit
    """

    def __init__(
        self,
        app: Application,
        *,
        max_block_txs: int = 5000,
        on_check: Callable[[list[tuple[bytes, CheckResult]], bool], None] | None = None,
        on_commit: Callable[[BlockResult], None] | None = None,
        fault: str | None = None,
    ):
        self.app = app
        self.max_block_txs = max_block_txs
        self.on_check = on_check
        self.on_commit = on_commit
        self.error: BaseException | None = None
        self.blocks = 0
        self.block_seconds = 0.0
        self.version = _version()
        self._commits = 0
        self._fault = _parse_fault(fault if fault is not None else os.environ.get("FAE_ABCI_FAULT", ""))
        self._handlers = {
            proto.REQ_ECHO: self.echo,
            proto.REQ_INFO: self.info,
            proto.REQ_INIT_CHAIN: self.init_chain,
            proto.REQ_QUERY: self.query,
            proto.REQ_COMMIT: self.commit,
            proto.REQ_PREPARE_PROPOSAL: self.prepare_proposal,
            proto.REQ_PROCESS_PROPOSAL: self.process_proposal,
            proto.REQ_FINALIZE_BLOCK: self.finalize_block,
            proto.REQ_EXTEND_VOTE: lambda body: proto.extend_vote(b""),
            proto.REQ_VERIFY_VOTE_EXTENSION: lambda body: proto.verify_vote_extension(proto.VOTE_EXTENSION_ACCEPT),
            proto.REQ_LIST_SNAPSHOTS: lambda body: proto.list_snapshots(),
            proto.REQ_OFFER_SNAPSHOT: lambda body: proto.offer_snapshot(proto.SNAPSHOT_ABORT),
            proto.REQ_LOAD_SNAPSHOT_CHUNK: lambda body: proto.load_snapshot_chunk(b""),
            proto.REQ_APPLY_SNAPSHOT_CHUNK: lambda body: proto.apply_snapshot_chunk(proto.SNAPSHOT_ABORT),
        }

    # -- dispatch ----------------------------------------------------------------------
    def handle(self, kind: int, body: bytes) -> bytes:
        """The encoded Response to one (non-CheckTx, non-Flush) request."""
        handler = self._handlers.get(kind)
        if handler is None:
            return proto.exception(f"unsupported ABCI request {proto.REQUEST_NAMES.get(kind, kind)}")
        try:
            return handler(body)
        except GenesisMismatch as exc:
            log.critical("InitChain refused: %s", exc)
            return proto.exception(f"faechain: {exc}")
        except Exception as exc:  # CometBFT stops on an exception response
            log.critical("ABCI %s failed", proto.REQUEST_NAMES.get(kind, kind), exc_info=True)
            if kind in (proto.REQ_FINALIZE_BLOCK, proto.REQ_COMMIT, proto.REQ_INIT_CHAIN):
                self.error = exc
            name = proto.REQUEST_NAMES.get(kind, kind)
            return proto.exception(f"faechain {name} failed: {type(exc).__name__}: {exc}")

    # -- query connection -------------------------------------------------------------------
    def echo(self, body: bytes) -> bytes:
        message = ""
        for num, wt, v in proto.iter_fields(body):
            if num == 1 and wt == proto.LEN:
                message = v.decode("utf-8", "replace")
        return proto.echo(message)

    def info(self, body: bytes) -> bytes:
        req = proto.RequestInfo.decode(body)
        head = self.app.info()
        log.info("ABCI Info (CometBFT %s, ABCI %s): app at height %d, app hash %s",
                 req.version, req.abci_version, head.height, head.app_hash.hex())
        return proto.info(f"faechain {head.chain_id}", self.version, APP_VERSION, head.height, head.app_hash)

    def query(self, body: bytes) -> bytes:
        """`/state` (or `/store/faechain/key`, the path CometBFT's light proxy expects): the
        raw value of state key `data` at `height` (0 = latest). With `prove`, one ProofOp of
        type `fae:smt` (SMT_PROOF_OP): its key is the state key, its data the canonical
        encoding of the sparse-Merkle proof {siblings, leaf} against the app hash of block
        `height` — which CometBFT's header `height + 1` carries and its validators sign
        (faechain.sdk.light checks both)."""
        req = proto.RequestQuery.decode(body)
        if req.path.strip("/") not in QUERY_PATHS:
            return proto.query(code=code_number("bad_request"), log=f"unknown query path {req.path!r}; use /state",
                               codespace=CODESPACE)
        try:
            res = self.app.state_value(req.data, req.height or None, req.prove)
        except ValueError as exc:
            return proto.query(code=code_number("not_found"), log=str(exc), codespace=CODESPACE)
        except Exception as exc:  # a bad query must not stop CometBFT
            log.exception("ABCI query failed")
            return proto.query(code=code_number("internal_error"), log=f"query failed: {type(exc).__name__}",
                               codespace=CODESPACE)
        value = res["value"]
        ops: tuple[proto.ProofOp, ...] = ()
        if req.prove:
            proof = res["proof"]
            ops = (proto.ProofOp(SMT_PROOF_OP, req.data, encode({"siblings": proof["siblings"],
                                                                 "leaf": proof["leaf"]})),)
        return proto.query(key=req.data, value=value or b"", height=res["height"],
                           log="exists" if value is not None else "does not exist", proof_ops=ops)

    # -- consensus connection -------------------------------------------------------------
    def init_chain(self, body: bytes) -> bytes:
        req = proto.RequestInitChain.decode(body)
        with self.app.lock:
            check_genesis(self.app, req)
            if self.app.height != 0:
                raise GenesisMismatch(f"InitChain at app height {self.app.height}; expected a fresh ledger")
            app_hash = self.app.app_hash
        log.info("ABCI InitChain: chain %s, %d validators, genesis app hash %s",
                 req.chain_id, len(req.validators), app_hash.hex())
        return proto.init_chain(app_hash)

    def prepare_proposal(self, body: bytes) -> bytes:
        req = proto.BlockRequest.decode(body, proto.REQ_PREPARE_PROPOSAL)
        out: list[bytes] = []
        size = 0
        limit = req.max_tx_bytes if req.max_tx_bytes > 0 else None
        for tx in req.txs:
            if len(out) >= self.max_block_txs:
                break
            n = proto.tx_proto_size(tx)
            if limit is not None and size + n > limit:
                break
            out.append(tx)
            size += n
        return proto.prepare_proposal(out)

    def process_proposal(self, body: bytes) -> bytes:
        # Every transaction of a block gets a deterministic receipt (failed ones with
        # their code), so no proposal is invalid to the application.
        return proto.process_proposal(proto.PROPOSAL_ACCEPT)

    def finalize_block(self, body: bytes) -> bytes:
        req = proto.BlockRequest.decode(body, proto.REQ_FINALIZE_BLOCK)
        started = time.perf_counter()
        with self.app.lock:
            result = self.app.finalize_block(req.height, req.time_ms, req.txs, req.proposer_address)
        h = self.app.hash
        tx_results = []
        for r in result.receipts:
            digest = h(encode_trusted(r.to_map()))  # the leaf of the header's results_root
            if r.ok:
                tx_results.append(proto.exec_tx_result(0, digest))
            else:
                tx_results.append(proto.exec_tx_result(code_number(r.code), digest, r.message, r.code, CODESPACE))
        updates = [proto.ValidatorUpdate(t, k, p) for t, k, p in result.validator_updates]
        if updates:
            log.info("ABCI FinalizeBlock %d: validator updates %s (in effect at height %d)", req.height,
                     [(u.pub_key.hex()[:12], u.power) for u in updates], req.height + 2)
        self.block_seconds += time.perf_counter() - started
        return proto.finalize_block(tx_results, result.app_hash, updates)

    def commit(self, body: bytes) -> bytes:
        self._commits += 1
        self._maybe_fault("before-commit")
        started = time.perf_counter()
        with self.app.lock:
            result = self.app.commit()
        self.block_seconds += time.perf_counter() - started
        self.blocks += 1
        self._maybe_fault("after-commit")
        if self.on_commit is not None:
            try:
                self.on_commit(result)
            except Exception:  # waiters must not stop the chain
                log.exception("commit hook failed")
        return proto.commit(0)

    def _maybe_fault(self, when: str) -> None:
        if self._fault is not None and self._fault == (when, self._commits):
            log.warning("FAE_ABCI_FAULT: killing this process %s %d (app height %d)", when, self._commits,
                        self.app.height)
            for handler in logging.getLogger().handlers:
                try:
                    handler.flush()
                except Exception:  # noqa: BLE001
                    pass
            os.kill(os.getpid(), signal.SIGKILL)

    # -- mempool connection ------------------------------------------------------------------
    def check_txs(self, items: list[tuple[bytes, int]]) -> list[bytes]:
        """Encoded ResponseCheckTx for each (tx, type), in order."""
        out: list[bytes] = []
        for i in range(0, len(items), CHECK_CHUNK):
            chunk = items[i:i + CHECK_CHUNK]
            raws = [tx for tx, _ in chunk]
            try:
                with self.app.lock:
                    results = self.app.check_txs(raws)
            except Exception as exc:  # never crash the node over admission
                log.exception("check_txs failed")
                results = [CheckResult("internal_error", f"check failed: {type(exc).__name__}")] * len(chunk)
            for r in results:
                if r.ok:
                    out.append(proto.check_tx(0, r.tx_hash, gas_wanted=1))
                else:
                    out.append(proto.check_tx(code_number(r.code), r.tx_hash, r.message, r.code, 1, CODESPACE))
            if self.on_check is not None:
                recheck = any(kind == proto.CHECK_TX_RECHECK for _, kind in chunk)
                try:
                    self.on_check(list(zip(raws, results, strict=True)), recheck)
                except Exception:
                    log.exception("check hook failed")
        return out


def _parse_fault(spec: str) -> tuple[str, int] | None:
    spec = spec.strip()
    if not spec:
        return None
    when, _, n = spec.partition(":")
    if when not in ("before-commit", "after-commit") or not n.isdigit():
        log.warning("ignoring FAE_ABCI_FAULT=%r (want before-commit:N or after-commit:N)", spec)
        return None
    return when, int(n)


def check_genesis(app: Application, req: proto.RequestInitChain) -> None:
    """CometBFT's genesis must be faechain's: chain id, time, app state and validators."""
    import json

    genesis = app.genesis
    if req.chain_id != genesis.chain_id:
        raise GenesisMismatch(f"CometBFT chain id {req.chain_id!r} is not faechain's {genesis.chain_id!r}")
    if req.initial_height not in (0, 1):
        raise GenesisMismatch(f"initial height {req.initial_height}: faechain chains start at height 1")
    if req.time_ms != genesis.genesis_time:
        raise GenesisMismatch(f"CometBFT genesis time {req.time_ms} ms differs from faechain's {genesis.genesis_time}")
    if req.app_state_bytes:
        try:
            state = json.loads(req.app_state_bytes)
        except ValueError:
            raise GenesisMismatch("CometBFT's app_state is not JSON") from None
        if json.loads(json.dumps(state, sort_keys=True)) != genesis.canonical():
            raise GenesisMismatch("CometBFT's app_state is not this node's genesis.json")
    want = genesis_validator_set(genesis)
    got = sorted((v.key_type, v.pub_key, v.power) for v in req.validators)
    if got != want:
        raise GenesisMismatch(
            f"CometBFT's validator set ({len(got)} validators) differs from the genesis "
            f"validators ({len(want)}): {[(t, k.hex()[:12], p) for t, k, p in got]} vs "
            f"{[(t, k.hex()[:12], p) for t, k, p in want]}")


def genesis_validator_set(genesis) -> list[tuple[str, bytes, int]]:
    """faechain genesis `validators` as sorted (key type, public key bytes, power)."""
    import base64

    out = []
    for v in genesis.validators:
        key_type = v.get("key_type", "ed25519")
        out.append((key_type, base64.b64decode(v["pub_key"]), int(v.get("power", 1))))
    return sorted(out)


# -- the socket server --------------------------------------------------------------------------
def parse_address(address: str) -> tuple[int, str | tuple[str, int]]:
    """"tcp://host:port" or "unix:///path" -> (address family, bind address)."""
    if address.startswith("unix://"):
        return socket.AF_UNIX, address[len("unix://"):]
    rest = address[len("tcp://"):] if address.startswith("tcp://") else address
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"ABCI address {address!r} is not tcp://host:port or unix:///path")
    return socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET, (host.strip("[]"), int(port))


class AbciServer:
    """Serves an `AbciApp` on a socket; one thread per connection."""

    def __init__(self, abci: AbciApp, address: str, on_connections: Callable[[int], None] | None = None):
        self.abci = abci
        self.address = address
        self.on_connections = on_connections
        self._sock: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        family, bind = parse_address(self.address)
        if family == socket.AF_UNIX and isinstance(bind, str) and os.path.exists(bind):
            os.unlink(bind)
        sock = socket.socket(family, socket.SOCK_STREAM)
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(bind)
        sock.listen(16)
        self._sock = sock
        t = threading.Thread(target=self._accept_loop, name="abci-accept", daemon=True)
        t.start()
        self._threads.append(t)
        log.info("ABCI server listening on %s", self.address)

    def stop(self) -> None:
        self._stopping = True
        if self._sock is not None:
            try:  # wakes the accept loop (closing alone does not interrupt accept() on Linux)
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                self._sock.close()
            except OSError:
                pass
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        for t in self._threads:
            t.join(timeout=5)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._conns)

    def _accept_loop(self) -> None:
        sock = self._sock
        while not self._stopping and sock is not None:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            if conn.family != socket.AF_UNIX:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(conn)
                self._notify(len(self._conns))
            t = threading.Thread(target=self._serve, args=(conn,), name="abci-conn", daemon=True)
            t.start()
            self._threads = [x for x in self._threads if x.is_alive()] + [t]

    def _notify(self, count: int) -> None:
        if self.on_connections is not None:
            try:
                self.on_connections(count)
            except Exception:
                log.exception("connection hook failed")

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            while True:
                data = conn.recv(1 << 20)
                if not data:
                    return
                buf += data
                messages, used = proto.read_frames(buf)
                if used:
                    del buf[:used]
                if messages:
                    out = self._respond(messages)
                    if out:
                        conn.sendall(out)
        except proto.ProtoError as exc:
            log.error("ABCI connection closed: malformed request: %s", exc)
        except OSError as exc:
            if not self._stopping:
                log.info("ABCI connection closed: %s", exc)
        finally:
            with self._lock:
                self._conns.discard(conn)
                if not self._stopping:
                    self._notify(len(self._conns))
            try:
                conn.close()
            except OSError:
                pass

    def _respond(self, messages: list[bytes]) -> bytes:
        """Responses to a run of requests, in order; CheckTx runs batched."""
        out = bytearray()
        pending_checks: list[tuple[bytes, int]] = []

        def flush_checks() -> None:
            if pending_checks:
                for r in self.abci.check_txs(pending_checks):
                    out.extend(proto.frame(r))
                pending_checks.clear()

        for msg in messages:
            kind, body = proto.decode_request(msg)
            if kind == proto.REQ_CHECK_TX:
                pending_checks.append(proto.decode_check_tx(body))
                continue
            flush_checks()
            if kind == proto.REQ_FLUSH:
                out.extend(proto.frame(proto.FLUSH))
            else:
                out.extend(proto.frame(self.abci.handle(kind, body)))
        flush_checks()
        return bytes(out)
