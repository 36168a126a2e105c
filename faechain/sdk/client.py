"""The Python SDK's HTTP client for a faechain node (standard library only).

    from faechain.sdk import Identity, Client

    alice = Identity.load(home, "supplier1")
    client = Client("http://127.0.0.1:8730", identity=alice)   # identity signs reads
    r = client.submit(alice, "membership", "set_attributes", org_id="...", attributes={})
    if not r.ok:
        print(r.code, r.message)          # branch on the stable code
    me = client.query("membership", "whoami")          # unverified: what this node says
    trusted = Client(url, identity=alice, trust=light_client)
    v = trusted.verified("receivables", "voucher", id="V-5-0-1")   # proven, or VerificationError
    for ev in client.events(from_height=1, contract="membership"):
        print(ev["event"], ev)

Conventions:
  * `submit` never raises for a transaction the chain refused: check_tx
    rejections (`replay`, `bad_signature`, `unknown_contract`, ...) and contract
    rejections (`unauthorized`, `not_found`, ...) come back as a `Receipt` with
    `ok` False and the `code`. `ApiError(code, message, status)` is raised only for
    transport and authentication failures (unreachable node, 401, 5xx, timeouts).
    `receipt.raise_for_refusal()` raises `TransactionRefused` for a refused one instead
    (`faechain.sdk.refusals`); `receipt.localised("zh")` (and `ApiError.localised`) is the
    message in Chinese, amounts in 元 and times in China time.
  * JSON renders bytes as lowercase hex: results, events and block fields hold hex
    strings where the chain holds bytes.
  * `submit_many(identity, [(contract, method, args), ...])` signs many transactions
    and posts them in one request (`POST /v1/txs/batch`); receipts come back in order.
  * Reserved keywords: `submit(..., wait=)`; `query(..., _as=, _height=)`. Contract
    arguments never start with an underscore, so these cannot collide; `wait` is
    reserved in `submit` (use `submit_args` to pass an argument named `wait`).
  * Reads are signed by `client.identity` (or `_as=`) when one is set; without one
    they are anonymous, which only a dev node on loopback accepts.
  * Documents: `upload_document(identity, scope, subject, data)` stores bytes in the
    node's vault under their hash (the chain suite's, as `document_hash` computes it);
    `download_document(identity, scope, hash)` fetches them and re-hashes them here, so
    it never returns bytes other than those the hash names (`hash_mismatch`).
  * Verified reads: `verified(contract, method, **args)` asks with `prove=True`, takes the
    header of the answer's block from the client's `trust` (a `HeaderTrust`: the light
    client, `faechain.sdk.light`), refuses an answer more than `max_lag_blocks` (or
    `max_lag_seconds`) behind the latest header the trust knows, and returns a typed record
    rebuilt from proven bytes only (`faechain.sdk.verified`); anything else raises
    `VerificationError` naming what failed. `prove`, `verify_proof`, `verify_query_proofs`
    and `penetrate` check against the trust too, and without one raise
    `VerificationError(code="untrusted")`: an app hash taken from the node that answered
    proves nothing about it. `query`, `state` and `block` are the unverified fast path.
  * One keep-alive connection per thread; a Client may be shared between threads.

Why one file (over 500 lines): one class whose methods mirror the REST routes, read by a
member as the SDK's reference; the checks of answers live beside it (penetration,
trust).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol, runtime_checkable
from urllib.parse import quote, urlencode, urlsplit

from faechain.core.encoding import EncodingError, decode, encode
from faechain.core.errors import ENVELOPE_CODES, FaeError
from faechain.core.refusals import localise
from faechain.core.wire import (
    HEADER_CERT,
    HEADER_DATE,
    HEADER_SIGNATURE,
    HEADER_SIGNER,
    b64encode,
    jsonable,
)
from faechain.crypto.sealed_bid import bid_digest, new_salt
from faechain.crypto.suite import get_suite
from faechain.identity.wallet import Identity
from faechain.ledger.smt import ProofError, verify_proof
from faechain.sdk import verified as verifiers
from faechain.sdk.penetration import Penetration
from faechain.sdk.penetration import verify as verify_penetration
from faechain.sdk.proofs import difference_text, first_difference
from faechain.sdk.refusals import TransactionRefused
from faechain.sdk.trust import HeaderTrust, TrustedHeader, VerificationError

# Codes with which a node refuses a transaction before it enters a block (check_tx).
CHECK_CODES = frozenset(ENVELOPE_CODES)
_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
              http.client.BadStatusLine)


@runtime_checkable
class WitnessedTrust(HeaderTrust, Protocol):
    """A `HeaderTrust` that also asks other nodes (`faechain.sdk.light.client.LightClient` with
    witnesses): `newest()` is the newest signed header any of them shows, which freshness is
    measured against, since a node can understate its own head."""

    def newest(self) -> TrustedHeader:
        ...


class ApiError(FaeError):
    """A transport or authentication failure (not a refused transaction): the node's error
    `code` (`unauthenticated`, `not_found`, `unavailable`, ...) and the HTTP `status`."""

    def __init__(self, code: str, message: str, status: int = 0) -> None:
        super().__init__(message, code)
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" + (f" (HTTP {self.status})" if self.status else "")

    def localised(self, lang: str = "zh") -> str:
        """The node's message in `lang` ("zh" or "en"), amounts in 元 (`faechain.core.refusals`)."""
        return localise(self.code, self.message, lang)


@dataclass
class Receipt:
    """The outcome of a transaction.

    `code` is "ok" on success, a stable error code otherwise, or "pending" when
    submitted with `wait=False` (then `height` and `index` are None).
    """

    ok: bool
    code: str
    message: str = ""
    tx_hash: str = ""
    height: int | None = None
    index: int | None = None
    result: Any = None
    events: list = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.code == "pending"

    def localised(self, lang: str = "zh") -> str:
        """A refused transaction's message in `lang` ("zh" or "en"), amounts in 元; "" when it succeeded."""
        return "" if self.ok else localise(self.code, self.message, lang)

    def raise_for_refusal(self) -> Receipt:
        """This receipt, or `TransactionRefused` when the chain refused the transaction."""
        if not self.ok and not self.pending:
            raise TransactionRefused(self.code, self.message, self)
        return self

    @classmethod
    def from_json(cls, d: dict) -> Receipt:
        return cls(ok=d.get("code") == "ok", code=d["code"], message=d.get("message", ""),
                   tx_hash=d.get("tx_hash", ""), height=d.get("height"), index=d.get("index"),
                   result=d.get("result"), events=list(d.get("events") or []))


def _json_or_none(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def _key_text(key: bytes) -> str:
    """A state key for a message: its text, or hex:... when it is not UTF-8."""
    try:
        return key.decode()
    except UnicodeDecodeError:
        return "hex:" + key.hex()


def _has_bytes(value: Any) -> bool:
    if isinstance(value, (bytes, bytearray)):
        return True
    if isinstance(value, dict):
        return any(_has_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_bytes(v) for v in value)
    return False


class Client:
    def __init__(self, url: str, identity: Identity | None = None, *, timeout: float = 60.0,
                 trust: HeaderTrust | None = None, max_lag_blocks: int = 5, max_lag_seconds: float | None = None):
        """`trust` is where verified reads take block headers from (the light client); the
        freshness bound refuses answers more than `max_lag_blocks` blocks (and, if given,
        `max_lag_seconds` of block time) behind the latest header it knows."""
        parts = urlsplit(url if "://" in url else "http://" + url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme {parts.scheme!r}")
        self.url = url.rstrip("/")
        self.identity = identity
        self.timeout = timeout
        self.trust = trust
        self.max_lag_blocks = max_lag_blocks
        self.max_lag_seconds = max_lag_seconds
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._info: dict | None = None
        self._clock_offset_ms = 0  # node chain clock minus local clock
        self._submitted: set[bytes] = set()  # identities whose certificate went with a tx
        self._read_cert: set[bytes] = set()  # identities whose reads carry the certificate

    # -- transport ------------------------------------------------------------------------
    def _new_conn(self, timeout: float | None = None) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=timeout or self.timeout)

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._new_conn()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _auth_headers(self, identity: Identity, method: str, path: str, body: bytes) -> dict[str, str]:
        date = int(time.time() * 1000)
        sig = identity.sign_read(self._chain_id(), method, path, hashlib.sha256(body).digest(), date)
        headers = {HEADER_SIGNER: identity.cert_id.hex(), HEADER_DATE: str(date), HEADER_SIGNATURE: b64encode(sig)}
        if identity.cert_id in self._read_cert:
            headers[HEADER_CERT] = b64encode(identity.cert)
        return headers

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        """One request on this thread's keep-alive connection; reconnects once if it went stale."""
        for attempt in (0, 1):
            conn = self._conn()
            try:
                conn.request(method, path, body=body if body or method != "GET" else None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data, resp.getheader("Content-Type", "")
            except _RETRYABLE as exc:
                self.close()
                if attempt:
                    raise ApiError("unavailable", f"connection to {self.url} failed: {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise ApiError("unavailable", f"cannot reach {self.url}: {exc}") from None
        raise AssertionError("unreachable")

    def _request(self, method: str, path: str, body: bytes = b"", *, content_type: str | None = None,
                 sign: Identity | None = None, accept: str = "application/json") -> tuple[int, bytes, str]:
        """(status, body, content type) of one API call, signed when an identity is given."""
        path = self._prefix + path
        for attempt in (0, 1):
            headers = {"Accept": accept}
            if content_type:
                headers["Content-Type"] = content_type
            if sign is not None:
                headers.update(self._auth_headers(sign, method, path, body))
            status, data, ctype = self._send(method, path, body, headers)
            if status == 401 and sign is not None and attempt == 0 and sign.cert_id not in self._read_cert:
                doc = _json_or_none(data)
                if isinstance(doc, dict) and doc.get("reason") == "unknown_signer":
                    self._read_cert.add(sign.cert_id)  # not registered on chain yet: show the certificate
                    continue
            return status, data, ctype
        raise AssertionError("unreachable")

    def _call(self, method: str, path: str, body: bytes = b"", *, content_type: str | None = None,
              sign: Identity | None = None) -> tuple[int, Any]:
        """(status, decoded JSON body) for one API call, signing reads when an identity is given."""
        status, data, _ = self._request(method, path, body, content_type=content_type, sign=sign)
        return status, _json_or_none(data)

    def _ok(self, status: int, doc: Any) -> Any:
        if 200 <= status < 300:
            return doc
        self._fail(status, doc)

    @staticmethod
    def _fail(status: int, doc: Any) -> NoReturn:
        """Raise the node's error answer as an ApiError."""
        if isinstance(doc, dict) and "code" in doc:
            raise ApiError(doc["code"], doc.get("message", ""), status)
        raise ApiError("internal" if status >= 500 else "bad_request", f"unexpected HTTP {status}", status)

    def _get(self, path: str, *, signed: bool = True, identity: Identity | None = None) -> Any:
        who = (identity or self.identity) if signed else None
        return self._ok(*self._call("GET", path, sign=who))

    # -- chain facts ------------------------------------------------------------------------
    def info(self) -> dict:
        """`GET /v1/info` (also refreshes the cached chain id and clock offset)."""
        before = time.time() * 1000
        info = self._ok(*self._call("GET", "/v1/info"))
        after = time.time() * 1000
        with self._lock:
            self._info = info
            self._clock_offset_ms = int(info["time"] - (before + after) / 2)
        return info

    def _chain_id(self) -> str:
        info = self._info if self._info is not None else self.info()
        return info["chain_id"]

    def _suite(self) -> str:
        info = self._info if self._info is not None else self.info()
        return info["suite"]

    def now_ms(self) -> int:
        """The node's chain clock as this client estimates it (includes a dev offset)."""
        if self._info is None:
            self.info()
        return int(time.time() * 1000) + self._clock_offset_ms

    def health(self) -> dict:
        return self._ok(*self._call("GET", "/healthz"))

    # -- transactions ---------------------------------------------------------------------
    def submit(self, identity: Identity | None, contract: str, method: str, *, wait: bool = True,
               **args: Any) -> Receipt:
        """Sign and submit; with `wait` return the committed receipt (see the module doc)."""
        return self.submit_args(identity, contract, method, args, wait=wait)

    def submit_args(self, identity: Identity | None, contract: str, method: str, args: dict[str, Any], *,
                    wait: bool = True, timeout: float | None = None) -> Receipt:
        """`submit` with the arguments as a dict (any argument name allowed)."""
        ident = identity or self.identity
        if ident is None:
            raise ValueError("submit needs an identity (pass one, or give the Client one)")
        chain_id = self._chain_id()
        attach = ident.cert_id not in self._submitted  # the certificate travels with the first tx
        retried_signer = retried_clock = False
        wait_s = timeout if timeout is not None else min(self.timeout, 300.0)
        while True:
            raw = ident.sign_tx(chain_id, contract, method, args, attach_cert=attach, now_ms=self.now_ms())
            query = urlencode({"wait": "true" if wait else "false", "timeout": f"{wait_s:g}"})
            status, doc = self._call("POST", f"/v1/txs?{query}", raw, content_type="application/octet-stream")
            if status in (200, 202):
                receipt = (Receipt.from_json(doc) if status == 200 else
                           Receipt(ok=False, code="pending", message="submitted; not waiting", tx_hash=doc["tx_hash"])
                           if not wait else self.wait(doc["tx_hash"], timeout=wait_s))
                if receipt.ok:
                    # a certificate is registered by its signer's first successful transaction
                    with self._lock:
                        self._submitted.add(ident.cert_id)
                        self._read_cert.discard(ident.cert_id)
                return receipt
            code = doc.get("code") if isinstance(doc, dict) else None
            if code not in CHECK_CODES:
                self._fail(status, doc)
            if code == "unknown_signer" and not attach and not retried_signer:
                attach = retried_signer = True
                continue
            if code == "tx_expired" and not retried_clock:
                retried_clock = True
                old = self._clock_offset_ms
                self.info()
                if abs(self._clock_offset_ms - old) > 1000:  # someone moved the dev clock: re-sign
                    continue
            if code == "replay" and doc.get("tx_hash"):
                # A freshly signed tx can only have been executed by our own earlier attempt
                # (a retried connection): report that execution's receipt.
                try:
                    return self.wait(doc["tx_hash"], timeout=5.0)
                except ApiError:
                    pass
            return Receipt(ok=False, code=code, message=doc.get("message", ""), tx_hash=doc.get("tx_hash", ""))

    def dry_run(self, identity: Identity | None, contract: str, method: str, **args: Any) -> Receipt:
        """Sign the call and ask the node what its block would answer, committing nothing
        (`POST /v1/txs/dry-run`): a receipt with the code and message of a refusal, or the
        result and events of success. Nothing is spent; submit the call afterwards to do it.
        Advice, not a promise: the block decides, after whatever comes first."""
        return self.dry_run_args(identity, contract, method, args)

    def dry_run_args(self, identity: Identity | None, contract: str, method: str,
                     args: dict[str, Any]) -> Receipt:
        """`dry_run` with the arguments as a dict (any argument name allowed)."""
        ident = identity or self.identity
        if ident is None:
            raise ValueError("dry_run needs an identity (pass one, or give the Client one)")
        chain_id = self._chain_id()
        attach = ident.cert_id not in self._submitted
        while True:
            raw = ident.sign_tx(chain_id, contract, method, args, attach_cert=attach, now_ms=self.now_ms())
            doc = self._ok(*self._call("POST", "/v1/txs/dry-run", raw, content_type="application/octet-stream"))
            receipt = Receipt.from_json(doc)
            if receipt.code == "unknown_signer" and not attach:
                attach = True  # a certificate the chain has not seen yet travels with the envelope
                continue
            return receipt

    def submit_many(self, identity: Identity | None, calls: list[tuple[str, str, dict[str, Any]]], *,
                    wait: bool = True, timeout: float | None = None) -> list[Receipt]:
        """Sign each `(contract, method, args)` and submit them all in one request
        (`POST /v1/txs/batch`, at most 1,000); the receipts come back in order.

        As with `submit`, refused transactions are receipts with `ok` False and the
        code (check_tx rejections included); one not committed yet (`wait=False`, or
        the timeout passed) has code "pending" and its `tx_hash`. The certificate
        travels with every transaction until one of the identity's transactions has
        succeeded; an `unknown_signer` refusal is retried once with the certificate.
        """
        ident = identity or self.identity
        if ident is None:
            raise ValueError("submit_many needs an identity (pass one, or give the Client one)")
        calls = list(calls)
        if not calls:
            return []
        chain_id = self._chain_id()
        attach = ident.cert_id not in self._submitted
        wait_s = timeout if timeout is not None else min(self.timeout, 300.0)
        query = urlencode({"wait": "true" if wait else "false", "timeout": f"{wait_s:g}"})
        out: list[Receipt | None] = [None] * len(calls)
        todo = list(range(len(calls)))
        for attempt in (0, 1):
            now = self.now_ms()
            envs = [ident.sign_tx(chain_id, calls[i][0], calls[i][1], calls[i][2], attach_cert=attach, now_ms=now)
                    for i in todo]
            doc = self._ok(*self._call("POST", f"/v1/txs/batch?{query}", encode(envs),
                                       content_type="application/cbor"))
            results = doc["results"]
            if len(results) != len(envs):
                raise ApiError("internal", f"{len(results)} results for {len(envs)} transactions")
            retry = []
            for i, item in zip(todo, results, strict=True):
                if item.get("status") == "pending":
                    out[i] = Receipt(ok=False, code="pending", message=item.get("message", "submitted; not waiting"),
                                     tx_hash=item["tx_hash"])
                elif "ok" in item:
                    out[i] = Receipt.from_json(item)
                else:  # refused by check_tx
                    if item.get("code") == "unknown_signer" and not attach and attempt == 0:
                        retry.append(i)
                    out[i] = Receipt(ok=False, code=item.get("code", "internal"), message=item.get("message", ""),
                                     tx_hash=item.get("tx_hash", ""))
            if any(r is not None and r.ok for r in out):
                # a certificate is registered by its signer's first successful transaction
                with self._lock:
                    self._submitted.add(ident.cert_id)
                    self._read_cert.discard(ident.cert_id)
            if not retry:
                break
            todo, attach = retry, True
        return out  # type: ignore[return-value]

    def wait(self, tx_hash: str | bytes, timeout: float = 30.0) -> Receipt:
        """The receipt of a submitted transaction once committed (polls with back-off)."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            try:
                doc = self.tx(tx_hash)
                if doc.get("withheld"):  # committed, but not this reader's to see (docs/confidentiality.md)
                    raise ApiError("withheld", f"transaction {doc.get('tx_hash')} is committed at height "
                                   f"{doc.get('height')}; its receipt is not this reader's to see (read it as its "
                                   "signer or a party)")
                return Receipt.from_json(doc["receipt"])
            except ApiError as exc:
                if exc.code != "not_found":
                    raise
            if time.monotonic() + delay > deadline:
                h = tx_hash.hex() if isinstance(tx_hash, bytes) else tx_hash
                raise ApiError("timeout", f"transaction {h} not committed within {timeout:g} s")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def tx(self, tx_hash: str | bytes) -> dict:
        """`GET /v1/txs/{hash}`: the decoded envelope, its receipt, height and index — or, for a
        transaction the reader may not see, `withheld: true` with its hash, position and receipt hash."""
        h = tx_hash.hex() if isinstance(tx_hash, bytes) else tx_hash
        return self._get(f"/v1/txs/{quote(h)}")

    # -- reads --------------------------------------------------------------------------------
    def query(self, contract: str, method: str, *, _as: Identity | None = None, _height: int | None = None,
              **args: Any) -> Any:
        """Run a contract query, signed by `_as` or the client's identity; returns its result.

        Unverified: this is what the node says. `verified` returns only what is proven."""
        return self._query_answer(contract, method, args, _as, _height)["result"]

    def _query_answer(self, contract: str, method: str, args: dict[str, Any], _as: Identity | None,
                      _height: int | None) -> dict[str, Any]:
        """The node's whole answer to a query: {"result", "height"}."""
        who = _as or self.identity
        path = f"/v1/query/{quote(contract, safe='')}/{quote(method, safe='')}"
        if _height is not None:
            path += f"?height={int(_height)}"
        if _has_bytes(args):
            body, ctype = encode(args), "application/cbor"
        else:
            body, ctype = json.dumps(args, separators=(",", ":")).encode(), "application/json"
        doc = self._ok(*self._call("POST", path, body, content_type=ctype, sign=who))
        if not isinstance(doc, dict) or "result" not in doc:
            raise ApiError("internal", "the node's query answer has no result")
        return doc

    def contracts(self) -> list[dict]:
        return self._get("/v1/contracts")["contracts"]

    def block(self, height: int | str = "latest", *, raw: bool = False) -> dict:
        """`GET /v1/blocks/{height}` (`"latest"` for the head). With `raw`, each transaction
        also carries its `envelope` and stored `receipt` (hex) and the block its `end_block`
        record: the bytes the header's roots commit to (unverified as served)."""
        h = height if height == "latest" else int(height)
        return self._get(f"/v1/blocks/{h}" + ("?raw=true" if raw else ""))

    def forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        """A request signed elsewhere, passed on as it is: (status, body, content type). A member
        node relays a read it cannot answer from its own view with it; the reader's signature
        covers the method, path and body, not the host, so the validator authenticates the reader."""
        return self._send(method, self._prefix + path, body, headers)

    def submit_raw(self, raw: bytes, *, wait: bool = True, timeout: float = 60.0) -> tuple[int, Any]:
        """`POST /v1/txs` of an envelope signed elsewhere, as it is: (HTTP status, answer). A
        member node forwards its users' submissions to a validator with it."""
        query = urlencode({"wait": "true" if wait else "false", "timeout": f"{timeout:g}"})
        return self._call("POST", f"/v1/txs?{query}", raw, content_type="application/octet-stream")

    def snapshot(self, height: int, after: bytes = b"", limit: int | None = None) -> dict:
        """`GET /v1/snapshot/{height}`: a page of the state as of block `height` that this client's
        organisation may read, with proofs (unverified as served; a member node joining from a
        checkpoint checks them). `next` names the key to continue `after`."""
        params = {"after": after.hex()} if after else {}
        if limit is not None:
            params["limit"] = str(int(limit))
        return self._get(f"/v1/snapshot/{int(height)}" + ("?" + urlencode(params) if params else ""))

    def sync_block(self, height: int) -> dict:
        """`GET /v1/sync/{height}`: block `height` as a member node of this client's
        organisation keeps it (faechain.api.sync), unverified as served: the member node
        checks each part against signed headers (`faechain.member.verify`)."""
        return self._get(f"/v1/sync/{int(height)}")

    def light_block(self, height: int) -> dict | None:
        """`GET /v1/light/{height}`: what a light client needs to check block `height`'s
        header by signatures (unverified as served; `faechain.sdk.light.LightClient`
        checks it). None when the node has no signed header for it yet."""
        try:
            return self._get(f"/v1/light/{int(height)}")
        except ApiError as exc:
            if exc.code == "not_found":
                return None
            raise

    def head_height(self) -> int:
        """The node's last committed height (`GET /v1/info`)."""
        return int(self.info()["height"])

    def state(self, key: str | bytes, height: int | None = None, *, prove: bool = False) -> dict:
        """`GET /v1/state`: a raw state value (hex) at a height, optionally with its proof."""
        params: dict[str, Any] = {"key": key} if isinstance(key, str) else {"key_hex": bytes(key).hex()}
        if height is not None:
            params["height"] = int(height)
        if prove:
            params["prove"] = "true"
        return self._get("/v1/state?" + urlencode(params))

    # -- verified reads ----------------------------------------------------------------------
    def _require_trust(self) -> HeaderTrust:
        if self.trust is None:
            raise VerificationError("no trusted header source: pass Client(trust=...)", "untrusted")
        return self.trust

    def _read_height(self, asked: int | None) -> int:
        """The height a verified read asks the node for: `asked`, or else the newest block
        whose header the trust can verify now. (On CometBFT the head block's app hash is
        signed only in the next header, so reading "the latest" state would give an answer
        nobody can check yet.)"""
        if asked is not None:
            return asked
        return self._require_trust().latest().height

    def _answered(self, what: str, answered: Any, asked: int, explicit: bool) -> int:
        """The height an answer is at, held to what was asked: exactly the height asked for
        explicitly; for "the latest", no later than asked and not stale (`trusted_header`
        states how far behind an older one is)."""
        if type(answered) is not int or answered > asked or (explicit and answered != asked):
            raise VerificationError(f"{what}: the node answered at height {answered!r}, not at height {asked} as "
                                    "asked", "not_proven")
        return answered

    def trusted_header(self, height: int, *, fresh: bool = True) -> TrustedHeader:
        """Block `height`'s header from the trust; with `fresh`, refused (`stale`) when it is
        more than `max_lag_blocks` blocks, or `max_lag_seconds` of block time, behind the
        latest header the trust knows — with witnesses (`WitnessedTrust`), the newest any of
        them can show, not only what the node read from admits to."""
        trust = self._require_trust()
        header = trust.trusted(height)
        if header.height != height:
            raise VerificationError(f"the trust source gave block {header.height} for block {height}", "untrusted")
        if fresh:
            latest = trust.newest() if isinstance(trust, WitnessedTrust) else trust.latest()
            lag = latest.height - height
            if lag > self.max_lag_blocks:
                raise VerificationError(f"the answer is at height {height}, {lag} blocks behind the latest signed "
                                        f"header ({latest.height}); the limit is {self.max_lag_blocks}", "stale")
            if self.max_lag_seconds is not None:
                behind = (latest.time_ms - header.time_ms) / 1000
                if behind > self.max_lag_seconds:
                    raise VerificationError(f"the answer is at height {height}, {behind:g} s of block time behind the "
                                            f"latest signed header ({latest.height}); the limit is "
                                            f"{self.max_lag_seconds:g} s", "stale")
        return header

    def verified(self, contract: str, method: str, *, _as: Identity | None = None, _height: int | None = None,
                 **args: Any) -> Any:
        """Run a query that takes `prove` and return what it proved: a typed record from
        `faechain.sdk.verified` (`VerifiedVoucher`, `VerifiedPlan`, ...) rebuilt from proven
        bytes only, checked against the trust's header of the answer's block (and, for
        histories, of each version's block). Raises `VerificationError`: `not_proven`,
        `incomplete`, `stale` (see `trusted_header`; not applied when `_height` asks for a
        past block), `untrusted` (no trust, or a query that cannot be proven), or what the
        trust raises (`bad_header`, `diverged`). ApiError as `query` does."""
        self._require_trust()
        verifiers.verifier_for(contract, method, args)  # refuses a query that cannot be proven, before asking
        asked = self._read_height(_height)
        answer = self._query_answer(contract, method, dict(args, prove=True), _as, asked)
        height = self._answered(f"{contract}.{method}", answer.get("height"), asked, _height is not None)
        header = self.trusted_header(height, fresh=_height is None)
        who = _as or self.identity
        reader = verifiers.ANONYMOUS if who is None else verifiers.Reader(who.org_id, who.role)

        def headers(at: int) -> TrustedHeader:  # a history's earlier blocks: old by nature, so not `fresh`
            return header if at == header.height else self.trusted_header(at, fresh=False)

        return verifiers.verify(contract, method, answer, args, header, get_suite(self._suite()).hash,
                                reader=reader, headers=headers)

    def prove(self, key: str | bytes, height: int | None = None) -> dict:
        """A state value with its proof, checked here against the trust's header.

        Returns {key, value (bytes or None), decoded, height, app_hash, header_app_hash,
        basis, proof, verified}: `header_app_hash` is the app hash of block `height` as the
        trust established it (`basis` says how), `value` verified against it with
        `faechain.ledger.smt.verify_proof`, and `decoded` that value decoded here. Anything
        else is refused, never returned: VerificationError `not_proven` when the proof does
        not verify or the node's rendering of the value (which `fae state` prints) is not the
        value proven, naming the key, the block and the field; `stale` without `height` for
        an old answer; `untrusted` without a trust (`verified` is always True).
        """
        asked = self._read_height(height)
        doc = self.state(key, asked, prove=True)
        answered = self._answered(f"state {key!r}", doc.get("height"), asked, height is not None)
        header = self.trusted_header(answered, fresh=height is None)
        name = key if isinstance(key, str) else _key_text(bytes(key))
        try:
            proof = doc["proof"]
            out = {
                "key": key.encode() if isinstance(key, str) else bytes(key),
                "value": bytes.fromhex(doc["value"]) if doc["value"] is not None else None,
                "decoded": None,
                "height": doc["height"],
                "app_hash": bytes.fromhex(doc["app_hash"]),
                "header_app_hash": header.app_hash,
                "basis": header.basis,
                "proof": {"siblings": [bytes.fromhex(s) for s in proof["siblings"]],
                          "leaf": [bytes.fromhex(x) for x in proof["leaf"]] if proof["leaf"] else None},
            }
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise VerificationError(f"{name}: the answer at height {answered} is malformed ({type(exc).__name__})",
                                    "not_proven") from None
        if out["app_hash"] != header.app_hash:
            raise VerificationError(f"{name}: proven against app hash {doc['app_hash'][:16]}…, not the trusted app "
                                    f"hash of block {answered} ({header.app_hash.hex()[:16]}…)", "not_proven")
        if not self.verify_proof(out):
            shown = "the value shown" if out["value"] is not None else "its absence, as shown,"
            raise VerificationError(f"{name}: {shown} does not verify against the trusted app hash of block "
                                    f"{answered}", "not_proven")
        if out["value"] is not None:
            try:
                out["decoded"] = jsonable(decode(out["value"]))
            except EncodingError:
                pass
        if "decoded" in doc:  # the node's rendering of the bytes, what a person reads: it must be theirs
            diff = first_difference(doc["decoded"], out["decoded"])
            if diff is not None:
                raise VerificationError(f"{name}: {difference_text(*diff)}", "not_proven")
        out["verified"] = True
        return out

    def verify_proof(self, proven: dict) -> bool:
        """Re-check a `prove` result (e.g. after changing it): its proof against the trust's
        header of its height (VerificationError `untrusted` without a trust)."""
        trust = self._require_trust()
        try:
            trusted = trust.trusted(proven["height"]).app_hash
            if proven.get("app_hash") != trusted or proven.get("header_app_hash") != trusted:
                return False
            return verify_proof(get_suite(self._suite()).hash, trusted, proven["key"], proven["value"],
                                proven["proof"])
        except (ProofError, KeyError, TypeError):
            return False

    def verify_query_proofs(self, result: dict) -> bool:
        """Check only that every proof a query returned with `prove=True` verifies against the
        trust's header of its block (and that block is fresh) — not that what the answer
        shows is what they prove, nor that they are for what was asked: `verified` checks
        that. True when all of them do (and there is at least one); VerificationError
        `untrusted` without a trust, `stale` for old proofs."""
        self._require_trust()
        proofs = result.get("proofs") or {}
        headers: dict[int, bytes] = {}
        for doc in proofs.values():
            h = doc["height"]
            if h not in headers:
                headers[h] = self.trusted_header(h).app_hash
            proof = doc["proof"]
            proven = {
                "key": bytes.fromhex(doc["key"]),
                "value": bytes.fromhex(doc["value"]) if doc["value"] is not None else None,
                "height": h,
                "app_hash": bytes.fromhex(doc["app_hash"]),
                "header_app_hash": headers[h],
                "proof": {"siblings": [bytes.fromhex(x) for x in proof["siblings"]],
                          "leaf": [bytes.fromhex(x) for x in proof["leaf"]] if proof["leaf"] else None},
            }
            if not self.verify_proof(proven):
                return False
        return bool(proofs)

    def penetrate(self, plan: str, *, _as: Identity | None = None, _height: int | None = None) -> Penetration:
        """See through a plan to every asset, voucher, invoice, document, cash flow and
        disclosure beneath it, and check it all here in one call.

        Runs `plans.penetrate` with proofs, takes the app hash of the block it was read at
        from the trust (fresh unless `_height` asks for a past block), and verifies every
        proof and the tree's completeness (`faechain.sdk.penetration.verify`). Returns a
        `Penetration`: `ok`, `checked`, `problems`, and `tree` built from proven values only.
        `verified("plans", "penetrate", plan=...)` raises on a problem instead.
        VerificationError `untrusted` without a trust.
        """
        asked = self._read_height(_height)
        answer = self._query_answer("plans", "penetrate", {"plan": plan, "prove": True}, _as, asked)
        answered = self._answered("plans.penetrate", answer.get("height"), asked, _height is not None)
        header = self.trusted_header(answered, fresh=_height is None)
        return verify_penetration(answer["result"], header.app_hash, get_suite(self._suite()).hash, plan_id=plan)

    def commit_bid(self, identity: Identity, auction: str, price: int, *,
                   salt: bytes | None = None) -> tuple[Receipt, bytes]:
        """Commit a sealed bid: submits `auctions.commit` with the digest of (auction, bidder,
        price, salt) and returns (receipt, salt). Keep the salt secret until the reveal
        period: without it nobody, the organiser included, can learn the price."""
        salt = salt if salt is not None else new_salt()
        digest = bid_digest(get_suite(self._suite()).hash, auction, identity.org_id, int(price), salt)
        return self.submit(identity, "auctions", "commit", auction=auction, digest=digest), salt

    def reveal_bid(self, identity: Identity, auction: str, price: int, salt: bytes) -> Receipt:
        """Reveal a sealed bid after the bidding deadline (price and salt as committed)."""
        return self.submit(identity, "auctions", "reveal", auction=auction, price=int(price), salt=bytes(salt))

    # -- regulator views: history and the audit trail ---------------------------------------------
    def history(self, ref: str, *, limit: int | None = None, after: str | None = None,
                _as: Identity | None = None) -> dict:
        """One page of `GET /v1/history`: the transactions (successful or rejected) and
        end-block events that name `ref` (an organisation, an asset id, ...), oldest first.
        Returns {"ref", "height", "items", "next"}; pass `next` as `after` for the next
        page (None on the last). Regulator and exchange only (ApiError `forbidden`)."""
        params: dict[str, Any] = {"ref": ref}
        if limit is not None:
            params["limit"] = int(limit)
        if after:
            params["after"] = after
        return self._get("/v1/history?" + urlencode(params), identity=_as)

    def history_all(self, ref: str, *, page: int = 500, _as: Identity | None = None) -> Iterator[dict]:
        """Every record of `ref`'s history, oldest first, page after page."""
        after = None
        while True:
            doc = self.history(ref, limit=page, after=after, _as=_as)
            yield from doc["items"]
            after = doc.get("next")
            if not after:
                return

    def audit_export(self, *, ref: str | None = None, org: str | None = None, format: str = "csv",
                     from_height: int | None = None, to_height: int | None = None,
                     _as: Identity | None = None) -> bytes:
        """`GET /v1/audit/export`: the audit trail as a file's bytes, one row per transaction
        naming `ref` (or signed by `org`; neither: every one) in the height range. `format`:
        "csv" (the rows alone), "zip" (the rows and their manifest) or "xlsx" (the manifest in
        its second sheet); `faechain.ledger.audit.verify_export` (or `fae audit verify`) checks
        a zip or xlsx export against a node's blocks. Regulator and exchange only."""
        params: dict[str, Any] = {"format": format}
        if ref is not None:
            params["ref"] = ref
        if org is not None:
            params["org"] = org
        if from_height is not None:
            params["from_height"] = int(from_height)
        if to_height is not None:
            params["to_height"] = int(to_height)
        status, data, _ = self._request("GET", "/v1/audit/export?" + urlencode(params),
                                        sign=_as or self.identity, accept="*/*")
        if not 200 <= status < 300:
            self._ok(status, _json_or_none(data))  # raises
        return data

    # -- documents (the node's vault) ------------------------------------------------------------
    def document_hash(self, data: bytes) -> str:
        """The hash (hex) under which the chain records and the vault stores `data`: the
        chain suite's hash function, as `/v1/info` names the suite."""
        return get_suite(self._suite()).hash(bytes(data)).hex()

    def upload_document(self, identity: Identity | None, scope: str, subject: str, data: bytes) -> dict:
        """Store `data` in the node's vault (`PUT /v1/vault/{hash}`), signed by `identity`
        (or the client's); the contract `scope` decides whether this member may store a
        document for `subject`. Returns {"hash", "size", "stored"} (`stored` False when
        the same bytes were already there). Raises ApiError when refused
        (`unauthorized`, `unknown_scope`, `too_large`, ...)."""
        ident = identity or self.identity
        if ident is None:
            raise ValueError("upload_document needs an identity (pass one, or give the Client one)")
        data = bytes(data)
        path = f"/v1/vault/{self.document_hash(data)}?" + urlencode({"scope": scope, "subject": subject})
        return self._ok(*self._call("PUT", path, data, content_type="application/octet-stream", sign=ident))

    def download_document(self, identity: Identity | None, scope: str, hash_hex: str) -> bytes:
        """The bytes of the document `hash_hex` from the node's vault (`GET /v1/vault/{hash}`),
        read as `identity` (or the client's; anonymous when neither). The bytes are
        re-hashed here: ApiError `hash_mismatch` if the node sent anything else. Raises
        ApiError when refused (`unauthorized`, `not_found`, `not_in_vault`,
        `vault_damaged`, ...)."""
        hash_hex = hash_hex.lower()
        path = f"/v1/vault/{quote(hash_hex, safe='')}?" + urlencode({"scope": scope})
        status, data, _ = self._request("GET", path, sign=identity or self.identity, accept="*/*")
        if not 200 <= status < 300:
            self._ok(status, _json_or_none(data))  # raises
        actual = self.document_hash(data)
        if actual != hash_hex:
            raise ApiError("hash_mismatch", f"the node sent {len(data)} bytes that hash to {actual}, "
                                            f"not to {hash_hex}", status)
        return data

    # -- events -------------------------------------------------------------------------------
    def events(self, from_height: int | None = None, contract: str | None = None, type: str | None = None,
               *, blocks: bool = True, timeout: float = 60.0) -> Iterator[dict]:
        """Follow `GET /v1/events`: yields {"event": "block"|"contract", ...payload} dicts.

        History from `from_height` first (live only when None), then live blocks. The
        iterator ends when the caller closes it (or the node closes the stream); it raises
        ApiError when the node ends the stream with an error event: `too_slow` (resume
        with `from_height` = the last block height received + 1) or `unavailable`.
        """
        params: dict[str, Any] = {}
        if from_height is not None:
            params["from"] = int(from_height)
        if contract:
            params["contract"] = contract
        if type:
            params["type"] = type
        if not blocks:
            params["blocks"] = "false"
        path = self._prefix + "/v1/events" + ("?" + urlencode(params) if params else "")
        return self._event_stream(path, timeout)

    def _event_stream(self, path: str, timeout: float) -> Iterator[dict]:
        headers = {"Accept": "text/event-stream"}
        who = self.identity
        for attempt in (0, 1):
            if who is not None:
                headers.update(self._auth_headers(who, "GET", path, b""))
            conn = self._new_conn(timeout)
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise ApiError("unavailable", f"cannot reach {self.url}: {exc}") from None
            if resp.status == 200:
                break
            data = resp.read()
            conn.close()
            try:
                doc = json.loads(data)
            except ValueError:
                doc = None
            if (resp.status == 401 and attempt == 0 and who is not None and isinstance(doc, dict)
                    and doc.get("reason") == "unknown_signer"):
                self._read_cert.add(who.cert_id)
                continue
            self._ok(resp.status, doc)
        return self._parse_sse(conn, resp)

    @staticmethod
    def _parse_sse(conn: http.client.HTTPConnection, resp: http.client.HTTPResponse) -> Iterator[dict]:
        try:
            event = "message"
            data: list[str] = []
            while True:
                try:
                    raw = resp.readline()
                except TimeoutError:
                    raise ApiError("timeout", "no data (not even a heartbeat) from the event stream") from None
                if not raw:
                    return
                line = raw.decode("utf-8").rstrip("\r\n")
                if line == "":
                    if data:
                        payload = json.loads("\n".join(data))
                        if event == "error":
                            raise ApiError(payload.get("code", "internal"), payload.get("message", ""), 200)
                        yield {"event": event, **payload}
                    event, data = "message", []
                elif line.startswith(":"):
                    continue
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event = value
                    elif name == "data":
                        data.append(value)
        finally:
            conn.close()

    # -- dev ------------------------------------------------------------------------------------
    def advance_time(self, seconds: int) -> dict:
        """Dev chains only: move the chain clock forward (`forbidden` elsewhere)."""
        body = json.dumps({"seconds": int(seconds)}).encode()
        doc = self._ok(*self._call("POST", "/v1/dev/advance_time", body, content_type="application/json",
                                   sign=self.identity))
        self.info()  # pick up the new clock for transaction expiry
        return doc
