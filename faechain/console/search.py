"""The explorer's search box: one text, every kind of thing it may name, as the reader may see it.

`GET /console/api/search?q=` takes what a person types — an organisation's name (any part of
it, any letter case, Chinese or Latin) or its code; a voucher, plan, package, product (a
tranched product), auction, financing or invoice id, whole or its beginning; a block height;
the first 6 or more hex digits of a block or transaction hash — and answers with groups of
matches, each a link target for the console (static/views/explorer.js).

Every lookup is a bounded range read on a key that is already ordered, never a scan of the
chain:

    ids          `kv` (primary key (key, height)): the range `<contract>/<kind>/<ID...`
                 (`Store.scan_prefix`), at most MAX_SCAN keys per kind
    transactions `tx_by_hash` (primary key hash), and on a member node `withheld` (index
                 withheld_by_hash): hash BETWEEN prefix+00.. AND prefix+ff..
    blocks       `blocks` by hash: the index `blocks_by_hash` (faechain.ledger.storage) — the
                 table's key is the height, so without that index this would read every block
    heights      `blocks` by its primary key
    organisations `membership/org/` read whole: the consortium holds at most MAX_ORGS of them
                 (membership refuses more), so a name matches anywhere in it, not only at its start

Confidentiality (docs/confidentiality.md): every record found is shown only if the reader may
read it (`ReadView.may_read`, the contracts' own rules, at the head); one it may not read is
dropped exactly as if it did not exist, so a member searching a competitor's voucher id gets
the same answer as for an id nobody issued — the same empty group list, the same `more`
flags (counted over readable matches only). A transaction is what everyone may learn of it
(hash, block, position: `withheld`) or, to a reader who sees it, its call and signer — what
`GET /console/api/txs/{hash}` shows. A member who types only a few characters on a chain of
many records it may not read may miss some of its own past the first MAX_SCAN keys of a
range; typing more of the id narrows the range.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from faechain.api.confidential import withheld_tx
from faechain.api.errors import HttpError
from faechain.api.http import json_response
from faechain.chain.results import Receipt
from faechain.console.signers import signer_names
from faechain.contracts.runtime import Caller, sees_all
from faechain.core.block import Header
from faechain.core.encoding import decode_trusted
from faechain.core.tx import TxError, decode_tx
from faechain.modules.membership.records import MAX_ORGS

MAX_QUERY = 128  # characters: longer than any name, id or hash
MIN_HEX = 6  # hex digits of a hash prefix (fewer would match too many to be useful)
PER_GROUP = 10  # matches shown per group; `more` says there are further readable ones
MAX_SCAN = 500  # keys of one id range read per query
HASH_BYTES = 32

# (group, state key prefix of its records): the explorer has a page for each
ID_KINDS: tuple[tuple[str, str], ...] = (
    ("voucher", "receivables/voucher/"),
    ("plan", "plans/plan/"),
    ("package", "npa/package/"),
    ("product", "products/product/"),
    ("auction", "auctions/auction/"),
    ("financing", "receivables/financing/"),
    ("invoice", "receivables/invoice/"),
)
ORG_PREFIX = "membership/org/"
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_ID_CHARS = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")
_DIGITS = re.compile(r"^[0-9]{1,19}$")
# the hash lookups: each a range on an index (tests/console/test_explorer_search.py checks SQLite's plan)
BLOCKS_BY_HASH = "SELECT height FROM blocks WHERE hash BETWEEN ? AND ? ORDER BY hash LIMIT ?"
TXS_BY_HASH = "SELECT hash FROM tx_by_hash WHERE hash BETWEEN ? AND ? ORDER BY hash LIMIT ?"
WITHHELD_BY_HASH = "SELECT hash FROM withheld WHERE hash BETWEEN ? AND ? ORDER BY hash LIMIT ?"


class Query:
    """A search text, checked: what it may name."""

    def __init__(self, text: str):
        q = unicodedata.normalize("NFKC", text).strip()  # full-width Ｖ－１１ is V-11
        if not q:
            raise bad("empty", "type something to search for: an organisation's name or code, an id, a block "
                               f"height, or at least {MIN_HEX} hex characters of a hash")
        if len(q) > MAX_QUERY:
            raise bad("too_long", f"the search text is {len(q)} characters; at most {MAX_QUERY}")
        self.text = q
        self.folded = q.casefold()
        self.hex_only = False  # typed as 0x...: a hash prefix and nothing else
        if q[:2].lower() == "0x":
            q = q[2:]
            self.hex_only = True
            if not _HEX.match(q):
                raise bad("not_hex", f"{q[:20]!r} after 0x is not hexadecimal: a hash is written with 0-9 and a-f")
        elif len(q) >= 32 and q.isascii() and q.isalnum() and not _HEX.match(q):
            raise bad("not_hex", f"{len(q)} letters and digits look like a hash, but a hash is written with 0-9 "
                                 "and a-f only: check the characters that are not")
        if self.hex_only and len(q) < MIN_HEX:
            raise bad("too_short", f"a hash prefix needs at least {MIN_HEX} hex characters; {len(q)} given")
        if len(q) < 2 and not q.isdigit():
            raise bad("too_short", "type at least 2 characters of a name or an id (or a block height)")
        self.hex = q.lower() if _HEX.match(q) and MIN_HEX <= len(q) <= 2 * HASH_BYTES else None
        self.height = int(q) if _DIGITS.match(q) and not self.hex_only else None
        self.id = q.upper() if _ID_CHARS.match(q) and not self.hex_only else None
        # a few hex digits, which could have been meant as a hash: said in the answer, not refused
        self.short_hex = bool(_HEX.match(q)) and len(q) < MIN_HEX and not q.isdigit()


def bad(reason: str, message: str) -> HttpError:
    """A refused search text: `bad_request`, with `reason` (empty, too_long, too_short,
    not_hex) for the console to say it in the reader's language."""
    return HttpError("bad_request", message, reason=reason)


def hash_range(prefix: str) -> tuple[bytes, bytes]:
    """The smallest and largest 32-byte hash beginning with the hex digits `prefix`."""
    return bytes.fromhex(prefix.ljust(2 * HASH_BYTES, "0")), bytes.fromhex(prefix.ljust(2 * HASH_BYTES, "f"))


def search(node: Any, caller: Caller | None, text: str) -> dict[str, Any]:
    """The groups of matches of `text` that `caller` may see (blocking: run it in a worker)."""
    q = Query(text)
    app, store = node.app, node.store
    head = app.height
    view = None if sees_all(caller) else app.read_view(caller, head)
    groups: list[dict[str, Any]] = []

    def add(kind: str, items: list[dict[str, Any]]) -> None:
        if items:
            groups.append({"kind": kind, "items": items[:PER_GROUP], "more": len(items) > PER_GROUP})

    if q.text and not q.hex_only:
        add("org", orgs(store, view, q, head))
    if q.height is not None and q.height <= head:
        add("block", [block_item(store, q.height)])
    if q.hex is not None:
        add("block", blocks_by_hash(store, q.hex))
        add("tx", txs_by_hash(node, caller, q.hex))
    if q.id is not None:
        for kind, prefix in ID_KINDS:
            add(kind, records(store, view, prefix, q.id, head))
    merged: dict[str, dict[str, Any]] = {}  # a height and a hash prefix may both name blocks: one group
    for g in groups:
        if g["kind"] in merged:
            seen = {i["height"] for i in merged[g["kind"]]["items"]}
            merged[g["kind"]]["items"] += [i for i in g["items"] if i["height"] not in seen]
        else:
            merged[g["kind"]] = g
    notes = ["short_hex"] if q.short_hex else []
    # (the text searched is not echoed: an answer holds only what the reader may read)
    return {"height": head, "groups": list(merged.values()), "per_group": PER_GROUP, "notes": notes}


# -- organisations ------------------------------------------------------------------------------------
def orgs(store: Any, view: Any, q: Query, head: int) -> list[dict[str, Any]]:
    """Organisations whose code starts with the text or whose name contains it (any case), best first:
    the exact code, then names that start with it, then the rest by name."""
    found = []
    for key, raw in store.scan_prefix(ORG_PREFIX.encode(), head, MAX_ORGS + 1):
        if view is not None and not view.may_read(key):
            continue
        org = decode_trusted(raw)
        org_id, name = str(org.get("id", "")), str(org.get("name", ""))
        folded = unicodedata.normalize("NFKC", name).casefold()
        by_code = q.id is not None and org_id.startswith(q.id)
        if not by_code and q.folded not in folded:
            continue
        rank = 0 if org_id == q.id else 1 if folded.startswith(q.folded) else 2 if by_code else 3
        found.append((rank, folded, {"id": org_id, "name": name, "type": org.get("type"),
                                     "status": org.get("status"), "exact": org_id == q.id or folded == q.folded}))
    found.sort(key=lambda f: (f[0], f[1]))
    return [f[2] for f in found[:PER_GROUP + 1]]


# -- records by id ------------------------------------------------------------------------------------
def records(store: Any, view: Any, prefix: str, id_prefix: str, head: int) -> list[dict[str, Any]]:
    """The records of one kind whose id starts with `id_prefix` that the reader may read (up to
    PER_GROUP + 1: the last only tells there are more), each with a line about it."""
    out = []
    for key, raw in store.scan_prefix((prefix + id_prefix).encode(), head, MAX_SCAN):
        if view is not None and not view.may_read(key):
            continue  # as if it did not exist
        rid = key.decode("utf-8", "replace")[len(prefix):]
        if "/" in rid:  # a record under the id (none of ID_KINDS has any today)
            continue
        out.append({"id": rid, "exact": rid == id_prefix, **summary(decode_trusted(raw))})
        if len(out) > PER_GROUP:
            break
    return out


def summary(record: Any) -> dict[str, Any]:
    """What a result line shows of a record: its name, status and amount, where it has them."""
    if not isinstance(record, dict):
        return {}
    out = {}
    for field in ("name", "status"):
        if isinstance(record.get(field), str):
            out[field] = record[field]
    for field in ("amount", "size", "principal"):
        if isinstance(record.get(field), int) and not isinstance(record.get(field), bool):
            out["amount"] = record[field]
            break
    return out


# -- blocks and transactions -----------------------------------------------------------------------
def block_item(store: Any, height: int) -> dict[str, Any]:
    row = store.block(height)
    header = Header.decode(row[1])
    return {"height": height, "hash": row[0].hex(), "time": header.time, "txs": store.tx_count(height),
            "exact": True}


def blocks_by_hash(store: Any, prefix: str) -> list[dict[str, Any]]:
    """Blocks whose hash starts with the hex digits `prefix` (the index blocks_by_hash)."""
    lo, hi = hash_range(prefix)
    rows = store.read.execute(BLOCKS_BY_HASH, (lo, hi, PER_GROUP + 1)).fetchall()
    items = [block_item(store, h) for (h,) in rows]
    for item in items:
        item["exact"] = item["hash"] == prefix
    return items


def txs_by_hash(node: Any, caller: Caller | None, prefix: str) -> list[dict[str, Any]]:
    """Transactions whose hash starts with `prefix`: to a reader who sees one, its call and signer;
    to anyone else what every block shows of it (hash, block, position)."""
    store, app = node.store, node.app
    lo, hi = hash_range(prefix)
    found = store.read.execute(TXS_BY_HASH, (lo, hi, PER_GROUP + 1)).fetchall()
    found += store.read.execute(WITHHELD_BY_HASH, (lo, hi, PER_GROUP + 1)).fetchall()  # a member node's
    out = []
    for (tx_hash,) in sorted(found)[:PER_GROUP + 1]:
        tx_hash = bytes(tx_hash)
        row = store.tx(tx_hash)
        if row is None:  # a member node's: it holds only the hash
            held = store.withheld_tx(tx_hash)
            if held is None:
                continue
            height, index, _ = held
            item: dict[str, Any] = {"hash": tx_hash.hex(), "height": height, "index": index, "withheld": True}
        else:
            height, index, envelope, receipt_raw = row
            receipt = Receipt.from_map(decode_trusted(receipt_raw))
            view = None if sees_all(caller) else app.read_view(caller, height)
            if view is not None and not view.sees_envelope(envelope, receipt):
                item = {**withheld_tx(index, tx_hash, receipt_raw, app.hash), "height": height}
            else:
                item = {"hash": tx_hash.hex(), "height": height, "index": index, "code": receipt.code}
                try:
                    tx = decode_tx(envelope, app.hash)
                    item.update(contract=tx.contract, method=tx.method, signer=tx.signer.hex())
                except TxError:
                    pass
        item["time"] = Header.decode(store.block(height)[1]).time
        item["exact"] = item["hash"] == prefix
        out.append(item)
    signer_names(node, out)
    return out


def route(console: Any) -> Any:
    """The handler of `GET /console/api/search?q=` for the console (`add_routes` registers it): the
    signed-in member's view, or an anonymous reader's where the node allows one, as every explorer read."""

    async def handle(request: Any) -> Any:
        caller = await console.caller(request)
        text = request.query.get("q", "")
        Query(text)  # a refused text is refused before it takes a worker thread
        return json_response(await console.api.run_blocking(search, console.node, caller, text))

    return handle
