"""What each reader is shown of raw transactions, blocks and events (docs/confidentiality.md).

Whether a reader may see a transaction, a record or an end-of-block event is the contracts'
own rule, asked through `Application.read_view` (`faechain.chain.visibility.ReadView`); this
module only shapes the answers. A withheld transaction keeps what lets anyone check its block
— its hash (a `txs_root` leaf) and its receipt's hash (a `results_root` leaf) — and its
position; nothing of its body, signer, code or events.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from faechain.chain.results import Receipt
from faechain.contracts.runtime import Caller, sees_all
from faechain.core.encoding import decode_trusted


def withheld_tx(index: int, tx_hash: bytes, receipt: bytes, hasher: Callable[[bytes], bytes]) -> dict[str, Any]:
    """A transaction as a reader who may not see it is shown it: that it exists, where, and the
    hashes its block's roots are made of."""
    return {"index": index, "hash": tx_hash.hex(), "tx_hash": tx_hash.hex(), "withheld": True,
            "receipt_hash": hasher(receipt).hex()}


def visible_indexes(node: Any, caller: Caller | None, height: int) -> tuple[set[int], int] | None:
    """The indexes of block `height`'s transactions `caller` sees, and how many it has (None:
    it sees them all). Blocking."""
    if sees_all(caller):
        return None
    view = node.app.read_view(caller, height)
    rows = node.store.block_txs(height)
    seen = {idx for idx, _, envelope, receipt in rows
            if view.sees_envelope(envelope, Receipt.from_map(decode_trusted(receipt)))}
    return seen, node.store.tx_count(height)  # a member node holds only hashes of some: count them too


class SeenCache:
    """`visible_indexes` remembered per (block, reader), for the event hub: it filters every new
    block for every open stream, and a reader's many streams (one identity may open dozens) must
    cost one filtering, not one each. The key is every field of the reader the read rules may
    look at; a block's committed contents never change, so an entry never goes stale."""

    def __init__(self, size: int = 1024):
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[set[int], int] | None] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(caller: Caller, height: int) -> tuple[Any, ...]:
        return (height, caller.cert_id, caller.org_id, caller.role, repr(sorted(caller.attributes.items())))

    def visible(self, node: Any, caller: Caller | None, height: int) -> tuple[set[int], int] | None:
        if caller is None or sees_all(caller):
            return None
        key = self.key(caller, height)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        seen = visible_indexes(node, caller, height)  # outside the lock: other readers go on meanwhile
        with self._lock:
            self._entries[key] = seen
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return seen


def filter_block_events(node: Any, caller: Caller | None, height: int, block: dict[str, Any],
                        events: list[dict[str, Any]],
                        cache: SeenCache | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A block of the event stream (`block`: its summary with per-transaction `codes`; `events`:
    its contract events, `tx` the index of the transaction that emitted each, or the number of
    transactions for end-of-block events) as `caller` may see it: the events of transactions it
    sees and the end-of-block events it may see; the codes of the others None. Blocking."""
    seen = cache.visible(node, caller, height) if cache is not None else visible_indexes(node, caller, height)
    if seen is None:
        return block, events
    idx, n = seen
    view = node.app.read_view(caller, height) if any(ev["tx"] >= n for ev in events) else None
    kept = [ev for ev in events if (ev["tx"] in idx if ev["tx"] < n else view is not None and view.sees_event(ev))]
    if "codes" in block:
        block = dict(block, codes=[c if i in idx else None for i, c in enumerate(block["codes"])])
    return block, kept
