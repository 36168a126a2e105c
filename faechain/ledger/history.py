"""The history index: which committed transactions (and end-block records) name what.

Derived data beside the authenticated state, like the query index (`idx`): written in
the same SQLite transaction as its block (`Store.commit`), rebuilt from the stored
blocks, receipts and events at any time (`Store.rebuild_history`, and on opening a
database that does not have it yet), never part of the app hash, never read by
contracts. It serves the regulator's views: any organisation's or asset's history and
the audit-trail export (`faechain.ledger.audit`).

Tables:

    history_tx(height, idx, kind, signer, org, contract, method, code)
        one row per committed transaction (kind "tx", successful or rejected) and one
        per block with end-block events (kind "end_block", idx = number of txs);
        `org` is the signer's organisation, "" when the signer was not authenticated
    history(ref, height, idx, how)
        one row per (reference, record); `how` ORs where the reference was seen:
        1 the signer's organisation, 2 the arguments, 4 the result, 8 the events'
        attributes

The reference rule (`is_ref`): a *text* value anywhere inside the arguments, the
result or an event's attributes (map values and list items, never map keys) that

* has 3 to 128 characters,
* contains at least one ASCII digit (ids such as V-12-0-3, P-4-0-1, A-9-1-1,
  invoice ids 011002600111-04512876, USCC org ids 91110000MA0000005X, bank
  references, hashes in hex; enum words such as ACTIVE or coupon are left out),
* contains no whitespace or control character (free text such as a reason is left out),
* and is not hex longer than 64 characters (signatures, keys, blobs);

and, of a text value (up to 256 characters) joined with `:` or `/`, each part that is
reference-like itself: `voucher:V-5-0-1` (an asset as the freeze registry and the
alerts name it) records `voucher:V-5-0-1` and `V-5-0-1`, a loan `<seller USCC>/<loan no>`
its seller too.

Byte strings, numbers and booleans are never references. A transaction records its
signer's organisation first (its certificate id is in `history_tx`), then the references of its
arguments, its result and its events, in that order (depth first, in the decoded,
canonical order), at most `MAX_TX_REFS` distinct ones; later ones are dropped. An
end-block record takes at most `MAX_END_REFS` (it carries the events of every contract's
end-of-block work, e.g. every voucher that went OVERDUE that day). Transactions whose
signer was not authenticated (undecodable, replayed, bad signature, unknown signer,
...: `faechain.core.errors.UNAUTHENTICATED_CODES`) get their `history_tx` row but no
references: nobody proved who sent them, and nothing they name was touched.

Bump `HISTORY_VERSION` when the rule changes: a database indexed under another
version is re-indexed when it is opened.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from faechain.core.encoding import decode_trusted
from faechain.core.errors import UNAUTHENTICATED_CODES  # codes given before the signer was authenticated

log = logging.getLogger("faechain.history")

HISTORY_VERSION = b"2"
MIN_REF, MAX_REF = 3, 128
MAX_TX_REFS = 64
MAX_END_REFS = 1024
MAX_DEPTH = 32

HOW_SIGNER, HOW_ARGS, HOW_RESULT, HOW_EVENTS = 1, 2, 4, 8
HOW_NAMES = ((HOW_SIGNER, "signer"), (HOW_ARGS, "args"), (HOW_RESULT, "result"), (HOW_EVENTS, "events"))

KIND_TX, KIND_END = "tx", "end_block"

# A row of each table, as `block_rows` makes them and SQLite keeps them.
TxRow = tuple[int, int, str, bytes, str, str, str, str]  # history_tx: height, idx, kind, signer, org, contract,
# method, code
RefRow = tuple[str, int, int, int]  # history: ref, height, idx, how (HOW_* bits)
CERT_PREFIX = "membership/cert/"

_DIGIT = re.compile(r"[0-9]")
_BAD_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
_LONG_HEX = re.compile(r"[0-9a-fA-F]{65,}")
_PARTS = re.compile(r"[:/]")



def is_ref(value: Any) -> bool:
    """Whether a value is reference-like under the rule above."""
    return (
        type(value) is str
        and MIN_REF <= len(value) <= MAX_REF
        and _DIGIT.search(value) is not None
        and _BAD_CHAR.search(value) is None
        and _LONG_HEX.fullmatch(value) is None
    )


def how_names(how: int) -> list[str]:
    return [name for bit, name in HOW_NAMES if how & bit]


class _Refs:
    """Distinct references in first-seen order, at most `cap`; flags OR into seen ones."""

    def __init__(self, cap: int):
        self.cap = cap
        self.found: dict[str, int] = {}

    def add(self, ref: str, how: int) -> None:
        if ref in self.found:
            self.found[ref] |= how
        elif len(self.found) < self.cap:
            self.found[ref] = how

    def walk(self, value: Any, how: int, depth: int = 0) -> None:
        t = type(value)
        if t is str:
            if is_ref(value):
                self.add(value, how)
            if len(value) <= 2 * MAX_REF and _PARTS.search(value) is not None:
                for part in _PARTS.split(value):
                    if is_ref(part):
                        self.add(part, how)
        elif t is dict:
            if depth < MAX_DEPTH:
                for v in value.values():
                    self.walk(v, how, depth + 1)
        elif t is list or t is tuple:
            if depth < MAX_DEPTH:
                for v in value:
                    self.walk(v, how, depth + 1)


def decode_envelope(envelope: bytes) -> dict[str, Any] | None:
    """The body fields of an envelope, or None when it does not decode (no checks:
    these bytes were stored with their receipt, which says whether they were valid)."""
    try:
        env = decode_trusted(envelope)
        if type(env) is not list or len(env) != 4 or type(env[1]) is not bytes:
            return None
        body = decode_trusted(env[1])
        if type(body) is not dict:
            return None
        body["_cert"] = env[3] if type(env[3]) is bytes else None
        return body
    except Exception:  # noqa: BLE001 - garbage transactions are recorded too
        return None


class OrgResolver:
    """The organisation of a certificate id: from its registered record, else from the
    certificate attached to the transaction. A certificate's organisation is part of
    the certificate (whose hash is the id), so the answer never changes: cached."""

    def __init__(self) -> None:
        self.cache: dict[bytes, str] = {}

    def org(self, signer: bytes, cert: bytes | None, lookup: Callable[[bytes], bytes | None]) -> str:
        org = self.cache.get(signer)
        if org is not None:
            return org
        org = ""
        raw = lookup(f"{CERT_PREFIX}{signer.hex()}".encode())
        if raw is not None:
            try:
                rec = decode_trusted(raw)
                org = rec.get("org_id", "") if type(rec) is dict else ""
            except Exception:  # noqa: BLE001
                org = ""
        if not org and cert is not None:
            try:
                from faechain.crypto import certs

                org = certs.read_info(cert).org_id
            except Exception:  # noqa: BLE001
                org = ""
        if type(org) is not str:
            org = ""
        if org:
            self.cache[signer] = org
        return org


def block_rows(
    height: int,
    txs: Iterable[tuple[int, bytes, bytes, bytes]],
    end_events: list[tuple[str, str, bytes]],
    lookup: Callable[[bytes], bytes | None],
    resolver: OrgResolver,
) -> tuple[list[TxRow], list[RefRow]]:
    """The index rows of one block.

    `txs`: (idx, hash, envelope, receipt) in order; `end_events`: (contract, type, attrs
    bytes) of its end-block events; `lookup(key)`: a state value as of this block (for
    certificate records). Returns (history_tx rows, history rows).
    """
    tx_rows: list[TxRow] = []
    ref_rows: list[RefRow] = []
    txs = list(txs)
    n_txs = len(txs)
    for idx, _tx_hash, envelope, receipt_bytes in txs:
        try:
            receipt = decode_trusted(receipt_bytes)
            if type(receipt) is not dict:
                receipt = {}
        except Exception:  # noqa: BLE001
            receipt = {}
        stated = receipt.get("code")
        code = stated if type(stated) is str else ""
        body = decode_envelope(envelope)
        signer, contract, method, org = b"", "", "", ""
        if body is not None:
            s, c, m = body.get("signer"), body.get("contract"), body.get("method")
            signer = s if type(s) is bytes else b""
            contract = c if type(c) is str else ""
            method = m if type(m) is str else ""
        authenticated = bool(code) and code not in UNAUTHENTICATED_CODES and bool(signer)
        refs = _Refs(MAX_TX_REFS)
        if body is not None and authenticated:
            org = resolver.org(signer, body.get("_cert"), lookup)
            if org:
                refs.add(org, HOW_SIGNER)
            refs.walk(body.get("args"), HOW_ARGS)
            refs.walk(receipt.get("result"), HOW_RESULT)
            events = receipt.get("events")
            if type(events) is list:
                for ev in events:
                    if type(ev) is dict:
                        refs.walk(ev.get("attrs"), HOW_EVENTS)
        tx_rows.append((height, idx, KIND_TX, signer, org, contract, method, code))
        ref_rows.extend((ref, height, idx, how) for ref, how in refs.found.items())
    if end_events:
        refs = _Refs(MAX_END_REFS)
        for _contract, _type, data in end_events:
            try:
                refs.walk(decode_trusted(data), HOW_EVENTS)
            except Exception:  # noqa: BLE001
                continue
        tx_rows.append((height, n_txs, KIND_END, b"", "", "", "", "ok"))
        ref_rows.extend((ref, height, n_txs, how) for ref, how in refs.found.items())
    return tx_rows, ref_rows
