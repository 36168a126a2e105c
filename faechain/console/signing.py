"""Signing for a console member: the node signs with the member's wallet key, shows what it
signed, tries it, and submits it only when the member confirms.

    POST /console/api/tx/prepare   sign contract.method(args) as the member; answers every field
                                   of the signed body and what the next block would answer to it
                                   (a dry run, `Application.dry_run`): the member sees a refusal
                                   — its code and message — before sending anything
    POST /console/api/tx/submit    submit a prepared transaction {"tx_hash"}; its receipt

The signed envelope waits in the session until `submit` or its expiry: the bytes submitted
are exactly those shown. A dry run is advice (transactions ahead of it in the mempool are
not applied); the block decides, and the receipt says what it decided.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from faechain.api.errors import HttpError
from faechain.api.http import json_response, receipt_json
from faechain.chain.engine import EngineError
from faechain.chain.results import Rejected
from faechain.core.encoding import EncodingError, check
from faechain.core.tx import decode_tx
from faechain.core.wire import jsonable

RECEIPT_WAIT_SECONDS = 30.0


def from_json_args(value: Any) -> Any:
    """JSON arguments to the value model: `{"$bytes": "<hex>"}` stands for a byte string."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"} and isinstance(value["$bytes"], str):
            try:
                return bytes.fromhex(value["$bytes"])
            except ValueError:
                raise HttpError("bad_request", "a {\"$bytes\": ...} argument must be hex") from None
        return {k: from_json_args(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_args(v) for v in value]
    if isinstance(value, float):
        raise HttpError("bad_request", "numbers must be integers (amounts are fen)")
    return value


def model_args(args: dict) -> dict:
    """Arguments only of the ledger's value model (no lone surrogates, 64-bit integers)."""
    try:
        check(args)
    except EncodingError as exc:
        raise HttpError("bad_request", f"unacceptable argument value: {exc}") from None
    return args


def signed_json(tx, identity) -> dict:
    """Every field of a signed body, as the console shows it (nonce as text: it may exceed 2^53)."""
    return {"tx_hash": tx.hash.hex(), "chain": tx.chain, "contract": tx.contract, "method": tx.method,
            "args": jsonable(tx.args), "nonce": str(tx.nonce), "expires": tx.expires, "signer": tx.signer.hex(),
            "signer_name": identity.name, "signer_org": identity.org_id, "body": tx.body.hex(),
            "signature": tx.signature.hex(), "cert_attached": tx.cert is not None}


class Signing:
    """The console's two signing routes, over the console's sessions."""

    def __init__(self, console):
        self.console = console

    async def trial(self, raw: bytes, now: int) -> dict:
        """What the next block would answer to `raw`: the receipt of a dry run, here or (a member
        node holds only its organisation's records) at a validator; code "unavailable" when
        nobody can say, which never stops the member from sending."""
        node = self.console.node
        try:
            receipt = await self.console.api.run_blocking(node.app.dry_run, raw, now)
            return receipt_json(receipt)
        except Rejected as exc:
            if exc.code != "not_available_here":
                return {"ok": False, "code": exc.code, "message": exc.message}
        relayed = await self.console.api.run_blocking(
            node.relay_read, "POST", "/v1/txs/dry-run", {"Content-Type": "application/octet-stream"}, raw)
        if relayed is None or relayed[0] != 200:
            return {"ok": False, "code": "unavailable", "message": "no validator answered the dry run"}
        return json.loads(relayed[1])

    async def prepare(self, request: web.Request) -> web.Response:
        s = self.console.require_session(request)
        self.console.check_csrf(request, s)
        doc = await self.console.read_json(request)
        contract, method, args = doc.get("contract"), doc.get("method"), doc.get("args", {})
        if not isinstance(contract, str) or not isinstance(method, str) or not isinstance(args, dict):
            raise HttpError("bad_request", 'the body is {"contract": ..., "method": ..., "args": {...}}')
        app = self.console.node.app
        c = app.contracts.get(contract)
        m = c.methods.get(method) if c is not None else None
        if m is None or m.kind != "tx":
            raise HttpError("not_found", f"no transaction method {contract}.{method}")
        args = model_args(from_json_args(args))
        ident = s.identity
        now = self.console.node.engine.now_ms()
        raw = ident.sign_tx(app.chain_id, contract, method, args, attach_cert=True, now_ms=now)
        tx = decode_tx(raw, app.hash)
        self.console.sessions.hold(s, tx.hash.hex(), raw, max(1.0, (tx.expires - now) / 1000))
        return json_response({"signed": signed_json(tx, ident), "now": now, "dry_run": await self.trial(raw, now)})

    async def submit(self, request: web.Request) -> web.Response:
        s = self.console.require_session(request)
        self.console.check_csrf(request, s)
        doc = await self.console.read_json(request)
        tx_hash = doc.get("tx_hash")
        if not isinstance(tx_hash, str):
            raise HttpError("bad_request", 'the body is {"tx_hash": "<hash of a prepared transaction>"}')
        raw = self.console.sessions.take(s, tx_hash)
        if raw is None:
            raise HttpError("not_found", "no prepared transaction with this hash in your session (expired or sent)")
        tx = decode_tx(raw, self.console.node.app.hash)
        signed = signed_json(tx, s.identity)
        check_future, receipt_future = self.console.node.engine.submit_async(raw, True)
        check = await asyncio.wrap_future(check_future)
        if not check.ok:
            return json_response({"signed": signed, "receipt": {"ok": False, "code": check.code,
                                                                "message": check.message, "tx_hash": tx_hash}})
        try:
            receipt = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(receipt_future)),
                                             RECEIPT_WAIT_SECONDS)
        except TimeoutError:
            return json_response({"signed": signed, "receipt": {"ok": False, "code": "pending", "tx_hash": tx_hash,
                                                                "message": "accepted, not committed yet"}})
        except EngineError as exc:  # the engine stopped
            raise HttpError("unavailable", exc.message) from None
        return json_response({"signed": signed, "receipt": receipt_json(receipt)})
