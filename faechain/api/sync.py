"""`GET /v1/sync/{height}`: one block as a member node of the reader's organisation keeps it.

A member node (faechain.member) executes nothing: it follows the validators block by
block and keeps only what its organisation may read. This route is what it asks a
validator for, signed as its organisation, and it carries nothing the reader could not
read through the other routes (docs/confidentiality.md); each part comes with what lets the
member check it against a header the validators signed, so the validator answering is not
trusted:

    header, block_hash     faechain's header of the block (its app hash is the signed one)
    txs                    per transaction: index, hash, receipt hash and `leaf` (SHA-256 of
                           its envelope: CometBFT's data_hash is over these); to a reader who
                           may see it also the envelope and the stored receipt, else
                           `withheld: true`
    end_block_hash         the end-of-block record's hash (a results-root leaf), or None;
    end_block_whole        whether the reader may see every end-of-block event (then the member
                           checks them against that hash)
    events                 the stored event rows the reader may see: of the transactions it
                           sees, and the end-of-block events it may see
    writes                 each state value the block wrote that the reader may read after it,
                           with its Merkle proof against the block's app hash
    hidden                 keys the block wrote that the reader could read before it and may not
                           after it: the member forgets their values, as a validator answers them
                           "not found" to this reader from now on
    revealed, concealed    the same for records the block did not write but made readable (with
                           proofs) or unreadable to the reader (`Contract.related`: a voucher's
                           chain of title once it holds a piece, a plan's pool once it subscribes,
                           a package's loans once listed); kept apart, as they are no writes

`GET /v1/snapshot/{height}?after=<key hex>&limit=<n>` pages through the whole state as of a
block, each value the reader may read with its proof: where a member node joining from a
checkpoint starts (it then follows from the next block).

Only a member signs for them: an anonymous reader has no organisation to sync for.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from aiohttp import web

from faechain.api.auth import require_member
from faechain.api.errors import HttpError
from faechain.api.http import MAX_INT_PARAM, hex_param, int_param, json_response, parse_int
from faechain.chain.results import Receipt
from faechain.contracts.runtime import Caller, sees_all
from faechain.core.block import end_block_record
from faechain.core.encoding import EncodingError, decode
from faechain.core.tx import TxError, decode_tx

if TYPE_CHECKING:
    from faechain.api.server import Api

MAX_WRITES = 100_000  # a block writing more values than this is refused to a member (none does)
SNAPSHOT_PAGE = 1000  # state entries scanned per page of GET /v1/snapshot/{height}
MAX_RELATED = 10_000  # records followed from a block's writes (a chain of title is a few dozen)


def _proof_json(proof: dict[str, Any]) -> dict[str, Any]:
    return {"siblings": [s.hex() for s in proof["siblings"]],
            "leaf": [x.hex() for x in proof["leaf"]] if proof["leaf"] else None}


def _committed(node: Any, height: int) -> tuple[bytes, bytes] | None:
    """(block hash, header) of committed block `height`; None past the head."""
    return node.store.block(height) if 0 <= height <= node.app.height else None


def related_keys(app: Any, store: Any, written: list[tuple[bytes, bytes | None]], height: int) -> list[bytes]:
    """The records whose readers the block's writes may have changed without writing them
    (`Contract.related`, followed from record to record up to MAX_RELATED), in key order."""
    seen = {key for key, _ in written}
    pending = [(key, value) for key, value in written]
    found: list[bytes] = []
    while pending and len(found) < MAX_RELATED:
        key, value = pending.pop()
        contract_name, _, rest = key.decode("utf-8", "replace").partition("/")
        contract = app.contracts.get(contract_name)
        if contract is None:
            continue
        if value is None:  # deleted: what it pointed at, as it stood before the block
            value = store.get_value(key, height - 1) if height > 0 else None
        if value is None:
            continue
        try:
            record = decode(value)
        except EncodingError:
            continue
        for full in contract.related(rest, record):
            k = full.encode()
            if full and k not in seen:
                seen.add(k)
                found.append(k)
                pending.append((k, store.get_value(k, height)))
    return sorted(found)


def sync_doc(node: Any, height: int, caller: Caller | None) -> dict[str, Any] | None:
    """Block `height` as `caller`'s organisation may keep it (see the module docstring); None
    past the head. Blocking: run it with `Api.run_blocking`."""
    store, app = node.store, node.app
    row = _committed(node, height)
    if row is None:
        return None
    hasher = app.hash
    everything = sees_all(caller)
    view = app.read_view(caller, height)
    txs: list[dict[str, Any]] = []
    seen: set[int] = set()
    rows = store.block_txs(height)
    for index, tx_hash, envelope, receipt in rows:
        item: dict[str, Any] = {"index": index, "hash": tx_hash.hex(), "receipt_hash": hasher(receipt).hex(),
                                "leaf": hashlib.sha256(envelope).hexdigest()}
        try:
            tx = decode_tx(envelope, hasher)
        except TxError:
            tx = None
        if everything or view.sees_tx(tx, Receipt.from_map(decode(receipt))):
            item.update(envelope=envelope.hex(), receipt=receipt.hex())
            seen.add(index)
        else:
            item["withheld"] = True
        txs.append(item)
    n = len(rows)
    end = store.events_at(height, n)
    end_events = [{"contract": c, "type": t, "attrs": decode(d)} for c, t, d in end]
    record = end_block_record(end_events) if end_events else None
    events = []
    shown_end = 0
    for h, idx, k, contract, type_, data in store.events_between(height, height):
        visible = (idx in seen) if idx < n else (everything or view.sees_event(
            {"contract": contract, "type": type_, "attrs": decode(data)}))
        if h == height and visible:
            events.append({"idx": idx, "n": k, "contract": contract, "type": type_, "data": data.hex()})
            shown_end += idx == n
    written = store.writes_at(height)
    if len(written) > MAX_WRITES:
        raise HttpError("too_large", f"block {height} wrote {len(written)} values, more than a member node is sent "
                        f"({MAX_WRITES})")
    before = app.read_view(caller, height - 1) if height > 0 else None
    writes, hidden = [], []
    for key, value in written:
        if everything or view.may_read(key):
            proof = app.state_value(key, height, prove=True)["proof"]
            writes.append({"key": key.hex(), "value": None if value is None else value.hex(),
                           "proof": _proof_json(proof)})
        elif before is not None and before.may_read(key):
            hidden.append(key.hex())
    revealed, concealed = [], []
    if not everything and before is not None:
        # records this block made readable (or unreadable) to the reader without writing them
        for key in related_keys(app, store, written, height):
            now, was = view.may_read(key), before.may_read(key)
            if now and not was:
                res = app.state_value(key, height, prove=True)
                value = res["value"]
                revealed.append({"key": key.hex(), "value": None if value is None else value.hex(),
                                 "proof": _proof_json(res["proof"])})
            elif was and not now:
                concealed.append(key.hex())
    return {"height": height, "header": row[1].hex(), "block_hash": row[0].hex(), "txs": txs,
            "end_block_hash": hasher(record).hex() if record is not None else None,
            "end_block_whole": record is not None and shown_end == len(end),
            "events": events, "writes": writes, "hidden": hidden, "revealed": revealed, "concealed": concealed}


def snapshot_doc(node: Any, height: int, caller: Caller | None, after: bytes, limit: int) -> dict[str, Any] | None:
    """A page of the state as of block `height` that `caller` may read, each value with its proof
    against that block's app hash: what a member node joining from a checkpoint starts from.
    `next` is the key to ask `after` for the next page (None: the last page). Blocking."""
    app, store = node.app, node.store
    row = _committed(node, height)
    if row is None:
        return None
    view = None if sees_all(caller) else app.read_view(caller, height)
    values = []
    last = after
    scanned = store.live_after(after, height, limit)
    for key, value in scanned:
        last = key
        if view is None or view.may_read(key):
            proof = app.state_value(key, height, prove=True)["proof"]
            values.append({"key": key.hex(), "value": value.hex(), "proof": _proof_json(proof)})
    return {"height": height, "header": row[1].hex(), "block_hash": row[0].hex(), "values": values,
            "next": last.hex() if len(scanned) == limit else None}


def _height(request: web.Request) -> int:
    """The route's `{height}`; bad_request when it is not one."""
    try:
        height = parse_int(request.match_info["height"])
    except ValueError:
        raise HttpError("bad_request", "height must be a non-negative integer") from None
    if not 0 <= height <= MAX_INT_PARAM:
        raise HttpError("bad_request", "height must be a non-negative integer")
    return height


def add_routes(app: web.Application, api: Api) -> None:
    async def sync(request: web.Request) -> web.Response:
        caller = await api.reader(request)
        require_member(caller)  # None: an open dev node's anonymous reader, who sees everything
        height = _height(request)
        doc = await api.run_blocking(sync_doc, api.node, height, caller)
        if doc is None:
            raise HttpError("not_found", f"no block at height {height} (head is {api.node.app.height})")
        return json_response(doc)

    async def snapshot(request: web.Request) -> web.Response:
        caller = await api.reader(request)
        require_member(caller)
        height = _height(request)
        after = hex_param(request.query.get("after", ""), "after") if request.query.get("after") else b""
        limit = int_param(request, "limit", SNAPSHOT_PAGE, 1)
        if limit > SNAPSHOT_PAGE:
            raise HttpError("bad_request", f"parameter 'limit' is at most {SNAPSHOT_PAGE}")
        doc = await api.run_blocking(snapshot_doc, api.node, height, caller, after, limit)
        if doc is None:
            raise HttpError("not_found", f"no block at height {height} (head is {api.node.app.height})")
        return json_response(doc)

    app.router.add_get("/v1/sync/{height}", sync)
    app.router.add_get("/v1/snapshot/{height}", snapshot)
