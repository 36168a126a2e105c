"""Block-explorer reads the REST API does not have in one piece (runs in a worker thread).

`tx_detail` is a transaction as the explorer's transaction page shows it: the decoded
envelope and receipt, the signer's certificate chain as membership state holds it
(member certificate record, organisation, organisation CA), and the state it changed
with proofs. Every part follows the reader's view (docs/confidentiality.md): a transaction
it may not see is withheld as on `GET /v1/txs/{hash}`, and of the block's writes it is
shown only the keys it may read.

What a transaction changed. The ledger records state writes per block (`kv` rows at
the block's height), not per transaction. The page lists every key written in the
transaction's block, each with its value after the block and a sparse-Merkle proof
against that block's app hash, and marks the keys *attributed* to the transaction:
those naming an id that appears in its arguments, result or events (a voucher, plan,
package, financing, ... id), and the signer's certificate record. In a block of one
transaction (the usual case for console actions) every write is that transaction's or
the contracts' end-of-block work.
"""

from __future__ import annotations

import re
from typing import Any

from faechain.api.confidential import visible_indexes, withheld_tx
from faechain.api.http import receipt_json
from faechain.chain.results import Receipt
from faechain.console.signers import SignerNames
from faechain.contracts.runtime import Caller, sees_all
from faechain.core.block import Header
from faechain.core.encoding import EncodingError, decode, decode_trusted
from faechain.core.tx import TxError, decode_tx
from faechain.core.wire import jsonable
from faechain.crypto import certs

MAX_WRITES = 200
MAX_EVENT_PAGES = 20  # pages of events read past withheld ones to fill one answer
# ids worth matching in state keys: text of 3..128 characters with a digit, no whitespace or slash
_ID = re.compile(r"^[^\s/]{3,128}$")


def _ids(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        if _ID.match(value) and any(c.isdigit() for c in value):
            out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _ids(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _ids(v, out)


def _proof_json(res: dict) -> dict:
    proof = res["proof"]
    return {"siblings": [s.hex() for s in proof["siblings"]],
            "leaf": [x.hex() for x in proof["leaf"]] if proof["leaf"] else None}


def keys_written(store, height: int, limit: int | None = MAX_WRITES + 1) -> list[bytes]:
    """The state keys a block wrote (set or deleted), in key order (all of them: `limit` None)."""
    # (on a member node, rows of records the block only made readable or unreadable are no writes)
    rows = store.read.execute("SELECT key FROM kv WHERE height=? AND NOT EXISTS (SELECT 1 FROM revealed r "
                              "WHERE r.key=kv.key AND r.height=kv.height) ORDER BY key LIMIT ?",
                              (height, -1 if limit is None else limit)).fetchall()
    return [bytes(r[0]) for r in rows]


def _cert_chain(node, tx, height: int) -> dict:
    app = node.app
    out: dict[str, Any] = {"signer": tx.signer.hex()}
    cert_key = f"membership/cert/{tx.signer.hex()}".encode()
    raw = app.store.get_value(cert_key, height)
    member = jsonable(decode_trusted(raw)) if raw is not None else None
    if member is not None:
        member.pop("public_key", None)
    out["member"] = member
    if tx.cert is not None:
        try:
            info = certs.read_info(tx.cert)
            out["attached"] = {"org_id": info.org_id, "name": info.name, "role": info.role,
                               "attributes": info.attributes, "not_before": info.not_before,
                               "not_after": info.not_after, "cert_id": app.hash(tx.cert).hex()}
        except certs.CertificateError as exc:
            out["attached"] = {"error": str(exc)}
    org_id = (member or out.get("attached") or {}).get("org_id")
    if not org_id:
        return out
    org_raw = app.store.get_value(f"membership/org/{org_id}".encode(), height)
    org = jsonable(decode_trusted(org_raw)) if org_raw is not None else None
    out["org"] = org
    ca_raw = app.store.get_value(f"membership/ca/{org_id}".encode(), height)
    if ca_raw is not None:
        ca_der = decode_trusted(ca_raw)
        try:
            info = certs.read_info(ca_der)
            out["ca"] = {"ca_id": app.hash(ca_der).hex(), "org_id": info.org_id, "name": info.name,
                         "is_ca": info.is_ca, "not_before": info.not_before, "not_after": info.not_after}
        except certs.CertificateError as exc:
            out["ca"] = {"error": str(exc)}
        if tx.cert is not None:
            try:
                certs.verify_issued_by(app.suite, tx.cert, ca_der)
                out["issued_by_ca"] = True
            except certs.CertificateError as exc:
                out["issued_by_ca"] = False
                out["issued_by_ca_error"] = str(exc)
    return out


def tx_detail(node, tx_hash: bytes, caller: Caller | None) -> dict | None:
    """The explorer's view of a committed transaction as `caller` may see it; None if there is none."""
    app, store = node.app, node.store
    row = store.tx(tx_hash)
    if row is None:
        held = store.withheld_tx(tx_hash)  # a member node's: only the hashes of what it may not see
        if held is None:
            return None
        height, index, receipt_hash = held
        header = Header.decode(store.block(height)[1])
        return {"index": index, "hash": tx_hash.hex(), "tx_hash": tx_hash.hex(), "withheld": True,
                "receipt_hash": receipt_hash.hex(), "height": height, "time": header.time,
                "app_hash": header.app_hash.hex()}
    height, index, envelope, receipt_raw = row
    receipt = Receipt.from_map(decode(receipt_raw))
    header = Header.decode(store.block(height)[1])
    view = None if sees_all(caller) else app.read_view(caller, height)
    if view is not None and not view.sees_envelope(envelope, receipt):
        return {**withheld_tx(index, tx_hash, receipt_raw, app.hash), "height": height, "time": header.time,
                "app_hash": header.app_hash.hex()}
    doc: dict[str, Any] = {"tx_hash": tx_hash.hex(), "height": height, "index": index, "time": header.time,
                           "app_hash": header.app_hash.hex(), "receipt": receipt_json(receipt)}
    try:
        tx = decode_tx(envelope, app.hash)
    except TxError as exc:
        doc["undecodable"] = exc.message
        return doc
    doc.update(chain=tx.chain, contract=tx.contract, method=tx.method, args=jsonable(tx.args),
               nonce=str(tx.nonce), expires=tx.expires, signature=tx.signature.hex(), body=tx.body.hex(),
               cert_attached=tx.cert is not None, size=tx.size)
    doc.update(SignerNames(store).of(tx.signer.hex(), height))  # who signed, in words (the list's too)
    doc["certificates"] = _cert_chain(node, tx, height)
    mentioned: set[str] = set()
    _ids(tx.args, mentioned)
    _ids(receipt.result, mentioned)
    for ev in receipt.events:
        _ids(ev.get("attrs"), mentioned)
    own_cert = f"membership/cert/{tx.signer.hex()}"
    keys = [k for k in keys_written(store, height, None) if view is None or view.may_read(k)]
    truncated = len(keys) > MAX_WRITES
    writes = []
    for key in keys[:MAX_WRITES]:
        text = key.decode("utf-8", "replace")
        parts = [p.split(":", 1)[-1] for p in text.split("/")[1:]]  # plans/asset/voucher:V-1 names V-1
        attributed = receipt.ok and (text == own_cert or any(p in mentioned for p in parts))
        res = app.state_value(key, height, prove=True)
        value = res["value"]
        item = {"key": text, "key_hex": key.hex(), "attributed": bool(attributed),
                "value": value.hex() if value is not None else None, "proof": _proof_json(res)}
        if value is not None:
            try:
                item["decoded"] = jsonable(decode(value))
            except EncodingError:
                pass
        writes.append(item)
    doc["writes"] = writes
    doc["writes_truncated"] = truncated
    return doc


def recent_events(node, caller: Caller | None, contract: str | None, type_: str | None, limit: int) -> list[dict]:
    """The latest committed contract events `caller` may see (newest first), each with its block time."""
    store = node.store
    sql = "SELECT height, idx, n, contract, type, data FROM events"
    where: list[str] = []
    params: list[str | int] = []
    if contract:
        where.append("contract=?")
        params.append(contract)
    if type_:
        where.append("type=?")
        params.append(type_)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY height DESC, idx DESC, n DESC LIMIT ? OFFSET ?"
    times: dict[int, int] = {}
    seen: dict[int, tuple[set[int], int] | None] = {}  # height -> the transactions the reader sees there
    out: list[dict] = []
    offset = 0
    for _ in range(MAX_EVENT_PAGES):  # withheld events are skipped: read on, a page at a time
        rows = store.read.execute(sql, [*params, limit, offset]).fetchall()
        offset += len(rows)
        for h, idx, n, c, t, data in rows:
            attrs = jsonable(decode_trusted(data))
            if not sees_all(caller):
                if h not in seen:
                    seen[h] = visible_indexes(node, caller, h)
                visible = seen[h]
                if visible is not None and not (idx in visible[0] if idx < visible[1] else
                                                node.app.read_view(caller, h).sees_event(
                                                    {"contract": c, "type": t, "attrs": attrs})):
                    continue
            if h not in times:
                block = store.block(h)
                times[h] = Header.decode(block[1]).time if block else 0
            out.append({"height": h, "tx": idx, "n": n, "contract": c, "type": t, "time": times[h], "attrs": attrs})
            if len(out) >= limit:
                return out
        if len(rows) < limit:
            break
    return out
