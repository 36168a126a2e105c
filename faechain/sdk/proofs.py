"""The two checks every verified answer is made of, shared by `faechain.sdk.verified` and
`faechain.sdk.penetration`:

  * `proven_value(doc, key, app_hash, height, hasher)`: the value a proof shows for state
    `key` against a trusted app hash — the proof must be for that key (the one derived
    from what was asked, never one the node chose), at that height, and verify;
  * `first_difference(shown, proven)`: where what an answer shows departs from what was
    proven, so the refusal can name the field (`the amount shown (5,000,000,000.00 CNY)
    differs from the value proven (50,000,000.00 CNY)`).

A proof document is the JSON form of `GET /v1/state?prove=true` and of a contract query's
`QueryCtx.proof`: {key, value, height, app_hash (hex), proof: {siblings, leaf}}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from faechain.core.encoding import EncodingError, decode
from faechain.core.wire import jsonable
from faechain.ledger.smt import ProofError, verify_proof
from faechain.sdk.trust import VerificationError

Hasher = Callable[[bytes], bytes]
Path = tuple[str | int, ...]


class Missing:
    """Stands for a field one side has and the other has not."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING = Missing()

# Fields that hold fen (CNY 1.00 = 100): a refusal shows them as amounts, the way the README
# writes them, so a person sees at once that 50,000,000.00 became 5,000,000,000.00.
FEN_FIELDS = frozenset({
    "amount", "drawn", "undrawn", "open", "limit", "headroom", "paid", "paid_total", "price", "reserve", "margin",
    "start_price", "increment", "step", "current_price", "principal", "interest", "size", "subscribed", "issued",
    "list_price", "reserve_price", "collected", "distributed", "coupon_received", "principal_received", "advance",
})


def amount_text(fen: int) -> str:
    """Fen as CNY with thousands separators: 5_000_000_000 -> "50,000,000.00 CNY"."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d} CNY"


def value_text(field: str | int | None, value: Any) -> str:
    """A value for a message: fen fields as amounts, anything else as compact JSON (cut at 80 characters)."""
    if value is MISSING:
        return "absent"
    if field in FEN_FIELDS and type(value) is int:
        return amount_text(value)
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def path_text(path: Path) -> str:
    """("payment", "amount") -> "payment.amount"; ("invoice_refs", 0, 1) -> "invoice_refs[0][1]"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def first_difference(shown: Any, proven: Any, path: Path = ()) -> tuple[Path, Any, Any] | None:
    """The first place (path, shown, proven) where `shown` is not `proven`; None if equal.
    Types count (True is not 1), dictionaries compare by key, lists by position."""
    if type(shown) is not type(proven):
        return path, shown, proven
    if isinstance(proven, dict):
        for k in sorted(set(shown) | set(proven), key=str):
            diff = first_difference(shown.get(k, MISSING), proven.get(k, MISSING), (*path, k))
            if diff is not None:
                return diff
        return None
    if isinstance(proven, list):
        if len(shown) != len(proven):
            return path, shown, proven
        for i, (s, p) in enumerate(zip(shown, proven, strict=True)):
            diff = first_difference(s, p, (*path, i))
            if diff is not None:
                return diff
        return None
    return None if shown == proven else (path, shown, proven)


def difference_text(path: Path, shown: Any, proven: Any) -> str:
    """`the amount shown (…) differs from the value proven (…)` for one difference."""
    field = path[-1] if path else None
    name = path_text(path) or "record"
    if shown is MISSING:
        return f"the {name} proven ({value_text(field, proven)}) is not shown"
    if proven is MISSING:
        return f"the {name} shown ({value_text(field, shown)}) is not in the value proven"
    return f"the {name} shown ({value_text(field, shown)}) differs from the value proven ({value_text(field, proven)})"


def proven_value(doc: Any, key: str, app_hash: bytes, height: int, hasher: Hasher) -> Any:
    """The value (decoded, bytes as hex) that proof document `doc` proves for state `key`
    under `app_hash`, the trusted app hash of block `height`; None when it proves `key`
    absent. VerificationError (`not_proven`) when the document is for another key, another
    block, does not verify or is malformed."""
    if type(doc) is not dict:
        raise VerificationError(f"{key}: no proof", "not_proven")
    try:
        doc_key = bytes.fromhex(doc["key"])
        if doc_key != key.encode():
            other = doc_key.decode("utf-8", "replace")
            raise VerificationError(f"{key}: the proof given is for {other} instead", "not_proven")
        if doc["height"] != height:
            raise VerificationError(f"{key}: proven at height {doc['height']}, not at height {height} that the "
                                    "answer is read at", "not_proven")
        if bytes.fromhex(doc["app_hash"]) != app_hash:
            raise VerificationError(f"{key}: proven against app hash {doc['app_hash'][:16]}…, not the trusted app "
                                    f"hash of block {height} ({app_hash.hex()[:16]}…)", "not_proven")
        raw = None if doc["value"] is None else bytes.fromhex(doc["value"])
        proof = doc["proof"]
        siblings = {"siblings": [bytes.fromhex(s) for s in proof["siblings"]],
                    "leaf": [bytes.fromhex(x) for x in proof["leaf"]] if proof["leaf"] else None}
        if not verify_proof(hasher, app_hash, doc_key, raw, siblings):
            raise VerificationError(f"{key}: the proof does not verify against the trusted app hash of block "
                                    f"{height}", "not_proven")
        return None if raw is None else jsonable(decode(raw))
    except VerificationError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, ProofError, EncodingError) as exc:
        raise VerificationError(f"{key}: malformed proof ({type(exc).__name__})", "not_proven") from None
